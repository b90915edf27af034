"""Tensor factories: tensor, from_numpy, zeros, ones, full, arange, linspace, eye, ..."""
from __future__ import annotations

import math
import numbers

import numpy as np

from ndgrad import _backend, _dtype
from ndgrad._args import array_from_data, int_arg, parse_size, type_name
from ndgrad._tensor import Tensor


def _finish(array, requires_grad: bool, device) -> Tensor:
    """Wraps a new array as a leaf, moved to `device` first so the result stays a leaf."""
    if device is not None:
        array = _backend.move_to(array, _backend.device(device))
    # None counts as False, as in PyTorch's factories; other non-bools are refused.
    return Tensor._make(array).requires_grad_(False if requires_grad is None else requires_grad)


def _size(sizes: tuple, size) -> tuple:
    """The shape from `f(2, 3)`, `f((2, 3))` or `f(size=(2, 3))`."""
    if size is not None:
        if sizes:
            raise TypeError("size given both positionally and as a keyword")
        sizes = (size,)
    return parse_size(sizes)


def _dtype_or_default(dtype) -> _dtype.dtype:
    return _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)


def _number(value, op: str, name: str, position: int):
    """A Python number from a number or a one-element tensor (as PyTorch accepts for ranges);
    anything else is PyTorch's TypeError naming the op and the argument."""
    if isinstance(value, Tensor):
        return value.item()
    if value is None or isinstance(value, (numbers.Number, np.bool_)):
        return value
    raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Number, not "
                    f"{type_name(value)}")


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (number, nested lists, array or tensor).

    Python floats give the default float dtype, ints int64, bools bool; arrays keep their
    dtype. Integer data with requires_grad=True becomes the default float dtype (seed).
    """
    array = array_from_data(data, dtype)
    if isinstance(data, (Tensor, np.ndarray)) and np.may_share_memory(
            array, data._data if isinstance(data, Tensor) else data):
        array = array.copy()
    return _finish(array, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing memory with a tensor or array when no conversion is needed."""
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray):
        return _finish(array_from_data(data, dtype), False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    array = np.zeros(_size(sizes, size), dtype=_dtype_or_default(dtype).numpy)
    return _finish(array, requires_grad, device)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    array = np.ones(_size(sizes, size), dtype=_dtype_or_default(dtype).numpy)
    return _finish(array, requires_grad, device)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor."""
    array = np.empty(_size(sizes, size), dtype=_dtype_or_default(dtype).numpy)
    return _finish(array, requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with `fill_value`; the dtype follows the value when not given."""
    if isinstance(fill_value, Tensor) and fill_value.ndim != 0:
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not a "
                        f"Tensor of shape {list(fill_value.shape)}")
    fill_value = _number(fill_value, "full", "fill_value", 2)
    dtype = _dtype.scalar_dtype(fill_value) if dtype is None else _dtype.to_dtype(dtype)
    shape = parse_size((size,) if isinstance(size, numbers.Integral) else tuple(size))
    return _finish(np.full(shape, fill_value, dtype=dtype.numpy), requires_grad, device)


def _like(input: Tensor, dtype, device, name: str) -> tuple:
    """The shape, dtype and device of a new tensor like `input` (its own where not given)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return (input.shape, input.dtype if dtype is None else dtype,
            input.device if device is None else device)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype) of `input`."""
    shape, dtype, device = _like(input, dtype, device, "zeros_like")
    return zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype) of `input`."""
    shape, dtype, device = _like(input, dtype, device, "ones_like")
    return ones(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with the shape (and dtype) of `input`."""
    shape, dtype, device = _like(input, dtype, device, "empty_like")
    return empty(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere, with the shape (and dtype) of `input`."""
    shape, dtype, device = _like(input, dtype, device, "full_like")
    return full(shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive) by step; int64 if all are ints."""
    start, end = _number(start, "arange", "start", 1), _number(end, "arange", "end", 2)
    step = _number(step, "arange", "step", 3)
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = _dtype.int64 if integral else _dtype.get_default_dtype()
    dtype = _dtype.to_dtype(dtype)
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if not dtype.is_floating_point:
        # As PyTorch: integer ranges truncate their bounds and step to integers first.
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype.is_floating_point:
        # Count in float64 as PyTorch does, so float steps give the same number of elements.
        count = math.ceil((end - start) / step)
        array = (start + np.arange(count, dtype=np.float64) * step).astype(dtype.numpy)
    else:
        array = np.arange(start, end, step, dtype=dtype.numpy)
    return _finish(array, requires_grad, device)


def linspace(start, end, steps: int, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start, end = _number(start, "linspace", "start", 1), _number(end, "linspace", "end", 2)
    array = np.linspace(start, end, steps)
    return _finish(array.astype(_dtype_or_default(dtype).numpy), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """An n x m matrix with ones on the diagonal."""
    n = int_arg(n, "eye", "n", 1)
    m = None if m is None else int_arg(m, "eye", "m", 2)
    for name, value in (("n", n), ("m", m)):
        if value is not None and value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    array = np.eye(n, m, dtype=_dtype_or_default(dtype).numpy)
    return _finish(array, requires_grad, device)
