"""Indexing against torch: __getitem__, __setitem__, gather/scatter/index/mask ops, errors."""
from functools import partial

import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck

CUBE = (3, 4, 5)
rng = np.random.default_rng(7)
MASK_0 = np.array([True, False, True])
MASK_01 = np.arange(12).reshape(3, 4) % 3 == 0
MASK_ALL = rng.uniform(size=CUBE) > 0.5
# Per (i, k), distinct indices into dim 1: scatter writes each target once (no write races).
DISTINCT_1 = np.argsort(rng.uniform(size=CUBE), axis=1)[:, :2]
REPEATED_1 = rng.integers(0, 4, size=(2, 3, 4))


def module_of(t):
    """The module a tensor belongs to, so one lambda can build index tensors of its kind."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad
    import torch
    return torch


def get(make_key, x):
    return x[make_key(module_of(x))]


# (label, input shape, make_key(module) -> key); index tensors come from the module.
KEYS = [
    ("int", CUBE, lambda m: 1),
    ("neg_int", CUBE, lambda m: -1),
    ("int_pair", CUBE, lambda m: (2, -1)),
    ("slice_step", CUBE, lambda m: slice(None, None, 2)),
    ("neg_slices", CUBE, lambda m: (slice(-2, None), slice(None, -1, 2))),
    ("slice_past_end", CUBE, lambda m: (slice(1, 100, 3), slice(-100, 2))),
    ("none", CUBE, lambda m: (None, 0, None)),
    ("ellipsis", CUBE, lambda m: (Ellipsis, 1)),
    ("int_ellipsis_slice", CUBE, lambda m: (0, Ellipsis, slice(1, 3))),
    ("mask_tensor", CUBE, lambda m: m.tensor(MASK_0)),
    ("mask_ndarray", CUBE, lambda m: MASK_0),
    ("mask_list", CUBE, lambda m: [True, False, True]),
    ("mask_2d", CUBE, lambda m: m.tensor(MASK_01)),
    ("mask_full", CUBE, lambda m: m.tensor(MASK_ALL)),
    ("mask_none_true", CUBE, lambda m: m.tensor([False, False, False])),
    ("int_tensor_repeats", CUBE, lambda m: m.tensor([0, 2, 0])),
    ("int_ndarray", CUBE, lambda m: np.array([2, 0])),
    ("int_list", CUBE, lambda m: [0, 2, 2]),
    ("negative_indices", CUBE, lambda m: m.tensor([-1, -3])),
    ("int_tensor_2d", CUBE, lambda m: m.tensor([[0, 1], [2, 0]])),
    ("empty_list", CUBE, lambda m: []),
    ("range", CUBE, lambda m: (0, range(1, 3))),
    ("empty_range", CUBE, lambda m: range(0)),
    ("two_adjacent", CUBE, lambda m: (m.tensor([0, 2, 1]), m.tensor([0, 1, 3]))),
    ("issue_example", (5, 3), lambda m: (m.tensor([0, 2, 4]), m.tensor([0, 1, 2]))),
    ("separated_by_slice", CUBE, lambda m: (m.tensor([0, 2]), slice(None), m.tensor([1, 4]))),
    ("separated_broadcast", CUBE,
     lambda m: (m.tensor([[0], [2]]), slice(1, 3), m.tensor([1, 3, 4]))),
    ("adjacent_after_slice", CUBE, lambda m: (slice(None), m.tensor([0, 3]), m.tensor([1, 2]))),
    ("int_slice_array", CUBE, lambda m: (1, slice(None), m.tensor([0, 4]))),
    ("int_ellipsis_array", CUBE, lambda m: (0, Ellipsis, m.tensor([0, 2]))),
    ("int_none_array", CUBE, lambda m: (1, None, m.tensor([0, 1]))),
    ("array_slice_int", CUBE, lambda m: (m.tensor([2, 0]), slice(None), 1)),
    ("none_array", CUBE, lambda m: (None, m.tensor([0, 1]), Ellipsis)),
    ("mask_int", CUBE, lambda m: (m.tensor(MASK_0), 1)),
    ("mask_array", CUBE, lambda m: (m.tensor(MASK_0), m.tensor([0, 3]))),
    ("mask_slice_array", CUBE, lambda m: (m.tensor(MASK_0), slice(None), m.tensor([0, 3]))),
    ("int_0d_tensor", CUBE, lambda m: m.tensor(1)),
    ("int_0d_slice_array", CUBE, lambda m: (m.tensor(1), slice(None), m.tensor([0, 4]))),
    ("true", CUBE, lambda m: (True, 0)),
    # True and False index their new dim with [0] or [], an advanced index that stays in place.
    ("int_slice_true", CUBE, lambda m: (0, slice(None), True)),
    ("int_true_array", CUBE, lambda m: (1, m.tensor(True), m.tensor([0, 2]))),
    ("array_int_false", CUBE, lambda m: (m.tensor([[1], [0]]), 0, False)),
    ("scalar_empty_tuple", (), lambda m: ()),
    ("scalar_none", (), lambda m: None),
    ("zero_size", (0, 3), lambda m: (slice(None), m.tensor([2, 0]))),
]
GETITEM = [Spec(f"getitem[{label}]", partial(get, make), shapes=[shape])
           for label, shape, make in KEYS]


def put(make_key, x, value):
    """x * 1 with x[key] = value, so the assignment is recorded on a non-leaf."""
    y = x * 1
    y[make_key(module_of(x))] = value
    return y


# (label, make_key, value shape): the value broadcasts to the indexed shape.
PUTS = [
    ("int", lambda m: 1, (5,)),
    ("slices", lambda m: (slice(None, None, 2), slice(1, None)), (2, 3, 5)),
    ("neg_slices", lambda m: (slice(-2, None), slice(None, -1, 2)), (1, 5)),
    ("none_ellipsis", lambda m: (None, Ellipsis, 1), (3, 4)),
    ("mask_tensor", lambda m: m.tensor(MASK_0), (5,)),
    ("mask_ndarray", lambda m: MASK_0, ()),
    ("mask_list", lambda m: [True, False, True], (1, 1)),
    ("mask_2d", lambda m: m.tensor(MASK_01), (4, 5)),
    ("mask_full", lambda m: m.tensor(MASK_ALL), (1,)),
    ("int_tensor", lambda m: m.tensor([2, 0]), (2, 4, 5)),
    ("int_list", lambda m: [2, 0], (4, 5)),
    ("int_ndarray", lambda m: np.array([1]), (1, 1, 5)),
    ("two_adjacent", lambda m: (m.tensor([0, 2, 1]), m.tensor([0, 1, 3])), (3, 5)),
    ("separated", lambda m: (m.tensor([0, 2]), slice(None), m.tensor([1, 3])), (2, 4)),
    ("separated_broadcast", lambda m: (m.tensor([[0], [2]]), slice(1, 3), m.tensor([1, 3, 4])),
     (3, 1)),
    ("int_slice_array", lambda m: (1, slice(None), m.tensor([0, 4])), (4, 2)),
    ("int_0d_tensor", lambda m: m.tensor(1), (4, 5)),
    ("mask_array", lambda m: (m.tensor(MASK_0), m.tensor([0, 3])), (2, 5)),
    ("leading_ones", lambda m: (0, 1), (1, 1, 5)),
    ("int_slice_true", lambda m: (0, slice(None), True), (4, 1, 1)),
]
SETITEM = [Spec(f"setitem[{label}]", partial(put, make), shapes=[CUBE, shape])
           for label, make, shape in PUTS]


def index(x, array):
    """`array` as an index tensor of x's library."""
    return module_of(x).tensor(array)


