"""Pooling, unpooling, interpolation and pixel shuffling over (N, C, *spatial) tensors.

No op here needs a Function of its own: windows are strided views (see Note [im2col through
strided views] in conv.py) used only to find where each maximum is; the values are then
gathered with differentiable indexing ops, averages are convolutions with a constant kernel,
and adaptive averages and interpolation are products with small constant matrices or
gathers, so every gradient (and its gradient) comes from ops that already have one.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.ops import elementwise as ew
from ndgrad.ops._common import constant
from ndgrad.ops.conv import (Conv, Geometry, check_floating, check_positive, check_rank,
                             expand_param, windows)
from ndgrad.ops.indexing import GetItem, scatter
from ndgrad.ops.linalg import matmul

_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _batched(input: Tensor, n: int, name: str) -> tuple[Tensor, bool]:
    """input as (N, C, *spatial), and whether it already was (rather than unbatched)."""
    batched = check_rank(input, n, name)
    return (input if batched else input.unsqueeze(0)), batched


def _sizes(values) -> str:
    return "x".join(str(v) for v in values)


def _pool_geometry(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool,
                   n: int, name: str) -> Geometry:
    """Output size and padding of a pooling; ceil_mode pads the end so the last window fits."""
    kernel = expand_param(kernel_size, n, "kernel_size")
    stride = kernel if stride is None or stride == [] else expand_param(stride, n, "stride")
    padding = expand_param(padding, n, "padding")
    dilation = expand_param(dilation, n, "dilation")
    check_positive(name, kernel_size=kernel, stride=stride, dilation=dilation)
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < 0 or p > r // 2 for p, r in zip(padding, reach)):
        raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but "
                           f"got pad={list(padding)}, kernel_size={list(kernel)} and dilation="
                           f"{list(dilation)}")
    spatial = tuple(input.shape[2:])
    output = []
    for size, r, s, p in zip(spatial, reach, stride, padding):
        out = (size + 2 * p - r + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1  # the last window would start in the right padding
        output.append(out)
    if any(o <= 0 for o in output):
        raise RuntimeError(f"{name}: Given input size: ({_sizes(input.shape[1:])}). Calculated "
                           f"output size: ({_sizes([input.shape[1], *output])}). Output size is "
                           f"too small")
    pairs = tuple((p, max(p, (o - 1) * s + r - size - p))
                  for size, o, s, r, p in zip(spatial, output, stride, reach, padding))
    return Geometry(spatial, tuple(output), kernel, stride, pairs, dilation)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _gather_planes(x: Tensor, index) -> Tensor:
    """x (N, C, *S) at flat positions `index` (N, C, *P) of each plane S: differentiable."""
    xp = _backend.array_module(index)
    planes = xp.arange(index.shape[0] * index.shape[1])
    planes = planes.reshape(index.shape[:2] + (1,) * (index.ndim - 2))
    return _gather_flat(x, index + planes * math.prod(x.shape[2:]))


def _gather_flat(x: Tensor, index) -> Tensor:
    """x.reshape(-1)[index], in index's shape.

    One gather from a 1-D array with a 1-D index: its gradient then scatters with a 1-D
    np.add.at, about 8x faster than np.add.at over several index arrays or over a slice and
    an index array (measured: 0.8 ms against 6-8 ms for 900k elements)."""
    return GetItem.apply(x.reshape(-1), (index.reshape(-1),)).reshape(index.shape)


def _flat_positions(coords: list, spatial: tuple):
    """Row-major flat positions in `spatial` of per-dim (broadcastable) coordinates."""
    index = 0
    for coord, size in zip(coords, spatial):
        index = index * size + coord
    return index


def _window_argmax(view, geometry: Geometry, xp):
    """For each window of the view (N, C, *P, *K), the flat position in the unpadded input of
    its maximum, as PyTorch picks it: the first maximum in window order, or the last NaN.

    Loops over kernel offsets only; padded positions never win, even against -inf."""
    n = len(geometry.kernel_size)
    best = index = found = None
    for offset in np.ndindex(*geometry.kernel_size):
        coords = [(xp.arange(o) * s - p + k * d).reshape((o,) + (1,) * (n - 1 - i))
                  for i, (o, s, (p, _), k, d) in enumerate(zip(
                      geometry.output_size, geometry.stride, geometry.padding, offset,
                      geometry.dilation))]
        valid = True
        for c, size in zip(coords, geometry.input_size):
            valid = valid & (c >= 0) & (c < size)
        position = _flat_positions(coords, geometry.input_size)
        values = view[(Ellipsis,) + offset]
        if best is None:
            best = values.copy()
            index = xp.broadcast_to(position, values.shape).astype(np.int64)
            found = valid
            continue
        better = (values > best) | xp.isnan(values)
        if not bool(xp.all(found)) or not bool(xp.all(valid)):
            better = (better | ~found) & valid
            found = found | valid
        index = xp.where(better, position, index)
        best = xp.where(better, values, best)
    return index


def _tiles_plane(geometry: Geometry) -> bool:
    """True for 2-D windows that tile the input: stride = kernel, no padding or dilation."""
    return (len(geometry.kernel_size) == 2 and geometry.stride == geometry.kernel_size
            and not any(before or after for before, after in geometry.padding)
            and all(d == 1 for d in geometry.dilation)
            and all(o * k <= i for o, k, i in zip(geometry.output_size, geometry.kernel_size,
                                                  geometry.input_size)))


def _tile_argmax(data, geometry: Geometry, xp):
    """_window_argmax for tiling 2-D windows (the common 2x2 pooling), on reshaped tiles; the
    first maximum wins, as PyTorch picks it."""
    (rows, cols), (kh, kw) = geometry.output_size, geometry.kernel_size
    width = geometry.input_size[1]
    tiles = data[..., :rows * kh, :cols * kw].reshape(data.shape[:2] + (rows, kh, cols, kw))
    # The window axis first, then the maximum, then the offset of its first occurrence: the
    # count of leading offsets that all miss it. Boolean passes over contiguous tiles are ~40x
    # faster than np.argmax over a short window axis.
    tiles = tiles.transpose(3, 5, 0, 1, 2, 4).reshape((kh * kw,) + data.shape[:2] + (rows, cols))
    best = tiles.max(axis=0)
    missed = tiles[0] != best
    offset = missed.astype(np.int64)
    for k in range(1, kh * kw - 1):
        missed &= tiles[k] != best
        offset += missed
    row = xp.arange(rows).reshape(rows, 1) * kh + offset // kw
    return row * width + xp.arange(cols) * kw + offset % kw


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n, name):
    x, batched = _batched(input, n, name)
    geometry = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, n, name)
    data = x._data
    xp = _backend.array_module(data)
    # NaN makes PyTorch pick the last NaN, which only the general scan reproduces.
    if _tiles_plane(geometry) and not (data.dtype.kind == "f" and xp.isnan(data).any()):
        index = _tile_argmax(data, geometry, xp)
    else:
        view = windows(data, geometry, _lowest(data.dtype))  # (N, C, *P, *K)
        index = _window_argmax(view, geometry, xp)
    values = _gather_planes(x, index)
    indices = constant(index)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Maximum over sliding windows of (N, C, L); indices are positions in L."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     1, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Maximum over sliding windows of (N, C, H, W); indices are flat positions in H * W.

    Padding never wins: padded positions hold -inf. Ties go to the first maximum in the
    window, as in PyTorch."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d")


def _avg_divisor(geometry: Geometry, count_include_pad: bool, dtype):
    """Per output position, how many elements its window averages over."""
    divisor = np.ones((), dtype=dtype)
    for size, out, k, s, (p, _) in zip(geometry.input_size, geometry.output_size,
                                       geometry.kernel_size, geometry.stride, geometry.padding):
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        divisor = np.multiply.outer(divisor, (end - start).astype(dtype))
    return divisor


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, n, name):
    x, batched = _batched(input, n, name)
    check_floating(name, input=input)
    geometry = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode, n, name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{name}: divisor must be not zero")
    # A convolution with a ones kernel on (N * C, 1, *S) sums every window in one product.
    dtype = x._data.dtype
    xp = _backend.array_module(x._data)
    planes = x.reshape((-1, 1) + tuple(x.shape[2:]))
    ones = constant(xp.ones((1, 1) + tuple(geometry.kernel_size), dtype=dtype))
    sums = Conv.apply(planes, ones, geometry=geometry)
    sums = sums.reshape(tuple(x.shape[:2]) + tuple(geometry.output_size))
    if divisor_override is not None:
        result = sums * (1.0 / divisor_override)
    else:
        divisor = _avg_divisor(geometry, count_include_pad, dtype)
        result = sums * constant(xp.asarray(1 / divisor, dtype=dtype))
    return result if batched else result.squeeze(0)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                     1, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows of (N, C, H, W); divisor_override replaces the window size."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def _adaptive_output(x: Tensor, output_size, n: int, name: str) -> tuple:
    if isinstance(output_size, (numbers.Integral, type(None))):
        output_size = (output_size,) * n
    output_size = tuple(output_size)
    if len(output_size) != n:
        raise ValueError(f"{name}: output_size must be {n} integers, got {output_size}")
    sizes = tuple(x.shape[2 + i] if o is None else int(o) for i, o in enumerate(output_size))
    if any(o < 0 for o in sizes) or any(s == 0 for s in x.shape[2:]):
        raise RuntimeError(f"{name}: expected a non-empty input and non-negative output_size, "
                           f"got input of size {list(x.shape)} and output_size {list(sizes)}")
    return sizes


def _along(x: Tensor, dim: int, columns, weights, valid) -> Tensor:
    """x with each line along `dim` replaced by out weighted sums: output o is the sum over j
    of weights[o, j] * line[columns[o, j]] where valid[o, j] (all three (out, width)).

    Window averages and linear interpolation are such sums, computed as one product with an
    (out, in) matrix. Against gathering the neighbours of each output (a 1-D np.add.at in
    backward), BLAS is 10x faster for bilinear x2 of (64, 6, 24, 24) forward and backward
    (measured 2 ms against 21 ms); the matrix costs `in` multiply-adds per output, so this
    holds while lines stay short (up to a few hundred)."""
    xp = _backend.array_module(x._data)
    if not bool(xp.isfinite(x._data).all()):
        return _along_band(x, dim, columns, weights, valid)
    rows = np.broadcast_to(np.arange(columns.shape[0])[:, None], columns.shape)
    matrix = np.zeros((x.shape[dim], columns.shape[0]), dtype=x._data.dtype)
    np.add.at(matrix, (columns[valid], rows[valid]), weights[valid])
    if dim == x.ndim - 1:
        return matmul(x, constant(xp.asarray(matrix)))
    return matmul(x.movedim(dim, -1), constant(xp.asarray(matrix))).movedim(-1, dim)


def _along_band(x: Tensor, dim: int, columns, weights, valid) -> Tensor:
    """_along for inputs with inf or nan, where the matrix's 0 * inf = nan would spread along
    the whole line: gathers and sums each output's own terms only, as PyTorch's kernels do.
    Loops over the band width only."""
    xp = _backend.array_module(x._data)
    shape = (columns.shape[0],) + (1,) * (x.ndim - 1 - dim)
    result = None
    for j in range(columns.shape[1]):
        weight = constant(xp.asarray(weights[:, j].reshape(shape).astype(x._data.dtype)))
        term = _take(x, dim, columns[:, j]) * weight
        if not valid[:, j].all():
            term = ew.where(constant(xp.asarray(valid[:, j].reshape(shape))), term, 0.0)
        result = term if result is None else result + term
    return result


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


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, n, name):
    kernel = expand_param(kernel_size, n, "kernel_size")
    if norm_type == math.inf:
        return _max_pool(input.abs(), kernel, stride, 0, 1, ceil_mode, False, n, name)
    if norm_type == -math.inf:
        return -_max_pool(-input.abs(), kernel, stride, 0, 1, ceil_mode, False, n, name)
    pooled = _avg_pool(input.pow(norm_type), kernel, stride, 0, ceil_mode, True, None, n, name)
    # PyTorch's formula: (sign * relu(|.|)) keeps a zero sum's gradient at zero.
    return (ew.sign(pooled) * ew.relu(ew.abs(pooled))).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over each window of x^p)^(1/p), over (N, C, L)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over each window of x^p)^(1/p), over (N, C, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, n, name):
    x, batched = _batched(input, n, name)
    index = indices if batched else indices.unsqueeze(0)
    if tuple(index.shape) != tuple(x.shape):
        raise RuntimeError(f"{name}: expected indices to have the shape of the input "
                           f"{list(input.shape)}, but got {list(indices.shape)}")
    kernel = expand_param(kernel_size, n, "kernel_size")
    stride = kernel if stride is None else expand_param(stride, n, "stride")
    padding = expand_param(padding, n, "padding")
    default = [(s - 1) * st + k - 2 * p
               for s, st, k, p in zip(x.shape[2:], stride, kernel, padding)]
    if output_size is None:
        sizes = default
    else:
        sizes = [int(s) for s in output_size][-n:] if len(output_size) == n + 2 else \
            [int(s) for s in output_size]
        if len(sizes) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d, (size, base, st) in enumerate(zip(sizes, default, stride)):
            if not base - st < size < base + st:
                raise ValueError(f'invalid output_size "{list(output_size)}" (dim {d} must be '
                                 f"between {base - st} and {base + st})")
    plane = math.prod(sizes)
    xp = _backend.array_module(x._data)
    zeros = constant(xp.zeros(tuple(x.shape[:2]) + (plane,), dtype=x._data.dtype))
    result = scatter(zeros, 2, index.flatten(2), x.flatten(2))
    result = result.reshape(tuple(x.shape[:2]) + tuple(sizes))
    return result if batched else result.squeeze(0)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Places each value at its index from max_pool1d; every other position is zero."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                       "max_unpool1d")


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Places each value at its index from max_pool2d; every other position is zero."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                       "max_unpool2d")


# ---------------------------------------------------------------- interpolation


def _interpolation_sizes(x: Tensor, size, scale_factor, recompute: bool, n: int) -> tuple:
    """Output sizes and the scale factors PyTorch's kernels use (None: in / out)."""
    spatial = tuple(x.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * n
        if len(sizes) != n:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(spatial)} and output size of {size}.")
        return tuple(int(s) for s in sizes), (None,) * n
    scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
        (scale_factor,) * n
    if len(scales) != n:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of "
                         f"{list(spatial)} and scale_factor of shape {scale_factor}.")
    sizes = tuple(math.floor(s * float(f)) for s, f in zip(spatial, scales))
    return sizes, ((None,) * n if recompute else tuple(float(f) for f in scales))


