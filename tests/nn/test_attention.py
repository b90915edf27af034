"""scaled_dot_product_attention and MultiheadAttention against torch (float64, weights copied
through state_dict): outputs, attention weights, gradients of inputs and parameters, second
derivatives, masks of every kind, dropout, parameter layout and init, and errors."""
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import ndgrad
from tests._oracle import assert_close
from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake

RNG = np.random.default_rng(0)
MASK = RNG.random((4, 6)) < 0.4
MASK[1] = False  # a query row that can attend to nothing
FLOAT_MASK = np.where(RNG.random((4, 6)) < 0.3, -np.inf, RNG.standard_normal((4, 6)))


def SDPA(m):
    return m.nn.functional.scaled_dot_product_attention


@dataclass
class Attention:
    """One SDPA call: query/key/value shapes and keyword arguments made by kwargs(module)."""

    name: str
    shapes: tuple = ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7))
    kwargs: Callable = lambda m: {}

    def __str__(self) -> str:
        return self.name


SDPA_CASES = [
    Attention("plain"),
    Attention("unbatched_2d", ((4, 5), (6, 5), (6, 3))),
    Attention("broadcast_batch", ((2, 3, 4, 5), (1, 6, 5), (3, 6, 7))),
    Attention("scale", kwargs=lambda m: {"scale": 0.3}),
    Attention("causal", kwargs=lambda m: {"is_causal": True}),
    Attention("causal_square", ((2, 5, 5), (2, 5, 5), (2, 5, 3)),
              lambda m: {"is_causal": True}),
    Attention("bool_mask_dead_row", kwargs=lambda m: {"attn_mask": m.tensor(MASK)}),
    Attention("bool_mask_per_head",
              kwargs=lambda m: {"attn_mask": m.tensor(np.stack([MASK, ~MASK, MASK]))}),
    Attention("float_mask_with_inf", kwargs=lambda m: {"attn_mask": m.tensor(FLOAT_MASK)}),
    Attention("float32_mask", kwargs=lambda m: {"attn_mask": m.tensor(FLOAT_MASK).float()}),
    Attention("gqa", ((2, 6, 4, 5), (2, 2, 6, 5), (2, 3, 6, 7)),
              lambda m: {"enable_gqa": True}),
    Attention("gqa_same_heads", kwargs=lambda m: {"enable_gqa": True}),
]


def _inputs(m, arrays):
    return [m.tensor(a, requires_grad=True) for a in arrays]


def _grads(m, outputs, inputs, create_graph):
    rng = np.random.default_rng(1)
    seeds = [m.tensor(rng.standard_normal(tuple(o.shape))) for o in outputs]
    return m.autograd.grad(outputs, inputs, seeds, create_graph=create_graph, allow_unused=True)


