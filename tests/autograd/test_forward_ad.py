"""Forward-mode AD (ndgrad.autograd.forward_ad) against torch.autograd.forward_ad, float64.

Each row's function is written once for both libraries (`L` is ndgrad or torch); every float
input is made dual with a random tangent, integer inputs stay plain.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import forward_ad as fwad
from ndgrad.autograd import function as _function


@dataclass
class Ints:
    """An integer input (targets, indices): values in [0, high)."""

    high: int
    shape: tuple


@dataclass
class Row:
    name: str
    fn: Callable
    inputs: list = field(default_factory=lambda: [(3, 4)])
    low: float = -2.0
    high: float = 2.0


def F(L):
    return L.nn.functional


SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])

ROWS = [
    # elementwise
    Row("sin_mul", lambda L, x: x.sin() * x),
    Row("exp_tanh", lambda L, x: x.exp() + x.tanh()),
    Row("log", lambda L, x: x.log(), low=0.5),
    Row("div_broadcast", lambda L, x, y: x / y, [(3, 4), (1, 4)], low=0.5),
    Row("pow", lambda L, x, y: x ** y, [(3, 4), (3, 4)], low=0.5),
    Row("abs_sigmoid", lambda L, x: x.abs() * x.sigmoid(), low=0.3),
    Row("clamp", lambda L, x: x.clamp(-1.0, 1.0)),
    # reductions
    Row("sum_dim", lambda L, x: x.sum(1)),
    Row("mean_var", lambda L, x: x.mean() + x.var(0)),
    Row("prod", lambda L, x: x.prod(1), low=0.5),
    Row("max_dim", lambda L, x: x.max(1)[0]),
    Row("amax", lambda L, x: x.amax(0)),
    Row("logsumexp", lambda L, x: x.logsumexp(1)),
    Row("norm", lambda L, x: x.norm()),
    Row("std", lambda L, x: x.std(1)),
    Row("cumsum", lambda L, x: x.cumsum(1)),
    # matmul and linear algebra
    Row("matmul", lambda L, a, b: a @ b, [(3, 4), (4, 2)]),
    Row("bmm", lambda L, a, b: L.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    Row("inv", lambda L, a: L.linalg.inv(a + 4 * L.eye(3, dtype=a.dtype)), [(3, 3)]),
    Row("det", lambda L, a: L.linalg.det(a + 4 * L.eye(3, dtype=a.dtype)), [(3, 3)]),
    Row("solve", lambda L, a, b: L.linalg.solve(a + 4 * L.eye(3, dtype=a.dtype), b),
        [(3, 3), (3, 2)]),
    Row("cholesky", lambda L, a: L.linalg.cholesky(a @ a.mT + L.tensor(SPD)), [(3, 3)]),
    Row("eigh", lambda L, a: L.linalg.eigh(a + a.mT)[0], [(3, 3)]),
    Row("einsum", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    # shape and indexing
    Row("transpose_reshape", lambda L, x: x.transpose(0, 1).reshape(2, 6)),
    Row("cat_stack", lambda L, x, y: L.cat([x, L.stack([y, y])], 0), [(2, 4), (4,)]),
    Row("getitem", lambda L, x: x[1:, ::2] * x[[0, 2, 2]][:2, 1:3]),
    Row("gather", lambda L, x, i: x.gather(1, i), [(3, 4), Ints(4, (3, 2))]),
    Row("index_select", lambda L, x, i: x.index_select(0, i), [(3, 4), Ints(3, (5,))]),
    Row("permute_flip", lambda L, x: x.permute(2, 0, 1).flip(0), [(2, 3, 4)]),
    Row("expand_unsqueeze", lambda L, x: x.unsqueeze(1).expand(3, 2, 4)),
    Row("masked_fill", lambda L, x: x.masked_fill(x > 0.5, 0.0)),
    Row("unbind", lambda L, x: x.unbind(0)[1]),
    Row("split", lambda L, x: x.split(2, 1)[1]),
    Row("sort", lambda L, x: x.sort(1)[0]),
    Row("embedding", lambda L, i, w: F(L).embedding(i, w), [Ints(5, (3,)), (5, 4)]),
    Row("pad_reflect", lambda L, x: F(L).pad(x, (1, 2), mode="reflect"), [(2, 3, 4)]),
    # activations
    Row("relu_gelu", lambda L, x: F(L).relu(x) + F(L).gelu(x)),
    Row("softmax", lambda L, x: F(L).softmax(x, 1)),
    Row("log_softmax", lambda L, x: F(L).log_softmax(x, 0)),
    Row("elu_silu", lambda L, x: F(L).elu(x) * F(L).silu(x)),
    Row("softplus_leaky", lambda L, x: F(L).softplus(x) + F(L).leaky_relu(x, 0.1)),
    Row("layer_norm", lambda L, x, w, b: F(L).layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    Row("batch_norm", lambda L, x, w, b: F(L).batch_norm(x, None, None, w, b, training=True),
        [(4, 3), (3,), (3,)]),
    Row("group_norm", lambda L, x: F(L).group_norm(x, 2), [(2, 4, 3)]),
    # losses
    Row("mse", lambda L, x, y: F(L).mse_loss(x, y), [(3, 4), (3, 4)]),
    Row("cross_entropy", lambda L, x, t: F(L).cross_entropy(x, t), [(4, 5), Ints(5, (4,))]),
    Row("nll", lambda L, x, t: F(L).nll_loss(F(L).log_softmax(x, 1), t),
        [(4, 5), Ints(5, (4,))]),
    Row("bce_logits", lambda L, x, y: F(L).binary_cross_entropy_with_logits(x, y.sigmoid()),
        [(3, 4), (3, 4)]),
    Row("smooth_l1", lambda L, x, y: F(L).smooth_l1_loss(x, y), [(3, 4), (3, 4)]),
    Row("kl_div", lambda L, x, y: F(L).kl_div(F(L).log_softmax(x, 1), F(L).softmax(y, 1),
                                            reduction="batchmean"), [(3, 4), (3, 4)]),
    # convolution and pooling
    Row("linear", lambda L, x, w, b: F(L).linear(x, w, b), [(2, 4), (3, 4), (3,)]),
    Row("conv1d", lambda L, x, w: F(L).conv1d(x, w, padding=1), [(2, 2, 6), (3, 2, 3)]),
    Row("conv2d", lambda L, x, w, b: F(L).conv2d(x, w, b, stride=2, padding=1),
        [(1, 2, 5, 5), (3, 2, 3, 3), (3,)]),
    Row("max_pool2d", lambda L, x: F(L).max_pool2d(x, 2), [(1, 2, 4, 4)]),
    Row("avg_pool2d", lambda L, x: F(L).avg_pool2d(x, 2), [(1, 2, 4, 4)]),
    Row("conv_transpose2d", lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2),
        [(1, 2, 3, 3), (2, 3, 3, 3)]),
    Row("interpolate", lambda L, x: F(L).interpolate(x, scale_factor=2, mode="bilinear"),
        [(1, 1, 3, 3)]),
]


def _arrays(row: Row, seed: int = 0) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    primals, tangents = [], []
    for spec in row.inputs:
        if isinstance(spec, Ints):
            primals.append(rng.integers(0, spec.high, size=spec.shape))
            tangents.append(None)
        else:
            primals.append(rng.uniform(row.low, row.high, size=spec))
            tangents.append(rng.standard_normal(spec))
    return primals, tangents


def _forward(L, row: Row, primals: list, tangents: list) -> tuple[np.ndarray, np.ndarray]:
    fw = L.autograd.forward_ad
    with fw.dual_level():
        inputs = [L.tensor(p) if t is None else fw.make_dual(L.tensor(p), L.tensor(t))
                  for p, t in zip(primals, tangents)]
        primal, tangent = fw.unpack_dual(row.fn(L, *inputs))
        assert tangent is not None, f"{row.name}: the output carries no tangent"
        return primal.detach().numpy(), tangent.detach().numpy()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_tangents_match_torch(row, torch):
    primals, tangents = _arrays(row)
    value, tangent = _forward(ndgrad, row, primals, tangents)
    expected_value, expected_tangent = _forward(torch, row, primals, tangents)
    np.testing.assert_allclose(value, expected_value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tangent, expected_tangent, rtol=1e-8, atol=1e-10)


def test_dual_keeps_the_reverse_graph():
    x = ndgrad.tensor([1.0, 2.0], dtype=ndgrad.float64, requires_grad=True)
    with fwad.dual_level():
        dual = fwad.make_dual(x, ndgrad.tensor([1.0, 0.0], dtype=ndgrad.float64))
        y = (dual * dual).sum()
        assert fwad.unpack_dual(y).tangent.item() == pytest.approx(2.0)
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_unpack_dual_of_a_plain_tensor_and_after_exit():
    x = ndgrad.ones(2)
    with fwad.dual_level():
        assert fwad.unpack_dual(x).tangent is None
        dual = fwad.make_dual(x, ndgrad.ones(2))
        primal, tangent = fwad.unpack_dual(dual)
        assert fwad.unpack_dual(primal).tangent is None and tangent is not None
    assert fwad.unpack_dual(dual).tangent is None
    assert _function._forward_hook is None


def test_the_hook_is_removed_when_the_level_is_left_by_an_error():
    with pytest.raises(ValueError, match="boom"), fwad.dual_level():
        raise ValueError("boom")
    assert _function._forward_hook is None
    with fwad.dual_level():
        pass


@pytest.mark.parametrize("make, message", [
    (lambda: fwad.make_dual(ndgrad.ones(2), ndgrad.ones(3)), "different size"),
    (lambda: fwad.make_dual(ndgrad.tensor([1, 2]), ndgrad.ones(2)), "floating point"),
    (lambda: fwad.enter_dual_level(), "Nested forward mode AD"),
])
def test_errors(make, message):
    with fwad.dual_level(), pytest.raises((RuntimeError, ValueError), match=message):
        make()


def test_make_dual_outside_a_level():
    with pytest.raises(RuntimeError, match="no forward AD level"):
        fwad.make_dual(ndgrad.ones(2), ndgrad.ones(2))


def test_an_in_place_change_to_a_dual_tensor_is_refused():
    with fwad.dual_level():
        y = fwad.make_dual(ndgrad.ones(3), ndgrad.ones(3)) * 2
        y.mul_(3)
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            fwad.unpack_dual(y)
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            y.sin()