OPS = [
    Spec("gather_dim1", lambda x: x.gather(1, index(x, DISTINCT_1)), shapes=[CUBE]),
    Spec("gather_repeats_smaller", lambda x: x.gather(1, index(x, REPEATED_1)), shapes=[CUBE]),
    Spec("gather_sparse_grad_false", lambda x: x.gather(1, index(x, REPEATED_1), sparse_grad=False),
         shapes=[CUBE]),
    Spec("gather_fn_neg_dim", lambda x: module_of(x).gather(x, -1, index(x, [[4, 0, 4]])),
         shapes=[(2, 5)]),
    Spec("scatter_src", lambda x, s: x.scatter(1, index(x, DISTINCT_1), s),
         shapes=[CUBE, DISTINCT_1.shape]),
    Spec("scatter_value", lambda x: x.scatter(1, index(x, DISTINCT_1), value=-1.5),
         shapes=[CUBE]),
    Spec("scatter_int_value", lambda x: x.scatter(1, index(x, REPEATED_1), 2), shapes=[CUBE]),
    Spec("scatter_add", lambda x, s: x.scatter_add(1, index(x, REPEATED_1), s),
         shapes=[CUBE, REPEATED_1.shape]),
    Spec("scatter_add_fn", lambda x, s: module_of(x).scatter_add(x, 0, index(x, [[1, 1, 0]]), s),
         shapes=[(2, 3), (1, 3)]),
    Spec("index_select", lambda x: x.index_select(1, index(x, [3, 0, 3])), shapes=[CUBE]),
    Spec("index_select_0d", lambda x: module_of(x).index_select(x, -1, index(x, 2)),
         shapes=[CUBE]),
    Spec("index_add", lambda x, s: x.index_add(1, index(x, [3, 0, 3]), s, alpha=0.5),
         shapes=[CUBE, (3, 3, 5)]),
    Spec("masked_fill", lambda x: x.masked_fill(index(x, MASK_ALL), 0.5), shapes=[CUBE]),
    Spec("masked_fill_broadcast", lambda x: x.masked_fill(index(x, [True, False] * 2 + [True]),
                                                          -2.0), shapes=[CUBE]),
    Spec("masked_fill_tensor", lambda x, v: x.masked_fill(index(x, MASK_ALL), v),
         shapes=[CUBE, ()]),
    Spec("masked_select", lambda x: x.masked_select(index(x, MASK_ALL)), shapes=[CUBE]),
    Spec("masked_select_broadcast", lambda x: module_of(x).masked_select(x, index(x, MASK_01)),
         shapes=[(2, 3, 4)]),
    Spec("take", lambda x: x.take(index(x, [[0, 59], [-1, 7]])), shapes=[CUBE]),
    Spec("take_along_dim", lambda x: x.take_along_dim(index(x, DISTINCT_1), 1), shapes=[CUBE]),
    Spec("take_along_dim_broadcast",
         lambda x: module_of(x).take_along_dim(x, index(x, [[[0, 4, 4]]]), dim=2), shapes=[CUBE]),
    Spec("take_along_dim_flat", lambda x: x.take_along_dim(index(x, [5, 0, 59, 5])),
         shapes=[CUBE]),
    Spec("take_along_dim_flat_2d_index", lambda x: x.take_along_dim(index(x, [[5, 0], [59, 5]])),
         shapes=[CUBE]),
    Spec("index_put", lambda x, v: x.index_put((index(x, [0, 2]), index(x, [1, 3])), v),
         shapes=[CUBE, (5,)]),
    Spec("index_put_accumulate", lambda x, v: x.index_put((index(x, [0, 0, 2]),), v,
                                                          accumulate=True), shapes=[CUBE, (4, 5)]),
    Spec("index_put_mask_fn", lambda x, v: module_of(x).index_put(x, (index(x, MASK_0),), v,
                                                                  accumulate=True),
         shapes=[CUBE, (2, 4, 5)]),
    Spec("index_fill_tensor_repeats", lambda x, v: x.index_fill(1, index(x, [3, 0, 3]), v),
         shapes=[CUBE, ()]),
    Spec("index_fill_number_fn", lambda x: module_of(x).index_fill(x, -1, index(x, -2), 1.5),
         shapes=[CUBE]),
    Spec("index_copy", lambda x, s: x.index_copy(1, index(x, [3, 0]), s), shapes=[CUBE, (3, 2, 5)]),
    Spec("masked_scatter", lambda x, s: x.masked_scatter(index(x, MASK_01)[..., None], s),
         shapes=[CUBE, (70,)]),
    Spec("put_accumulate", lambda x, s: x.put(index(x, [[0, -1], [0, 7]]), s, accumulate=True),
         shapes=[CUBE, (2, 2)]),
    # A 0-d input, index or source counts as 1-D.
    Spec("gather_0d", lambda x: x.gather(0, index(x, [0, 0])), shapes=[()]),
    Spec("gather_0d_index", lambda x: x.gather(0, index(x, 2)), shapes=[(3,)]),
    Spec("scatter_0d", lambda x, s: x.scatter(-1, index(x, 0), s), shapes=[(), ()]),
    Spec("scatter_add_0d", lambda x, s: x.scatter_add(0, index(x, [0, 0]), s), shapes=[(), (2,)]),
    Spec("index_select_0d_input", lambda x: x.index_select(0, index(x, [0])), shapes=[()]),
    Spec("index_add_0d", lambda x, s: x.index_add(0, index(x, [0]), s, alpha=2), shapes=[(), ()]),
]
# Integer results: no gradient.
NONDIFF = [
    Spec("nonzero", lambda x: (x > 0).nonzero(), shapes=[CUBE], grad=False),
    Spec("nonzero_as_tuple", lambda x: module_of(x).nonzero(x > 0, as_tuple=True),
         shapes=[CUBE], grad=False),
    Spec("nonzero_0d", lambda x: (x > 0).nonzero(), shapes=[()], low=0.5, grad=False),
    Spec("nonzero_0d_false", lambda x: (x > 5).nonzero(), shapes=[()], grad=False),
    Spec("nonzero_0d_as_tuple", lambda x: (x > 0).nonzero(as_tuple=True), shapes=[()], low=0.5,
         grad=False),
    Spec("nonzero_empty", lambda x: (x > 0).nonzero(), shapes=[(0, 3)], grad=False),
    Spec("where_condition", lambda x: module_of(x).where(x > 0), shapes=[CUBE], grad=False),
    # torch defines no derivative for scatter with reduce.
    Spec("scatter_reduce_add_value", lambda x: x.scatter(1, index(x, REPEATED_1), 2.0,
                                                         reduce="add"), shapes=[CUBE], grad=False),
    Spec("scatter_reduce_multiply", lambda x, s: x.scatter(1, index(x, REPEATED_1), s,
                                                           reduce="multiply"),
         shapes=[CUBE, REPEATED_1.shape], grad=False),
]
SPECS = GETITEM + SETITEM + OPS + NONDIFF


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.grad and "zero_size" not in s.name],
                         ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


