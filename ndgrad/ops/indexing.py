"""Indexing ops: NumPy-style __getitem__ and gathering values along a dim."""
from __future__ import annotations

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import (check_broadcast, constant, is_scalar, normalize_dim, tensor_arg,
                                type_name)
from ndgrad.ops._views import mark_view
from ndgrad.ops.casting import to_dtype

_BASIC = (int, np.integer, slice, type(None), type(Ellipsis))
_VALID = _BASIC + (np.bool_,)  # and bool, an int
_PLAIN_WIDTHS = {int: 1, slice: 1, type(None): 0, type(Ellipsis): 0}  # dims a part consumes


class GetItem(ArrayFunction):
    """x[key] with NumPy's basic and advanced indexing."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        ctx.input_shape = x.shape
        result = x[key]
        if not result.flags.c_contiguous and not all(isinstance(k, _BASIC) for k in key):
            # PyTorch's advanced indexing makes a row-major tensor (so .view works on it);
            # NumPy may lay the advanced dims out in another order.
            result = result.copy()
        return result

    @staticmethod
    def backward(ctx, grad):
        return IndexAccumulate.apply(grad, ctx.key, ctx.input_shape), None


class IndexAccumulate(ArrayFunction):
    """Zeros of `shape` with `values` added at `key` (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, values, key, shape):
        ctx.key = key
        result = _backend.array_module(values).zeros(shape, dtype=values.dtype)
        if all(isinstance(k, _BASIC) for k in key):
            result[key] = values  # basic indexing never repeats an element
        else:
            _backend.add_at(result, key, values)
        return result

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.key), None, None


class Gather(ArrayFunction):
    """Picks x's elements along `dim` at `index`; other dims of `index` may be smaller."""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.index, ctx.dim, ctx.input_shape = index, dim, x.shape
        return x[_full_index(index, dim)]

    @staticmethod
    def backward(ctx, grad):
        return ScatterAdd.apply(grad, ctx.index, ctx.dim, ctx.input_shape), None, None


class ScatterAdd(ArrayFunction):
    """Zeros of `shape` with `values` added along `dim` at `index`."""

    @staticmethod
    def forward(ctx, values, index, dim, shape):
        ctx.index, ctx.dim = index, dim
        result = _backend.array_module(values).zeros(shape, dtype=values.dtype)
        _backend.add_at(result, _full_index(index, dim), values)
        return result

    @staticmethod
    def backward(ctx, grad):
        return Gather.apply(grad, ctx.index, ctx.dim), None, None, None


class Scatter(ArrayFunction):
    """A copy of `x` with `src` written along `dim` at `index` (x[..index..] = src)."""

    @staticmethod
    def forward(ctx, x, src, index, dim):
        ctx.index, ctx.dim, ctx.src_shape = index, dim, np.shape(src)
        result = x.copy()
        if np.ndim(src):
            src = src[tuple(slice(n) for n in index.shape)]
        result[_full_index(index, dim)] = src
        return result

    @staticmethod
    def backward(ctx, grad):
        grad_x = grad_src = None
        if ctx.needs_input_grad[0]:
            kept = _backend.array_module(grad._data).ones(grad.shape, dtype=grad._data.dtype)
            kept[_full_index(ctx.index, ctx.dim)] = 0
            grad_x = grad * constant(kept)
        if ctx.needs_input_grad[1]:
            picked = Gather.apply(grad, ctx.index, ctx.dim)
            key = tuple(slice(n) for n in ctx.index.shape)
            grad_src = IndexAccumulate.apply(picked, key, ctx.src_shape)
        return grad_x, grad_src, None, None


class ScatterReduce(ArrayFunction):
    """A copy of `x` with `src` added into it (reduce="add") or multiplied into it
    ("multiply") along `dim` at `index`, repeats accumulating. PyTorch defines no derivative
    for it, nor does ndgrad."""

    @staticmethod
    def forward(ctx, x, src, index, dim, reduce):
        result = x.copy()
        if np.ndim(src):
            src = src[tuple(slice(n) for n in index.shape)]
        else:
            src = np.asarray(src).astype(x.dtype)
        ufunc = getattr(_backend.array_module(x), "add" if reduce == "add" else "multiply")
        ufunc.at(result, _full_index(index, dim), src)
        return result

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("the derivative of scatter with reduce is not implemented (nor is "
                           "it in PyTorch); use scatter_add, or multiply by a scattered factor")


