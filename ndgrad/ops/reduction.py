"""Reductions over all dims, one dim or several: sum, mean, prod, max/min, var, norm, ..."""
from __future__ import annotations

import builtins
import numpy as np

from ndgrad import _dtype
from ndgrad._tensor import Tensor
from ndgrad.return_types import MinMax, ValuesIndices
from ndgrad.autograd.function import ArrayFunction
from ndgrad.autograd.grad_mode import is_grad_enabled
from ndgrad.ops import _dual
from ndgrad.ops import elementwise as ew
from ndgrad.ops._common import (bool_arg, constant, dim_alias, dims, floating, normalize_dim,
                                tensor_arg)
from ndgrad.ops.casting import to_dtype
from ndgrad.ops.indexing import take_along_dim
from ndgrad.ops.shape import flatten, reshape



def _axes(dim, ndim: int):
    """`dims` for a reduction: None (all dims) for a 0-d input, whose dim 0 or -1 is itself."""
    axes = dims(dim, ndim)
    return None if ndim == 0 else axes


def _aliases(dim, keepdim: bool, axis, keepdims) -> tuple:
    """`dim` and `keepdim`, also given by NumPy's names `axis` and `keepdims`."""
    return dim_alias(dim, axis), keepdim if keepdims is None else keepdims


