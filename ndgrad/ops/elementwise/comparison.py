"""Comparisons, logical and bitwise ops, and NaN/inf/closeness tests.

These return bool (or integer) tensors outside the graph: they have no gradient.
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.ops._common import binary_operands, check_broadcast, constant, tensor_arg


def _compare(ufunc, input, other) -> Tensor:
    a, b, _ = binary_operands(input, other, ufunc.__name__)
    check_broadcast(a, b)
    a = a._data if isinstance(a, Tensor) else a
    b = b._data if isinstance(b, Tensor) else b
    return constant(np.asarray(ufunc(a, b)))


def eq(input, other) -> Tensor:
    """input == other, elementwise."""
    return _compare(np.equal, input, other)


def ne(input, other) -> Tensor:
    """input != other, elementwise."""
    return _compare(np.not_equal, input, other)


def lt(input, other) -> Tensor:
    """input < other, elementwise."""
    return _compare(np.less, input, other)


def le(input, other) -> Tensor:
    """input <= other, elementwise."""
    return _compare(np.less_equal, input, other)


def gt(input, other) -> Tensor:
    """input > other, elementwise."""
    return _compare(np.greater, input, other)


def ge(input, other) -> Tensor:
    """input >= other, elementwise."""
    return _compare(np.greater_equal, input, other)


not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def _truth(x, op: str, name: str = "input", position: int = 1):
    x = tensor_arg(x, op, name, position)._data
    return x if x.dtype == np.bool_ else x != 0


def logical_and(input, other) -> Tensor:
    """Elementwise AND of the truth values."""
    return constant(np.logical_and(_truth(input, "logical_and"),
                                   _truth(other, "logical_and", "other", 2)))


def logical_or(input, other) -> Tensor:
    """Elementwise OR of the truth values."""
    return constant(np.logical_or(_truth(input, "logical_or"),
                                  _truth(other, "logical_or", "other", 2)))


def logical_xor(input, other) -> Tensor:
    """Elementwise XOR of the truth values."""
    return constant(np.logical_xor(_truth(input, "logical_xor"),
                                   _truth(other, "logical_xor", "other", 2)))


def logical_not(input) -> Tensor:
    """Elementwise NOT of the truth values."""
    return constant(np.logical_not(_truth(input, "logical_not")))


def _bitwise(ufunc, input, other) -> Tensor:
    a, b, dtype = binary_operands(input, other, ufunc.__name__)
    if dtype.is_floating_point:
        raise RuntimeError(f"{ufunc.__name__} is only supported for integer and bool tensors, "
                           f"got {dtype.name}")
    a = a._data if isinstance(a, Tensor) else a
    b = b._data if isinstance(b, Tensor) else b
    return constant(np.asarray(ufunc(a, b)))


def bitwise_and(input, other) -> Tensor:
    """Elementwise AND of the bits (logical AND for bool tensors)."""
    return _bitwise(np.bitwise_and, input, other)


def bitwise_or(input, other) -> Tensor:
    """Elementwise OR of the bits (logical OR for bool tensors)."""
    return _bitwise(np.bitwise_or, input, other)


def bitwise_xor(input, other) -> Tensor:
    """Elementwise XOR of the bits (logical XOR for bool tensors)."""
    return _bitwise(np.bitwise_xor, input, other)


def bitwise_not(input) -> Tensor:
    """Elementwise NOT of the bits (logical NOT for bool tensors)."""
    data = tensor_arg(input, "bitwise_not")._data
    if data.dtype.kind == "f":
        raise RuntimeError(f"bitwise_not is only supported for integer and bool tensors, got "
                           f"{data.dtype}")
    return constant(np.invert(data))


def isnan(input) -> Tensor:
    """True where the element is NaN."""
    return constant(np.isnan(tensor_arg(input, "isnan")._data))


def isinf(input) -> Tensor:
    """True where the element is +inf or -inf."""
    return constant(np.isinf(tensor_arg(input, "isinf")._data))


def isfinite(input) -> Tensor:
    """True where the element is neither NaN nor infinite."""
    return constant(np.isfinite(tensor_arg(input, "isfinite")._data))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """True where |input - other| <= atol + rtol * |other|."""
    a, b, _ = binary_operands(tensor_arg(input, "isclose"), other, "isclose")
    check_broadcast(a, b)
    a = a._data if isinstance(a, Tensor) else a
    b = b._data if isinstance(b, Tensor) else b
    return constant(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if every element of input is close to other (see isclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True if both tensors have the same shape and elements."""
    a = tensor_arg(input, "equal")._data
    b = tensor_arg(other, "equal", "other", 2)._data
    return a.shape == b.shape and bool(np.array_equal(a, b))
