"""Resizing: interpolation (nearest, linear, bicubic, area) and pixel (un)shuffling."""
from __future__ import annotations

import math

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.ops._common import tensor_arg
from ndgrad.ops.conv import check_floating
from ndgrad.ops.pooling._common import _along, _take
from ndgrad.ops.pooling.adaptive import _adaptive_avg

_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}
# Modes that take align_corners, with the number of spatial dims each needs.
_INTERPOLATING_MODES = {**_LINEAR_MODES, "bicubic": 2}
# PyTorch's (and OpenCV's) cubic convolution coefficient.
_CUBIC_A = -0.75


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


def _cubic_near(x, a):
    """Keys' cubic convolution kernel on |x| <= 1."""
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic_far(x, a):
    """Keys' cubic convolution kernel on 1 < |x| < 2."""
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _cubic(x: Tensor, dim: int, out: int, scale, align_corners: bool) -> Tensor:
    """PyTorch's upsample_bicubic2d along one dim: four taps around each source position,
    clamped to the edge, weighted by cubic convolution with A = -0.75."""
    size = x.shape[dim]
    dtype = x._data.dtype
    a, one = dtype.type(_CUBIC_A), dtype.type(1)
    step = _source_scale(size, out, scale, align_corners, dtype)
    positions = np.arange(out, dtype=dtype)
    # Unlike the linear modes, negative source positions are kept (OpenCV's convention).
    source = positions * step if align_corners else \
        step * (positions + dtype.type(0.5)) - dtype.type(0.5)
    # PyTorch floors in float32 (floorf) for every dtype.
    low = np.minimum(np.floor(source.astype(np.float32)).astype(np.int64), size - 1)
    t = np.clip(source - low.astype(dtype), 0, 1)
    columns = np.clip(low[:, None] + np.arange(-1, 3), 0, size - 1)
    weights = np.stack([_cubic_far(t + one, a), _cubic_near(t, a),
                        _cubic_near(one - t, a), _cubic_far(one - t + one, a)], axis=1)
    # All four taps count even at weight 0, as in PyTorch (0 * inf is nan there too).
    return _along(x, dim, columns, weights, np.ones(columns.shape, dtype=bool))


def _input_error(input: Tensor, mode: str) -> str:
    """torch's message for an input rank no mode of interpolate handles."""
    return (f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})")


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resizes (N, C, *spatial) to `size` or by `scale_factor`.

    Modes: nearest, nearest-exact, linear (3-D input), bilinear and bicubic (4-D), trilinear
    (5-D) and area (adaptive average pooling), with PyTorch's source-index arithmetic.
    antialias=True is not supported."""
    n = input.ndim - 2
    if n not in (1, 2, 3):
        raise NotImplementedError(_input_error(input, mode))
    if mode not in ("nearest", "nearest-exact", "area") and mode not in _INTERPOLATING_MODES:
        raise NotImplementedError(f"interpolate: mode '{mode}' is not supported; supported "
                                  f"modes are nearest, nearest-exact, linear, bilinear, "
                                  f"bicubic, trilinear and area")
    if align_corners is not None and mode not in _INTERPOLATING_MODES:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    recompute = bool(recompute_scale_factor) or (mode == "area" and size is None)
    sizes, scales = _interpolation_sizes(input, size, scale_factor, recompute, n)
    if antialias and not (mode in ("bilinear", "bicubic") and n == 2):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and "
                         "requires a 4-D tensor as input")
    if antialias:
        raise NotImplementedError(f"interpolate: antialias=True is not supported (mode "
                                  f"'{mode}'); only antialias=False is implemented")
    if mode == "bicubic" and n != 2:
        raise NotImplementedError(_input_error(input, mode))
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != n:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR_MODES[mode] + 2}D input")
    if any(s <= 0 for s in sizes):
        raise RuntimeError(f"interpolate: Input and output sizes should be greater than 0, but "
                           f"got input {list(input.shape[2:])} and output {list(sizes)}")
    if mode == "area":
        return _adaptive_avg(input, sizes, n, "interpolate")
    check_floating("interpolate", input=input)
    result = input
    for i, (out, scale) in enumerate(zip(sizes, scales)):
        if mode == "bicubic":
            result = _cubic(result, 2 + i, out, scale, bool(align_corners))
        elif mode in _LINEAR_MODES:
            result = _linear(result, 2 + i, out, scale, bool(align_corners))
        else:
            result = _nearest(result, 2 + i, out, scale, mode == "nearest-exact")
    return result


def _factor(input, factor, op: str, name: str) -> int:
    """The checked input of pixel_(un)shuffle and its positive int factor."""
    tensor_arg(input, op)
    if not isinstance(factor, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{name}' (position 2) must be int, not "
                        f"{type(factor).__name__}")
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")
    return int(factor)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r), r the upscale factor."""
    r = _factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
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
    r = _factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
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
