"""vmap against torch.func.vmap, float64: in_dims/out_dims, nesting, per-sample gradients."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad import func
from tests.func._compare import arrays, assert_trees_close, tensors


def model(params, x):
    hidden = (x @ params["w1"] + params["b1"]).tanh()
    return hidden @ params["w2"]


def loss(params, x, y):
    return ((model(params, x.unsqueeze(0)) - y) ** 2).mean()


def make_params(L):
    w1, b1, w2 = arrays((4, 5), (5,), (5, 2), seed=3)
    return {"w1": L.tensor(w1), "b1": L.tensor(b1), "w2": L.tensor(w2)}


@pytest.mark.parametrize("in_dims, out_dims, shapes", [
    (0, 0, [(3, 4), (3, 4)]),
    ((1, None), 0, [(4, 3), (4,)]),
    ((-1, 0), 1, [(4, 3), (3, 4)]),
    ((0, 0), (0, 1), [(3, 4), (3, 4)]),
])
def test_in_dims_and_out_dims(torch, in_dims, out_dims, shapes):
    def f(x, y):
        return x * y.sum(), (x[:2] + y[:2]).exp()
    values = arrays(*shapes)
    got = func.vmap(f, in_dims, out_dims)(*tensors(ndgrad, values))
    want = torch.func.vmap(f, in_dims, out_dims)(*tensors(torch, values))
    assert_trees_close(got, want)


def test_nested_vmap(torch):
    def f(x, y):
        return x @ y
    values = arrays((2, 3), (4, 3))
    outer = (lambda lib_func: lib_func.vmap(lib_func.vmap(f, (None, 0)), (0, None)))
    got = outer(func)(*tensors(ndgrad, values))
    want = outer(torch.func)(*tensors(torch, values))
    assert_trees_close(got, want)
    assert got.shape == (2, 4)


def test_per_sample_gradients_equal_a_loop(torch):
    x, y = arrays((6, 4), (6, 2), seed=1)
    params = make_params(ndgrad)
    per_sample = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(
        params, ndgrad.tensor(x), ndgrad.tensor(y))
    want = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))(
        make_params(torch), torch.tensor(x), torch.tensor(y))
    assert_trees_close(per_sample, want)
    for i in range(len(x)):
        one = func.grad(loss)(params, ndgrad.tensor(x[i]), ndgrad.tensor(y[i]))
        assert_trees_close({k: v[i] for k, v in per_sample.items()}, one)


def test_vmap_is_differentiable():
    x = ndgrad.tensor(arrays((3, 2))[0], requires_grad=True)
    func.vmap(lambda row: (row ** 2).sum())(x).sum().backward()
    assert_trees_close(x.grad, 2 * x.detach())


def test_out_dims_none_for_an_unbatched_output():
    scale = ndgrad.tensor(2.0, dtype=ndgrad.float64)
    out, same = func.vmap(lambda x: (x * scale, scale), out_dims=(0, None))(ndgrad.ones(3, 2))
    assert out.shape == (3, 2) and same.shape == ()
    with pytest.raises(ValueError, match="differs between samples"):
        func.vmap(lambda x: x, out_dims=None)(ndgrad.arange(3.0))


@pytest.mark.parametrize("call, message", [
    (lambda: func.vmap(lambda x, y: x + y)(ndgrad.ones(2), ndgrad.ones(3)), "same size"),
    (lambda: func.vmap(lambda x: x, in_dims=2)(ndgrad.ones(2, 3)), "dimensionality 2"),
    (lambda: func.vmap(lambda x, n: x * n, in_dims=(0, 0))(ndgrad.ones(2), 3),
     "non-Tensor"),
    (lambda: func.vmap(lambda x: x, in_dims=None)(ndgrad.ones(2)), "at least one input"),
    (lambda: func.vmap(lambda x: 1.0)(ndgrad.ones(2)), "only return Tensors"),
    (lambda: func.vmap(lambda x, y: x, in_dims=(0,))(ndgrad.ones(2), ndgrad.ones(2)),
     "structure"),
    (lambda: func.vmap(lambda x: x)(ndgrad.ones(0, 2)), "size 0"),
])
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_random_ops_differ_per_sample():
    out = func.vmap(lambda x: x + ndgrad.randn(()), randomness="different")(ndgrad.zeros(4))
    assert len(np.unique(out.numpy())) == 4
