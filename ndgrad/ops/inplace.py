"""In-place ops: `add_`, `x[key] = value`, ... with version counters and view-aware autograd.

Every in-place op is its out-of-place twin followed by a write into the tensor's storage:
- with no graph to record, the result is copied into the storage and the version goes up;
- when recording, the old value is kept as a snapshot that carries the old history, the op
  is recorded on the snapshot, and the tensor takes the result's history (as PyTorch rebases);
- on a view, the change is recorded on the base as "the base with the view's elements
  replaced" (PyTorch's CopySlices), and the view's history is rebuilt from the new base.
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.autograd.grad_mode import is_grad_enabled, no_grad
from ndgrad.ops import _views
from ndgrad.ops import elementwise as ew
from ndgrad.ops import indexing
from ndgrad.ops._common import constant, is_scalar, normalize_dim, tensor_arg, type_name
from ndgrad.ops.indexing import getitem, normalize_key
from ndgrad.ops.shape import broadcast_to, reshape, sum_to


class ViewScatter(ArrayFunction):
    """A copy of `base` with the elements at flat `positions` replaced by `values`."""

    @staticmethod
    def forward(ctx, base, values, positions):
        ctx.positions, ctx.base_shape = positions, base.shape
        result = base.copy()
        result.reshape(-1)[positions.reshape(-1)] = values.reshape(-1)
        return result

    @staticmethod
    def backward(ctx, grad):
        grad_base = grad_values = None
        if ctx.needs_input_grad[0]:
            kept = np.ones(grad._data.size, dtype=grad._data.dtype)
            kept[ctx.positions.reshape(-1)] = 0
            grad_base = grad * constant(kept.reshape(ctx.base_shape))
        if ctx.needs_input_grad[1]:
            grad_values = getitem(reshape(grad, (-1,)), constant(ctx.positions))
        return grad_base, grad_values, None


def _snapshot(t: Tensor) -> Tensor:
    """A copy of `t`'s current value that carries `t`'s history."""
    return Tensor._make(t._data.copy(), t._requires_grad, t.grad_fn, t._output_nr)


def _check_leaf(t: Tensor) -> None:
    if t._requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = t._view.base if t._view is not None else None
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


# PyTorch's names for dtypes in its cast errors ("result type Float can't be cast to ... Long").
_SCALAR_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                      "int32": "Int", "int64": "Long", "float16": "Half", "bfloat16": "BFloat16",
                      "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
                      "complex128": "ComplexDouble"}


def _can_cast(source: np.dtype, target: np.dtype) -> bool:
    """PyTorch's canCast: no float into an integer, no complex into a real, nothing into bool.

    Looser than NumPy's same_kind, which also refuses int64 into uint8 (PyTorch allows it).
    """
    if source.kind == "c" and target.kind != "c":
        return False
    if source.kind in "fc" and target.kind in "iub":
        return False
    return not (source.kind != "b" and target.kind == "b")


def _fit(result: Tensor, target: Tensor, name: str) -> Tensor:
    """`result` in target's dtype, refusing casts PyTorch refuses (e.g. float into int)."""
    source, wanted = result._data.dtype, target._data.dtype
    if source == wanted:
        return result
    if not _can_cast(source, wanted):
        names = [_SCALAR_TYPE_NAMES.get(d.name, d.name) for d in (source, wanted)]
        raise RuntimeError(f"{name}: result type {names[0]} can't be cast to the desired output "
                           f"type {names[1]}")
    return ew.to_dtype(result, target.dtype)


def _fit_result(result: Tensor, target: Tensor, name: str) -> Tensor:
    """An in-place op's result fitted to its target, refusing one broadcast past its shape."""
    if result._data.shape != target._data.shape:
        raise RuntimeError(f"output with shape {list(target.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    return _fit(result, target, name)


def _write(target: Tensor, values: Tensor) -> None:
    if not target._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    np.copyto(target._data, values._data)
    target._vc[0] += 1


def apply_inplace(self: Tensor, name: str, compute, *others) -> Tensor:
    """Sets self to compute(self), in place; `others` are the tensors compute also reads."""
    recording = is_grad_enabled() and (
        self._requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)
        or (self._view is not None and self._view.base._requires_grad))
    if is_grad_enabled():
        _check_leaf(self)
    if not recording:
        with no_grad():
            result = compute(self)
        _write(self, _fit_result(result, self, name))
        return self
    if self._view is None:
        result = _fit_result(compute(_snapshot(self)), self, name)
        _write(self, result)
        _views.adopt_history(self, result)
        return self
    _apply_to_view(self, name, compute)
    return self