def _full_index(index, dim: int) -> tuple:
    """The tuple of index arrays that addresses `index` along `dim` and every other dim as is."""
    grids = list(np.ogrid[tuple(slice(s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


def _is_array(part) -> bool:
    return hasattr(part, "ndim") and not isinstance(part, np.generic)


def _index_part(item):
    """Converts one part of an index (Tensor, list, range, number, slice) to what NumPy takes."""
    if isinstance(item, Tensor):
        item = item._data
    elif isinstance(item, (list, tuple, range)):
        try:
            item = np.asarray([_index_part(i) for i in item])
        except ValueError:  # NumPy's "inhomogeneous shape" message would not say what is wrong
            raise IndexError(f"an index list must be rectangular (nested lists of equal "
                             f"lengths), but got {list(item)}") from None
        if item.size == 0:
            item = item.astype(np.int64)  # torch reads x[[]] as an empty integer index
    if not _is_array(item):
        return item
    if item.dtype == np.uint8:
        return item.astype(bool)  # PyTorch's (deprecated) byte masks
    if item.ndim == 0 and item.dtype.kind in "iu":
        return int(item)  # PyTorch treats a 0-d integer tensor as an int, not an array
    if item.ndim == 0 and item.dtype == np.bool_:
        return bool(item)  # and a 0-d bool tensor as True or False
    return item


# What an index array may hold, after byte masks became bool ones (as in PyTorch: int8 and
# int16 tensors are refused).
_INDEX_DTYPES = frozenset(map(np.dtype, ("int64", "int32", "bool")))


def normalize_key(key) -> tuple:
    """An index as a tuple NumPy takes: Tensors and lists become arrays, checked for dtype."""
    parts = key if isinstance(key, tuple) else (key,)
    parts = tuple(_index_part(p) for p in parts)
    for part in parts:
        if _is_array(part):
            if part.dtype not in _INDEX_DTYPES:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 f"tensors, got {part.dtype}")
        elif not isinstance(part, _VALID):
            # PyTorch reads a str as data for a new index tensor and raises TypeError.
            error = TypeError if isinstance(part, str) else IndexError
            raise error("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                        f"tensors are valid indices (got {type_name(part)})")
    if not any(p is Ellipsis for p in parts):
        parts += (Ellipsis,)  # makes NumPy return a 0-d view, not a scalar, for x[i, j]
    return parts


def _is_bool(part) -> bool:
    return isinstance(part, (bool, np.bool_))


def _is_int(part) -> bool:
    return isinstance(part, (int, np.integer)) and not _is_bool(part)


def _adds_dim(part) -> bool:
    """None, True and False insert a dim and consume none."""
    return part is None or _is_bool(part)


def _width(part) -> int:
    """How many dims of the indexed array a part consumes."""
    if _adds_dim(part) or part is Ellipsis:
        return 0
    return part.ndim if _is_array(part) and part.dtype == np.bool_ else 1


# Note [PyTorch's advanced indexing]
# PyTorch follows NumPy's advanced indexing except in three ways, all about when advanced
# indices count as "separated", which moves the advanced dims to the front of the result:
# - NumPy counts an int as an advanced index: in x[1, :, [0, 4]] (x of shape (3, 4, 5)) the
#   int and the array are separated by a slice and the result is (2, 4). PyTorch selects with
#   the ints first and gives (4, 2). So the ints (with the slices and None) are applied first,
#   then the arrays; the arrays are range-checked before, so errors name the dim of x.
# - NumPy counts an Ellipsis that stands for no dims as a separator; PyTorch does not. So the
#   Ellipsis is spelled out as slices.
# - True and False insert a dim that PyTorch indexes with the array [0] or [] (x[0, :, True]
#   has shape (4, 1, 5)), while NumPy counts them as 0-d masks, moved to the front with the int.


def torch_keys(parts: tuple, shape: tuple) -> tuple:
    """Keys that, applied one after the other with NumPy, index an array of `shape` as
    PyTorch indexes `parts`: see Note [PyTorch's advanced indexing]."""
    check_key(parts, shape)
    has_bool = any(_is_bool(p) for p in parts)
    if not has_bool and not any(_is_array(p) and p.ndim for p in parts):
        return (parts,)
    parts = _expand_ellipsis(parts, len(shape))
    if not has_bool and not any(_is_int(p) for p in parts):
        return (parts,)
    basic, advanced, dim = [], [], 0
    for part in parts:
        if _is_int(part):
            basic.append(part)
        elif _is_bool(part):
            basic.append(None)
            advanced.append(np.zeros(int(part), dtype=np.int64))
        elif _is_array(part):
            if part.dtype != np.bool_ and dim < len(shape):
                _check_range(part, shape[dim], dim)
            basic.extend([slice(None)] * _width(part))
            advanced.append(part)
        else:
            basic.append(part)
            advanced.append(slice(None))
        dim += _width(part)
    return tuple(basic), tuple(advanced)


def _expand_ellipsis(parts: tuple, ndim: int) -> tuple:
    at = next((i for i, p in enumerate(parts) if p is Ellipsis), None)
    if at is None:
        return parts
    covered = max(ndim - sum(_width(p) for p in parts), 0)
    return parts[:at] + (slice(None),) * covered + parts[at + 1:]


def check_key(parts: tuple, shape: tuple) -> None:
    """Raises PyTorch's IndexError when `parts` (from normalize_key) do not fit an array of
    `shape`, before NumPy raises its own, which speaks of arrays and axes."""
    ndim = len(shape)
    widths = [_PLAIN_WIDTHS[type(p)] if type(p) in _PLAIN_WIDTHS else _width(p) for p in parts]
    spare = ndim - sum(widths)  # the dims the Ellipsis stands for
    if spare < 0:
        if ndim == 0 and len(parts) == 2 and _is_int(parts[0]):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if sum(p is Ellipsis for p in parts) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    dim, index_shapes = 0, []
    for part, width in zip(parts, widths):
        if type(part) is slice or part is None:
            pass
        elif part is Ellipsis:
            dim += spare
        elif _is_int(part) and not -shape[dim] <= part < shape[dim]:
            raise IndexError(f"index {part} is out of bounds for dimension {dim} with size "
                             f"{shape[dim]}")
        elif _is_array(part) and part.dtype == np.bool_:
            _check_mask(part, shape, dim)
            index_shapes.append((int(np.count_nonzero(part)),))
        elif _is_array(part):
            _check_range(part, shape[dim], dim)
            index_shapes.append(part.shape)
        dim += width
    if len(index_shapes) > 1:
        _check_index_shapes(index_shapes)


def _check_index_shapes(shapes: list) -> None:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(str(list(s)) for s in shapes)
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {listed}") from None


def _check_mask(mask, shape: tuple, dim: int) -> None:
    for k, size in enumerate(mask.shape):
        if size != shape[dim + k]:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {k} does not "
                             f"match the shape of the indexed tensor {list(shape)} at index "
                             f"{dim + k}")


def indexed_shape(parts: tuple, shape: tuple) -> tuple:
    """The shape of x[parts] for an array x of `shape` (raising getitem's errors)."""
    stand_in = np.broadcast_to(np.empty((), dtype=bool), shape)  # no memory of x's size
    keys = torch_keys(parts, shape)
    for key in keys:
        stand_in = stand_in[key]
    return stand_in.shape


def _check_range(index, size: int, dim: int) -> None:
    if index.size and (index.max() >= size or index.min() < -size):
        bad = index.max() if index.max() >= size else index.min()
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _basic_parts(key, shape: tuple):
    """normalize_key's result for the common keys (an int or slice, or a tuple of them, with
    the ints in range), which need none of its conversions and checks; else None."""
    parts = key if type(key) is tuple else (key,)
    if len(parts) > len(shape):
        return None
    for part, size in zip(parts, shape):
        kind = type(part)
        if not (kind is slice or (kind is int and -size <= part < size)):
            return None
    return parts + (Ellipsis,)


def getitem(input: Tensor, key) -> Tensor:
    """input[key]: ints, slices, None, Ellipsis, bool masks and integer arrays, mixed, with
    PyTorch's semantics (see Note [PyTorch's advanced indexing])."""
    parts = _basic_parts(key, input._data.shape)
    if parts is not None:  # x[0]: 3.4 us this way, 7.2 through the general one
        return mark_view(GetItem.apply(input, parts), input, getitem, parts)
    parts = normalize_key(key)
    try:
        keys = torch_keys(parts, input._data.shape)
        if len(keys) == 1:
            return mark_view(GetItem.apply(input, keys[0]), input, getitem, keys[0])
    except IndexError as error:
        raise IndexError(f"{error} (indexing a tensor of shape {list(input.shape)})") from None
    return getitem(getitem(input, keys[0]), keys[1])


def write_at(target, parts: tuple, values) -> None:
    """target[parts] = values on arrays, with getitem's index semantics."""
    keys = torch_keys(parts, target.shape)
    shape = np.shape(values)
    lead = next((i for i, n in enumerate(shape) if n != 1), len(shape))
    if lead:
        # PyTorch drops leading 1-dims of values; NumPy's mask-only assignment refuses them.
        values = values.reshape(shape[lead:])
    if len(keys) == 1:
        target[keys[0]] = values
    else:
        target[keys[0]][keys[1]] = values  # target[basic] is a view: writes go through


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Picks values of `input` at `indices` along `dim` (flattened when dim is None); the other
    dims of `indices` broadcast against `input`'s."""
    op = "take_along_dim"
    if dim is None:
        index = _checked_index(indices, input.numel(), 0, op, 2)
        return Gather.apply(input.reshape(-1), index.reshape(-1), 0)
    dim = normalize_dim(dim, input.ndim)
    index = _checked_index(indices, input.shape[dim], dim, op, 2)
    if index.ndim != input.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {input.ndim} dimensions for input, and "
                           f"{index.ndim} dimensions for indices")
    try:
        shape = list(np.broadcast_shapes(tuple(np.delete(input.shape, dim)),
                                         tuple(np.delete(index.shape, dim))))
    except ValueError:
        raise RuntimeError(f"take_along_dim(): input of shape {list(input.shape)} and indices "
                           f"of shape {list(index.shape)} do not broadcast outside dim "
                           f"{dim}") from None
    target = tuple(shape[:dim]) + (index.shape[dim],) + tuple(shape[dim:])
    source = tuple(shape[:dim]) + (input.shape[dim],) + tuple(shape[dim:])
    input = input if tuple(input.shape) == source else input.expand(*source)
    return Gather.apply(input, np.broadcast_to(index, target), dim)


def _checked_index(index, size: int, dim: int, op: str, position: int, *, error=IndexError,
                   negative: bool = True) -> np.ndarray:
    """The array of `op`'s index tensor (its argument at `position`), refusing non-integer
    dtypes and out-of-range values with `error`, the exception PyTorch's `op` raises; negative
    values count from the end only where `op` allows them (`negative`)."""
    data = tensor_arg(index, op, "index", position)._data
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, but got {data.dtype}")
    if data.size:
        high, low = data.max(), data.min()
        if high >= size or low < (-size if negative else 0):
            raise error(f"{op}(): index {high if high >= size else low} is out of bounds for "
                        f"dimension {dim} with size {size}")
        if low < 0:
            return np.where(data < 0, data + size, data)
    return data


def _has_scalar(*tensors) -> bool:
    return any(isinstance(t, Tensor) and t.ndim == 0 for t in tensors)


def _vector(t):
    """A 0-d tensor as 1-D, anything else as it is: PyTorch's gather and scatter ops take a 0-d
    input, index or source as a vector of one element."""
    return t.reshape(1) if _has_scalar(t) else t


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j][k] = input[i][index[i][j][k]][k] for dim=1; index may be smaller than input in
    the other dims. The gradient is dense, even with `sparse_grad` (no sparse tensors)."""
    if _has_scalar(input, index):
        return gather(_vector(input), dim, _vector(index)).reshape(tuple(index.shape))
    dim = normalize_dim(dim, input.ndim)
    data = _checked_index(index, input.shape[dim], dim, "gather", 3, error=RuntimeError,
                          negative=False)
    _check_index_shape(data, input, dim, "gather")
    return Gather.apply(input, data, dim)


def _check_index_shape(index: np.ndarray, input: Tensor, dim: int, name: str) -> None:
    if index.ndim != input.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input "
                           f"tensor ({name}: index {list(index.shape)}, input "
                           f"{list(input.shape)})")
    for d, (i, n) in enumerate(zip(index.shape, input.shape)):
        if d != dim and i > n:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(index.shape)} to be smaller than self "
                               f"{list(input.shape)} apart from dimension {dim}")


def _check_src(src: Tensor, index: np.ndarray, input: Tensor, dim: int, name: str) -> None:
    """PyTorch's checks of a scatter's source: input's dtype, and room for every index."""
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype, got "
                           f"{input.dtype.name} and {src.dtype.name}")
    if src.ndim != index.ndim or any(i > n for i, n in zip(index.shape, src.shape)):
        raise RuntimeError(f"{name}(): Expected index {list(index.shape)} to be no larger than "
                           f"self {list(input.shape)} apart from dimension {dim} and to be no "
                           f"larger size than src {list(src.shape)}")


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None,
            reduce: str | None = None) -> Tensor:
    """A copy of `input` with `src` (or a scalar `value`) written along `dim` at `index`, or
    added into it (reduce="add") or multiplied into it ("multiply")."""
    if src is None:
        src = value
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got "
                           f"{reduce!r}")
    if _has_scalar(input, index, src):
        return scatter(_vector(input), dim, _vector(index), _vector(src),
                       reduce=reduce).reshape(input.shape)
    dim = normalize_dim(dim, input.ndim)
    data = _checked_index(index, input.shape[dim], dim, "scatter", 3, error=RuntimeError,
                          negative=False)
    _check_index_shape(data, input, dim, "scatter")
    if isinstance(src, Tensor):
        _check_src(src, data, input, dim, "scatter")
    elif not is_scalar(src):
        raise TypeError(f"scatter(): argument 'src' must be Tensor or a number (or `value` a "
                        f"number), not {type_name(src)}")
    if reduce is not None:
        return ScatterReduce.apply(input, src, data, dim, reduce)
    return Scatter.apply(input, src, data, dim)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of `input` with `src` added along `dim` at `index` (repeats accumulate)."""
    if _has_scalar(input, index, src):
        added = scatter_add(_vector(input), dim, _vector(index), _vector(src))
        return added.reshape(input.shape)
    dim = normalize_dim(dim, input.ndim)
    data = _checked_index(index, input.shape[dim], dim, "scatter_add", 3, error=RuntimeError,
                          negative=False)
    _check_index_shape(data, input, dim, "scatter_add")
    _check_src(tensor_arg(src, "scatter_add", "src", 4), data, input, dim, "scatter_add")
    src = getitem(src, tuple(slice(n) for n in data.shape))
    return input + ScatterAdd.apply(src, data, dim, input._data.shape)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of `input` along `dim` at the 1-D `index` (a 0-d input takes one index)."""
    if input.ndim == 0:
        picked = index_select(input.reshape(1), dim, index)
        if picked.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{picked.numel()} value(s)")
        return picked.reshape(())
    dim = normalize_dim(dim, input.ndim)
    data = _checked_index(index, input.shape[dim], dim, "index_select", 3, negative=False)
    if data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return getitem(input, (slice(None),) * dim + (data.reshape(-1),))


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of `input` with alpha * source's slices added at `index` along `dim`."""
    if input.ndim == 0:
        if _has_scalar(source):
            return index_add(input.reshape(1), dim, index, source.reshape(1),
                             alpha=alpha).reshape(())
        raise RuntimeError(f"index_add_(): the source of a 0-d self must be 0-d, got shape "
                           f"{list(getattr(source, 'shape', []))}")
    dim = normalize_dim(dim, input.ndim)
    data = _checked_index(index, input.shape[dim], dim, "index_add", 3, negative=False)
    if data.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{data.ndim} with size: {list(data.shape)}")
    data = data.reshape(-1)
    source = tensor_arg(source, "index_add", "source", 4)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add_(): self ({input.dtype.name}) and source "
                           f"({source.dtype.name}) must have the same scalar type")
    expected = input.shape[:dim] + (data.size,) + input.shape[dim + 1:]
    if input.ndim and source.shape != expected:
        raise RuntimeError(f"index_add_(): source of shape {list(source.shape)} does not match "
                           f"self of shape {list(input.shape)} with {data.size} indices along "
                           f"dim {dim} (expected {list(expected)})")
    if alpha != 1:
        source = source * alpha
    key = (slice(None),) * dim + (data,)
    return input + IndexAccumulate.apply(to_dtype(source, input.dtype), key, input._data.shape)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """A copy of `input` with `value` where `mask` is True."""
    from ndgrad.ops.elementwise import where
    mask = tensor_arg(mask, "masked_fill", "mask", 2)
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    if isinstance(value, Tensor):
        value = to_dtype(value, input.dtype)
    result = where(mask, value, input)
    return to_dtype(result, input.dtype)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of `input` where the (broadcast) `mask` is True, as a 1-D tensor."""
    mask = tensor_arg(mask, "masked_select", "mask", 2)
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype.name}")
    check_broadcast(input, mask)
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    return getitem(input.expand(*shape), np.broadcast_to(mask._data, shape))


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened `input` at `index`, in index's shape."""
    data = _checked_index(index, input.numel(), 0, "take", 2)
    return getitem(input.reshape(-1), data)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones.

    A 0-d input counts as 1-D for `as_tuple`, as in PyTorch."""
    data = tensor_arg(input, "nonzero")._data
    if data.ndim == 0:
        found = np.nonzero(data.reshape(1))[0].astype(np.int64)
        if as_tuple:
            return (constant(found),)
        return constant(np.zeros((found.size, 0), dtype=np.int64))
    found = np.nonzero(data)
    if as_tuple:
        return tuple(constant(i.astype(np.int64)) for i in found)
    return constant(np.stack(found, axis=1).astype(np.int64))
