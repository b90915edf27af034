"""Sorting and selection against torch: sort, argsort, msort, topk, kthvalue, unique."""
import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, check_against_torch, check_gradcheck

CUBE = (3, 4, 5)


def module_of(t):
    """The module a tensor belongs to, so one lambda can call module-level functions."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad
    import torch
    return torch


# Random uniform inputs have no ties, so indices (and where gradients go) agree with torch.
SPECS = [
    Spec("sort", lambda x: x.sort(), shapes=[CUBE]),
    Spec("sort_dim0_descending", lambda x: x.sort(dim=0, descending=True), shapes=[CUBE]),
    Spec("sort_fn_keywords", lambda x: module_of(x).sort(x, dim=1, descending=False, stable=True),
         shapes=[CUBE]),
    Spec("sort_scalar", lambda x: x.sort(), shapes=[()]),
    Spec("sort_empty", lambda x: x.sort(dim=0), shapes=[(0, 3)]),
    Spec("argsort", lambda x: x.argsort(dim=1), shapes=[CUBE], grad=False),
    Spec("argsort_fn_descending", lambda x: module_of(x).argsort(x, descending=True),
         shapes=[CUBE], grad=False),
    Spec("msort", lambda x: module_of(x).msort(x), shapes=[(4, 3)]),
    Spec("topk", lambda x: x.topk(2), shapes=[CUBE]),
    Spec("topk_dim0", lambda x: x.topk(3, dim=0), shapes=[(4, 3)]),
    Spec("topk_smallest", lambda x: module_of(x).topk(x, 3, dim=1, largest=False), shapes=[CUBE]),
    Spec("topk_all", lambda x: x.topk(5), shapes=[(2, 5)]),
    Spec("topk_zero", lambda x: x.topk(0), shapes=[(2, 5)]),
    Spec("topk_unsorted", lambda x: x.topk(3, sorted=False).values.sort().values, shapes=[CUBE]),
    Spec("topk_scalar", lambda x: x.topk(1), shapes=[()]),
    Spec("kthvalue", lambda x: x.kthvalue(2), shapes=[CUBE]),
    Spec("kthvalue_dim0_keepdim", lambda x: x.kthvalue(3, dim=0, keepdim=True), shapes=[CUBE]),
    Spec("kthvalue_fn_last", lambda x: module_of(x).kthvalue(x, 5, -1), shapes=[(2, 5)]),
    Spec("kthvalue_scalar", lambda x: x.kthvalue(1), shapes=[()]),
    Spec("kthvalue_numpy_names", lambda x: x.kthvalue(2, axis=1, keepdims=True), shapes=[CUBE]),
    Spec("kthvalue_fn_numpy_names", lambda x: module_of(x).kthvalue(x, 1, axis=0), shapes=[CUBE]),
    Spec("sort_then_mul", lambda x: x.sort(dim=-1).values * x, shapes=[(3, 4)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.grad and "empty" not in s.name], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


def both(torch, fn, data, dtype=None):
    """fn on ndgrad and on torch tensors made from `data`: a pair of output tuples."""
    results = []
    for module in (ndgrad, torch):
        out = fn(module.tensor(np.asarray(data, dtype=dtype)))
        results.append(out if isinstance(out, tuple) else (out,))
    return results


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype.name == str(b.dtype).replace("torch.", ""), f"output {k} dtype"
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"output {k}")


NAN = float("nan")
# (label, fn, data, dtype): ties (stable order), NaN (the largest value), integer dtypes whose
# negation overflows or wraps.
EXACT = [
    ("stable_ties", lambda t: t.sort(stable=True), [2.0, 1.0, 2.0, 1.0, 0.0, 2.0], None),
    ("stable_ties_descending", lambda t: t.sort(descending=True, stable=True),
     [[2, 1, 2, 1, 0, 2], [0, 0, 1, 1, 0, 0]], "int64"),
    ("argsort_stable_ties", lambda t: t.argsort(stable=True, dim=0), [[1, 0], [1, 1], [0, 1]],
     "int32"),
    ("nan_ascending", lambda t: t.sort(), [1.0, NAN, -1.0, 2.0], None),
    ("nan_descending", lambda t: t.sort(descending=True), [1.0, NAN, -1.0, 2.0], None),
    ("nan_topk", lambda t: t.topk(2), [1.0, NAN, -1.0, 2.0], None),
    ("nan_topk_smallest", lambda t: t.topk(2, largest=False), [1.0, NAN, -1.0, 2.0], None),
    ("nan_kthvalue", lambda t: t.kthvalue(4), [1.0, NAN, -1.0, 2.0], None),
    ("uint8_descending", lambda t: t.sort(descending=True, stable=True), [3, 0, 200, 3], "uint8"),
    ("int64_min_descending", lambda t: t.sort(descending=True), [-2**63, 0, 5, 2**63 - 1],
     "int64"),
    ("bool", lambda t: t.sort(stable=True), [True, False, True, False], "bool"),
    ("bool_descending", lambda t: t.sort(descending=True, stable=True), [True, False, True],
     "bool"),
    ("int_topk", lambda t: t.topk(2, dim=0), [[5, 1], [7, 9], [6, 3]], "int64"),
    ("int_kthvalue", lambda t: t.kthvalue(2, dim=1, keepdim=True), [[5, 1, 4], [7, 9, 8]],
     "int32"),
]


@pytest.mark.parametrize("fn, data, dtype", [c[1:] for c in EXACT], ids=[c[0] for c in EXACT])
def test_exact_order(fn, data, dtype, torch):
    assert_same(*both(torch, fn, data, dtype))


UNIQUE = [
    ("plain", lambda t: t.unique(), [3, 1, 2, 3, 1]),
    ("fn_inverse_counts",
     lambda t: module_of(t).unique(t, return_inverse=True, return_counts=True), [[3, 1], [2, 3]]),
    ("counts", lambda t: t.unique(return_counts=True), [2.5, -1.0, 2.5]),
    ("dim0", lambda t: t.unique(dim=0, return_inverse=True, return_counts=True),
     [[3, 1], [2, 3], [3, 1]]),
    ("dim1", lambda t: t.unique(dim=1, return_inverse=True), [[3, 1, 3], [2, 3, 2]]),
    ("scalar", lambda t: t.unique(return_inverse=True), 4.0),
    ("empty", lambda t: t.unique(return_counts=True), np.zeros(0)),
    ("bool", lambda t: t.unique(return_inverse=True), [True, False, True]),
]


@pytest.mark.parametrize("fn, data", [c[1:] for c in UNIQUE], ids=[c[0] for c in UNIQUE])
def test_unique(fn, data, torch):
    assert_same(*both(torch, fn, data))


def test_unique_is_not_differentiable():
    x = ndgrad.tensor([1.0, 2.0, 1.0], requires_grad=True)
    assert not x.unique().requires_grad


def test_sort_gradient_goes_to_the_selected_elements():
    x = ndgrad.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = x.topk(2)
    (values * ndgrad.tensor([10.0, 1.0])).sum().backward()
    assert indices.tolist() == [0, 2] and not indices.requires_grad
    assert x.grad.tolist() == [10.0, 0.0, 1.0]


def test_named_fields():
    x = ndgrad.tensor([[3.0, 1.0, 2.0]])
    for result in (x.sort(), x.topk(1), x.kthvalue(1)):
        values, indices = result
        assert result.values is values and result.indices is indices
        assert indices.dtype == ndgrad.int64


@pytest.mark.parametrize("fn", [lambda x: x.topk(6), lambda x: x.topk(-1),
                                lambda x: x.kthvalue(0), lambda x: x.kthvalue(6)],
                         ids=["topk_6", "topk_-1", "kthvalue_0", "kthvalue_6"])
def test_k_out_of_range(fn):
    with pytest.raises(RuntimeError, match="out of range"):
        fn(ndgrad.zeros(2, 5))


def test_dim_out_of_range():
    with pytest.raises(IndexError, match="Dimension out of range"):
        ndgrad.zeros(2, 5).sort(dim=2)
