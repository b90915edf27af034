"""Adaptive pooling: averages and maxima over a grid of windows that covers the input."""
from __future__ import annotations

import numbers

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.ops._common import constant
from ndgrad.ops.conv import check_floating
from ndgrad.ops.pooling._common import _along, _batched, _flat_positions, _gather_planes


def _adaptive_output(x: Tensor, output_size, n: int, name: str) -> tuple:
    if isinstance(output_size, (numbers.Integral, type(None))):
        output_size = (output_size,) * n
    output_size = tuple(output_size)
    if len(output_size) != n:
        raise RuntimeError(f"{name}: output_size must be {n} integers, got {output_size}")
    sizes = tuple(x.shape[2 + i] if o is None else int(o) for i, o in enumerate(output_size))
    if any(o < 0 for o in sizes) or any(s == 0 for s in x.shape[2:]):
        raise RuntimeError(f"{name}: expected a non-empty input and non-negative output_size, "
                           f"got input of size {list(x.shape)} and output_size {list(sizes)}")
    return sizes


def _adaptive_bounds(size: int, out: int) -> tuple:
    """PyTorch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    i = np.arange(out)
    return (i * size) // out, ((i + 1) * size + out - 1) // out


def _adaptive_avg(input, output_size, n, name):
    x, batched = _batched(input, n, name)
    check_floating(name, input=input)
    sizes = _adaptive_output(x, output_size, n, name)
    dims = tuple(range(2, 2 + n))
    if all(o == 1 for o in sizes):
        result = x.mean(dims, keepdim=True)
    else:
        # Adaptive windows are rectangles: average along one dim at a time.
        result = x
        for i, (size, out) in enumerate(zip(x.shape[2:], sizes)):
            start, end = _adaptive_bounds(size, out)
            offsets = np.arange(int((end - start).max()))
            columns = np.minimum(start[:, None] + offsets, size - 1)
            valid = offsets < (end - start)[:, None]
            weights = np.broadcast_to(1 / (end - start)[:, None], columns.shape)
            result = _along(result, 2 + i, columns, weights, valid)
    return result if batched else result.squeeze(0)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Mean over output_size windows of (N, C, L) that cover it (PyTorch's adaptive bounds)."""
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over an output_size grid of windows covering (N, C, H, W); None keeps a size."""
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Mean over an output_size grid of windows covering (N, C, D, H, W); None keeps a size."""
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_max(input, output_size, return_indices, n, name):
    x, batched = _batched(input, n, name)
    sizes = _adaptive_output(x, output_size, n, name)
    data = x._data
    xp = _backend.array_module(data)
    starts, keys = [], [slice(None), slice(None)]
    for i, (size, out) in enumerate(zip(x.shape[2:], sizes)):
        start, end = _adaptive_bounds(size, out)
        width = int((end - start).max()) if out else 0
        # Windows of unequal width are padded by repeating their last element: harmless for
        # a maximum, and it comes after the original, so ties still go to the first.
        positions = np.minimum(start[:, None] + np.arange(width), end[:, None] - 1)
        shape = [1] * (2 * n)
        shape[2 * i], shape[2 * i + 1] = out, width
        keys.append(xp.asarray(positions.reshape(shape)))
        starts.append(xp.asarray(start.reshape((out,) + (1,) * (n - 1 - i))))
    picked = data[tuple(keys)]  # (N, C, o1, k1, o2, k2, ...)
    order = (0, 1) + tuple(range(2, 2 + 2 * n, 2)) + tuple(range(3, 3 + 2 * n, 2))
    picked = picked.transpose(order)
    widths = picked.shape[2 + n:]
    best = picked.reshape(picked.shape[:2 + n] + (-1,)).argmax(axis=-1)
    offsets = xp.unravel_index(best, widths)
    coords = [start + offset for start, offset in zip(starts, offsets)]
    index = _flat_positions(coords, tuple(x.shape[2:])).astype(np.int64)
    values = _gather_planes(x, index)
    indices = constant(index)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over output_size windows covering (N, C, L)."""
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over an output_size grid of windows covering (N, C, H, W)."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over an output_size grid of windows covering (N, C, D, H, W); indices are flat
    positions in D * H * W."""
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")