def _source_scale(size: int, out: int, scale, align_corners: bool, dtype):
    """PyTorch's area_pixel_compute_scale: how far apart output pixels sample the input."""
    if align_corners:
        return dtype.type(size - 1) / dtype.type(out - 1) if out > 1 else dtype.type(0)
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(size) / dtype.type(out)


def _take(x: Tensor, dim: int, index) -> Tensor:
    """x's slices along `dim` at `index`, as one 1-D gather (see _gather_flat)."""
    xp = _backend.array_module(x._data)
    size, after = x.shape[dim], math.prod(x.shape[dim + 1:])
    before = xp.arange(math.prod(x.shape[:dim])).reshape(-1, 1, 1) * size
    flat = (before + xp.asarray(index).reshape(1, -1, 1)) * after + xp.arange(after)
    return _gather_flat(x, flat.reshape(tuple(x.shape[:dim]) + (len(index),)
                                        + tuple(x.shape[dim + 1:])))


def _nearest(x: Tensor, dim: int, out: int, scale, exact: bool) -> Tensor:
    size = x.shape[dim]
    xp = _backend.array_module(x._data)
    if out == size and not exact:
        return x
    # PyTorch computes nearest source indices in float32.
    step = _source_scale(size, out, scale, False, np.dtype(np.float32))
    positions = np.arange(out, dtype=np.float32) + (np.float32(0.5) if exact else 0)
    index = np.minimum(np.floor(positions * step).astype(np.int64), size - 1)
    return _take(x, dim, xp.asarray(index))