def test_repeated_indices_accumulate():
    x = ndgrad.zeros(3, requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    assert x.grad.tolist() == [2.0, 1.0, 0.0]


def test_basic_indexing_is_a_view_advanced_is_a_copy():
    x = ndgrad.zeros(3, 4)
    x[1:, None][..., 2] += 1
    x[[0, 1]] += 10  # x[[0, 1]] is a copy, but `x[key] += v` writes back through __setitem__
    x[[0]][0, 0] = 100.0  # writes into a copy: x unchanged
    np.testing.assert_array_equal(x.numpy()[:, 2], [10, 11, 1])
    assert x.numpy()[0, 0] == 10


def test_setitem_second_derivative(torch):
    """y = x*x; y[1, 2] = v*v; differentiates (grad**2).sum() once more, in both libraries."""
    arrays = [np.random.default_rng(3).standard_normal(s) for s in (CUBE, (5,))]
    results = []
    for module in (ndgrad, torch):
        x, v = (module.tensor(a, requires_grad=True) for a in arrays)
        y = x * x
        y[1, module.tensor([2, 0])] = (v * v)[:2, None]
        grads = module.autograd.grad((y * y).sum(), [x, v], create_graph=True)
        results.append(grads + module.autograd.grad(sum((g * g).sum() for g in grads), [x, v]))
    for k, (ours, theirs) in enumerate(zip(*results)):
        assert_close(ours, theirs, "float64", f"derivative {k}")


def test_setitem_casts_and_python_values():
    a = ndgrad.zeros(4, dtype=ndgrad.int64)
    a[0] = 2.9
    a[1] = ndgrad.tensor(-1.7)
    a[ndgrad.tensor([2, 3])] = True
    assert a.tolist() == [2, -1, 1, 1] and a.dtype == ndgrad.int64


def test_setitem_on_leaf_that_requires_grad_raises():
    x = ndgrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0] = 1.0


