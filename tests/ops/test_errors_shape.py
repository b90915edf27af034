"""Shape ops (view/reshape, permute, cat/stack, split, expand, repeat) given sizes that do not
fit, or what is not a tensor, raise PyTorch's exception naming the sizes; nothing changes."""
from __future__ import annotations

import pytest

from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import DIM_RANGE, Mistake


def _x(m):
    return (m.arange(6.0).reshape(2, 3),)


def _pair(m):
    return (m.ones(2, 3), m.ones(2, 4))


MISTAKES = [
    # ---- view / reshape
    Mistake("view_incompatible", lambda m, x: x.view(4), RuntimeError,
            "shape '\\[4\\]' is invalid for input of size 6", inputs=_x),
    Mistake("view_negative", lambda m, x: x.view(-2, 3), RuntimeError,
            "invalid shape dimension -2 at index 0 of shape \\[-2, 3\\]", inputs=_x),
    Mistake("reshape_negative", lambda m, x: x.reshape(3, -3), RuntimeError,
            "invalid shape dimension -3 at index 1 of shape \\[3, -3\\]", inputs=_x),
    Mistake("view_non_contiguous", lambda m, x: x.t().view(6), RuntimeError,
            "view size is not compatible with input tensor's size and stride", inputs=_x),
    Mistake("reshape_str", lambda m, x: x.reshape("a"), TypeError,
            "size must be a sequence of ints, but got str", inputs=_x),
    Mistake("reshape_list", lambda m: m.reshape([1.0, 2.0], (2,)), TypeError,
            "reshape\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"),
    # ---- permute / transpose
    Mistake("permute_short", lambda m, x: x.permute(0), RuntimeError,
            "number of dimensions in the tensor input does not match the length of the desired "
            "ordering of dimensions", inputs=_x),
    Mistake("permute_repeated", lambda m, x: x.permute(1, 1), RuntimeError,
            "permute\\(\\): duplicate dims are not allowed", inputs=_x),
    Mistake("unsqueeze_float_dim", lambda m, x: x.unsqueeze(1.0), TypeError,
            "dim must be an int or a tuple of ints, but got float", inputs=_x),
    Mistake("transpose_list", lambda m: m.transpose([[1.0]], 0, 1), TypeError,
            "transpose\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"),
    Mistake("view_as_list", lambda m, x: x.view_as([1, 2]), TypeError,
            "view_as\\(\\): argument 'other' \\(position 1\\) must be Tensor, not list", inputs=_x),
    Mistake("expand_as_list", lambda m, x: x.expand_as([1, 2]), TypeError,
            "expand_as\\(\\): argument 'other' .* must be Tensor, not list", inputs=_x),
    Mistake("select_float_index", lambda m, x: x.select(1, 1.5), TypeError,
            "select\\(\\): argument 'index' \\(position 2\\) must be int, not float", inputs=_x),
    Mistake("chunk_str", lambda m, x: x.chunk("2"), TypeError,
            "chunk\\(\\): argument 'chunks' \\(position 1\\) must be int, not str", inputs=_x),
    Mistake("split_float_sizes", lambda m, x: x.split([1.0, 2.0], 1), TypeError,
            "split_with_sizes\\(\\): argument 'split_sizes' .* must be int, not float", inputs=_x),
    Mistake("tril_float_diagonal", lambda m, x: x.tril(0.5), TypeError,
            "tril\\(\\): argument 'diagonal' \\(position 1\\) must be int, not float", inputs=_x),
    Mistake("diagonal_float_offset", lambda m, x: x.diagonal(0.5), TypeError,
            "diagonal\\(\\): argument 'offset' \\(position 1\\) must be int, not float",
            inputs=_x),
    # ---- cat / stack
    Mistake("cat_tensor", lambda m, x: m.cat(x), TypeError,
            "cat\\(\\): argument 'tensors' \\(position 1\\) must be tuple of Tensors, not Tensor",
            inputs=_x),
    Mistake("cat_lists", lambda m: m.cat([[1.0], [2.0]]), TypeError,
            "expected Tensor as element 0 in argument 'tensors', but got list"),
    Mistake("cat_empty", lambda m: m.cat([]), ValueError,
            "cat\\(\\): expected a non-empty list of Tensors"),
    Mistake("cat_sizes", lambda m, a, b: m.cat([a, b]), RuntimeError,
            "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 "
            "for tensor number 1 in the list", inputs=_pair),
    Mistake("cat_ranks", lambda m, x: m.cat([x, m.ones(3)]), RuntimeError,
            "Tensors must have same number of dimensions: got 2 and 1", inputs=_x),
    Mistake("cat_scalars", lambda m: m.cat([m.tensor(1.0), m.tensor(2.0)]), RuntimeError,
            "zero-dimensional tensor \\(at position 0\\) cannot be concatenated"),
    Mistake("stack_tensor", lambda m, x: m.stack(x), TypeError,
            "stack\\(\\): argument 'tensors' \\(position 1\\) must be tuple of Tensors", inputs=_x),
    Mistake("stack_sizes", lambda m, a, b: m.stack([a, b]), RuntimeError,
            "stack expects each tensor to be equal size, but got \\[2, 3\\] at entry 0 and "
            "\\[2, 4\\] at entry 1", inputs=_pair),
    Mistake("stack_dim", lambda m, x: m.stack([x, x], 3), IndexError,
            DIM_RANGE.format(-3, 2, 3), inputs=_x),
    # ---- split / chunk
    Mistake("split_sizes_sum", lambda m, x: x.split([1, 1], 1), RuntimeError,
            "split_with_sizes expects split_sizes to sum exactly to 3 \\(input tensor's size at "
            "dimension 1\\), but got split_sizes=\\[1, 1\\]", inputs=_x),
    Mistake("split_negative", lambda m, x: x.split(-1), RuntimeError,
            "split expects split_size be non-negative, but got split_size=-1", inputs=_x),
    Mistake("split_negative_section", lambda m, x: x.split([4, -1], 1), RuntimeError,
            "split_with_sizes expects split_sizes have only non-negative entries, but got "
            "split_sizes=\\[4, -1\\]", inputs=_x),
    Mistake("chunk_zero", lambda m, x: x.chunk(0), RuntimeError,
            "chunk expects `chunks` to be greater than 0, got: 0", inputs=_x),
    # ---- expand / repeat
    Mistake("expand_size", lambda m, x: x.expand(4, 3), RuntimeError,
            "The expanded size of the tensor \\(4\\) must match the existing size \\(2\\) at "
            "non-singleton dimension 0.  Target sizes: \\[4, 3\\].  Tensor sizes: \\[2, 3\\]",
            inputs=_x),
    Mistake("expand_fewer_dims", lambda m, x: x.expand(3), RuntimeError,
            "the number of sizes provided \\(1\\) must be greater or equal to the number of "
            "dimensions in the tensor \\(2\\)", inputs=_x),
    Mistake("broadcast_to_size", lambda m, x: m.broadcast_to(x, (2, 4)), RuntimeError,
            "The expanded size of the tensor \\(4\\) must match the existing size \\(3\\) at "
            "non-singleton dimension 1", inputs=_x),
    Mistake("repeat_negative", lambda m, x: x.repeat(1, -1), RuntimeError,
            "Trying to create tensor with negative dimension: repeat sizes \\[1, -1\\] for a "
            "tensor of shape \\[2, 3\\]", inputs=_x),
    Mistake("tile_negative", lambda m, x: x.tile((-2,)), RuntimeError,
            "negative dimension: repeat sizes \\[1, -2\\]", inputs=_x),
    # ---- a method called without its sizes or dims
    Mistake("view_without_sizes", lambda m, x: x.view(), TypeError,
            'view\\(\\) missing 1 required positional arguments: "shape"', inputs=_x),
    Mistake("reshape_without_sizes", lambda m, x: x.reshape(), TypeError,
            'reshape\\(\\) missing 1 required positional arguments: "shape"', inputs=_x),
    Mistake("expand_without_sizes", lambda m, x: x.expand(), TypeError,
            'expand\\(\\) missing 1 required positional arguments: "size"', inputs=_x),
    Mistake("permute_without_sizes", lambda m, x: x.permute(), TypeError,
            'permute\\(\\) missing 1 required positional arguments: "dims"', inputs=_x),
    Mistake("repeat_without_sizes", lambda m, x: x.repeat(), TypeError,
            'repeat\\(\\) missing 1 required positional arguments: "repeats"', inputs=_x),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
