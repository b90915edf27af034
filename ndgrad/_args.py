"""Argument parsing and array conversion shared by Tensor, the factories and the ops.

This module sits below all of them (it imports only NumPy, `_dtype` and nothing of ndgrad's
Tensor), so that an op normalising its arguments never climbs back up to `_tensor.py`:
helpers <- autograd <- ops <- Tensor methods <- nn, optim, data.
"""
from __future__ import annotations

import functools
import operator
from typing import Any

import numpy as np

from ndgrad import _dtype

__all__ = ["TensorBase", "array_from_data", "bool_arg", "dim_index", "infer_dtype", "int_arg",
           "normalize_dim", "parse_shape", "parse_size", "tensor_arg", "type_name"]


class TensorBase:
    """The base class of `ndgrad.Tensor`.

    It is defined here, below Tensor, so that these helpers recognise a tensor (and read its
    array, `_data`) without importing `_tensor.py`. It holds no state and no methods.
    """

    __slots__ = ()


def type_name(x) -> str:
    """The name of x's type as PyTorch's argument errors spell it: 'list', 'numpy.ndarray'."""
    kind = type(x)
    if kind.__module__ == "builtins" or kind.__module__.startswith("ndgrad"):
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def tensor_arg(x, op: str, name: str = "input", position: int = 1):
    """`x` itself if it is a Tensor; else PyTorch's TypeError naming the op and the argument.

    Ops that take tensors refuse lists, arrays and numbers, as PyTorch does: converting them
    silently would hide a mistake (and ndarray's float64 would change the result's dtype).
    """
    if isinstance(x, TensorBase):
        return x
    raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
                    f"{type_name(x)}")


def parse_shape(shape: tuple, op: str | None = None, name: str = "size") -> tuple:
    """Accepts sizes given as `f(2, 3)` or `f((2, 3))` and returns a tuple of ints.

    With `op` given, no sizes at all is PyTorch's TypeError for the missing argument `name`
    (`x.view()`); `f(())` is the empty shape.
    """
    if not shape and op is not None:
        raise TypeError(f'{op}() missing 1 required positional arguments: "{name}"')
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if all(type(s) is int for s in shape):
        return shape  # the common case
    for s in shape:
        # Anything with __index__ counts (NumPy ints, one-element int tensors), but not bools.
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"size must be a sequence of ints, but got {type(s).__name__} in "
                            f"{shape}")
    return tuple(operator.index(s) for s in shape)


def parse_size(sizes: tuple) -> tuple:
    """The shape of a new tensor from `f(2, 3)` or `f((2, 3))`: ints, none negative."""
    shape = parse_shape(sizes)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    return shape


def int_arg(value, op: str, name: str, position: int) -> int:
    """`value` as an int (a bool is refused, a NumPy int or 0-d int tensor taken); else
    PyTorch's TypeError naming the op and the argument (counted as in the method's call)."""
    if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__index__"):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be int, not "
                        f"{type_name(value)}")
    return operator.index(value)


def bool_arg(value, op: str, name: str) -> bool:
    """`value` if it is a bool; else PyTorch's TypeError naming the op and the argument (a
    string or a number would otherwise count by its truth value)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{op}(): argument '{name}' must be bool, not {type_name(value)}")


def dim_index(dim) -> int:
    """`dim` as an int; a float, bool or str is a TypeError (int() would truncate or parse it)."""
    if isinstance(dim, (bool, np.bool_)) or not hasattr(dim, "__index__"):
        raise TypeError(f"dim must be an int or a tuple of ints, but got {type_name(dim)}")
    return operator.index(dim)


def normalize_dim(dim: int, ndim: int) -> int:
    """Maps a possibly negative dim into [0, ndim), raising IndexError when out of range (and
    TypeError for a dim that is not an integer)."""
    if type(dim) is not int:
        dim = dim_index(dim)
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-bound}, "
                         f"{bound - 1}], but got {dim})")
    return dim % bound


def array_from_data(data: Any, dtype=None) -> np.ndarray:
    """Converts data (number, nested lists, array, Tensor) into an array of ndgrad's dtypes."""
    if isinstance(data, TensorBase):
        array = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
        _dtype.from_numpy_dtype(array.dtype)
    else:
        # Python data goes straight to the requested dtype: via float32 it would lose digits.
        return _array_from_python(data, None if dtype is None else _dtype.to_dtype(dtype))
    if dtype is not None:
        array = _convert(array, _dtype.to_dtype(dtype))
    return array


