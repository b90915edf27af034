"""Piecewise-linear activations (leaky_relu, hardtanh, threshold, hardshrink, ...) as one op.

Each is `slope * x + offset` with a slope and offset per segment of the real line. One
Function computes them all; its gradient `grad * slope` stays connected to the input, as
PyTorch's backward kernels for these activations are, so create_graph gradients of them can
be differentiated again (a composition of `where`s would give constants there).
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import _dual


class PiecewiseLinear(ArrayFunction):
    """slopes[k] * x + offsets[k] where x lies in segment k of `breakpoints`."""

    @staticmethod
    def forward(ctx, x, breakpoints=(), slopes=(), offsets=()):
        segment = np.zeros(x.shape, dtype=np.intp)
        for point, inclusive in breakpoints:
            segment += (x >= point) if inclusive else (x > point)
        slope = np.asarray(slopes, dtype=x.dtype)[segment]
        # asarray: indexing with a 0-d segment gives a NumPy scalar, which cannot be written.
        result = np.asarray(np.asarray(offsets, dtype=x.dtype)[segment])
        # Only where the slope is nonzero, so that an infinite x on a flat segment gives the
        # offset rather than 0 * inf = nan.
        result += np.multiply(slope, x, out=np.zeros_like(result), where=slope != 0)
        np.copyto(result, x, where=np.isnan(x))  # NaN propagates, as in PyTorch
        if ctx.needs_input_grad:
            ctx.slope = slope
            ctx.save_for_backward(x)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return _dual.masked(grad, x, ctx.slope)


def piecewise_linear(input: Tensor, breakpoints, slopes, offsets) -> Tensor:
    """slopes[k] * input + offsets[k] on the k-th segment of the real line.

    `breakpoints` are increasing `(point, inclusive)` pairs: x lies past a point when
    x > point, or x >= point when inclusive, so a point where two segments meet belongs to the
    left one unless inclusive. There is one more slope and offset than breakpoints.
    """
    return PiecewiseLinear.apply(input, breakpoints=tuple(breakpoints), slopes=tuple(slopes),
                                 offsets=tuple(offsets))
