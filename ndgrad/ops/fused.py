"""Fused primitives for the hottest composites: linear, log_softmax, softmax, nll_loss.

Each is one Function in place of several (linear was transpose + matmul + add; log_softmax
was eight ops; class-index nll_loss about ten), which cuts per-step overhead of small models
roughly in half (benchmarks/run.py tiny and mlp). Backward is written with operators that
arrays and Tensors share, so a plain backward runs it on arrays and higher-order gradients
still hold.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import _dual
from ndgrad.ops._common import normalize_dim, tensor_arg
from ndgrad.ops.casting import to_dtype


class Linear(ArrayFunction):
    """x @ weight.T + bias over the last dim of x (bias may be None)."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = _rows(x) @ weight.T
        if bias is not None:
            out += bias
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        rows = _rows(grad)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = rows @ weight
            grad_x = grad_x if x.ndim == 2 else grad_x.reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_weight = rows.T @ _rows(x)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_bias = _dual.sum_along(rows, 0)
        return grad_x, grad_weight, grad_bias


class LayerNorm(ArrayFunction):
    """(x - mean) / sqrt(var + eps) over the last `dims` dims of x (biased variance), times
    weight plus bias (either may be None). The array backward is the closed form; with
    create_graph the composed ops are rebuilt and differentiated (see _dual.composed_backward).
    """

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        ctx.dims, ctx.eps = dims, eps
        ctx.save_for_backward(x, weight, bias)
        rows = x.reshape(-1, int(np.prod(x.shape[x.ndim - dims:])))
        width = rows.shape[1]
        centred = rows - _dual.sum_along(rows, 1, keepdim=True) / width
        inv_std = 1 / np.sqrt(_dual.sum_along(centred * centred, 1, keepdim=True) / width + eps)
        x_hat = centred
        x_hat *= inv_std
        ctx.x_hat, ctx.inv_std = x_hat, inv_std  # for the array backward only
        out = x_hat if weight is None else x_hat * weight.reshape(-1)
        if bias is not None:
            out = out + bias.reshape(-1)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        if isinstance(grad, Tensor):
            return _dual.composed_backward(ctx, (grad,), partial(_layer_norm_ops, dims=ctx.dims,
                                                                 eps=ctx.eps))
        x, weight, bias = ctx.saved_tensors
        x_hat, inv_std = ctx.x_hat, ctx.inv_std
        rows = grad.reshape(x_hat.shape)
        needs = ctx.needs_input_grad
        grad_weight = _dual.sum_along(rows * x_hat, 0).reshape(weight.shape) \
            if needs[1] else None
        grad_bias = _dual.sum_along(rows, 0).reshape(bias.shape) if needs[2] else None
        grad_x = None
        if needs[0]:
            g = rows if weight is None else rows * weight.reshape(-1)
            width = x_hat.shape[1]
            mean_g = _dual.sum_along(g, 1, keepdim=True) / width
            mean_gx = _dual.sum_along(g * x_hat, 1, keepdim=True) / width
            grad_x = (inv_std * (g - mean_g - x_hat * mean_gx)).reshape(x.shape)
        return grad_x, grad_weight, grad_bias