def _second(m, grads, inputs):
    """d/d inputs of sum(grad * v) for fixed random v: one row of the Hessian-vector product."""
    rng = np.random.default_rng(2)
    total = sum((g * m.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in grads)
    return m.autograd.grad(total, inputs, allow_unused=True)


def _compare(ours, theirs, what):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:
            assert a is None or not np.any(a.detach().numpy()), f"{what} {k} should be zero"
            continue
        assert tuple(a.shape) == tuple(b.shape), f"{what} {k} shape"
        assert_close(a, b, "float64", f"{what} {k}")


def _run_sdpa(m, case, arrays, second):
    inputs = _inputs(m, arrays)
    out = SDPA(m)(*inputs, **case.kwargs(m))
    grads = _grads(m, [out], inputs, second)
    return out, grads, (_second(m, grads, inputs) if second else ())


@pytest.mark.parametrize("case", SDPA_CASES, ids=str)
def test_sdpa_against_torch(case, torch):
    arrays = [RNG.standard_normal(s) for s in case.shapes]
    second = case.name in ("bool_mask_dead_row", "gqa", "causal")
    out, grads, grads2 = _run_sdpa(ndgrad, case, arrays, second)
    t_out, t_grads, t_grads2 = _run_sdpa(torch, case, arrays, second)
    _compare([out], [t_out], f"{case}: output")
    _compare(grads, t_grads, f"{case}: gradient of input")
    _compare(grads2, t_grads2, f"{case}: second derivative of input")


def test_sdpa_dead_row_gives_zeros_not_nan(torch):
    q, k, v = _inputs(ndgrad, [np.ones((4, 5)), np.ones((6, 5)), np.ones((6, 3))])
    out = SDPA(ndgrad)(q, k, v, attn_mask=ndgrad.tensor(MASK))
    out.sum().backward()
    assert np.all(out.detach().numpy()[1] == 0) and np.all(q.grad.numpy()[1] == 0)
    assert np.isfinite(k.grad.numpy()).all()


def test_sdpa_dropout_scales_kept_weights_and_follows_the_seed():
    # With value = I the output is the (dropped-out) attention weights themselves.
    q, k = (ndgrad.tensor(RNG.standard_normal((3, 5, 4))) for _ in range(2))
    value = ndgrad.eye(5, dtype=ndgrad.float64)
    weights = SDPA(ndgrad)(q, k, value).numpy()
    ndgrad.manual_seed(7)
    first = SDPA(ndgrad)(q, k, value, dropout_p=0.25).numpy()
    ndgrad.manual_seed(7)
    again = SDPA(ndgrad)(q, k, value, dropout_p=0.25).numpy()
    np.testing.assert_array_equal(first, again)
    kept = first != 0
    assert 0.5 < kept.mean() < 0.95
    np.testing.assert_allclose(first[kept], weights[kept] / 0.75, rtol=1e-12)
    assert not np.any(SDPA(ndgrad)(q, k, value, dropout_p=1.0).numpy())


# ---------------------------------------------------------------- MultiheadAttention

@dataclass
class MHA:
    """One MultiheadAttention(6, 2, **options) call with key/value of length 5."""

    name: str
    options: dict = field(default_factory=dict)
    call: Callable = lambda m: {}
    batched: bool = True

    def __str__(self) -> str:
        return self.name


E, HEADS, L, S, N = 6, 2, 4, 5, 3
PADDING = np.array([[False, True, False, False, True], [False] * 5, [True, False, True, False,
                                                                    False]])
MASK_2D = RNG.random((L, S)) < 0.3
MASK_3D = RNG.standard_normal((N * HEADS, L, S))
FLOAT_PADDING = np.where(PADDING, -1.5, 0.25)

MHA_CASES = [
    MHA("plain"),
    MHA("no_bias", {"bias": False}),
    MHA("bias_kv", {"add_bias_kv": True}),
    MHA("zero_attn", {"add_zero_attn": True}),
    MHA("bias_kv_zero_attn_masks", {"add_bias_kv": True, "add_zero_attn": True},
        lambda m: {"key_padding_mask": m.tensor(PADDING), "attn_mask": m.tensor(MASK_2D)}),
    MHA("kdim_vdim", {"kdim": 3, "vdim": 5}),
    MHA("kdim_vdim_no_weights", {"kdim": 3, "vdim": 5}, lambda m: {"need_weights": False}),
    MHA("batch_first", {"batch_first": True}),
    MHA("batch_first_padding", {"batch_first": True},
        lambda m: {"key_padding_mask": m.tensor(PADDING)}),
    MHA("per_head_weights", call=lambda m: {"average_attn_weights": False}),
    MHA("no_weights", call=lambda m: {"need_weights": False}),
    MHA("bool_padding", call=lambda m: {"key_padding_mask": m.tensor(PADDING)}),
    MHA("float_padding", call=lambda m: {"key_padding_mask": m.tensor(FLOAT_PADDING)}),
    MHA("bool_padding_no_weights",
        call=lambda m: {"key_padding_mask": m.tensor(PADDING), "need_weights": False}),
    MHA("mask_2d_bool", call=lambda m: {"attn_mask": m.tensor(MASK_2D)}),
    MHA("mask_3d_float", call=lambda m: {"attn_mask": m.tensor(MASK_3D)}),
    MHA("mask_3d_and_padding_no_weights",
        call=lambda m: {"attn_mask": m.tensor(MASK_3D), "need_weights": False,
                        "key_padding_mask": m.tensor(FLOAT_PADDING)}),
    MHA("causal", call=lambda m: {"attn_mask": m.tensor(~np.tri(L, S, dtype=bool)),
                                  "is_causal": True}),
    MHA("causal_no_weights", call=lambda m: {"attn_mask": m.tensor(~np.tri(L, S, dtype=bool)),
                                             "is_causal": True, "need_weights": False}),
    MHA("unbatched", batched=False),
    MHA("unbatched_masks", {"kdim": 4}, batched=False,
        call=lambda m: {"key_padding_mask": m.tensor(PADDING[0]),
                        "attn_mask": m.tensor(MASK_3D[:HEADS])}),
    MHA("unbatched_batch_first_no_weights", {"batch_first": True}, batched=False,
        call=lambda m: {"need_weights": False}),
]


def _mha_arrays(case):
    kdim, vdim = case.options.get("kdim", E), case.options.get("vdim", E)
    lead = (N,) if case.batched else ()

    def shape(length, dim):
        if not case.batched:
            return (length, dim)
        return (*lead, length, dim) if case.options.get("batch_first") else (length, N, dim)

    rng = np.random.default_rng(3)
    return [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kdim)),
            rng.standard_normal(shape(S, vdim))]


