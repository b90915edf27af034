"""scatter_reduce against torch: every reduction with and without include_self, values and
gradients (ties and zeros included), second order by finite differences, and errors."""
import numpy as np
import pytest

import ndgrad

REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]


def _inputs(rng, ties: bool):
    x = rng.standard_normal((3, 4))
    src = rng.standard_normal((3, 5))
    if ties:  # small integers: amax/amin ties, and zeros for prod
        x, src = np.round(x), np.round(src)
    index = rng.integers(0, 4, (3, 5))
    return x, src, index


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties_and_zeros"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_values_and_gradients_match_torch(reduce, include_self, ties, torch):
    rng = np.random.default_rng(3)
    x, src, index = _inputs(rng, ties)
    weights = rng.standard_normal(x.shape)
    results = []
    for lib in (ndgrad, torch):
        a, s = lib.tensor(x, requires_grad=True), lib.tensor(src, requires_grad=True)
        out = a.scatter_reduce(1, lib.tensor(index), s, reduce, include_self=include_self)
        (out * lib.tensor(weights)).sum().backward()
        results.append([t.detach().numpy() for t in (out, a.grad, s.grad)])
    for what, ours, theirs in zip(("value", "input grad", "src grad"), *results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_second_order_by_finite_differences(reduce):
    rng = np.random.default_rng(4)
    x, src, index = _inputs(rng, ties=False)
    index = ndgrad.tensor(index)

    def f(a, s):
        return ndgrad.scatter_reduce(a, 1, index[:2], s, reduce, include_self=False) ** 2

    a, s = ndgrad.tensor(x, requires_grad=True), ndgrad.tensor(src, requires_grad=True)
    assert ndgrad.autograd.gradcheck(f, (a, s))
    assert ndgrad.autograd.gradgradcheck(f, (a, s))


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_integer_inputs_match_torch(reduce, torch):
    x, src, index = [[5, 1, 7]], [[2, 9, 4, 3]], [[0, 2, 0, 2]]
    ours = ndgrad.tensor(x).scatter_reduce(1, ndgrad.tensor(index), ndgrad.tensor(src), reduce)
    theirs = torch.tensor(x).scatter_reduce(1, torch.tensor(index), torch.tensor(src), reduce)
    assert ours.tolist() == theirs.tolist() and ours.dtype.name == str(theirs.dtype)[6:]


@pytest.mark.parametrize("call, message", [
    (lambda L: L.zeros(2).scatter_reduce(0, L.tensor([0]), L.ones(1), "median"), "amax or amin"),
    (lambda L: L.zeros(2).scatter_reduce(0, L.tensor([0]), L.ones(1, dtype=L.float64), "sum"),
     "dtype"),
    (lambda L: L.zeros(2).scatter_reduce(0, L.tensor([2]), L.ones(1), "sum"), "out of bounds"),
    (lambda L: L.zeros(2).scatter_reduce(0, L.tensor([0.0]), L.ones(1), "sum"), "int"),
])
def test_errors_match_torch(call, message, torch):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=message):
        call(ndgrad)