def _kept_shape(shape: tuple, axes) -> tuple:
    """The shape of a reduction over `axes` with keepdim=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(grad, shape: tuple, axes):
    """Broadcasts the gradient of a reduction (Tensor or array) back over the reduced dims of
    `shape`."""
    return _dual.broadcast_to(grad.reshape(_kept_shape(shape, axes)), shape)


class Sum(ArrayFunction):
    """Sum over `axes` (all when None)."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.input_shape, ctx.axes = x.shape, axes
        return np.asarray(x.sum(axis=axes, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad, ctx.input_shape, ctx.axes), None, None, None


class Mean(ArrayFunction):
    """Arithmetic mean over `axes` (all when None)."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        if x.size:
            result = np.asarray(x.mean(axis=axes, keepdims=keepdim))
        else:  # np.mean would warn "Mean of empty slice"; 0/0 gives PyTorch's nan quietly
            result = np.asarray(x.sum(axis=axes, keepdims=keepdim) / 0)
        ctx.input_shape, ctx.axes = x.shape, axes
        ctx.count = x.size // builtins.max(result.size, 1)
        return result

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad, ctx.input_shape, ctx.axes) / ctx.count, None, None


class Prod(ArrayFunction):
    """Product over one dim `axis` (all elements when None)."""

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        result = np.asarray(x.prod(axis=axis, keepdims=keepdim))
        ctx.axis, ctx.has_zero = axis, bool((x == 0).any())
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        axes = None if ctx.axis is None else (ctx.axis,)
        grad = _expand_back(grad, x.shape, axes)
        if not ctx.has_zero:
            return grad * _expand_back(result, x.shape, axes) / x, None, None
        return grad * _product_of_others(x, ctx.axis), None, None


def _product_of_others(x: Tensor, axis) -> Tensor:
    """For each element, the product of the others along `axis`, exact when x holds zeros.

    Builds an n x n copy with the diagonal set to 1, so it costs O(n^2) per reduced row; it is
    used only when zeros make the cheaper result / x undefined.
    """
    if axis is None:
        return reshape(_product_of_others(flatten(x), 0), x.shape)
    moved = x.transpose(axis, -1)
    n = moved.shape[-1]
    rows = moved.unsqueeze(-2).expand(*moved.shape[:-1], n, n)
    eye = constant(np.eye(n, dtype=bool))
    others = ew.where(eye, 1.0, rows).prod(-1)
    return others.transpose(axis, -1)


class _Extreme(ArrayFunction):
    """The extreme value over `axes` (`_reduce` is np.amax or np.amin); equal extremes share
    the gradient evenly."""

    _reduce = None

    @classmethod
    def forward(cls, ctx, x, axes, keepdim):
        result = cls._reduce(x, axis=axes, keepdims=True)
        if ctx.needs_input_grad:  # the tie shares only matter when a graph is recorded
            ctx.share = _tie_share(x, result, axes)
            ctx.input_shape, ctx.axes = x.shape, axes
        return result if keepdim else np.asarray(result.reshape(_drop(x.shape, axes)))

    @staticmethod
    def backward(ctx, grad):
        share = constant(ctx.share.astype(grad._data.dtype, copy=False))
        return _expand_back(grad, ctx.input_shape, ctx.axes) * share, None, None


class Amax(_Extreme):
    """The largest value over `axes`; equal maxima share the gradient evenly."""

    _reduce = staticmethod(np.amax)


class Amin(_Extreme):
    """The smallest value over `axes`; equal minima share the gradient evenly."""

    _reduce = staticmethod(np.amin)


def _tie_share(x, extreme, axes):
    """1/k at each of the k elements equal to the extreme of their group, else 0."""
    hits = (x == extreme).astype(x.dtype)  # in x's dtype: no float64 array on the node
    return hits / hits.sum(axis=axes, keepdims=True)


def _drop(shape: tuple, axes) -> tuple:
    return () if axes is None else tuple(s for i, s in enumerate(shape) if i not in axes)


class Norm(ArrayFunction):
    """The vector p-norm over `axes`; the gradient at a zero vector is 0, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        a = np.abs(x)
        if p == float("inf"):
            result = np.amax(a, axis=axes, keepdims=True)
        elif p == -float("inf"):
            result = np.amin(a, axis=axes, keepdims=True)
        elif p == 0:
            result = (a != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif p == 1:
            result = a.sum(axis=axes, keepdims=True)
        elif p == 2:
            result = np.sqrt((a * a).sum(axis=axes, keepdims=True))
        else:
            result = (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        if np.isinf(p):
            ctx.share = _tie_share(a, result, axes)
        kept = result
        result = kept if keepdim else np.asarray(kept.reshape(_drop(x.shape, axes)))
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        p, axes = ctx.p, ctx.axes
        grad = _expand_back(grad, x.shape, axes)
        if p == 0:
            return grad * 0, None, None, None
        if p == 1:
            return grad * ew.sign(x), None, None, None
        if np.isinf(p):
            share = constant(ctx.share.astype(grad._data.dtype, copy=False))
            return grad * ew.sign(x) * share, None, None, None
        norm = _expand_back(result, x.shape, axes)
        safe = ew.where(norm == 0, 1.0, norm)
        if p == 2:
            scale = x / safe
        else:
            scale = x * ew.abs(x) ** (p - 2) / safe ** (p - 1)
        return ew.where(norm == 0, 0.0, grad * scale), None, None, None


class Cumsum(ArrayFunction):
    """Running sum along `dim`."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim, dtype=x.dtype if x.dtype.kind == "f" else np.int64)

    @staticmethod
    def backward(ctx, grad):
        # The gradient is a running sum from the end: total - cumsum + grad.
        total = grad.sum(ctx.dim, keepdim=True)
        return total - cumsum(grad, ctx.dim) + grad, None


class Cumprod(ArrayFunction):
    """Running product along `dim`."""

    @staticmethod
    def forward(ctx, x, dim):
        result = np.cumprod(x, axis=dim, dtype=x.dtype if x.dtype.kind == "f" else np.int64)
        ctx.dim, ctx.has_zero = dim, bool((x == 0).any())
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        dim = ctx.dim
        if not ctx.has_zero:
            weighted = grad * result
            from_end = weighted.sum(dim, keepdim=True) - cumsum(weighted, dim) + weighted
            return from_end / x, None
        return _cumprod_grad_with_zeros(x, grad, dim), None


def _cumprod_grad_with_zeros(x: Tensor, grad: Tensor, dim: int) -> Tensor:
    """d(cumprod)/dx exactly when x holds zeros: an O(n^2) product with x_i replaced by 1."""
    moved_x, moved_grad = x.transpose(dim, -1), grad.transpose(dim, -1)
    n = moved_x.shape[-1]
    rows = moved_x.unsqueeze(-2).expand(*moved_x.shape[:-1], n, n)
    eye = constant(np.eye(n, dtype=bool))
    # partial[..., i, j] = prod_{k <= j, k != i} x_k, which is d out_j / d x_i for j >= i.
    partial = cumprod(ew.where(eye, 1.0, rows), -1)
    upper = constant(np.triu(np.ones((n, n), dtype=bool)))
    contributions = ew.where(upper, partial * moved_grad.unsqueeze(-2), 0.0)
    return contributions.sum(-1).transpose(dim, -1)


# ---------------------------------------------------------------- wrappers


def sum(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None,
        keepdims: bool | None = None) -> Tensor:
    """Sum over `dim` (all dims when None); bool and integer inputs sum as int64."""
    input = tensor_arg(input, "sum")
    axes = _axes(dim_alias(dim, axis), input.ndim)
    keepdim = keepdim if keepdims is None else keepdims
    numpy_dtype = None if dtype is None else _dtype.to_dtype(dtype).numpy
    _check_result_dtype(input, dtype, "sum")
    if numpy_dtype is None and input._data.dtype.kind in "bui":
        numpy_dtype = np.int64
    return Sum.apply(input, axes, keepdim, numpy_dtype)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None,
         keepdims: bool | None = None) -> Tensor:
    """Arithmetic mean over `dim` (all dims when None)."""
    input = tensor_arg(input, "mean")
    if dtype is not None:
        input = to_dtype(input, dtype)
    if not input.is_floating_point():
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype.name}")
    keepdim = keepdim if keepdims is None else keepdims
    return Mean.apply(input, _axes(dim_alias(dim, axis), input.ndim), keepdim)


def prod(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None,
         keepdims=None) -> Tensor:
    """Product over one dim (all elements when None); integer inputs multiply as int64."""
    input = tensor_arg(input, "prod")
    _check_result_dtype(input, dtype, "prod")
    if dtype is not None:
        input = to_dtype(input, dtype)
    elif input._data.dtype.kind in "bui":
        input = to_dtype(input, _dtype.int64)
    dim, keepdim = _aliases(dim, keepdim, axis, keepdims)
    axis = None if dim is None else normalize_dim(dim, input.ndim)
    return Prod.apply(input, None if input.ndim == 0 else axis, keepdim)


def _check_result_dtype(input: Tensor, dtype, name: str) -> None:
    """Refuses, as PyTorch does, a bool or integer dtype= for an input that requires grad: the
    result would be in the graph but could never carry a gradient."""
    if (dtype is not None and input.requires_grad and is_grad_enabled()
            and not _dtype.to_dtype(dtype).is_floating_point):
        raise RuntimeError(f"{name}(): autograd does not support the result dtype "
                           f"{_dtype.to_dtype(dtype).name} for an input that requires grad")


def amax(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """The maximum over `dim` (all dims when None or empty); ties share the gradient evenly."""
    input = tensor_arg(input, "amax")
    dim, keepdim = _aliases(dim, keepdim, axis, keepdims)
    axes = _axes(dim, input.ndim)
    _check_not_empty(input, axes, "amax")
    return Amax.apply(input, axes, keepdim)


def amin(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """The minimum over `dim` (all dims when None or empty); ties share the gradient evenly."""
    input = tensor_arg(input, "amin")
    dim, keepdim = _aliases(dim, keepdim, axis, keepdims)
    axes = _axes(dim, input.ndim)
    _check_not_empty(input, axes, "amin")
    return Amin.apply(input, axes, keepdim)


def _check_not_empty(input: Tensor, axes, name: str) -> None:
    """Raises as torch does when a max/min-like reduction (no identity) meets no elements."""
    shape = input._data.shape
    if axes is None and input._data.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    for axis in axes or ():
        if shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def _extreme(input, dim, keepdim, axis, keepdims, name: str):
    """max/min: see `max`."""
    input = tensor_arg(input, name)
    reduce_all = Amax if name == "max" else Amin
    keepdim = keepdim if keepdims is None else keepdims
    if isinstance(dim, Tensor):
        return (ew.maximum if name == "max" else ew.minimum)(input, dim)
    if axis is not None:
        # The seed's max(axis=...): values only, ties share the gradient.
        axes = _axes(axis, input.ndim)
        _check_not_empty(input, axes, name)
        return reduce_all.apply(input, axes, keepdim)
    if dim is None:
        _check_not_empty(input, None, name)
        return reduce_all.apply(input, None, False)
    axes = _axes(dim, input.ndim)
    _check_not_empty(input, axes, name)
    if axes is None:  # a 0-d input: its only element, index 0
        return ValuesIndices(reduce_all.apply(input, None, False),
                             _arg_extreme(np.argmax, input, dim, False))
    indices = _arg_extreme(np.argmax if name == "max" else np.argmin, input, dim, True)
    values = take_along_dim(input, indices, dim)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return ValuesIndices(values, indices)


def max(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    """The maximum.

    `max()` of the whole tensor and the seed's `max(axis=...)` return values, ties sharing the
    gradient evenly; `max(dim)` returns `(values, indices)` as PyTorch, the gradient going to
    the first maximum; `max(other_tensor)` is `maximum`.
    """
    return _extreme(input, dim, keepdim, axis, keepdims, "max")


def min(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    """The minimum; the forms and gradients mirror `max`."""
    return _extreme(input, dim, keepdim, axis, keepdims, "min")


def _arg_extreme(function, input, dim, keepdim: bool) -> Tensor:
    input = tensor_arg(input, function.__name__)
    data = input._data
    if dim is None:
        if data.size == 0:
            raise IndexError(f"{function.__name__}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        result = function(data.reshape(-1), axis=0)
        if keepdim:
            result = np.reshape(result, (1,) * data.ndim)
        return constant(np.asarray(result, dtype=np.int64))
    dim = normalize_dim(dim, data.ndim)
    if data.ndim == 0:
        return constant(np.zeros((), dtype=np.int64))
    _check_not_empty(input, (dim,), function.__name__)
    return constant(np.asarray(function(data, axis=dim, keepdims=keepdim), dtype=np.int64))


def _refuse_bool(input, name: str) -> None:
    """argmax/argmin of bools are refused, as in PyTorch (max(dim) of bools is not)."""
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")


def argmax(input, dim: int | None = None, keepdim: bool = False, *, axis=None,
           keepdims=None) -> Tensor:
    """The index of the maximum (the first one on ties), over the flattened tensor if no dim."""
    _refuse_bool(input, "argmax")
    return _arg_extreme(np.argmax, input, *_aliases(dim, keepdim, axis, keepdims))


def argmin(input, dim: int | None = None, keepdim: bool = False, *, axis=None,
           keepdims=None) -> Tensor:
    """The index of the minimum (the first one on ties), over the flattened tensor if no dim."""
    _refuse_bool(input, "argmin")
    return _arg_extreme(np.argmin, input, *_aliases(dim, keepdim, axis, keepdims))


def var(input, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None, keepdims=None) -> Tensor:
    """Variance over `dim`, dividing by N - correction (correction=1 unless unbiased=False)."""
    input = tensor_arg(input, "var")
    if not input.is_floating_point():
        raise RuntimeError(f"std and var only support floating point and complex dtypes, got "
                           f"{input.dtype.name}")
    dim = dim_alias(dim, axis)
    if isinstance(dim, bool):  # the legacy positional form var(input, unbiased)
        dim, unbiased = None, dim
    keepdim = keepdim if keepdims is None else keepdims
    if correction is None:
        correction = 1 if unbiased is None or bool_arg(unbiased, "var", "unbiased") else 0
    axes = _axes(dim, input.ndim)
    count = input._data.size // builtins.max(int(np.prod(_kept_shape(input.shape, axes))), 1)
    centered = input - mean(input, axes, keepdim=True)
    return sum(centered * centered, axes, keepdim) / builtins.max(count - correction, 0)


def std(input, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None, keepdims=None) -> Tensor:
    """Standard deviation: the square root of `var` with the same arguments.

    Where the deviation is 0 the gradient is 0, as in PyTorch (sqrt's is infinite there).
    """
    variance = var(input, dim, unbiased, keepdim, correction=correction, axis=axis,
                   keepdims=keepdims)
    zero = variance == 0
    return ew.where(zero, 0.0, ew.sqrt(ew.where(zero, 1.0, variance)))


def logsumexp(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """log(sum(exp(input))) over `dim`, stable for large inputs.

    Note [stable logsumexp]: subtracting the maximum m first keeps every exp() in (0, 1], so
    nothing overflows, and log(sum(exp(x - m))) + m is the same value. m is a constant to the
    gradient (its contributions cancel), so it is detached.
    """
    input = floating(tensor_arg(input, "logsumexp"))
    dim, keepdim = _aliases(dim, keepdim, axis, keepdims)
    axes = _axes(dim, input.ndim)
    if input._data.size == 0:
        return ew.log(sum(ew.exp(input), axes, keepdim))
    shift = amax(input.detach(), axes if axes is not None else (), keepdim=True)
    shift = ew.where(ew.isinf(shift), 0.0, shift)
    total = sum(ew.exp(input - shift), axes, keepdim=True)
    result = ew.log(total) + shift
    return result if keepdim else reshape(result, _drop(input.shape, axes))


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over `dim` (all elements when None); 'fro' is the 2-norm."""
    if isinstance(input, Tensor) and not input.is_floating_point():
        raise RuntimeError(f"norm: expected a floating point tensor as input, got "
                           f"{input.dtype.name}")
    input = floating(tensor_arg(input, "norm"))
    if dtype is not None:
        input = to_dtype(input, dtype)
    if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:
        raise RuntimeError(f"norm: the Frobenius norm takes 1 or 2 dims, got dim={tuple(dim)}")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm: p='{p}' is not supported for vector norms here; "
                           "use 'fro' or a number")
    axes = _axes(dim, input.ndim)
    _check_norm_identity(input, float(p), axes)
    return Norm.apply(input, float(p), axes, keepdim)


def _check_norm_identity(input: Tensor, p: float, axes) -> None:
    """A max, min or negative-power norm of no elements has no value: PyTorch refuses it."""
    if not (p < 0 or p == float("inf")):
        return
    if axes is None and input._data.size == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty "
                           "tensor because the operation does not have an identity")
    for axis in axes or ():
        if input._data.shape[axis] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the "
                               f"dimension {axis} because this dimension is empty and the "
                               "operation does not have an identity")


def all(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """True where every element over `dim` is nonzero (uint8 for uint8 input, as in torch)."""
    return _logical_reduction(np.all, input, *_aliases(dim, keepdim, axis, keepdims))


def any(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """True where some element over `dim` is nonzero (uint8 for uint8 input, as in torch)."""
    return _logical_reduction(np.any, input, *_aliases(dim, keepdim, axis, keepdims))


def _logical_reduction(function, input, dim, keepdim: bool) -> Tensor:
    data = tensor_arg(input, function.__name__)._data
    if isinstance(dim, (tuple, list)) and not dim:
        # PyTorch's all/any over no dims reduce nothing (sum's dim=() means every dim).
        result = data.astype(bool)
    else:
        result = np.asarray(function(data, axis=_axes(dim, data.ndim), keepdims=keepdim))
    return constant(result.astype(np.uint8) if data.dtype == np.uint8 else result)


def cumsum(input, dim: int | None = None, *, dtype=None, axis=None) -> Tensor:
    """Running sum along `dim`; integer inputs sum as int64."""
    input = tensor_arg(input, "cumsum")
    _check_result_dtype(input, dtype, "cumsum")
    if dtype is not None:
        input = to_dtype(input, dtype)
    dim = dim_alias(dim, axis)
    if dim is None:
        raise TypeError("cumsum() missing 1 required positional argument: 'dim'")
    dim = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return Cumsum.apply(reshape(input, (1,)), 0).reshape(())
    return Cumsum.apply(input, dim)


def cumprod(input, dim: int | None = None, *, dtype=None, axis=None) -> Tensor:
    """Running product along `dim`; integer inputs multiply as int64."""
    input = tensor_arg(input, "cumprod")
    _check_result_dtype(input, dtype, "cumprod")
    if dtype is not None:
        input = to_dtype(input, dtype)
    dim = dim_alias(dim, axis)
    if dim is None:
        raise TypeError("cumprod() missing 1 required positional argument: 'dim'")
    dim = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return Cumprod.apply(reshape(input, (1,)), 0).reshape(())
    return Cumprod.apply(input, dim)


def count_nonzero(input, dim=None, *, axis=None) -> Tensor:
    """The number of nonzero elements over `dim`."""
    dim = dim_alias(dim, axis)
    data = tensor_arg(input, "count_nonzero")._data
    return constant(np.asarray(np.count_nonzero(data, axis=_axes(dim, data.ndim)), np.int64))




def nansum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over `dim` with NaNs counted as zero (they get no gradient)."""
    input = tensor_arg(input, "nansum")
    if input.is_floating_point():
        input = ew.where(ew.isnan(input), 0.0, input)
    return sum(input, dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over `dim` of the elements that are not NaN (NaN where there are none)."""
    input = tensor_arg(input, "nanmean")
    if not input.is_floating_point():
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {input.dtype.name}")
    present = sum(ew.logical_not(ew.isnan(input)), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / present


def aminmax(input, *, dim=None, keepdim: bool = False) -> MinMax:
    """(amin, amax) over `dim` (all dims when None), as a named tuple (min, max)."""
    return MinMax(amin(input, dim, keepdim), amax(input, dim, keepdim))