def _layer_norm_ops(inputs, dims: int, eps: float) -> tuple:
    """(LayerNorm.forward composed from ops,), to differentiate with create_graph."""
    x, weight, bias = inputs
    axes = tuple(range(x.ndim - dims, x.ndim))
    centred = x - x.mean(axes, keepdim=True)
    out = centred * ((centred * centred).mean(axes, keepdim=True) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    return (out if bias is None else out + bias),


def _rows(x):
    """`x` as a matrix of its last dim's vectors. One 2-D product over these rows is faster than
    NumPy's batched matmul of a 3-D input: 0.73 vs 1.12 ms for (16, 64, 128) @ (128, 384)."""
    return x if x.ndim == 2 else x.reshape(-1, x.shape[-1])


class LogSoftmax(ArrayFunction):
    """Log-probabilities along `dim`: (x - m) - log(sum(e^(x - m))), m the maximum (0 where
    it is infinite), so nothing overflows and the maximum's entry is exact."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        shifted = x - _finite_max(x, dim)
        out = shifted - np.log(_dual.sum_along(np.exp(shifted), dim, keepdim=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad - _dual.exp(out) * _dual.sum_along(grad, ctx.dim, keepdim=True), None


class Softmax(ArrayFunction):
    """e^(x - m) / sum(e^(x - m)) along `dim`."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        exps = np.exp(x - _finite_max(x, dim))
        out = exps / _dual.sum_along(exps, dim, keepdim=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return out * (grad - _dual.sum_along(grad * out, ctx.dim, keepdim=True)), None


def _finite_max(x, dim: int):
    """The maximum along `dim` (kept), with infinite maxima replaced by 0: the shift that
    keeps exp from overflowing in (log_)softmax."""
    if not x.size:
        return np.zeros((), x.dtype)
    if x.ndim == 2 and dim == 1 and x.shape[1] <= 16:
        # NumPy's max over a short last axis is slow (5.1 us for 150x3); over the first axis
        # of the transposed copy it is 1.3 us (measured for benchmarks/ tiny).
        shift = x.T.copy().max(axis=0)[:, None]
    else:
        shift = np.asarray(x.max(axis=dim, keepdims=True))  # an array even for 0-d x
    shift[np.isinf(shift)] = 0
    return shift


class NllLoss(ArrayFunction):
    """-sum(weight[t] * log_probs[n, t[n], ...]) per sample, reduced.

    `target` holds class indices (N, d1, ...) for log_probs (N, C, d1, ...); `weights` is each
    element's weight (0 where ignored), or None when all are 1; the mean divides by `total`
    (the summed weights).
    """

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, log_probs, target, weights, reduction, total):
        entries = _class_entries(target)
        ctx.entries, ctx.shape, ctx.dtype = entries, log_probs.shape, log_probs.dtype
        ctx.reduction = reduction
        ctx.slope = _nll_slope(weights, reduction, total, log_probs.dtype)
        return _reduced_nll(log_probs[entries], weights, reduction, total, log_probs.dtype)

    @staticmethod
    def backward(ctx, grad):
        dense = np.zeros(ctx.shape, dtype=ctx.dtype)
        dense[ctx.entries] = ctx.slope
        scale = grad[:, None] if ctx.reduction == "none" else grad
        return scale * dense, None, None, None, None


class CrossEntropy(ArrayFunction):
    """nll_loss(log_softmax(logits, 1), target) for logits (N, C) and class indices (N,), as
    one op. Its backward is slope * (onehot - softmax): one pass over the logits' shape where
    LogSoftmax and NllLoss took six (for the lstm benchmark's (700, 1000) logits, 1.2 ms of
    a 20 ms step). Arguments as in NllLoss."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, logits, target, weights, reduction, total):
        entries = _class_entries(target)
        shifted = logits - _finite_max(logits, 1)
        picked = shifted[entries]
        # In place, and not divided by the sums here: the backward scales each row once
        # (for the lstm benchmark's (700, 1000) logits, one pass and one array fewer).
        exps = np.exp(shifted, out=shifted)
        sums = _dual.sum_along(exps, 1, keepdim=True)
        picked = picked - np.log(sums[:, 0])
        ctx.save_for_backward(logits)
        ctx.entries, ctx.reduction = entries, reduction
        ctx.slope = _nll_slope(weights, reduction, total, logits.dtype)
        # For the array backward; create_graph recomputes the softmax from logits.
        ctx.exps, ctx.sums = exps, sums
        return _reduced_nll(picked, weights, reduction, total, logits.dtype)

    @staticmethod
    def backward(ctx, grad):
        # d loss / d logits[n, j] = slope[n] * ([j == t_n] - p[n, j]), times the incoming grad.
        slope = grad * ctx.slope  # per sample for reduction="none" or weights, else one value
        if isinstance(grad, Tensor):
            logits, = ctx.saved_tensors
            onehot = np.zeros(logits.shape, logits._data.dtype)
            onehot[ctx.entries] = 1
            weight = slope.reshape(-1, 1) if slope.ndim else slope
            return (Tensor._make(onehot) - softmax(logits, 1)) * weight, None, None, None, None
        # softmax = exps / sums, so each row of exps is scaled by -slope / sum at once.
        grad_logits = ctx.exps * (-(slope[:, None] if slope.ndim else slope) / ctx.sums)
        grad_logits[ctx.entries] += slope
        return grad_logits, None, None, None, None


def _nll_slope(weights, reduction: str, total, dtype):
    """d loss / d log_probs at the picked entries, before the incoming gradient: -weight,
    divided by the total weight for the mean."""
    slope = -1 if weights is None else -weights
    if reduction == "mean":
        # With nothing counted (every target ignored, or an empty batch) the loss is
        # 0/0 = nan and the gradient 0, as in PyTorch.
        slope = (np.divide(slope, total, dtype=dtype) if total
                 else np.zeros_like(slope, dtype=dtype))
    return slope


def _reduced_nll(picked, weights, reduction: str, total, dtype):
    """The loss from the picked log-probabilities: per element, summed, or the weighted mean."""
    loss = -picked if weights is None else -(picked * weights)
    if reduction == "none":
        return loss
    total_loss = loss.sum()
    return np.asarray(total_loss if reduction == "sum" else total_loss / total, dtype=dtype)


def _class_entries(target: np.ndarray) -> tuple:
    """The index that picks [n, target[n, ...], ...] out of an (N, C, ...) array (NumPy's
    fancy indexing: several times faster than take_along_axis for small arrays)."""
    if target.ndim == 1:
        return np.arange(len(target)), target
    grids = np.indices(target.shape, sparse=True)
    return (grids[0], target) + tuple(grids[1:])


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias as one fused op."""
    # As matmul, no promotion: a float64 batch into a float32 layer is a mistake to report.
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"linear: mat1 and mat2 must have the same dtype, but got "
                           f"{input.dtype.name} and {weight.dtype.name}")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"linear: bias must have the dtype of input and weight, but got "
                           f"{bias.dtype.name} and {input.dtype.name}")
    return Linear.apply(input, weight, bias)