def _apply_to_view(view: Tensor, name: str, compute) -> None:
    info = view._view
    base = info.base
    old_base = _snapshot(base)
    new_values = _fit_result(compute(_views.replay(old_base, info.steps)), view, name)
    new_base = ViewScatter.apply(old_base, new_values, _views.base_positions(view))
    _write(base, new_base)
    _views.adopt_history(base, new_base)
    _views.refresh(view)
    if new_values.grad_fn is not None:
        new_values.grad_fn._rebind_output(new_values, view)


# ---------------------------------------------------------------- the in-place ops


def _filled(t: Tensor, value) -> Tensor:
    """`value` broadcast to t's shape in t's dtype, connected to t with a zero gradient."""
    everywhere = constant(np.ones(t._data.shape, dtype=bool))
    return ew.where(everywhere, value, t)


def add_(self: Tensor, other, *, alpha=1) -> Tensor:
    return apply_inplace(self, "add_", lambda t: ew.add(t, other, alpha=alpha), other)


def sub_(self: Tensor, other, *, alpha=1) -> Tensor:
    return apply_inplace(self, "sub_", lambda t: ew.sub(t, other, alpha=alpha), other)


def mul_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, "mul_", lambda t: ew.mul(t, other), other)


def div_(self: Tensor, other, *, rounding_mode=None) -> Tensor:
    return apply_inplace(self, "div_", lambda t: ew.div(t, other, rounding_mode=rounding_mode),
                         other)


def pow_(self: Tensor, exponent) -> Tensor:
    return apply_inplace(self, "pow_", lambda t: ew.pow(t, exponent), exponent)


def neg_(self: Tensor) -> Tensor:
    return apply_inplace(self, "neg_", ew.neg)


def clamp_(self: Tensor, min=None, max=None) -> Tensor:
    return apply_inplace(self, "clamp_", lambda t: ew.clamp(t, min, max), min, max)


def binary_(self: Tensor, name: str, function, other) -> Tensor:
    """Applies a binary op with `other` in place (floor_divide_, remainder_, bitwise_and_, ...)."""
    return apply_inplace(self, name, lambda t: function(t, other), other)


def unary_(self: Tensor, name: str, function) -> Tensor:
    """Applies a unary op in place (exp_, relu_, sqrt_, ...)."""
    return apply_inplace(self, name, function)


def zero_(self: Tensor) -> Tensor:
    return fill_(self, 0)


