"""Indexing mistakes, read and write: getitem/setitem, masked_fill, gather/scatter,
index_select/index_add, take_along_dim. PyTorch's exception and words (never NumPy's "array"
and "axis"), and a failed write leaves the tensor, its version and its grad as they were."""
from __future__ import annotations

import pytest

from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import LEAF_IN_PLACE, Mistake, leaf

BAD_INDEX_TYPE = ("only integers, slices \\(`:`\\), ellipsis \\(`...`\\), None and long or byte "
                  "tensors are valid indices \\(got {}\\)")
INDEX_DTYPE = "tensors used as indices must be long, int, byte or bool tensors"
OUT_OF_BOUNDS = "index {} is out of bounds for dimension {} with size {}"
TOO_MANY = "too many indices for tensor of dimension {}"
MASK = ("The shape of the mask \\[{}\\] at index {} does not match the shape of the indexed "
        "tensor \\[{}\\] at index {}")
VALUE_SHAPE = ("shape mismatch: value tensor of shape \\[{}\\] cannot be broadcast to indexing "
               "result of shape \\[{}\\]")


def _x(m):
    return (m.arange(6.0).reshape(2, 3),)


def _v(m):
    return (m.arange(3.0),)


def _x_and_index(m):
    return (m.arange(6.0).reshape(2, 3), m.tensor([[0, 1, 0]]))


