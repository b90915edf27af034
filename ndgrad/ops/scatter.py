"""scatter_reduce: src's values reduced into a copy of input at `index` along `dim` with sum,
prod, mean, amax or amin, differentiable w.r.t. input and src for every reduction."""
from __future__ import annotations

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import elementwise as ew
from ndgrad.ops._common import constant, normalize_dim, tensor_arg
from ndgrad.ops.indexing import _check_index_shape, _check_src, _checked_index, _full_index, getitem

# The NumPy ufunc each reduction accumulates with.
_UFUNCS = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _identity(reduce: str, dtype: np.dtype):
    """The value a position starts from when include_self=False."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    low, high = (-np.inf, np.inf) if dtype.kind == "f" else (info.min, info.max)
    return low if reduce == "amax" else high


class ScatterReduce(ArrayFunction):
    """out = x with src reduced in at `positions` (an index tuple into x); with include_self
    False the scattered-to positions forget x's value first."""

    @staticmethod
    def forward(ctx, x, src, positions, reduce, include_self):
        xp = _backend.array_module(x)
        out = x.copy()
        keep = xp.ones(x.shape, dtype=bool)  # where x's own value takes part
        if not include_self:
            keep[positions] = False
            out[positions] = _identity(reduce, x.dtype)
        getattr(xp, _UFUNCS[reduce]).at(out, positions, src)
        counts = None
        if reduce == "mean":
            counts = keep.astype(np.int64)
            _backend.add_at(counts, positions, 1)
            counts = np.maximum(counts, 1)
            out = out / counts if x.dtype.kind == "f" else out // counts
        ctx.positions, ctx.reduce, ctx.include_self = positions, reduce, include_self
        ctx.keep, ctx.counts = keep, counts
        ctx.save_for_backward(x, src, out)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, src, out = ctx.saved_tensors
        keep = constant(ctx.keep.astype(x._data.dtype))
        if ctx.reduce == "sum":
            grad_x, grad_src = grad * keep, getitem(grad, ctx.positions)
        elif ctx.reduce == "mean":
            share = grad / constant(ctx.counts.astype(x._data.dtype))
            grad_x, grad_src = share * keep, getitem(share, ctx.positions)
        elif ctx.reduce == "prod":
            grad_x, grad_src = _prod_grads(ctx, grad, x, src, out, keep)
        else:
            grad_x, grad_src = _extreme_grads(ctx, grad, x, src, out, keep)
        return (grad_x if ctx.needs_input_grad[0] else None,
                grad_src if ctx.needs_input_grad[1] else None)


def _extreme_grads(ctx, grad, x, src, out, keep):
    """amax/amin: the gradient is shared evenly by every element equal to the result, as in
    PyTorch; like PyTorch's, the count includes input's element when it equals the result even
    with include_self=False (it then gets no share itself)."""
    equal_x = x._data == out._data
    hit_x = equal_x & ctx.keep
    hit_src = src._data == out._data[ctx.positions]
    winners = equal_x.astype(np.int64)
    _backend.add_at(winners, ctx.positions, hit_src.astype(np.int64))
    share = grad / constant(np.maximum(winners, 1).astype(x._data.dtype))
    return (share * constant(hit_x.astype(x._data.dtype)),
            getitem(share, ctx.positions) * constant(hit_src.astype(x._data.dtype)))


def _prod_grads(ctx, grad, x, src, out, keep):
    """prod: d out / d element = the product of the others, exact with zeros: out / element
    for a nonzero element, and for a zero one the product of the nonzero others when it is the
    only zero of its position (else 0)."""
    x_zero, src_zero = x._data == 0, src._data == 0
    zeros = (x_zero & ctx.keep).astype(np.int64)
    _backend.add_at(zeros, ctx.positions, src_zero.astype(np.int64))
    x_zero, src_zero, lone_zero = constant(x_zero), constant(src_zero), constant(zeros == 1)
    nonzero_product = ScatterReduce.apply(ew.where(x_zero, 1, x), ew.where(src_zero, 1, src),
                                          positions=ctx.positions, reduce="prod",
                                          include_self=ctx.include_self)
    others = ew.where(lone_zero, nonzero_product, 0)
    d_x = ew.where(x_zero, others, out / ew.where(x_zero, 1, x))
    d_src = ew.where(src_zero, getitem(others, ctx.positions),
                     getitem(out, ctx.positions) / ew.where(src_zero, 1, src))
    return grad * d_x * keep, getitem(grad, ctx.positions) * d_src


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of `input` where each src[i][j][k] (for dim=1) is reduced into position
    [i][index[i][j][k]][k] with `reduce` ("sum", "prod", "mean", "amax" or "amin"), together
    with input's own value there unless `include_self` is False."""
    input = tensor_arg(input, "scatter_reduce")
    if reduce not in _UFUNCS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if input.ndim == 0:
        return scatter_reduce(input.reshape(1), dim, index.reshape(1), src.reshape(1), reduce,
                              include_self=include_self).reshape(())
    dim = normalize_dim(dim, input.ndim)
    data = _checked_index(index, input.shape[dim], dim, "scatter_reduce", 3,
                          error=RuntimeError, negative=False)
    _check_index_shape(data, input, dim, "scatter_reduce")
    src = tensor_arg(src, "scatter_reduce", "src", 4)
    _check_src(src, data, input, dim, "scatter_reduce")
    src = getitem(src, tuple(slice(n) for n in data.shape))
    return ScatterReduce.apply(input, src, positions=_full_index(data, dim), reduce=reduce,
                               include_self=bool(include_self))
