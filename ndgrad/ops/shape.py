"""Shape ops: broadcasting and its inverse, reshape, permute, squeeze."""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor, _parse_shape
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import normalize_dim
from ndgrad.ops._views import mark_view


class SumTo(ArrayFunction):
    """Sums an array down to a shape it was broadcast from: the inverse of broadcasting."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, size in enumerate(shape) if size == 1 and x.shape[lead + i] != 1)
        result = x.sum(axis=axes, keepdims=True) if axes else x
        return result.reshape(shape) if lead else result

    @staticmethod
    def backward(ctx, grad):
        return broadcast_to(grad, ctx.input_shape), None


class BroadcastTo(ArrayFunction):
    """Broadcasts an array to a larger shape (a read-only view)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to(grad, ctx.input_shape), None


class Reshape(ArrayFunction):
    """Gives an array a new shape with the same number of elements."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.input_shape), None


class Permute(ArrayFunction):
    """Reorders the dimensions of an array."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, tuple(np.argsort(ctx.dims))), None


def sum_to(input: Tensor, shape: tuple) -> Tensor:
    """Sums `input` over the dimensions it was broadcast along, down to `shape`."""
    shape = tuple(shape)
    if input._data.shape == shape:
        return input
    return SumTo.apply(input, shape)


def broadcast_to(input: Tensor, shape) -> Tensor:
    """Broadcasts `input` to `shape` (PyTorch's `broadcast_to`)."""
    shape = _parse_shape((shape,)) if not isinstance(shape, int) else (shape,)
    if input._data.shape == shape:
        return input
    try:
        np.broadcast_shapes(input._data.shape, shape)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor must match the existing size at "
                           f"non-singleton dimensions: cannot expand {list(input.shape)} to "
                           f"{list(shape)}") from None
    return BroadcastTo.apply(input, shape)


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcasts `input` to `sizes`, where -1 keeps a dimension's current size."""
    sizes = _parse_shape(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({input.ndim})")
    shape = tuple(input._data.shape[i - lead] if s == -1 and i >= lead else s
                  for i, s in enumerate(sizes))
    return broadcast_to(input, shape)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """Broadcasts `input` to the shape of `other`."""
    return broadcast_to(input, other._data.shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolves one -1 in `shape` and checks the element count, naming the sizes on error."""
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if unknown and known and numel % known == 0:
        shape = shape[:unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif unknown and not known and numel == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because "
                           "the unspecified dimension size -1 can be any value and is ambiguous")
    if unknown and shape[unknown[0]] == -1 or int(np.prod(shape, dtype=np.int64)) != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape(input: Tensor, *shape) -> Tensor:
    """Returns `input` with a new shape; one size may be -1 and is then inferred."""
    shape = _infer_shape(_parse_shape(shape), input._data.size)
    if input._data.shape == shape:
        return input
    return mark_view(Reshape.apply(input, shape), input, reshape, shape)


def permute(input: Tensor, *dims) -> Tensor:
    """Reorders the dimensions of `input` so that output dim i is input dim `dims[i]`."""
    ndim = input._data.ndim
    dims = tuple(normalize_dim(d, ndim) for d in _parse_shape(dims))
    if sorted(dims) != list(range(ndim)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(dims)}"
                           if len(dims) != ndim else f"permute(): duplicate dims in {list(dims)}")
    if dims == tuple(range(ndim)):
        return input
    return mark_view(Permute.apply(input, dims), input, permute, dims)


def transpose(input: Tensor, *dims) -> Tensor:
    """Swaps two dims (`transpose(0, 1)`); the seed's `transpose((0, 2, 1))` permutes."""
    if len(dims) == 2 and all(isinstance(d, (int, np.integer)) for d in dims):
        ndim = input._data.ndim
        order = list(range(ndim))
        d0, d1 = normalize_dim(dims[0], ndim), normalize_dim(dims[1], ndim)
        order[d0], order[d1] = order[d1], order[d0]
        return permute(input, tuple(order))
    if not dims or dims == (None,):
        return permute(input, tuple(reversed(range(input._data.ndim))))
    return permute(input, *dims)


def t(input: Tensor) -> Tensor:
    """Transposes a tensor of at most 2 dims."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input)


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Removes dims of size 1 (all of them, or those named by `dim`)."""
    shape = input._data.shape
    if dim is None:
        targets = {i for i, s in enumerate(shape) if s == 1}
    else:
        dim = dim if isinstance(dim, (tuple, list)) else (dim,)
        targets = {normalize_dim(d, input.ndim) for d in dim}
        targets = {d for d in targets if input.ndim and shape[d] == 1}
    return reshape(input, tuple(s for i, s in enumerate(shape) if i not in targets))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dim of size 1 at position `dim`."""
    dim = normalize_dim(dim, input.ndim + 1)
    shape = input._data.shape
    return reshape(input, shape[:dim] + (1,) + shape[dim:])


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dims `start_dim`..`end_dim` into one."""
    if input.ndim == 0:
        return reshape(input, (1,))
    start, end = normalize_dim(start_dim, input.ndim), normalize_dim(end_dim, input.ndim)
    shape = input._data.shape
    return reshape(input, shape[:start] + (-1,) + shape[end + 1:])
