"""Indexing ops: NumPy-style __getitem__ and gathering values along a dim."""
from __future__ import annotations

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import normalize_dim
from ndgrad.ops._views import mark_view

_BASIC = (int, np.integer, slice, type(None), type(Ellipsis))


class GetItem(ArrayFunction):
    """x[key] with NumPy's basic and advanced indexing."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        ctx.input_shape = x.shape
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        return IndexAccumulate.apply(grad, ctx.key, ctx.input_shape), None


class IndexAccumulate(ArrayFunction):
    """Zeros of `shape` with `values` added at `key` (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, values, key, shape):
        ctx.key = key
        result = np.zeros(shape, dtype=values.dtype)
        if all(isinstance(k, _BASIC) for k in key):
            result[key] = values  # basic indexing never repeats an element
        else:
            _backend.add_at(result, key, values)
        return result

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.key), None, None


class Gather(ArrayFunction):
    """Picks x's elements along `dim` at `index` (PyTorch's take_along_dim)."""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.index, ctx.dim, ctx.input_shape = index, dim, x.shape
        return np.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return ScatterAdd.apply(grad, ctx.index, ctx.dim, ctx.input_shape), None, None


class ScatterAdd(ArrayFunction):
    """Zeros of `shape` with `values` added along `dim` at `index`."""

    @staticmethod
    def forward(ctx, values, index, dim, shape):
        ctx.index, ctx.dim = index, dim
        result = np.zeros(shape, dtype=values.dtype)
        _backend.add_at(result, _full_index(index, dim), values)
        return result

    @staticmethod
    def backward(ctx, grad):
        return Gather.apply(grad, ctx.index, ctx.dim), None, None, None


def _full_index(index, dim: int) -> tuple:
    """The tuple of index arrays that addresses `index` along `dim` and every other dim as is."""
    grids = list(np.ogrid[tuple(slice(s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


def _index_part(item):
    """Converts one part of an index (Tensor, list, number, slice) to what NumPy takes."""
    if isinstance(item, Tensor):
        return item._data
    if isinstance(item, list):
        converted = np.asarray([_index_part(i) for i in item])
        return converted
    return item


def normalize_key(key) -> tuple:
    """An index as a tuple NumPy takes: Tensors and lists become arrays, checked for dtype."""
    parts = key if isinstance(key, tuple) else (key,)
    parts = tuple(_index_part(p) for p in parts)
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors, "
                             f"got {part.dtype}")
    if not any(p is Ellipsis for p in parts):
        parts += (Ellipsis,)  # makes NumPy return a 0-d view, not a scalar, for x[i, j]
    return parts


def getitem(input: Tensor, key) -> Tensor:
    """input[key]: ints, slices, None, Ellipsis, bool masks and integer arrays, mixed."""
    parts = normalize_key(key)
    try:
        return mark_view(GetItem.apply(input, parts), input, getitem, parts)
    except IndexError as error:
        raise IndexError(f"{error} (indexing a tensor of shape {list(input.shape)})") from None


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Picks values of `input` at `indices` along `dim` (flattened when dim is None)."""
    if dim is None:
        return Gather.apply(input.reshape(-1), indices._data.reshape(-1), 0)
    dim = normalize_dim(dim, input.ndim)
    return Gather.apply(input, indices._data, dim)
