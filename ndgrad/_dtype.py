"""dtype objects, the default float dtype, and PyTorch's type promotion rules."""
from __future__ import annotations

import numpy as np

# Python's own types, kept before this module shadows `bool`, `int` and `float` as dtypes.
_py_bool, _py_int = type(True), type(0)


class dtype:
    """A tensor element type, named and printed as PyTorch does (`ndgrad.float32`)."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_complex", "is_signed", "itemsize",
                 "_category")

    def __init__(self, name: str, numpy_dtype, category: int) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = category == _FLOAT
        self.is_complex = False
        self.is_signed = self.numpy.kind in "if"
        self.itemsize = self.numpy.itemsize
        self._category = category

    def __repr__(self) -> str:
        return f"ndgrad.{self.name}"

    def __reduce__(self) -> str:
        return self.name


# Categories order the kinds for promotion: a higher category always wins.
_BOOL, _INT, _FLOAT = 0, 1, 2

float16 = dtype("float16", np.float16, _FLOAT)
float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)
int8 = dtype("int8", np.int8, _INT)
int16 = dtype("int16", np.int16, _INT)
int32 = dtype("int32", np.int32, _INT)
int64 = dtype("int64", np.int64, _INT)
uint8 = dtype("uint8", np.uint8, _INT)
bool = dtype("bool", np.bool_, _BOOL)  # noqa: A001 - PyTorch's name

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
_BY_NUMPY = {d.numpy: d for d in _ALL}
_default_float = float32


def from_numpy_dtype(numpy_dtype) -> dtype:
    """Returns the ndgrad dtype of a NumPy dtype, or raises TypeError for unsupported ones."""
    try:
        return _BY_NUMPY[numpy_dtype]
    except KeyError:
        return _from_other_numpy_dtype(numpy_dtype)


def _from_other_numpy_dtype(numpy_dtype) -> dtype:
    numpy_dtype = np.dtype(numpy_dtype)
    if numpy_dtype in _BY_NUMPY:
        return _BY_NUMPY[numpy_dtype]
    names = ", ".join(d.name for d in _ALL)
    raise TypeError(f"can't convert np.ndarray of type numpy.{numpy_dtype}. "
                    f"The only supported types are: {names}")


def to_dtype(value) -> dtype:
    """Normalises a dtype given as an ndgrad dtype, NumPy dtype, Python type or name."""
    if isinstance(value, dtype):
        return value
    if value is None:
        # np.dtype(None) is float64; a missing dtype must be resolved by the caller.
        raise TypeError("expected a dtype, got None")
    try:
        return from_numpy_dtype(np.dtype(value))
    except TypeError as error:
        raise TypeError(f"{value!r} is not a supported dtype") from error


def get_default_dtype() -> dtype:
    """Returns the dtype that floating point tensors get when none is given."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Sets the default floating point dtype (float32 unless changed)."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both `a` and `b` convert to without losing their kind."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    return _BY_NUMPY[np.promote_types(a.numpy, b.numpy)]


def scalar_dtype(value) -> dtype:
    """The dtype a lone Python scalar gets: bool, int64 or the default float."""
    if isinstance(value, _py_bool):
        return bool
    if isinstance(value, _py_int):
        return int64
    return _default_float


def _scalar_category(value) -> int:
    if isinstance(value, _py_bool):
        return _BOOL
    if isinstance(value, _py_int):
        return _INT
    return _FLOAT


def result_type(*operands) -> dtype:
    """PyTorch's promotion over tensors and Python scalars.

    Tensors with dimensions decide the dtype; zero-dim tensors only when their kind is higher;
    Python scalars are weakest: they only lift the kind (an int tensor times 2.5 is float32).
    """
    dimensioned = zero_dim = None
    scalar_category = -1
    for x in operands:
        if hasattr(x, "dtype"):
            d = x.dtype if isinstance(x.dtype, dtype) else from_numpy_dtype(x.dtype)
            if x.ndim:
                dimensioned = d if dimensioned is None else promote_types(dimensioned, d)
            else:
                zero_dim = d if zero_dim is None else promote_types(zero_dim, d)
        else:
            scalar_category = max(scalar_category, _scalar_category(x))
    result = dimensioned
    if result is None or (zero_dim is not None and zero_dim._category > result._category):
        result = zero_dim
    if result is None:
        return (bool, int64, _default_float)[scalar_category]
    if scalar_category > result._category:
        return int64 if scalar_category == _INT else _default_float
    return result
