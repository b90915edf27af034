"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian against torch.func, float64."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad import func
from tests.func._compare import arrays, assert_trees_close, tensors


def scalar_fn(x, y):
    return (x.sin() * y).sum() + (x * x).mean()


def vector_fn(x, y):
    return x.exp() * y.tanh(), (x @ y.T).sum(0)


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0), -1])
def test_grad_argnums(torch, argnums):
    values = arrays((2, 3), (2, 3))
    got = func.grad(scalar_fn, argnums)(*tensors(ndgrad, values))
    want = torch.func.grad(scalar_fn, argnums)(*tensors(torch, values))
    assert_trees_close(got, want)


def test_grad_and_value_with_aux(torch):
    def f(x, y):
        loss = scalar_fn(x, y)
        return loss, {"double": 2 * loss, "y": y}
    values = arrays((3,), (3,))
    got = func.grad_and_value(f, (0, 1), has_aux=True)(*tensors(ndgrad, values))
    want = torch.func.grad_and_value(f, (0, 1), has_aux=True)(*tensors(torch, values))
    assert_trees_close(got, want)
    assert not got[0][0].requires_grad and not got[1][0].requires_grad


def test_grad_of_a_dict_of_parameters(torch):
    def f(params, x):
        return ((x @ params["w"] + params["b"]) ** 2).sum()
    w, b, x = arrays((3, 2), (2,), (4, 3))
    got = func.grad(f)({"w": ndgrad.tensor(w), "b": ndgrad.tensor(b)}, ndgrad.tensor(x))
    want = torch.func.grad(f)({"w": torch.tensor(w), "b": torch.tensor(b)}, torch.tensor(x))
    assert_trees_close(got, want)


def test_nested_grad_and_closure_over_the_outer_input(torch):
    def third(lib_func):
        def g(x):
            return (x ** 4).sum()
        return lib_func.grad(lambda x: lib_func.grad(lambda y: lib_func.grad(g)(y).sum())(x)
                             .sum())
    def mixed(lib_func):  # the inner derivative is in y only: x stays a constant there
        return lib_func.grad(lambda x: lib_func.grad(lambda y: (x * y * y).sum())(x).sum())
    values = arrays((4,))
    for build in (third, mixed):
        got = build(func)(*tensors(ndgrad, values))
        want = build(torch.func)(*tensors(torch, values))
        assert_trees_close(got, want)


def test_vjp_with_tuple_output_called_twice(torch):
    values = arrays((2, 3), (2, 3))
    cot = arrays((2, 3), (2,), seed=1)
    out, fn = func.vjp(vector_fn, *tensors(ndgrad, values))
    t_out, t_fn = torch.func.vjp(vector_fn, *tensors(torch, values))
    assert_trees_close(out, t_out)
    for _ in range(2):
        assert_trees_close(fn(tuple(tensors(ndgrad, cot))), t_fn(tuple(tensors(torch, cot))))


def test_jvp_and_has_aux(torch):
    def f(x, y):
        a, b = vector_fn(x, y)
        return a, b.sum()
    values = arrays((2, 3), (2, 3))
    tangents = arrays((2, 3), (2, 3), seed=1)
    got = func.jvp(f, tuple(tensors(ndgrad, values)), tuple(tensors(ndgrad, tangents)))
    want = torch.func.jvp(f, tuple(tensors(torch, values)), tuple(tensors(torch, tangents)))
    assert_trees_close(got, want)
    got = func.jvp(lambda x: (x.sin(), x.cos()), (ndgrad.tensor(values[0]),),
                   (ndgrad.tensor(tangents[0]),), has_aux=True)
    assert_trees_close(got[1], tangents[0] * np.cos(values[0]))
    assert_trees_close(got[2], np.cos(values[0]))


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_jacobians(torch, name, argnums):
    values = arrays((2, 3), (2, 3))
    got = getattr(func, name)(vector_fn, argnums)(*tensors(ndgrad, values))
    want = getattr(torch.func, name)(vector_fn, argnums)(*tensors(torch, values))
    assert_trees_close(got, want)


def test_jacrev_has_aux_and_scalar_output(torch):
    def f(x):
        return (x ** 3).sum(), x.mean()
    values = arrays((4,))
    got = func.jacrev(f, has_aux=True)(*tensors(ndgrad, values))
    want = torch.func.jacrev(f, has_aux=True)(*tensors(torch, values))
    assert_trees_close(got, want)


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_hessian(torch, argnums):
    values = arrays((3,), (3,))
    got = func.hessian(scalar_fn, argnums)(*tensors(ndgrad, values))
    want = torch.func.hessian(scalar_fn, argnums)(*tensors(torch, values))
    assert_trees_close(got, want)


def test_jacobian_of_a_gradient_inside_an_outer_graph():
    """Transforms inside ordinary autograd: the result stays differentiable."""
    x = ndgrad.tensor([0.5, -1.0, 2.0], dtype=ndgrad.float64, requires_grad=True)
    g = func.grad(lambda z: (z ** 3).sum())(x)
    assert g.requires_grad
    g.sum().backward()
    assert_trees_close(x.grad, 6 * x.detach())


@pytest.mark.parametrize("call, message", [
    (lambda: func.grad(lambda x: x * 2)(ndgrad.ones(3)), "scalar Tensor, got tensor with 1"),
    (lambda: func.grad(lambda x: x.sum(), has_aux=True)(ndgrad.ones(3)), r"\(output, aux\)"),
    (lambda: func.grad(lambda x: x.sum(), argnums=2)(ndgrad.ones(3)), "argnums=2"),
    (lambda: func.grad(lambda x: x.sum())(ndgrad.tensor([1, 2])), "floating point"),
    (lambda: func.vjp(lambda x: x * 2, ndgrad.ones(3))[1](ndgrad.ones(2)), "shape"),
    (lambda: func.jvp(lambda x: x, (ndgrad.ones(3),), (ndgrad.ones(2),)), "shape"),
    (lambda: func.jvp(lambda x: x, [ndgrad.ones(3)], [ndgrad.ones(3)]), "tuples"),
])
def test_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()
