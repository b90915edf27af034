"""Pooling, unpooling, interpolation and pixel shuffling, defined in ndgrad.ops.pooling."""
from ndgrad.ops.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
                                adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d,
                                avg_pool1d, avg_pool2d, avg_pool3d, interpolate, lp_pool1d,
                                lp_pool2d, lp_pool3d, max_pool1d, max_pool2d, max_pool3d,
                                max_unpool1d, max_unpool2d, max_unpool3d, pixel_shuffle,
                                pixel_unshuffle)

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "avg_pool1d",
           "avg_pool2d", "avg_pool3d", "interpolate", "lp_pool1d", "lp_pool2d", "lp_pool3d",
           "max_pool1d", "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d",
           "max_unpool3d", "pixel_shuffle", "pixel_unshuffle"]