def fill_(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    return apply_inplace(self, "fill_", lambda t: _filled(t, value), value)


def copy_(self: Tensor, src) -> Tensor:
    src = tensor_arg(src, "copy_", "src")
    try:
        shape = np.broadcast_shapes(src._data.shape, self._data.shape)
    except ValueError:
        raise RuntimeError(f"copy_: the source of shape {list(src.shape)} does not broadcast to "
                           f"the destination's shape {list(self.shape)}") from None
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    return apply_inplace(self, "copy_", lambda t: _filled(t, ew.to_dtype(
        broadcast_to(src, t._data.shape), t.dtype)), src)


def masked_fill_(self: Tensor, mask, value) -> Tensor:
    return apply_inplace(self, "masked_fill_", lambda t: indexing.masked_fill(t, mask, value),
                         value)


def index_add_(self: Tensor, dim: int, index, source, *, alpha=1) -> Tensor:
    return apply_inplace(self, "index_add_",
                         lambda t: indexing.index_add(t, dim, index, source, alpha=alpha), source)


def scatter_(self: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    return apply_inplace(self, "scatter_", lambda t: indexing.scatter(
        t, dim, index, src, value=value, reduce=reduce), src)


def scatter_add_(self: Tensor, dim: int, index, src) -> Tensor:
    return apply_inplace(self, "scatter_add_",
                         lambda t: indexing.scatter_add(t, dim, index, src), src)


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    from ndgrad import _random
    sample = _random.rand(self.shape, generator=generator, dtype=self.dtype) * (b - a) + a
    return apply_inplace(self, "uniform_", lambda t: _filled(t, sample))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    from ndgrad import _random
    sample = _random.randn(self.shape, generator=generator, dtype=self.dtype) * std + mean
    return apply_inplace(self, "normal_", lambda t: _filled(t, sample))


def setitem(self: Tensor, key, value) -> None:
    """self[key] = value: the elements at key take value (broadcast, cast to self's dtype).

    Besides tensors and numbers, lists and arrays are taken as values (PyTorch refuses them).
    """
    if not isinstance(value, Tensor):
        if not (is_scalar(value) or isinstance(value, (list, tuple, np.ndarray, np.bool_))):
            raise TypeError(f"can't assign a {type_name(value)} to a tensor of dtype "
                            f"{self.dtype.name}")
        value = constant(np.asarray(value, dtype=self._data.dtype))
    if key is False:
        return  # PyTorch writes and records nothing for a bare False (x[False,] records)
    key = normalize_key(key)
    _check_value_shape(value._data.shape, indexing.indexed_shape(key, self._data.shape))

    def assign(t: Tensor) -> Tensor:
        # Assignment casts whatever the dtypes, as PyTorch's copy_ does (float into int too).
        cast = value if value._data.dtype == t._data.dtype else ew.to_dtype(value, t.dtype)
        return IndexPut.apply(t, cast, key)
    apply_inplace(self, "setitem", assign, value)


def _check_value_shape(shape: tuple, target: tuple) -> None:
    """Raises PyTorch's error when values of `shape` do not broadcast to the indexed `target`
    (leading 1-dims of the values are dropped first, as assignment does)."""
    lead = next((i for i, n in enumerate(shape) if n != 1), len(shape))
    kept = shape[lead:]
    if len(kept) > len(target) or any(
            n not in (1, m) for n, m in zip(reversed(kept), reversed(target))):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(shape)} cannot be "
                           f"broadcast to indexing result of shape {list(target)}")


class IndexPut(ArrayFunction):
    """A copy of `x` with `x[key] = values` (values broadcast to the indexed shape)."""

    @staticmethod
    def forward(ctx, x, values, key):
        ctx.key, ctx.values_shape = key, np.shape(values)
        result = x.copy()
        indexing.write_at(result, key, values)
        return result

    @staticmethod
    def backward(ctx, grad):
        grad_x = grad_values = None
        if ctx.needs_input_grad[0]:
            kept = np.ones_like(grad._data)
            indexing.write_at(kept, ctx.key, 0)
            grad_x = grad * constant(kept)
        if ctx.needs_input_grad[1]:
            grad_values = _unbroadcast(getitem(grad, ctx.key), ctx.values_shape)
        return grad_x, grad_values, None


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of `input` with `values` written at input[indices] (a tuple of index tensors for
    the leading dims), or added there with `accumulate`, where repeated indices add up."""
    if not isinstance(indices, (tuple, list)) or not all(isinstance(i, Tensor) for i in indices):
        raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of "
                        f"Tensors, not {type_name(indices)}")
    values = tensor_arg(values, "index_put", "values", 2)
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{input.dtype.name} for the destination and {values.dtype.name} "
                           f"for the source.")
    key = normalize_key(tuple(indices))
    target = indexing.indexed_shape(key, input._data.shape)
    _check_value_shape(values._data.shape, target)
    if not accumulate:
        return IndexPut.apply(input, values, key)
    # The index tensors cover the leading dims side by side: NumPy indexes them as PyTorch does.
    lead = next((i for i, n in enumerate(values.shape) if n != 1), values.ndim)
    spread = broadcast_to(reshape(values, values.shape[lead:]), target)
    return input + indexing.IndexAccumulate.apply(spread, key, input._data.shape)


def index_put_(self: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    return apply_inplace(self, "index_put_",
                         lambda t: index_put(t, indices, values, accumulate), values)


def _along(input: Tensor, dim: int, index, op: str) -> tuple:
    """The key that picks `index` (1-D or 0-d) along `dim` of a tensor of at least one dim."""
    dim = normalize_dim(dim, input.ndim)
    data = indexing._checked_index(index, input.shape[dim], dim, op, 3)
    if data.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: {data.ndim}")
    return normalize_key((slice(None),) * dim + (data.reshape(-1),))


def index_fill(input: Tensor, dim: int, index, value) -> Tensor:
    """A copy of `input` with `value` (a number or a 0-d tensor) in its slices at `index` along
    `dim`. A repeated index fills once (value's gradient counts each element once)."""
    if input.ndim == 0:
        return index_fill(input.reshape(1), dim, index, value).reshape(())
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    if not isinstance(value, Tensor):
        value = constant(np.asarray(value).astype(input._data.dtype))
    parts = _along(input, dim, index, "index_fill")
    parts = parts[:-2] + (np.unique(parts[-2]),) + parts[-1:]
    return IndexPut.apply(input, ew.to_dtype(value, input.dtype), parts)


def index_copy(input: Tensor, dim: int, index, source: Tensor) -> Tensor:
    """A copy of `input` with the slices of `source` at `index` along `dim` (a repeated index
    leaves which slice lands undefined, as in PyTorch)."""
    if input.ndim == 0:
        return index_copy(input.reshape(1), dim, index, reshape(source, (-1,))).reshape(())
    source = tensor_arg(source, "index_copy", "source", 4)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {input.dtype.name} and (source) "
                           f"{source.dtype.name}")
    parts = _along(input, dim, index, "index_copy")
    target = indexing.indexed_shape(parts, input._data.shape)
    if tuple(source.shape) != target:
        raise RuntimeError(f"index_copy_(): source of shape {list(source.shape)} does not fit "
                           f"the {list(target)} slices it replaces")
    return IndexPut.apply(input, source, parts)