def _convert(array: np.ndarray, dtype: _dtype.dtype) -> np.ndarray:
    """`array` as `dtype`; a float too large for it becomes inf silently, as in PyTorch."""
    if array.dtype == dtype.numpy:
        return array
    with np.errstate(over="ignore", invalid="ignore"):
        return array.astype(dtype.numpy)


def _array_from_python(data: Any, dtype: _dtype.dtype | None = None) -> np.ndarray:
    dtype = dtype or infer_dtype(data)
    try:
        array = np.array(data)
    except ValueError as error:
        _check_nested_shape(data)
        raise ValueError(f"could not build a tensor from {type(data).__name__}: {error}") from None
    if array.dtype.kind in "OUS" or array.dtype == np.uint64:
        _raise_for_leaf(data)
    _check_fits(array, dtype)
    return _convert(array, dtype)


def _check_fits(array: np.ndarray, dtype: _dtype.dtype) -> None:
    """Raises PyTorch's error for Python numbers that an integer dtype cannot hold.

    Floats must be finite and within the dtype's range; uint8 also takes the ints -255..-1 as
    their two's complement (-1 is 255), as PyTorch does.
    """
    if dtype.numpy.kind not in "iu" or array.dtype.kind not in "if" or not array.size:
        return
    info = np.iinfo(dtype.numpy)
    low = -int(info.max) if info.min == 0 and array.dtype.kind == "i" else int(info.min)
    if not (np.isfinite(array).all() and low <= array.min() and array.max() <= info.max):
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _python_scalar_dtype(kind: type) -> _dtype.dtype:
    if kind is bool:
        return _dtype.bool
    return _dtype.int64 if kind is int else _dtype.get_default_dtype()


def infer_dtype(data: Any) -> _dtype.dtype:
    """PyTorch's dtype for nested data: its leaves' dtypes promoted together, where a Python
    float counts as the default dtype, an int as int64, arrays and tensors as their own dtype."""
    if isinstance(data, TensorBase):
        return _dtype.from_numpy_dtype(data._data.dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(data.dtype)
    if not isinstance(data, (list, tuple)):
        return _dtype.scalar_dtype(data)
    kinds = set(map(type, data))
    scalars = kinds & {bool, int, float}
    found = [_python_scalar_dtype(kind) for kind in scalars]
    if not kinds <= scalars:
        found += [infer_dtype(d) for d in data if type(d) not in scalars]
    if not found:
        return _dtype.get_default_dtype()
    return functools.reduce(_dtype.promote_types, found)


def _check_nested_shape(data: Any) -> None:
    """Raises PyTorch's error for ragged nested lists, naming the dim where lengths differ."""
    level, dim = [data], 0
    while True:
        level = [_nested_list(x) for x in level]
        sequences = [x for x in level if isinstance(x, (list, tuple))]
        if not sequences:
            return
        if len(sequences) != len(level):
            raise ValueError(f"could not build a tensor: numbers and sequences are mixed at "
                             f"dim {dim}")
        for sequence in sequences:
            if len(sequence) != len(sequences[0]):
                raise ValueError(f"expected sequence of length {len(sequences[0])} at dim {dim} "
                                 f"(got {len(sequence)})")
        level = [x for sequence in sequences for x in sequence]
        dim += 1


def _nested_list(x: Any) -> Any:
    """A tensor's or array's values as nested lists; anything else as it is."""
    if isinstance(x, TensorBase):
        return x._data.tolist()
    return x.tolist() if isinstance(x, np.ndarray) else x


def _raise_for_leaf(data: Any) -> None:
    """Raises for the first value in nested data that no tensor dtype can hold."""
    pending = [data]
    while pending:
        x = pending.pop()
        if isinstance(x, (list, tuple)):
            pending.extend(x)
        elif isinstance(x, str):
            raise TypeError(f"could not build a tensor from str {x!r}: expected numbers, bools "
                            "or nested lists of them")
        elif isinstance(x, int) and not -2 ** 63 <= x < 2 ** 63:
            raise ValueError(f"Overflow when unpacking long long: {x} does not fit in int64")
        elif not isinstance(x, (int, float, np.generic, np.ndarray, TensorBase)):
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
    raise TypeError(f"could not build a tensor from {type(data).__name__}")