def _linear(x: Tensor, dim: int, out: int, scale, align_corners: bool) -> Tensor:
    size = x.shape[dim]
    dtype = x._data.dtype
    step = _source_scale(size, out, scale, align_corners, dtype)
    positions = np.arange(out, dtype=dtype)
    source = positions * step if align_corners else \
        np.maximum(step * (positions + dtype.type(0.5)) - dtype.type(0.5), 0)
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    high = np.minimum(low + 1, size - 1)
    weight = np.clip(source - low.astype(dtype), 0, 1)
    # Both neighbours count even at weight 0, as in PyTorch (0 * inf is nan there too).
    columns, weights = np.stack([low, high], axis=1), np.stack([1 - weight, weight], axis=1)
    return _along(x, dim, columns, weights, np.ones(columns.shape, dtype=bool))


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resizes (N, C, *spatial) to `size` or by `scale_factor`.

    Modes: nearest, nearest-exact, linear (3-D input), bilinear (4-D), trilinear (5-D) and
    area (adaptive average pooling), with PyTorch's source-index arithmetic."""
    n = input.ndim - 2
    if n not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: nearest | linear | "
                                  f"bilinear | trilinear | area | nearest-exact (got {mode})")
    if mode not in ("nearest", "nearest-exact", "area") and mode not in _LINEAR_MODES:
        raise NotImplementedError(f"interpolate: mode '{mode}' is not supported; supported "
                                  f"modes are nearest, nearest-exact, linear, bilinear, "
                                  f"trilinear and area")
    if align_corners is not None and mode not in _LINEAR_MODES:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != n:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR_MODES[mode] + 2}D input")
    if antialias:
        raise NotImplementedError("interpolate: antialias is not supported")
    recompute = bool(recompute_scale_factor) or (mode == "area" and size is None)
    sizes, scales = _interpolation_sizes(input, size, scale_factor, recompute, n)
    if any(s <= 0 for s in sizes):
        raise RuntimeError(f"interpolate: Input and output sizes should be greater than 0, but "
                           f"got input {list(input.shape[2:])} and output {list(sizes)}")
    if mode == "area":
        return _adaptive_avg(input, sizes, n, "interpolate")
    check_floating("interpolate", input=input)
    result = input
    for i, (out, scale) in enumerate(zip(sizes, scales)):
        if mode in _LINEAR_MODES:
            result = _linear(result, 2 + i, out, scale, bool(align_corners))
        else:
            result = _nearest(result, 2 + i, out, scale, mode == "nearest-exact")
    return result


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r), r the upscale factor."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    *lead, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{channels} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(*lead, channels // (r * r), r, r, height, width)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W): the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    *lead, channels, height, width = input.shape
    for name, size, dim in (("height", height, -2), ("width", width, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({dim})={size} is not "
                               f"divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, channels, height // r, r, width // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, channels * r * r, height // r, width // r)
