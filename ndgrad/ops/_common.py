"""Argument normalisation shared by the op wrappers: operands, dtypes, dims."""
from __future__ import annotations

import numbers

import numpy as np

from ndgrad import _dtype
from ndgrad._creation import tensor
# tensor_arg and int_arg are imported for the op modules, which take their argument
# helpers from here.
from ndgrad._args import (bool_arg, dim_index, int_arg, normalize_dim,  # noqa: F401
                          tensor_arg, type_name)
from ndgrad._tensor import Tensor
from ndgrad.ops.casting import to_dtype


def is_scalar(x) -> bool:
    """True for a Python (or NumPy) number, which ops keep weakly typed."""
    return isinstance(x, numbers.Number) and not isinstance(x, np.ndarray)


def as_tensor(x) -> Tensor:
    """Returns `x` if it is a Tensor, else a new tensor made from it (lists, arrays, numbers)."""
    if isinstance(x, Tensor):
        return x
    return tensor(x)


def tensor_list(tensors, op: str, name: str = "tensors") -> list:
    """`tensors` (a tuple or list of Tensors) as a list; else PyTorch's TypeError.

    A single tensor is refused too: iterating it would silently join its rows.
    """
    if not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{op}(): argument '{name}' (position 1) must be tuple of Tensors, not "
                        f"{type_name(tensors)}")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {k} in argument '{name}', but "
                            f"got {type_name(t)}")
    return list(tensors)


def constant(array) -> Tensor:
    """Wraps an array (a mask, indices) as a tensor outside the graph."""
    return Tensor._make(array)


def _same_dtype_operands(a, b):
    """The common dtype when no conversion is needed (two tensors of one dtype, or a tensor and
    a Python number of its kind), else None. Per-op overhead is a benchmark target; this skips
    the general promotion rules in the common cases."""
    if isinstance(a, Tensor):
        tensor, other = a, b
    elif isinstance(b, Tensor):
        tensor, other = b, a
    else:
        return None
    dtype = tensor._data.dtype
    if isinstance(other, Tensor):
        if other._data.dtype != dtype:
            return None
    elif not ((type(other) is float and dtype.kind == "f")
              or (type(other) is int and dtype.kind in "fi")):
        return None
    return _dtype.from_numpy_dtype(dtype)


def operand(x, op: str | None, name: str, position: int):
    """`x` if it is a Tensor or a number (an operand of a binary op), an array as a tensor (as
    PyTorch's operators take it), else a TypeError: a list or None is a mistake."""
    if isinstance(x, Tensor) or is_scalar(x):
        return x
    if isinstance(x, (np.ndarray, np.bool_)):
        return tensor(x)
    prefix = f"{op}(): " if op else ""
    raise TypeError(f"{prefix}argument '{name}' (position {position}) must be Tensor or a "
                    f"number, not {type_name(x)}")


def binary_operands(a, b, op: str | None = None):
    """Promotes two operands to their common dtype, keeping Python scalars as scalars.

    Operands other than tensors and numbers raise TypeError naming `op`. The checks run only
    when the fast path (two tensors of one dtype) does not apply.
    """
    fast = _same_dtype_operands(a, b)
    if fast is not None:
        return a, b, fast
    a, b = operand(a, op, "input", 1), operand(b, op, "other", 2)
    dtype = _dtype.result_type(a, b)
    return cast_operand(a, dtype), cast_operand(b, dtype), dtype


def cast_operand(x, dtype: _dtype.dtype):
    """Converts a Tensor to `dtype` if needed; a scalar is left (as a Python number) for NumPy
    to adapt."""
    if isinstance(x, Tensor):
        return to_dtype(x, dtype)
    if isinstance(x, np.generic):
        # A NumPy scalar is weak like a Python number, as in PyTorch; NumPy itself would let
        # np.float64(0.5) * float32 array give float64.
        x = x.item()
    if isinstance(x, bool) and dtype is not _dtype.bool:
        return int(x)  # NumPy refuses bool scalars in some integer/float ufuncs
    return x


def check_broadcast(a, b) -> None:
    """Raises RuntimeError naming the sizes when two tensors' shapes do not broadcast."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return
    shape_a, shape_b = a._data.shape, b._data.shape
    if shape_a == shape_b:
        return
    for i in range(1, min(len(shape_a), len(shape_b)) + 1):
        size_a, size_b = shape_a[-i], shape_b[-i]
        if size_a != size_b and size_a != 1 and size_b != 1:
            dim = max(len(shape_a), len(shape_b)) - i
            raise RuntimeError(f"The size of tensor a ({size_a}) must match the size of tensor "
                               f"b ({size_b}) at non-singleton dimension {dim}")


def floating(x: Tensor) -> Tensor:
    """`x` itself if it is floating point, else `x` converted to the default float dtype."""
    if x._data.dtype.kind == "f":
        return x
    return to_dtype(x, _dtype.get_default_dtype())


def dims(dim, ndim: int):
    """Normalises `dim` (None, int, or a sequence) to None or a sorted tuple of dims."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        normalized = tuple(sorted(normalize_dim(d, ndim) for d in dim))
        for first, second in zip(normalized, normalized[1:]):
            if first == second:
                raise RuntimeError(f"dim {first} appears multiple times in the list of dims")
        return normalized
    return (normalize_dim(dim, ndim),)


def dim_alias(dim, axis):
    """Accepts NumPy's `axis` for PyTorch's `dim`."""
    if axis is not None:
        if dim is not None:
            raise TypeError("got both 'dim' and its alias 'axis'")
        return axis
    return dim
