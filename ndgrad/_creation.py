"""Tensor factories: tensor, from_numpy, zeros, ones, full, arange, linspace, eye, ..."""
from __future__ import annotations

import numbers

import numpy as np

from ndgrad import _dtype
from ndgrad._tensor import Tensor, _array_from_data, _parse_shape


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._make(array).requires_grad_(requires_grad)


def _dtype_or_default(dtype) -> _dtype.dtype:
    return _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (number, nested lists, array or tensor).

    Python floats give the default float dtype, ints int64, bools bool; arrays keep their
    dtype. Integer data with requires_grad=True becomes the default float dtype (seed).
    """
    array = _array_from_data(data, dtype)
    if isinstance(data, (Tensor, np.ndarray)) and np.may_share_memory(
            array, data._data if isinstance(data, Tensor) else data):
        array = array.copy()
    result = _finish(array, requires_grad)
    return result if device is None else result.to(device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing memory with a tensor or array when no conversion is needed."""
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray):
        return Tensor._make(_array_from_data(data, dtype))
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return full(_parse_shape(size), 0, dtype=_dtype_or_default(dtype), device=device,
                requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return full(_parse_shape(size), 1, dtype=_dtype_or_default(dtype), device=device,
                requires_grad=requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor."""
    array = np.empty(_parse_shape(size), dtype=_dtype_or_default(dtype).numpy)
    result = _finish(array, requires_grad)
    return result if device is None else result.to(device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with `fill_value`; the dtype follows the value when not given."""
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                                    else fill_value)
    shape = _parse_shape((size,) if isinstance(size, numbers.Integral) else tuple(size))
    array = np.full(shape, fill_value, dtype=_dtype.to_dtype(dtype).numpy)
    result = _finish(array, requires_grad)
    return result if device is None else result.to(device)


def _like(input: Tensor, dtype):
    return input.shape, input.dtype if dtype is None else dtype


def zeros_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype) of `input`."""
    shape, dtype = _like(input, dtype)
    return zeros(shape, dtype=dtype, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype) of `input`."""
    shape, dtype = _like(input, dtype)
    return ones(shape, dtype=dtype, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with the shape (and dtype) of `input`."""
    shape, dtype = _like(input, dtype)
    return empty(shape, dtype=dtype, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere, with the shape (and dtype) of `input`."""
    shape, dtype = _like(input, dtype)
    return full(shape, fill_value, dtype=dtype, requires_grad=requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive) by step; int64 if all are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign: "
                           f"start={start}, end={end}, step={step}")
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = _dtype.int64 if integral else _dtype.get_default_dtype()
    dtype = _dtype.to_dtype(dtype)
    # Count in float64 as PyTorch does, so float steps give the same number of elements.
    count = int(np.ceil((end - start) / step))
    array = (start + np.arange(count, dtype=np.float64) * step).astype(dtype.numpy)
    if dtype.is_floating_point is False:
        array = np.arange(start, start + count * step, step, dtype=dtype.numpy)[:count]
    result = _finish(array, requires_grad)
    return result if device is None else result.to(device)


def linspace(start, end, steps: int, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    array = np.linspace(start, end, steps).astype(_dtype_or_default(dtype).numpy)
    result = _finish(array, requires_grad)
    return result if device is None else result.to(device)


def eye(n: int, m: int | None = None, *, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """An n x m matrix with ones on the diagonal."""
    result = _finish(np.eye(n, m, dtype=_dtype_or_default(dtype).numpy), requires_grad)
    return result if device is None else result.to(device)