def _softmax_input(input, dim: int | None, dtype, name: str) -> tuple[Tensor, int]:
    input = tensor_arg(input, name)
    if dtype is not None:
        input = to_dtype(input, dtype)
    if not input.is_floating_point():
        # PyTorch has no integer kernel and raises NotImplementedError, a RuntimeError.
        raise RuntimeError(f"{name}(): expected a floating point input (or a floating `dtype` "
                           f"argument), got {input.dtype.name}")
    if dim is None:
        # PyTorch's legacy rule for an implicit dim: 0 for 0-, 1- and 3-D inputs, else 1.
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return input, normalize_dim(dim, input.ndim)


def log_softmax(input, dim: int | None = None, dtype=None) -> Tensor:
    """Log-probabilities along `dim`, stable for large logits (see LogSoftmax)."""
    input, dim = _softmax_input(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(input, dim)


def softmax(input, dim: int | None = None, dtype=None) -> Tensor:
    """Probabilities along `dim`, stable for large logits (see Softmax)."""
    input, dim = _softmax_input(input, dim, dtype, "softmax")
    return Softmax.apply(input, dim)


def nll_loss(log_probs: Tensor, target: np.ndarray, weights: np.ndarray | None,
             reduction: str, total: float) -> Tensor:
    """Fused class-index negative log-likelihood (see NllLoss)."""
    return NllLoss.apply(log_probs, target, weights, reduction, total)


def cross_entropy(logits: Tensor, target: np.ndarray, weights: np.ndarray | None,
                  reduction: str, total: float) -> Tensor:
    """Fused class-index cross entropy of (N, C) logits (see CrossEntropy)."""
    return CrossEntropy.apply(logits, target, weights, reduction, total)