@pytest.mark.parametrize("key", [False, (False,)], ids=["bare", "in_tuple"])
def test_setitem_false_records_as_torch(key, torch):
    """y[False] = v writes and records nothing in PyTorch (v gets no gradient); y[False,] = v
    records an empty write (v's gradient is zero)."""
    grads = []
    for module in (ndgrad, torch):
        v = module.ones(1, requires_grad=True)
        y = module.zeros(2, 3, requires_grad=True) * 1
        y[key] = v
        y.sum().backward()
        grads.append(None if v.grad is None else v.grad.tolist())
    assert grads[0] == grads[1]


def test_scatter_reduce_has_no_derivative(torch):
    for module in (ndgrad, torch):
        x = module.ones(3, requires_grad=True)
        out = x.scatter(0, module.tensor([1, 1]), 2.0, reduce="add")
        with pytest.raises(RuntimeError, match="not implemented"):
            out.sum().backward()


def test_advanced_index_result_is_contiguous(torch):
    """x[..., index] is row-major, as in PyTorch, so .view works on it (NumPy lays the indexed
    dim out first)."""
    results = [m.arange(24.0).reshape(2, 3, 4)[..., m.tensor([0, 3])] for m in (ndgrad, torch)]
    assert results[0].is_contiguous()
    assert results[0].view(-1).tolist() == results[1].view(-1).tolist()


def test_scatter_src_larger_than_index():
    """torch's backward fails here (its src gradient takes index's shape); ndgrad's src gradient
    is zero outside index's shape."""
    x = ndgrad.zeros(2, 3, requires_grad=True)
    src = ndgrad.arange(1.0, 9.0).reshape(2, 4).requires_grad_()
    index = ndgrad.tensor([[2], [0]])
    y = x.scatter(1, index, src) + x.scatter_add(1, index, src)
    (y * ndgrad.arange(6.0).reshape(2, 3)).sum().backward()
    assert y.tolist() == [[0, 0, 2], [10, 0, 0]]
    assert x.grad.tolist() == [[0, 2, 2], [3, 8, 10]]
    assert src.grad.tolist() == [[4, 0, 0, 0], [6, 0, 0, 0]]


