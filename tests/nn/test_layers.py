"""Layers and nn.functional against torch on the same weights: outputs, the gradients of every
input and parameter, running statistics; dropout's statistics; PyTorch's default initialisation."""
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck


def floats(*shape):
    return lambda rng: rng.standard_normal(shape)


def ints(high, *shape):
    return lambda rng: rng.integers(0, high, shape)


def fixed(values, dtype=np.int64):
    return lambda rng: np.array(values, dtype=dtype)


@dataclass
class Layer:
    """One layer configuration: build(nn) -> module, its inputs, and the mode of each step
    ('t' train, 'e' eval); floating inputs get gradients."""

    name: str
    build: Callable
    inputs: list
    modes: str = "t"

    def __str__(self) -> str:
        return self.name


BAG_INDICES = fixed([1, 2, 4, 5, 4, 3, 2, 9, 0, 0])
BAG_OFFSETS = fixed([0, 2, 2, 6])  # the second bag is empty
LAYERS = [
    Layer("Linear", lambda nn: nn.Linear(5, 3), [floats(4, 5)]),
    Layer("Linear_nobias_3d", lambda nn: nn.Linear(5, 3, bias=False), [floats(2, 4, 5)]),
    Layer("Linear_1d", lambda nn: nn.Linear(5, 3), [floats(5)]),
    Layer("Bilinear", lambda nn: nn.Bilinear(4, 3, 2), [floats(5, 4), floats(5, 3)]),
    Layer("Bilinear_nobias_3d", lambda nn: nn.Bilinear(4, 3, 2, bias=False),
          [floats(2, 5, 4), floats(2, 5, 3)]),
    Layer("Embedding", lambda nn: nn.Embedding(10, 4), [fixed([[1, 2, 1], [9, 0, 2]])]),
    Layer("Embedding_padding", lambda nn: nn.Embedding(10, 4, padding_idx=2),
          [fixed([[1, 2, 1], [9, 2, 2]])]),
    Layer("Embedding_padding_negative", lambda nn: nn.Embedding(10, 4, padding_idx=-1),
          [fixed([9, 3, 9])]),
    Layer("Embedding_max_norm", lambda nn: nn.Embedding(10, 4, max_norm=1.0),
          [fixed([[1, 2, 1], [9, 0, 2]])], "tt"),
    Layer("Embedding_scale_grad_by_freq",
          lambda nn: nn.Embedding(10, 4, padding_idx=0, scale_grad_by_freq=True),
          [fixed([[1, 2, 1], [9, 0, 1]])]),
    Layer("Embedding_max_norm_p1", lambda nn: nn.Embedding(10, 4, max_norm=1.5, norm_type=1.0),
          [fixed([3, 3, 7])]),
    Layer("EmbeddingBag_mean_2d", lambda nn: nn.EmbeddingBag(10, 3), [ints(10, 4, 3)]),
    Layer("EmbeddingBag_sum_offsets", lambda nn: nn.EmbeddingBag(10, 3, mode="sum"),
          [BAG_INDICES, BAG_OFFSETS]),
    Layer("EmbeddingBag_mean_offsets", lambda nn: nn.EmbeddingBag(10, 3, mode="mean"),
          [BAG_INDICES, BAG_OFFSETS]),
    Layer("EmbeddingBag_max_offsets", lambda nn: nn.EmbeddingBag(10, 3, mode="max"),
          [BAG_INDICES, BAG_OFFSETS]),
    Layer("EmbeddingBag_per_sample_weights", lambda nn: nn.EmbeddingBag(10, 3, mode="sum"),
          [BAG_INDICES, BAG_OFFSETS, floats(10)]),
    Layer("EmbeddingBag_padding_mean", lambda nn: nn.EmbeddingBag(10, 3, padding_idx=4),
          [BAG_INDICES, BAG_OFFSETS]),
    Layer("EmbeddingBag_padding_max_2d",
          lambda nn: nn.EmbeddingBag(10, 3, mode="max", padding_idx=0), [ints(3, 4, 3)]),
    Layer("EmbeddingBag_last_offset",
          lambda nn: nn.EmbeddingBag(10, 3, mode="sum", include_last_offset=True),
          [BAG_INDICES, fixed([0, 3, 3, 10])]),
    Layer("Dropout_eval", lambda nn: nn.Dropout(0.4), [floats(3, 4)], "e"),
    Layer("Dropout_p0", lambda nn: nn.Dropout(0.0), [floats(3, 4)]),
    Layer("AlphaDropout_eval", lambda nn: nn.AlphaDropout(0.4), [floats(3, 4)], "e"),
    Layer("LayerNorm", lambda nn: nn.LayerNorm(5), [floats(3, 5)]),
    Layer("LayerNorm_2d_shape", lambda nn: nn.LayerNorm((3, 5), eps=1e-3), [floats(2, 3, 5)]),
    Layer("LayerNorm_no_affine", lambda nn: nn.LayerNorm(5, elementwise_affine=False),
          [floats(4, 5)]),
    Layer("LayerNorm_no_bias", lambda nn: nn.LayerNorm(5, bias=False), [floats(4, 5)]),
    Layer("RMSNorm", lambda nn: nn.RMSNorm(5), [floats(3, 5)]),
    Layer("RMSNorm_2d_shape_eps", lambda nn: nn.RMSNorm([3, 5], eps=1e-3), [floats(2, 3, 5)]),
    Layer("RMSNorm_no_affine", lambda nn: nn.RMSNorm(5, elementwise_affine=False),
          [floats(3, 5)]),
    Layer("GroupNorm", lambda nn: nn.GroupNorm(2, 4), [floats(3, 4, 5)]),
    Layer("GroupNorm_2d", lambda nn: nn.GroupNorm(4, 4), [floats(2, 4, 3, 3)]),
    Layer("GroupNorm_one_group_no_affine", lambda nn: nn.GroupNorm(1, 4, affine=False),
          [floats(3, 4, 2)]),
    Layer("BatchNorm1d", lambda nn: nn.BatchNorm1d(4), [floats(6, 4)], "ttte"),
    Layer("BatchNorm1d_3d", lambda nn: nn.BatchNorm1d(4, momentum=0.5), [floats(3, 4, 5)],
          "ttte"),
    Layer("BatchNorm1d_cumulative", lambda nn: nn.BatchNorm1d(4, momentum=None),
          [floats(5, 4)], "tttte"),
    Layer("BatchNorm1d_no_affine", lambda nn: nn.BatchNorm1d(4, affine=False), [floats(5, 4)],
          "tte"),
    Layer("BatchNorm1d_untracked", lambda nn: nn.BatchNorm1d(4, track_running_stats=False),
          [floats(5, 4)], "tte"),
    Layer("BatchNorm1d_eval_fresh", lambda nn: nn.BatchNorm1d(4), [floats(5, 4)], "e"),
    Layer("BatchNorm2d", lambda nn: nn.BatchNorm2d(3, eps=1e-3), [floats(4, 3, 2, 2)], "ttee"),
    Layer("BatchNorm2d_no_bias", lambda nn: nn.BatchNorm2d(3, bias=False),
          [floats(2, 3, 2, 3)], "tte"),
    Layer("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(4), [floats(2, 4, 6)]),
    Layer("InstanceNorm1d_unbatched", lambda nn: nn.InstanceNorm1d(4, affine=True),
          [floats(4, 6)]),
    Layer("InstanceNorm1d_tracked", lambda nn: nn.InstanceNorm1d(4, track_running_stats=True),
          [floats(3, 4, 5)], "ttte"),
    Layer("InstanceNorm2d_affine", lambda nn: nn.InstanceNorm2d(3, affine=True),
          [floats(2, 3, 4, 4)], "te"),
    Layer("CosineSimilarity", lambda nn: nn.CosineSimilarity(), [floats(4, 5), floats(4, 5)]),
    Layer("CosineSimilarity_broadcast", lambda nn: nn.CosineSimilarity(dim=-1, eps=1e-4),
          [floats(3, 1, 5), floats(2, 5)]),
    Layer("PairwiseDistance", lambda nn: nn.PairwiseDistance(), [floats(4, 5), floats(4, 5)]),
    Layer("PairwiseDistance_p1_keepdim", lambda nn: nn.PairwiseDistance(1.0, keepdim=True),
          [floats(4, 5), floats(4, 5)]),
    Layer("PairwiseDistance_p3", lambda nn: nn.PairwiseDistance(p=3.0, eps=1e-3),
          [floats(4, 5), floats(5)]),
]


def to_lib(lib, array: np.ndarray, dtype: str):
    if array.dtype.kind == "f":
        return lib.tensor(array.astype(dtype), requires_grad=True)
    return lib.tensor(array)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layer", LAYERS, ids=str)
def test_layer_against_torch(layer, dtype, torch):
    theirs = layer.build(torch.nn).to(getattr(torch, dtype))
    ours = layer.build(ndgrad.nn).to(getattr(ndgrad, dtype))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    for step, mode in enumerate(layer.modes):
        ours.train(mode == "t")
        theirs.train(mode == "t")
        arrays = [make(rng) for make in layer.inputs]
        xs, ts = [to_lib(ndgrad, a, dtype) for a in arrays], [to_lib(torch, a, dtype) for a in arrays]
        out, expected = ours(*xs), theirs(*ts)
        what = f"{layer} step {step}"
        assert out.shape == tuple(expected.shape) and out.dtype.name == dtype, what
        assert_close(out, expected, dtype, f"{what}: output")
        seed = rng.standard_normal(tuple(expected.shape)).astype(dtype)
        out.backward(ndgrad.tensor(seed))
        expected.backward(torch.tensor(seed))
        for k, (x, t) in enumerate(zip(xs, ts)):
            if t.requires_grad:
                assert_close(x.grad, t.grad, dtype, f"{what}: gradient of input {k}")
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            if q.grad is None:
                assert p.grad is None or not np.any(p.grad.numpy()), f"{what}: {name}.grad"
            else:
                assert_close(p.grad, q.grad, dtype, f"{what}: gradient of {name}")
        ours.zero_grad()
        theirs.zero_grad()
        for (name, b), c in zip(ours.state_dict().items(), theirs.state_dict().values()):
            assert_close(b, c, dtype, f"{what}: state {name} after the step")


def idx(t, values):
    """An int64 index tensor from the library of t."""
    return (ndgrad if isinstance(t, ndgrad.Tensor) else __import__("torch")).tensor(values)


def F(t):
    return ndgrad.nn.functional if isinstance(t, ndgrad.Tensor) else \
        __import__("torch").nn.functional


FUNCTIONAL_SPECS = [
    Spec("linear", lambda x, w, b: F(x).linear(x, w, b), shapes=[(4, 3), (2, 3), (2,)]),
    Spec("linear_nobias", lambda x, w: F(x).linear(x, w), shapes=[(2, 4, 3), (5, 3)]),
    Spec("bilinear", lambda a, b, w, c: F(a).bilinear(a, b, w, c),
         shapes=[(3, 2), (3, 4), (5, 2, 4), (5,)]),
    Spec("normalize", lambda x: F(x).normalize(x), shapes=[(3, 4)]),
    Spec("normalize_p1_dim0", lambda x: F(x).normalize(x, p=1, dim=0), shapes=[(3, 4)],
         min_abs=0.1),
    Spec("normalize_3d", lambda x: F(x).normalize(x, dim=-1), shapes=[(2, 3, 4)]),
    Spec("cosine_similarity", lambda a, b: F(a).cosine_similarity(a, b), shapes=[(3, 4), (3, 4)]),
    Spec("cosine_similarity_dim0", lambda a, b: F(a).cosine_similarity(a, b, dim=0),
         shapes=[(4, 3), (4, 1)]),
    Spec("pairwise_distance", lambda a, b: F(a).pairwise_distance(a, b), shapes=[(3, 4), (3, 4)]),
    Spec("layer_norm", lambda x, w, b: F(x).layer_norm(x, (4,), w, b), shapes=[(3, 4), (4,), (4,)]),
    Spec("layer_norm_2d_plain", lambda x: F(x).layer_norm(x, (2, 4), eps=1e-3),
         shapes=[(3, 2, 4)]),
    Spec("layer_norm_weight_only", lambda x, w: F(x).layer_norm(x, (4,), w),
         shapes=[(2, 3, 4), (4,)]),
    Spec("rms_norm", lambda x, w: F(x).rms_norm(x, (2, 4), w), shapes=[(3, 2, 4), (2, 4)]),
    Spec("group_norm", lambda x, w, b: F(x).group_norm(x, 2, w, b), shapes=[(2, 4, 3), (4,), (4,)]),
    Spec("batch_norm", lambda x, w, b: F(x).batch_norm(x, None, None, w, b, training=True),
         shapes=[(5, 3), (3,), (3,)]),
    Spec("batch_norm_4d", lambda x: F(x).batch_norm(x, None, None, training=True),
         shapes=[(2, 3, 2, 2)]),
    Spec("instance_norm", lambda x, w, b: F(x).instance_norm(x, weight=w, bias=b),
         shapes=[(2, 3, 5), (3,), (3,)]),
    Spec("embedding", lambda w: F(w).embedding(idx(w, [[0, 3], [3, 1]]), w), shapes=[(4, 3)]),
    Spec("embedding_padding", lambda w: F(w).embedding(idx(w, [0, 3, 3]), w, padding_idx=3),
         shapes=[(4, 3)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", FUNCTIONAL_SPECS, ids=str)
def test_functional_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


# padding_idx withholds a gradient on purpose, so finite differences disagree there.
@pytest.mark.parametrize("spec", [s for s in FUNCTIONAL_SPECS if "padding" not in s.name], ids=str)
def test_functional_gradcheck(spec):
    check_gradcheck(spec)


# ---- dropout


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_mask_statistics_scaling_and_gradient(p):
    x = ndgrad.ones(200, 500, requires_grad=True)
    out = ndgrad.nn.Dropout(p)(x)
    kept = out.detach().numpy() != 0
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(out.detach().numpy()[kept], 1 / (1 - p), rtol=1e-6)
    out.backward(ndgrad.full_like(out, 2.0))
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 2 / (1 - p), 0), rtol=1e-6)
    assert abs(out.detach().numpy().mean() - 1) < 0.05  # the expectation is unchanged


def test_dropout_modes_edge_cases_and_reproducibility():
    F = ndgrad.nn.functional
    x = ndgrad.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert ndgrad.nn.Dropout().eval()(x) is x
    assert not np.any(F.dropout(x, 1.0).numpy())
    ndgrad.manual_seed(3)
    first = F.dropout(x, 0.5).numpy()
    ndgrad.manual_seed(3)
    np.testing.assert_array_equal(first, F.dropout(x, 0.5).numpy())
    y = x.clone()
    assert F.dropout(y, 0.5, inplace=True) is y
    assert np.all((y.numpy() == 0) | np.isclose(y.numpy(), 2 * x.numpy()))
    z = x.clone()
    assert F.alpha_dropout(z, 0.5, training=True, inplace=True) is z
    with pytest.raises(ValueError, match="between 0 and 1"):
        ndgrad.nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, -0.1)


def test_alpha_dropout_keeps_selu_statistics():
    x = ndgrad.randn(400, 500)
    out = ndgrad.nn.AlphaDropout(0.3)(x).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    _, counts = np.unique(out, return_counts=True)  # dropped elements share one value
    assert counts.max() / out.size == pytest.approx(0.3, abs=0.01)
    assert ndgrad.nn.functional.alpha_dropout(x, 0.3) is x  # training defaults to False


# ---- one_hot and errors


def test_one_hot_matches_torch(torch):
    for values, classes in [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3), (2, 4)]:
        ours = ndgrad.nn.functional.one_hot(ndgrad.tensor(values, dtype=ndgrad.int64), classes)
        theirs = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), classes)
        assert ours.dtype == ndgrad.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="non-negative"):
        ndgrad.nn.functional.one_hot(ndgrad.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        ndgrad.nn.functional.one_hot(ndgrad.tensor([0.0]))


LINEAR_DTYPE_MISMATCHES = [
    ("float64_input", lambda m: m.nn.Linear(2, 3)(m.ones(1, 2, dtype=m.float64))),
    ("int64_input", lambda m: m.nn.Linear(2, 3)(m.ones(1, 2, dtype=m.int64))),
    ("float64_bias", lambda m: m.nn.functional.linear(m.ones(1, 2), m.ones(3, 2),
                                                      m.ones(3, dtype=m.float64))),
    ("float64_weight_1d", lambda m: m.nn.functional.linear(m.ones(2), m.ones(3, 2).double())),
]


@pytest.mark.parametrize("fn", [f for _, f in LINEAR_DTYPE_MISMATCHES],
                         ids=[name for name, _ in LINEAR_DTYPE_MISMATCHES])
def test_linear_refuses_mixed_dtypes_as_torch(fn, torch):
    """No silent promotion to float64: torch raises, naming the dtypes."""
    with pytest.raises(RuntimeError, match="dtype"):
        fn(torch)
    with pytest.raises(RuntimeError, match="same dtype|dtype of input"):
        fn(ndgrad)


def test_shape_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"\(2x3 and 4x5\)"):
        ndgrad.nn.Linear(4, 5)(ndgrad.ones(2, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        ndgrad.nn.BatchNorm1d(3)(ndgrad.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        ndgrad.nn.LayerNorm(4)(ndgrad.ones(2, 3))
    with pytest.raises(IndexError, match="out of range"):
        ndgrad.nn.Embedding(4, 2)(ndgrad.tensor([4]))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        ndgrad.nn.BatchNorm1d(3)(ndgrad.ones(1, 3))


def test_embedding_from_pretrained_freezes_and_padding_row_starts_at_zero(torch):
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    frozen = ndgrad.nn.Embedding.from_pretrained(ndgrad.tensor(table))
    assert not frozen.weight.requires_grad and repr(frozen) == "Embedding(4, 3)"
    np.testing.assert_array_equal(frozen(ndgrad.tensor([3, 0])).numpy(), table[[3, 0]])
    trainable = ndgrad.nn.Embedding.from_pretrained(ndgrad.tensor(table), freeze=False,
                                                    padding_idx=1)
    trainable(ndgrad.tensor([1, 2, 2])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy().sum(1), [0, 0, 6, 0])
    assert not np.any(ndgrad.nn.Embedding(5, 3, padding_idx=2).weight[2].detach().numpy())
    bag = ndgrad.nn.EmbeddingBag.from_pretrained(ndgrad.tensor(table), mode="sum")
    np.testing.assert_array_equal(bag(ndgrad.tensor([[0, 1]])).numpy(), [table[0] + table[1]])


def test_embedding_bag_scale_grad_by_freq_and_errors():
    # Each row's gradient is divided by its index's count: every used row gets 1 in sum mode.
    # (torch 2.13 divides rows 2 and 3 by 3 here, the count of index 1.)
    bag = ndgrad.nn.EmbeddingBag(5, 3, mode="sum", scale_grad_by_freq=True)
    bag(ndgrad.tensor([1, 1, 2, 1, 0, 3]), ndgrad.tensor([0, 3])).sum().backward()
    np.testing.assert_allclose(bag.weight.grad.numpy()[:, 0], [1, 1, 1, 1, 0])
    assert repr(bag) == "EmbeddingBag(5, 3, scale_grad_by_freq=True, mode='sum')"
    F = ndgrad.nn.functional
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(ndgrad.tensor([[1, 2]]), bag.weight, ndgrad.tensor([0]))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(ndgrad.tensor([[1, 2]]), bag.weight, per_sample_weights=ndgrad.ones(1, 2))
    with pytest.raises(ValueError, match="max mode"):
        F.embedding_bag(ndgrad.tensor([[1]]), bag.weight, mode="max", scale_grad_by_freq=True)


# ---- PyTorch's default initialisation


def within(t, bound):
    values = t.detach().numpy()
    return np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound


def test_default_initialisation_follows_torch():
    nn = ndgrad.nn
    linear = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    assert within(linear.weight, bound) and within(linear.bias, bound)
    assert linear.weight.detach().numpy().std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    bilinear = nn.Bilinear(100, 30, 20)
    assert within(bilinear.weight, 0.1) and within(bilinear.bias, 0.1)
    for table in (nn.Embedding(300, 200).weight, nn.EmbeddingBag(300, 200).weight):
        values = table.detach().numpy()
        assert abs(values.mean()) < 0.01 and values.std() == pytest.approx(1, rel=0.02)
    for layer in (nn.LayerNorm(6), nn.GroupNorm(2, 6), nn.BatchNorm1d(6),
                  nn.InstanceNorm1d(6, affine=True)):
        assert layer.weight.tolist() == [1.0] * 6 and layer.bias.tolist() == [0.0] * 6
    batch_norm = nn.BatchNorm2d(6)
    assert batch_norm.running_mean.tolist() == [0.0] * 6
    assert batch_norm.running_var.tolist() == [1.0] * 6
    assert batch_norm.num_batches_tracked.item() == 0
    assert nn.RMSNorm(4).weight.tolist() == [1.0] * 4 and nn.PReLU().weight.tolist() == [0.25]
    assert nn.Linear(3, 2, dtype=ndgrad.float64).weight.dtype == ndgrad.float64
    ndgrad.manual_seed(7)
    first = nn.Linear(4, 4).weight.detach().numpy()
    ndgrad.manual_seed(7)
    np.testing.assert_array_equal(first, nn.Linear(4, 4).weight.detach().numpy())
