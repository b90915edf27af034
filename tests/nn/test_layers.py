"""Layers and nn.functional against torch on the same weights: outputs, the gradients of every
input and parameter, running statistics; dropout's statistics; PyTorch's default initialisation."""
from dataclasses import dataclass
from typing import Callable

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


@pytest.mark.parametrize("spec", FUNCTIONAL_SPECS, ids=str)
def test_functional_gradcheck(spec):
    check_gradcheck(spec)