def test_negative_step_follows_numpy():
    """torch refuses negative slice steps; ndgrad takes NumPy's meaning."""
    x = ndgrad.arange(6.0, requires_grad=True)
    y = x[::-2]
    (y * ndgrad.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert y.tolist() == [5.0, 3.0, 1.0] and x.grad.tolist() == [0, 3, 0, 2, 0, 1]


OUT_OF_RANGE = [
    ("getitem_int", lambda x: x[3], "index 3 .*(axis|dimension) 0 with size 3"),
    ("getitem_neg_int", lambda x: x[0, -5], "index -5 .*(axis|dimension) 1 with size 4"),
    ("getitem_array", lambda x: x[:, ndgrad.tensor([0, 4])], "index 4 .*(axis|dimension) 1 "
                                                              "with size 4"),
    ("getitem_list", lambda x: x[[0, -4]], "index -4 .*(axis|dimension) 0 with size 3"),
    ("getitem_int_then_array", lambda x: x[1, :, ndgrad.tensor([5])],
     "index 5 .*dimension 2 with size 5"),
    ("setitem_int_then_array", lambda x: x.__setitem__((0, ndgrad.tensor([4])), 1.0),
     "index 4 .*dimension 1 with size 4"),
    ("index_select", lambda x: x.index_select(2, ndgrad.tensor([5])),
     "index 5 .*dimension 2 with size 5"),
    ("take", lambda x: x.take(ndgrad.tensor([60])), "index 60 .*dimension 0 with size 60"),
    ("take_negative", lambda x: x.take(ndgrad.tensor([-61])), "index -61 .* with size 60"),
    ("take_along_dim", lambda x: x.take_along_dim(ndgrad.tensor([[[5]]]), 2),
     "index 5 .*dimension 2 with size 5"),
]

# PyTorch's gather and scatter raise RuntimeError for these, and refuse negative indices.
OUT_OF_RANGE_RUNTIME = [
    ("gather", lambda x: x.gather(1, ndgrad.tensor([[[4]]])), "index 4 .*dimension 1 with size 4"),
    ("gather_negative", lambda x: x.gather(1, ndgrad.tensor([[[-1]]])),
     "index -1 .*dimension 1 with size 4"),
    ("scatter", lambda x: x.scatter(0, ndgrad.tensor([[[3]]]), 1.0),
     "index 3 .*dimension 0 with size 3"),
]


@pytest.mark.parametrize("fn, match", [c[1:] for c in OUT_OF_RANGE],
                         ids=[c[0] for c in OUT_OF_RANGE])
def test_out_of_range_index_raises_index_error(fn, match):
    with pytest.raises(IndexError, match=match):
        fn(ndgrad.zeros(CUBE))


@pytest.mark.parametrize("fn, match", [c[1:] for c in OUT_OF_RANGE_RUNTIME],
                         ids=[c[0] for c in OUT_OF_RANGE_RUNTIME])
def test_out_of_range_gather_scatter_index_raises_runtime_error(fn, match):
    with pytest.raises(RuntimeError, match=match):
        fn(ndgrad.zeros(CUBE))


def test_bad_index_dtypes_and_shapes():
    x = ndgrad.zeros(CUBE)
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[ndgrad.tensor([1.0])]
    with pytest.raises(IndexError):
        x[ndgrad.tensor([True, False])]
    with pytest.raises(RuntimeError, match="int32/int64 for index"):
        x.gather(0, ndgrad.tensor([[[0.0]]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(0, ndgrad.tensor([0]))
    with pytest.raises(RuntimeError, match="boolean"):
        x.masked_fill(ndgrad.tensor([1, 0, 1, 0, 1]), 0.0)


@pytest.mark.parametrize("key", [[0, [1]], [[0], [1, 2]]], ids=["number_and_list", "ragged"])
def test_ragged_index_list_is_refused_by_name(key):
    # A bare list of lists is one index array (see README); PyTorch 2.13 still reads these as
    # tuples, so there is no torch error to compare with.
    x = ndgrad.ones(3, 3)
    with pytest.raises(IndexError, match="an index list must be rectangular"):
        x[key]
    with pytest.raises(IndexError, match="an index list must be rectangular"):
        x[key] = 0.0
    assert x._version == 0 and bool((x == 1).all())