MISTAKES = [
    # ---- getitem
    Mistake("index_float", lambda m, x: x[1.0], IndexError, BAD_INDEX_TYPE.format("float"),
            inputs=_x),
    Mistake("index_str", lambda m, x: x["a"], TypeError, BAD_INDEX_TYPE.format("str"),
            inputs=_x),
    Mistake("index_float_tensor", lambda m, x: x[m.tensor([0.0])], IndexError, INDEX_DTYPE,
            inputs=_x),
    Mistake("index_out_of_range", lambda m, x: x[0, 5], IndexError, OUT_OF_BOUNDS.format(5, 1, 3),
            inputs=_x),
    Mistake("index_out_of_range_after_none", lambda m, x: x[None, 2], IndexError,
            OUT_OF_BOUNDS.format(2, 0, 2), inputs=_x),
    Mistake("index_list_out_of_range", lambda m, x: x[:, [0, 3]], IndexError,
            OUT_OF_BOUNDS.format(3, 1, 3), inputs=_x),
    Mistake("index_too_many", lambda m, x: x[0, 1, 2], IndexError, TOO_MANY.format(2),
            inputs=_x),
    Mistake("index_too_many_with_ellipsis", lambda m, x: x[0, ..., 1, 2], IndexError,
            TOO_MANY.format(2), inputs=_x),
    Mistake("index_scalar", lambda m: m.tensor(1.0)[0], IndexError,
            "invalid index of a 0-dim tensor. Use `tensor.item\\(\\)`"),
    Mistake("index_mask_shape", lambda m, x: x[m.tensor([True, False, True])], IndexError,
            MASK.format("3", 0, "2, 3", 0), inputs=_x),
    Mistake("index_mask_second_dim", lambda m, x: x[:, m.tensor([True, False])], IndexError,
            MASK.format("2", 0, "2, 3", 1), inputs=_x),
    Mistake("index_arrays_broadcast", lambda m, x: x[m.tensor([0, 1]), m.tensor([0, 1, 2])],
            IndexError, "shape mismatch: indexing tensors could not be broadcast together with "
            "shapes \\[2\\], \\[3\\]", inputs=_x),
    # ---- setitem: nothing written, no version bump
    Mistake("setitem_value_shape", lambda m, x: x.__setitem__(slice(None), m.ones(2)),
            RuntimeError, VALUE_SHAPE.format("2", "2, 3"), inputs=_x),
    Mistake("setitem_advanced_value_shape",
            lambda m, x: x.__setitem__(m.tensor([0, 1]), m.ones(3, 3)), RuntimeError,
            VALUE_SHAPE.format("3, 3", "2, 3"), inputs=_x),
    Mistake("setitem_mask_value_shape", lambda m, v: v.__setitem__(v > 0, m.ones(3)),
            RuntimeError, VALUE_SHAPE.format("3", "2"), inputs=_v),
    Mistake("setitem_out_of_range", lambda m, x: x.__setitem__((1, 5), 1.0), IndexError,
            OUT_OF_BOUNDS.format(5, 1, 3), inputs=_x),
    Mistake("setitem_tensor_out_of_range", lambda m, v: v.__setitem__(m.tensor([5]), 1.0),
            IndexError, OUT_OF_BOUNDS.format(5, 0, 3), inputs=_v),
    Mistake("setitem_too_many", lambda m, v: v.__setitem__((0, 0), 1.0), IndexError,
            TOO_MANY.format(1), inputs=_v),
    Mistake("setitem_mask_shape", lambda m, v: v.__setitem__(m.tensor([True, False]), 1.0),
            IndexError, MASK.format("2", 0, "3", 0), inputs=_v),
    Mistake("setitem_float_index", lambda m, v: v.__setitem__(1.0, 1.0), IndexError,
            BAD_INDEX_TYPE.format("float"), inputs=_v),
    Mistake("setitem_str_value", lambda m, v: v.__setitem__(0, "a"), TypeError,
            "can't assign a str to a tensor of dtype float32", inputs=_v),
    Mistake("setitem_leaf", lambda m, x: x.__setitem__(0, 1.0), RuntimeError,
            "leaf Variable that requires grad is being used in an in-place operation",
            inputs=lambda m: (leaf(m, 2, 3),)),
    # ---- masked_fill / masked_select
    Mistake("masked_fill_vector_value", lambda m, v: v.masked_fill(v > 0, m.ones(3)),
            RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got "
            "tensor with 1 dimension\\(s\\)", inputs=_v),
    Mistake("masked_fill_inplace_vector_value", lambda m, v: v.masked_fill_(v > 0, m.ones(3)),
            RuntimeError, "only supports a 0-dimensional value tensor", inputs=_v),
    Mistake("masked_fill_float_mask", lambda m, v: v.masked_fill(v, 0.0), RuntimeError,
            "masked_fill_ only supports boolean masks, but got mask with dtype float32",
            inputs=_v),
    Mistake("masked_fill_leaf", lambda m, x: x.masked_fill_(x > 2, 0.0), RuntimeError,
            LEAF_IN_PLACE, inputs=lambda m: (leaf(m, 2, 3),)),
    Mistake("masked_select_int_mask", lambda m, v: v.masked_select(m.tensor([1, 0, 1])),
            RuntimeError, "masked_select: expected BoolTensor for mask", inputs=_v),
    Mistake("masked_select_shape", lambda m, v: v.masked_select(m.ones(4) > 0), RuntimeError,
            "The size of tensor a \\(3\\) must match the size of tensor b \\(4\\)", inputs=_v),
    # ---- gather / scatter: PyTorch raises RuntimeError and refuses negative indices
    Mistake("gather_float_index", lambda m, x: x.gather(1, m.tensor([[0.0]])), RuntimeError,
            "gather\\(\\): Expected dtype int32/int64 for index, but got float32", inputs=_x),
    Mistake("gather_out_of_range", lambda m, x: x.gather(1, m.tensor([[3]])), RuntimeError,
            "gather\\(\\): " + OUT_OF_BOUNDS.format(3, 1, 3), inputs=_x),
    Mistake("gather_negative", lambda m, x: x.gather(1, m.tensor([[-1]])), RuntimeError,
            "gather\\(\\): " + OUT_OF_BOUNDS.format(-1, 1, 3), inputs=_x),
    Mistake("gather_rank", lambda m, x: x.gather(0, m.tensor([0])), RuntimeError,
            "Index tensor must have the same number of dimensions as input tensor", inputs=_x),
    Mistake("scatter_out_of_range", lambda m, x, i: x.scatter(0, i + 2, 1.0), RuntimeError,
            "scatter\\(\\): " + OUT_OF_BOUNDS.format(3, 0, 2), inputs=_x_and_index),
    Mistake("scatter_src_dtype", lambda m, x, i: x.scatter(0, i, m.ones(1, 3, dtype=m.float64)),
            RuntimeError, "scatter\\(\\): Expected self.dtype to be equal to src.dtype",
            inputs=_x_and_index),
    Mistake("scatter_src_small", lambda m, x, i: x.scatter(0, i, m.ones(1, 2)), RuntimeError,
            "Expected index \\[1, 3\\] to be no larger than self \\[2, 3\\] apart from dimension "
            "0 and to be no larger size than src \\[1, 2\\]", inputs=_x_and_index),
    Mistake("scatter_inplace_out_of_range", lambda m, x, i: x.scatter_(0, i + 2, 1.0),
            RuntimeError, "scatter\\(\\): index 3 is out of bounds", inputs=_x_and_index),
    Mistake("scatter_add_out_of_range",
            lambda m, x, i: x.scatter_add_(0, i - 3, m.ones(1, 3)), RuntimeError,
            "scatter_add\\(\\): " + OUT_OF_BOUNDS.format(-3, 0, 2), inputs=_x_and_index),
    # ---- index_select / index_add / take_along_dim
    Mistake("index_select_list", lambda m, v: v.index_select(0, [0]), TypeError,
            "index_select\\(\\): argument 'index' \\(position 3\\) must be Tensor, not list",
            inputs=_v),
    Mistake("index_select_matrix", lambda m, v: v.index_select(0, m.tensor([[0]])), IndexError,
            "index_select\\(\\): Index is supposed to be a vector", inputs=_v),
    Mistake("index_select_out_of_range", lambda m, v: v.index_select(0, m.tensor([3])),
            IndexError, "index_select\\(\\): " + OUT_OF_BOUNDS.format(3, 0, 3), inputs=_v),
    Mistake("index_add_source_shape", lambda m, x: x.index_add_(0, m.tensor([0]), m.ones(1, 4)),
            RuntimeError, "index_add_\\(\\): source of shape \\[1, 4\\] does not match self of "
            "shape \\[2, 3\\]", inputs=_x),
    Mistake("take_along_dim_shapes",
            lambda m, x: x.take_along_dim(m.zeros(3, 1, dtype=m.int64), 1), RuntimeError,
            "take_along_dim\\(\\): input of shape \\[2, 3\\] and indices of shape \\[3, 1\\] do "
            "not broadcast outside dim 1", inputs=_x),
    Mistake("nonzero_list", lambda m: m.nonzero([1, 0]), TypeError,
            "nonzero\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"),
    Mistake("take_along_dim_rank", lambda m, x: x.take_along_dim(m.tensor([0]), 0),
            RuntimeError, "take_along_dim\\(\\): input and indices should have the same number "
            "of dimensions, but got 2 dimensions for input, and 1 dimensions for indices",
            inputs=_x),
    Mistake("index_int16_tensor", lambda m, x: x[m.tensor([0], dtype=m.int16)], IndexError,
            INDEX_DTYPE, inputs=_x),
    Mistake("setitem_int8_tensor", lambda m, x: x.__setitem__(m.tensor([0], dtype=m.int8), 1.0),
            IndexError, INDEX_DTYPE, inputs=_x),
    Mistake("index_add_source_dtype",
            lambda m, x: x.index_add(0, m.tensor([0]), m.ones(1, 3, dtype=m.float64)),
            RuntimeError, "index_add_\\(\\): self \\(float32\\) and source \\(float64\\) must "
            "have the same scalar type", inputs=_x),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")  # torch reading x["a"]
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
