"""Pooling, unpooling, interpolation and pixel shuffling over (N, C, *spatial) tensors, written
once for any number of spatial dims.

No op here needs a Function of its own: windows are strided views (see Note [im2col through
strided views] in conv.py) used only to find where each maximum is; the values are then
gathered with differentiable indexing ops, averages are convolutions with a constant kernel,
and adaptive averages and interpolation are products with small constant matrices or
gathers, so every gradient (and its gradient) comes from ops that already have one.

One module per family; this package re-exports them, so `ndgrad.ops.pooling.X` stays the
import path of every op. Between the modules imports point one way: `_common` (batching,
gathers, sums along a dim) is imported by all; sliding and adaptive import only it; resize
imports adaptive (area mode is adaptive averaging).
"""
from ndgrad.ops.pooling.adaptive import (adaptive_avg_pool1d, adaptive_avg_pool2d,
                                         adaptive_avg_pool3d, adaptive_max_pool1d,
                                         adaptive_max_pool2d, adaptive_max_pool3d)
from ndgrad.ops.pooling.resize import interpolate, pixel_shuffle, pixel_unshuffle
from ndgrad.ops.pooling.sliding import (avg_pool1d, avg_pool2d, avg_pool3d, lp_pool1d, lp_pool2d,
                                        lp_pool3d, max_pool1d, max_pool2d, max_pool3d,
                                        max_unpool1d, max_unpool2d, max_unpool3d)

__all__ = [
    # adaptive
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d",
    # resize
    "interpolate", "pixel_shuffle", "pixel_unshuffle",
    # sliding
    "avg_pool1d", "avg_pool2d", "avg_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "max_pool1d", "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
]
