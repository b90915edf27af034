"""Transformer layers, stacks and the full Transformer against torch (float64, dropout 0,
weights copied through state_dict): outputs and gradients of inputs and parameters for every
option and mask, a second derivative, state_dict keys, the causal mask, and errors."""
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import ndgrad
from tests._oracle import assert_close
from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake

D, HEADS, FF, S, T, N = 8, 2, 12, 5, 4, 3
PADDING = np.array([[False, False, True, False, True], [False] * 5, [True, False, False,
                                                                     False, False]])
TGT_PADDING = np.array([[False, True, False, False], [False] * 4, [False, False, False, True]])


def causal(m, n):
    return m.nn.Transformer.generate_square_subsequent_mask(n, dtype=m.float64)


@dataclass
class Case:
    """build(m) -> module (dropout 0); inputs are src (S, N, D) and, for decoders, tgt; the
    call's keyword arguments come from call(m)."""

    name: str
    build: Callable
    call: Callable = lambda m: {}
    decoder: bool = False
    batch_first: bool = False
    batched: bool = True
    options: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def enc_layer(m, **options):
    return m.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, **options)


def dec_layer(m, **options):
    return m.nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0, **options)


def encoder(m, **options):
    return m.nn.TransformerEncoder(enc_layer(m, **options), 2, norm=m.nn.LayerNorm(D),
                                   enable_nested_tensor=False)


def decoder(m, **options):
    return m.nn.TransformerDecoder(dec_layer(m, **options), 2, norm=m.nn.LayerNorm(D))


def transformer(m, **options):
    return m.nn.Transformer(D, HEADS, 2, 1, FF, dropout=0.0, **options)


CASES = [
    Case("enc_layer", enc_layer),
    Case("enc_layer_norm_first_gelu", lambda m: enc_layer(m, norm_first=True, activation="gelu")),
    Case("enc_layer_callable_activation",
         lambda m: enc_layer(m, activation=m.nn.functional.silu)),
    Case("enc_layer_module_activation", lambda m: enc_layer(m, activation=m.nn.Tanh())),
    Case("enc_layer_no_bias_eps", lambda m: enc_layer(m, bias=False, layer_norm_eps=1e-3)),
    Case("enc_layer_masks", enc_layer,
         lambda m: {"src_mask": m.tensor(np.triu(np.ones((S, S), bool), 1)),
                    "src_key_padding_mask": m.tensor(PADDING)}),
    Case("enc_layer_is_causal", enc_layer,
         lambda m: {"src_mask": causal(m, S), "is_causal": True}),
    Case("enc_layer_batch_first", lambda m: enc_layer(m, batch_first=True),
         lambda m: {"src_key_padding_mask": m.tensor(PADDING)}, batch_first=True),
    Case("enc_layer_unbatched", enc_layer, lambda m: {"src_mask": causal(m, S)}, batched=False),
    Case("encoder", encoder, lambda m: {"src_key_padding_mask": m.tensor(PADDING)}),
    Case("encoder_detects_causal_mask", lambda m: encoder(m, norm_first=True),
         lambda m: {"mask": causal(m, S)}),
    Case("encoder_causal_and_padding", encoder,
         lambda m: {"mask": causal(m, S), "is_causal": True,
                    "src_key_padding_mask": m.tensor(PADDING)}),
    Case("dec_layer", dec_layer, decoder=True),
    Case("dec_layer_norm_first_masks", lambda m: dec_layer(m, norm_first=True),
         lambda m: {"tgt_mask": causal(m, T), "tgt_key_padding_mask": m.tensor(TGT_PADDING),
                    "memory_key_padding_mask": m.tensor(PADDING),
                    "memory_mask": m.tensor(np.eye(T, S, dtype=bool))}, decoder=True),
    Case("decoder_causal", lambda m: decoder(m, activation="gelu"),
         lambda m: {"tgt_mask": causal(m, T), "tgt_is_causal": True}, decoder=True),
    Case("decoder_batch_first", lambda m: decoder(m, batch_first=True),
         lambda m: {"memory_key_padding_mask": m.tensor(PADDING)}, decoder=True,
         batch_first=True),
    Case("transformer", transformer,
         lambda m: {"tgt_mask": causal(m, T), "src_key_padding_mask": m.tensor(PADDING),
                    "memory_key_padding_mask": m.tensor(PADDING)}, decoder=True),
    Case("transformer_norm_first_batch_first",
         lambda m: transformer(m, norm_first=True, batch_first=True),
         lambda m: {"tgt_mask": causal(m, T)}, decoder=True, batch_first=True),
    Case("transformer_unbatched", transformer, lambda m: {"tgt_mask": causal(m, T)},
         decoder=True, batched=False),
]


def _arrays(case):
    rng = np.random.default_rng(4)

    def shape(length):
        if not case.batched:
            return (length, D)
        return (N, length, D) if case.batch_first else (length, N, D)

    return [rng.standard_normal(shape(S))] + ([rng.standard_normal(shape(T))]
                                              if case.decoder else [])