def _run_mha(m, module, case, arrays, second=False):
    inputs = _inputs(m, arrays)
    params = [p for _, p in sorted(module.named_parameters())]
    out, weights = module(*inputs, **case.call(m))
    outputs = [out] if weights is None else [out, weights]
    grads = _grads(m, outputs, inputs + params, second)
    return outputs, grads, (_second(m, grads, inputs + params) if second else ())


def _pair(case, torch):
    theirs = torch.nn.MultiheadAttention(E, HEADS, **case.options).double()
    ours = ndgrad.nn.MultiheadAttention(E, HEADS, dtype=ndgrad.float64, **case.options)
    ours.load_state_dict({k: ndgrad.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("case", MHA_CASES, ids=str)
def test_multihead_attention_against_torch(case, torch):
    ours, theirs = _pair(case, torch)
    arrays = _mha_arrays(case)
    second = case.name == "bias_kv_zero_attn_masks"
    outputs, grads, grads2 = _run_mha(ndgrad, ours, case, arrays, second)
    t_outputs, t_grads, t_grads2 = _run_mha(torch, theirs, case, arrays, second)
    _compare(outputs, t_outputs, f"{case}: output")
    _compare(grads, t_grads, f"{case}: gradient of input/parameter")
    _compare(grads2, t_grads2, f"{case}: second derivative of input/parameter")


def test_multihead_attention_fully_padded_row_matches_torch(torch):
    # With weights, PyTorch's plain softmax gives NaN for a key row that is all padding;
    # without them, attention gives zeros. ndgrad follows both.
    case = MHA("dead", call=lambda m: {"key_padding_mask": m.tensor(np.ones((N, S), bool))})
    ours, theirs = _pair(case, torch)
    arrays = _mha_arrays(case)
    for need_weights in (True, False):
        out = ours(*_inputs(ndgrad, arrays), need_weights=need_weights, **case.call(ndgrad))[0]
        expected = theirs(*_inputs(torch, arrays), need_weights=need_weights,
                          **case.call(torch))[0]
        _compare([out], [expected], f"need_weights={need_weights}")


@pytest.mark.parametrize("options", [{}, {"bias": False}, {"kdim": 3}, {"vdim": 2},
                                     {"add_bias_kv": True, "batch_first": True}],
                         ids=str)
def test_multihead_attention_parameters_match_torch(options, torch):
    ours = ndgrad.nn.MultiheadAttention(E, HEADS, **options)
    theirs = torch.nn.MultiheadAttention(E, HEADS, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape), name
    same = "kdim" not in options and "vdim" not in options
    assert (ours.in_proj_weight is None) != same
    assert (ours.q_proj_weight is None) == same
    assert ours.head_dim == theirs.head_dim and ours._qkv_same_embed_dim == same


def test_multihead_attention_init_is_torch_s():
    ndgrad.manual_seed(0)
    module = ndgrad.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    weight = module.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on (3E, E)
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.95 * bound
    assert not np.any(module.in_proj_bias.detach().numpy())
    assert not np.any(module.out_proj.bias.detach().numpy())
    bias_k = module.bias_k.detach().numpy()
    assert 0.7 < bias_k.std() * np.sqrt(64) < 1.3  # xavier_normal_ on (1, 1, E): std 1/sqrt(E)
    out_bound = 1 / np.sqrt(64)  # out_proj keeps Linear's init
    assert np.abs(module.out_proj.weight.detach().numpy()).max() <= out_bound


def test_multihead_attention_dropout_scales_weights_and_follows_the_seed():
    module = ndgrad.nn.MultiheadAttention(E, HEADS, dropout=0.25, dtype=ndgrad.float64)
    q, k, v = (ndgrad.tensor(a) for a in _mha_arrays(MHA("x")))
    module.eval()
    out_eval, weights = module(q, k, v, average_attn_weights=False)
    module.train()
    ndgrad.manual_seed(3)
    out, dropped = module(q, k, v, average_attn_weights=False)
    ndgrad.manual_seed(3)
    again, _ = module(q, k, v, average_attn_weights=False)
    np.testing.assert_array_equal(out.detach().numpy(), again.detach().numpy())
    kept = dropped.detach().numpy() != 0
    assert 0.5 < kept.mean() < 0.95
    np.testing.assert_allclose(dropped.detach().numpy()[kept],
                               weights.detach().numpy()[kept] / 0.75, rtol=1e-12)
    assert not np.allclose(out.detach().numpy(), out_eval.detach().numpy())


# ---------------------------------------------------------------- errors

def _mha_call(m, q_shape, kv_shape, heads=HEADS, **kwargs):
    module = m.nn.MultiheadAttention(E, heads)
    return module(m.ones(*q_shape), m.ones(*kv_shape), m.ones(*kv_shape), **kwargs)


def _mask(m, *shape, dtype="bool"):
    return m.ones(*shape, dtype=getattr(m, dtype))


def _sdpa_call(m, shapes=((2, 3, 4), (2, 5, 4), (2, 5, 4)), dtypes=("float32",) * 3, **kwargs):
    q, k, v = (m.ones(*s, dtype=getattr(m, d)) for s, d in zip(shapes, dtypes))
    return SDPA(m)(q, k, v, **kwargs)


MISTAKES = [
    Mistake("mha_embed_dim_not_divisible", lambda m: m.nn.MultiheadAttention(6, 4),
            AssertionError, "embed_dim must be divisible by num_heads"),
    Mistake("mha_zero_heads", lambda m: m.nn.MultiheadAttention(6, 0), ValueError,
            "num_heads=0"),
    Mistake("mha_query_4d", lambda m: _mha_call(m, (1, 2, 3, 6), (1, 2, 3, 6)),
            AssertionError, "received 4-D query"),
    Mistake("mha_key_2d_for_batched_query",
            lambda m: m.nn.MultiheadAttention(E, HEADS)(m.ones(2, 3, 6), m.ones(3, 6),
                                                        m.ones(3, 6)),
            AssertionError, "key and value must be 3-D"),
    Mistake("mha_wrong_embed_dim", lambda m: _mha_call(m, (2, 3, 4), (2, 3, 4)), AssertionError,
            "expecting embedding dimension of 6, but got 4"),
    Mistake("mha_key_value_shapes",
            lambda m: m.nn.MultiheadAttention(E, HEADS)(m.ones(2, 3, 6), m.ones(4, 3, 6),
                                                        m.ones(5, 3, 6)),
            AssertionError, "key shape \\(4, 3, 6\\) does not match value shape \\(5, 3, 6\\)"),
    Mistake("mha_attn_mask_2d_shape",
            lambda m: _mha_call(m, (2, 3, 6), (4, 3, 6), attn_mask=_mask(m, 2, 5)),
            RuntimeError, "2D attn_mask is \\(2, 5\\), but should be \\(2, 4\\)"),
    Mistake("mha_attn_mask_3d_shape",
            lambda m: _mha_call(m, (2, 3, 6), (4, 3, 6), attn_mask=_mask(m, 3, 2, 4)),
            RuntimeError, "3D attn_mask is \\(3, 2, 4\\), but should be \\(6, 2, 4\\)"),
    Mistake("mha_attn_mask_1d",
            lambda m: _mha_call(m, (2, 3, 6), (4, 3, 6), attn_mask=_mask(m, 4)),
            AssertionError, "attn_mask must be 2-D or 3-D, got 1-D"),
    Mistake("mha_unbatched_attn_mask_3d_shape",
            lambda m: _mha_call(m, (2, 6), (4, 6), attn_mask=_mask(m, 3, 2, 4)),
            AssertionError, "3-D attn_mask of shape \\(2, 2, 4\\)"),
    Mistake("mha_key_padding_mask_shape",
            lambda m: _mha_call(m, (2, 3, 6), (4, 3, 6), key_padding_mask=_mask(m, 3, 5)),
            AssertionError, "key_padding_mask shape of \\(3, 4\\), but got \\(3, 5\\)"),
    Mistake("mha_key_padding_mask_3d",
            lambda m: _mha_call(m, (2, 3, 6), (4, 3, 6), key_padding_mask=_mask(m, 3, 4, 1)),
            AssertionError, "key_padding_mask must be 2-D, got 3-D"),
    Mistake("mha_key_padding_mask_int",
            lambda m: _mha_call(m, (2, 3, 6), (4, 3, 6),
                                key_padding_mask=_mask(m, 3, 4, dtype="int64")),
            AssertionError, "only bool and floating types of key_padding_mask"),
    Mistake("mha_is_causal_without_mask",
            lambda m: _mha_call(m, (2, 3, 6), (4, 3, 6), is_causal=True), RuntimeError,
            "need attn_mask if specifying the is_causal hint"),
    Mistake("sdpa_mask_and_is_causal",
            lambda m: _sdpa_call(m, attn_mask=_mask(m, 3, 5), is_causal=True), RuntimeError,
            "attn_mask should not be set when is_causal"),
    Mistake("sdpa_1d", lambda m: _sdpa_call(m, ((4,), (4,), (4,))), RuntimeError,
            "at least 2 dimensional, but got query.dim: 1"),
    Mistake("sdpa_dtypes", lambda m: _sdpa_call(m, dtypes=("float32", "float64", "float32")),
            RuntimeError, "same dtype, but got query.dtype: ndgrad.float32 key.dtype: "
            "ndgrad.float64"),
    Mistake("sdpa_int_mask", lambda m: _sdpa_call(m, attn_mask=_mask(m, 3, 5, dtype="int64")),
            RuntimeError, "attn_mask dtype to be bool or float"),
    Mistake("sdpa_mask_shape", lambda m: _sdpa_call(m, attn_mask=_mask(m, 4, 5)), RuntimeError,
            "The size of tensor a"),
    Mistake("sdpa_feature_sizes", lambda m: _sdpa_call(m, ((2, 3, 4), (2, 5, 3), (2, 5, 4))),
            RuntimeError, "cannot be multiplied"),
    Mistake("sdpa_dropout_p", lambda m: _sdpa_call(m, dropout_p=1.5), RuntimeError,
            "dropout probability has to be between 0 and 1, but got 1.5"),
    Mistake("sdpa_gqa_heads",
            lambda m: _sdpa_call(m, ((1, 6, 3, 4), (1, 4, 5, 4), (1, 4, 5, 4)), enable_gqa=True),
            RuntimeError, "number of heads in key \\(4\\) must divide the number of heads in "
            "query \\(6\\)"),
    Mistake("sdpa_integer_inputs", lambda m: _sdpa_call(m, dtypes=("int64",) * 3), RuntimeError,
            "expected a floating point query, got ndgrad.int64"),
    Mistake("sdpa_list_query", lambda m: SDPA(m)([[1.0]], m.ones(2, 5, 4), m.ones(2, 5, 4)),
            TypeError, "argument 'query' \\(position 1\\) must be Tensor, not list"),
]


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