def masked_scatter(input: Tensor, mask, source: Tensor) -> Tensor:
    """A copy of `input` (broadcast with `mask`) whose elements where `mask` is True take the
    leading elements of `source`, in row-major order."""
    mask = tensor_arg(mask, "masked_scatter", "mask", 2)
    source = tensor_arg(source, "masked_scatter", "source", 3)
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype.name}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but "
                           f"got {input.dtype.name} and {source.dtype.name}")
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    flags = np.broadcast_to(mask._data, shape)
    count = int(flags.sum())
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    taken = getitem(reshape(source, (-1,)), slice(count))
    return IndexPut.apply(broadcast_to(input, shape), taken, normalize_key(flags))


def put(input: Tensor, index, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of `input` with `source`'s elements written at the flat positions `index`
    (negative ones count from the end), or added there with `accumulate`."""
    data = indexing._checked_index(index, input.numel(), 0, "put", 1)
    source = tensor_arg(source, "put", "source", 2)
    if source.numel() != data.size:
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {data.size}")
    flat = index_put(reshape(input, (-1,)), (constant(data.reshape(-1)),),
                     reshape(source, (-1,)), accumulate)
    return reshape(flat, input.shape)


def put_(self: Tensor, index, source, accumulate: bool = False) -> Tensor:
    return apply_inplace(self, "put_", lambda t: put(t, index, source, accumulate), source)


def index_fill_(self: Tensor, dim: int, index, value) -> Tensor:
    return apply_inplace(self, "index_fill_", lambda t: index_fill(t, dim, index, value), value)


def index_copy_(self: Tensor, dim: int, index, source) -> Tensor:
    return apply_inplace(self, "index_copy_", lambda t: index_copy(t, dim, index, source),
                         source)


def masked_scatter_(self: Tensor, mask, source) -> Tensor:
    return apply_inplace(self, "masked_scatter_", lambda t: masked_scatter(t, mask, source),
                         source)


def _unbroadcast(grad: Tensor, shape: tuple) -> Tensor:
    """sum_to, also for values with more leading 1-dims than the indexed shape (NumPy and
    PyTorch drop those when assigning)."""
    lead = len(shape) - grad.ndim
    if lead > 0:
        return reshape(sum_to(grad, shape[lead:]), shape)
    return sum_to(grad, shape)
