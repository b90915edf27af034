"""The functions backward formulas need beyond operators, for Tensors and raw arrays alike.

A plain backward runs the formulas of ops marked `_backward_on_arrays` on raw arrays (see
autograd/engine.py); with create_graph=True the same formulas get Tensors and record. Operators,
`.sum(axis=..., keepdims=...)`, `.reshape`, `.T`, `.mT` and indexing mean the same on both;
these few do not, so each dispatches on its argument.
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction


def sum_to(x, shape: tuple):
    """`x` summed over the dims it was broadcast along, down to `shape`."""
    if isinstance(x, Tensor):
        return x.sum_to_size(shape)
    return x if x.shape == shape else array_sum_to(x, shape)


def array_sum_to(x, shape: tuple):
    """`sum_to` of an array (also the forward of ops.shape.SumTo)."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and x.shape[lead + i] != 1)
    result = x.sum(axis=axes, keepdims=True) if axes else x
    return result.reshape(shape) if lead else result


class MaskedGrad(ArrayFunction):
    """grad * mask, for a constant mask taken from `source`; the source gets a zero gradient."""

    @staticmethod
    def forward(ctx, grad, source, mask):
        ctx.mask, ctx.source_meta = mask, (np.shape(source), source.dtype)
        return grad * mask

    @staticmethod
    def backward(ctx, grad):
        shape, dtype = ctx.source_meta
        return (grad * Tensor._make(ctx.mask) if ctx.needs_input_grad[0] else None,
                Tensor._make(np.zeros(shape, dtype)) if ctx.needs_input_grad[1] else None, None)


def masked(grad, source, mask):
    """grad * mask, the gradient of a piecewise-linear op (abs, relu, hardtanh, ...) whose
    slopes `mask` depend on where `source` lies. With Tensors it stays connected to `source`
    with a zero derivative, as PyTorch's backward kernels for these ops are, so a create_graph
    gradient can be differentiated again."""
    if isinstance(grad, Tensor):
        return MaskedGrad.apply(grad, source, mask)
    return grad * mask


def broadcast_to(x, shape: tuple):
    """`x` broadcast to `shape`."""
    return x.broadcast_to(shape) if isinstance(x, Tensor) else np.broadcast_to(x, shape)


def exp(x):
    """e ** x."""
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def sum_along(x, dim: int, keepdim: bool = False):
    """`x` summed along `dim`. A float matrix goes through BLAS as a matrix-vector product with
    ones: NumPy's float32 reductions of small matrices are 2-3x slower (1.3 vs 2.9 us for a
    150x3 row sum, 1.8 vs 4.0 us for a 128x256 column sum; benchmarks/ tiny and mlp)."""
    if isinstance(x, Tensor) or x.ndim != 2 or x.dtype.char not in "fd":
        return x.sum(axis=dim, keepdims=keepdim)
    if dim in (0, -2):
        total = filled_vector(1, x.shape[0], x.dtype) @ x
        return total[None, :] if keepdim else total
    total = x @ filled_vector(1, x.shape[1], x.dtype)
    return total[:, None] if keepdim else total


_vectors: dict = {}


def filled_vector(value, size: int, dtype) -> np.ndarray:
    """A read-only vector of `value`, kept for reuse (np.ones costs about 1 us per call)."""
    key = (value, size, dtype)
    vector = _vectors.get(key)
    if vector is None:
        if len(_vectors) > 64:
            _vectors.clear()
        vector = _vectors[key] = np.full(size, value, dtype)
        vector.flags.writeable = False
    return vector


def composed_backward(ctx, grads: tuple, run_steps) -> tuple:
    """A fused op's backward as a graph (create_graph=True): rebuilds the steps from ops on
    the saved inputs (`run_steps`) and differentiates them, so the gradients are themselves
    differentiable."""
    from ndgrad.autograd import grad as autograd_grad

    inputs = ctx.saved_tensors
    wanted = [i for i, need in enumerate(ctx.needs_input_grad) if need]
    found = autograd_grad(run_steps(inputs), [inputs[i] for i in wanted], grads,
                          create_graph=True, allow_unused=True)
    result = [None] * len(inputs)
    for i, g in zip(wanted, found):
        result[i] = g
    return tuple(result)
