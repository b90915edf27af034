"""Pooling over sliding windows: max, average and power-average pooling, and max unpooling."""
from __future__ import annotations

import math

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.ops import elementwise as ew
from ndgrad.ops._common import constant
from ndgrad.ops.conv import Conv, Geometry, check_floating, check_positive, expand_param, windows
from ndgrad.ops.indexing import scatter
from ndgrad.ops.pooling._common import _batched, _flat_positions, _gather_planes
from ndgrad.ops.pooling.tiles import TileMax


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


def _tiles(geometry: Geometry) -> bool:
    """True for windows that tile the input: stride = kernel, no padding or dilation."""
    return (geometry.stride == geometry.kernel_size
            and not any(before or after for before, after in geometry.padding)
            and all(d == 1 for d in geometry.dilation)
            and all(o * k <= i for o, k, i in zip(geometry.output_size, geometry.kernel_size,
                                                  geometry.input_size)))


def _tile_positions(offset, geometry: Geometry, xp):
    """Flat positions in the input of the entries at `offset` within each tile."""
    output, kernel = tuple(geometry.output_size), tuple(geometry.kernel_size)
    n = len(kernel)
    offsets = xp.unravel_index(offset.astype(np.int64), kernel)
    coords = [(xp.arange(o) * k).reshape((o,) + (1,) * (n - 1 - i)) + within
              for i, (o, k, within) in enumerate(zip(output, kernel, offsets))]
    return _flat_positions(coords, tuple(geometry.input_size))


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n, name):
    x, batched = _batched(input, n, name)
    geometry = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, n, name)
    data = x._data
    xp = _backend.array_module(data)
    # NaN makes PyTorch pick the last NaN, which only the general scan reproduces.
    if _tiles(geometry) and not (data.dtype.kind == "f" and xp.isnan(data).any()):
        values, offset = TileMax.apply(x, geometry=geometry)
        if not return_indices:
            return values if batched else values.squeeze(0)
        index = _tile_positions(offset._data, geometry, xp)
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


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Maximum over sliding windows of (N, C, D, H, W); indices are flat positions in
    D * H * W."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     3, "max_pool3d")


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
    sums = Conv.apply(planes, ones, None, geometry=geometry)
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


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows of (N, C, D, H, W); divisor_override replaces the window
    size."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


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


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over each window of x^p)^(1/p), over (N, C, D, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d")


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
    flat = index._data.reshape(-1)
    invalid = (flat < 0) | (flat >= plane)
    if bool(invalid.any()):  # checked here, as scatter would wrap negative indices
        bad = int(flat[int(invalid.argmax())])
        raise RuntimeError(f"{name}: Found an invalid max index: {bad} (output volumes are of "
                           f"size {_sizes(sizes)})")
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


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Places each value at its index from max_pool3d; every other position is zero."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3,
                       "max_unpool3d")