def _pair(case, torch):
    theirs = case.build(torch).double()
    ours = case.build(ndgrad).to(ndgrad.float64)
    ours.load_state_dict({k: ndgrad.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return ours, theirs


def _run(m, module, case, arrays, second):
    inputs = [m.tensor(a, requires_grad=True) for a in arrays]
    params = [p for _, p in module.named_parameters()]
    args = inputs[::-1] if case.decoder and not hasattr(module, "encoder") else inputs
    out = module(*args, **case.call(m))
    seed = m.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)))
    grads = m.autograd.grad(out, inputs + params, seed, create_graph=second)
    if not second:
        return [out], grads, ()
    rng = np.random.default_rng(2)
    total = sum((g * m.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in grads)
    return [out], grads, m.autograd.grad(total, inputs + params, allow_unused=True)


def _compare(ours, theirs, what):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:
            assert a is None or not np.any(a.detach().numpy()), f"{what} {k} should be zero"
            continue
        assert tuple(a.shape) == tuple(b.shape), f"{what} {k} shape"
        assert_close(a, b, "float64", f"{what} {k}")


@pytest.mark.filterwarnings("ignore:enable_nested_tensor", "ignore:Support for mismatched")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_against_torch(case, torch):
    ours, theirs = _pair(case, torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    arrays = _arrays(case)
    second = case.name == "enc_layer_masks"
    outputs, grads, grads2 = _run(ndgrad, ours, case, arrays, second)
    # PyTorch's fused CPU attention has no double backward; its math backend has.
    with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
        t_outputs, t_grads, t_grads2 = _run(torch, theirs, case, arrays, second)
    _compare(outputs, t_outputs, f"{case}: output")
    _compare(grads, t_grads, f"{case}: gradient of input/parameter")
    _compare(grads2, t_grads2, f"{case}: second derivative of input/parameter")


@pytest.mark.parametrize("size, dtype", [(1, None), (4, None), (3, "float64")])
def test_generate_square_subsequent_mask(size, dtype, torch):
    ours = ndgrad.nn.Transformer.generate_square_subsequent_mask(
        size, dtype=dtype and getattr(ndgrad, dtype))
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(
        size, dtype=dtype and getattr(torch, dtype))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_layers_are_independent_copies():
    layer = ndgrad.nn.TransformerEncoderLayer(D, HEADS, FF)
    stack = ndgrad.nn.TransformerEncoder(layer, 3)
    weights = [stack.layers[i].linear1.weight for i in range(3)]
    assert len({id(w) for w in weights}) == 3 and all(w is not layer.linear1.weight
                                                      for w in weights)
    np.testing.assert_array_equal(weights[0].detach().numpy(), weights[2].detach().numpy())


def test_transformer_init_is_xavier_on_matrices():
    ndgrad.manual_seed(0)
    model = ndgrad.nn.Transformer(16, 2, 1, 1, 64)
    weight = model.encoder.layers[0].linear1.weight.detach().numpy()  # (64, 16)
    bound = np.sqrt(6 / (16 + 64))
    assert bound * 0.9 < np.abs(weight).max() <= bound
    assert not np.any(model.encoder.layers[0].self_attn.in_proj_bias.detach().numpy())


def test_dropout_follows_the_seed_and_is_off_in_eval():
    layer = ndgrad.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.3)
    src = ndgrad.randn(S, N, D)
    ndgrad.manual_seed(5)
    first = layer(src).detach().numpy()
    ndgrad.manual_seed(5)
    np.testing.assert_array_equal(first, layer(src).detach().numpy())
    layer.eval()
    evaluated = layer(src).detach().numpy()
    assert not np.allclose(first, evaluated)
    np.testing.assert_array_equal(evaluated, layer(src).detach().numpy())


MISTAKES = [
    Mistake("unknown_activation",
            lambda m: m.nn.TransformerEncoderLayer(D, HEADS, activation="tanh"), RuntimeError,
            "activation should be relu/gelu, not tanh"),
    Mistake("d_model_not_divisible", lambda m: m.nn.TransformerEncoderLayer(6, 4),
            AssertionError, "embed_dim must be divisible by num_heads"),
    Mistake("transformer_batch_sizes",
            lambda m: m.nn.Transformer(D, HEADS, 1, 1, FF)(m.ones(S, 2, D), m.ones(T, 3, D)),
            RuntimeError, "the batch number of src and tgt must be equal"),
    Mistake("transformer_features",
            lambda m: m.nn.Transformer(D, HEADS, 1, 1, FF)(m.ones(S, 2, D), m.ones(T, 2, 4)),
            RuntimeError, "the feature number of src and tgt must be equal to d_model"),
    Mistake("encoder_is_causal_without_mask",
            lambda m: encoder(m)(m.ones(S, 2, D), is_causal=True), RuntimeError,
            "need attn_mask if specifying the is_causal hint"),
    Mistake("encoder_mask_shape",
            lambda m: encoder(m)(m.ones(S, 2, D), mask=m.ones(S, S + 1, dtype=m.bool)),
            RuntimeError, "2D attn_mask is \\(5, 6\\), but should be \\(5, 5\\)"),
]


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
