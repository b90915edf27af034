"""ndgrad.autograd.functional against torch.autograd.functional, float64."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import functional as AF
from tests.func._compare import arrays, assert_trees_close, tensors


def pair_fn(x, y):
    return x.exp() * y, (x * y).sum()


def single_fn(x):
    return x.sin() * x.sum()


def scalar_fn(x, y):
    return (x.sin() * y * y).sum() + (x ** 3).sum()


def scalar_single(x):
    return (x.tanh() * x).sum()


def both(L, values):
    ts = tensors(L, values)
    return tuple(ts) if len(ts) > 1 else ts[0]


# (name, function, input shapes, extra vector shapes: v for vjp/jvp/hvp/vhp)
CASES = [
    ("jacobian", pair_fn, [(3,), (3,)], None),
    ("jacobian", single_fn, [(2, 2)], None),
    ("hessian", scalar_fn, [(3,), (3,)], None),
    ("hessian", scalar_single, [(2, 2)], None),
    ("vjp", pair_fn, [(3,), (3,)], [(3,), ()]),
    ("vjp", single_fn, [(2, 2)], [(2, 2)]),
    ("jvp", pair_fn, [(3,), (3,)], [(3,), (3,)]),
    ("jvp", single_fn, [(2, 2)], [(2, 2)]),
    ("hvp", scalar_fn, [(3,), (3,)], [(3,), (3,)]),
    ("vhp", scalar_fn, [(3,), (3,)], [(3,), (3,)]),
    ("hvp", scalar_single, [(2, 2)], [(2, 2)]),
]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1].__name__}")
def test_against_torch(torch, case, create_graph):
    name, fn, shapes, v_shapes = case
    values = arrays(*shapes)
    extra = () if v_shapes is None else (arrays(*v_shapes, seed=1),)
    got = getattr(AF, name)(fn, both(ndgrad, values), *[both(ndgrad, e) for e in extra],
                            create_graph=create_graph)
    want = getattr(torch.autograd.functional, name)(
        fn, both(torch, values), *[both(torch, e) for e in extra], create_graph=create_graph)
    assert_trees_close(got, want)


def test_create_graph_gives_differentiable_results(torch):
    values = arrays((3,))
    grads = []
    for L, functional in ((ndgrad, AF), (torch, torch.autograd.functional)):
        x = L.tensor(values[0], requires_grad=True)
        jac = functional.jacobian(single_fn, x, create_graph=True)
        _, hv = functional.hvp(scalar_single, x, L.ones(3, dtype=L.float64),
                               create_graph=True)
        (jac.sum() + hv.sum()).backward()
        grads.append(x.grad)
    assert_trees_close(grads[0], grads[1])
    assert not AF.jacobian(single_fn, ndgrad.tensor(values[0])).requires_grad


def test_v_may_be_omitted_for_a_single_element():
    _, product = AF.vjp(lambda x: x * 3, ndgrad.tensor([2.0]))
    assert_trees_close(product, np.array([3.0], np.float32))
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(lambda x: x * 3, ndgrad.ones(2))


STRICT = [
    (lambda: AF.vjp(lambda x, y: x * 2, (ndgrad.ones(2), ndgrad.ones(2)), ndgrad.ones(2),
                    strict=True), "independent of input 1"),
    (lambda: AF.jacobian(lambda x: ndgrad.ones(2), ndgrad.ones(2), strict=True),
     "does not require gradients"),
    (lambda: AF.jacobian(lambda x, y: x * 2, (ndgrad.ones(2), ndgrad.ones(2)), strict=True),
     "Output 0 of the user-provided function is independent of input 1"),
    (lambda: AF.jvp(lambda x, y: x * 2, (ndgrad.ones(2), ndgrad.ones(2)),
                    (ndgrad.ones(2), ndgrad.ones(2)), strict=True), "independent of input 1"),
    (lambda: AF.hessian(lambda x: (x * 2).sum(), ndgrad.ones(2), strict=True),
     "jacobian of the user-provided function with respect to input 0 is independent"),
    (lambda: AF.hvp(lambda x, y: (x * x).sum() + y.sum(), (ndgrad.ones(2), ndgrad.ones(2)),
                    (ndgrad.ones(2), ndgrad.ones(2)), strict=True),
     "jacobian of the user-provided function with respect to input 1 is independent"),
]


@pytest.mark.parametrize("call, message", STRICT)
def test_strict_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_non_strict_fills_zeros_and_checks_shapes(torch):
    got = AF.vjp(lambda x, y: x * 2, (ndgrad.ones(2), ndgrad.ones(2)), ndgrad.ones(2))[1]
    assert_trees_close(got, (np.full(2, 2.0, np.float32), np.zeros(2, np.float32)))
    with pytest.raises(RuntimeError, match="Entry 0 in v has invalid size"):
        AF.jvp(lambda x: x, ndgrad.ones(2), ndgrad.ones(3))
    with pytest.raises(RuntimeError, match="should contain a single element"):
        AF.hessian(lambda x: x * 2, ndgrad.ones(2))
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        AF.jacobian(lambda x: x, [1.0])
