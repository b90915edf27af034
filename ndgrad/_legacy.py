"""PyTorch's legacy tensor types: FloatTensor, LongTensor, ... as constructors and isinstance
checks by dtype."""
from __future__ import annotations

import numbers

from ndgrad import _dtype
from ndgrad._creation import empty, tensor
from ndgrad._tensor import Size, Tensor


class _LegacyTensorType(type):
    """The metaclass of the legacy types: calling one makes an ndgrad Tensor of its dtype, and
    `isinstance(t, FloatTensor)` is true exactly when t is a Tensor of dtype float32."""

    dtype: _dtype.dtype

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and instance.dtype == cls.dtype

    def __call__(cls, *args, device=None) -> Tensor:
        """`FloatTensor(2, 3)` or `FloatTensor(Size)`: uninitialised of that shape;
        `FloatTensor(data)`: a tensor of the data; `FloatTensor()`: an empty one."""
        if not args:
            return empty(0, dtype=cls.dtype, device=device)
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
            return empty(*args, dtype=cls.dtype, device=device)
        if len(args) == 1 and isinstance(args[0], Size):
            return empty(args[0], dtype=cls.dtype, device=device)
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}() takes sizes as ints or one sequence of data, got "
                            f"({', '.join(type(a).__name__ for a in args)})")
        (data,) = args
        if isinstance(data, Tensor):
            if data.dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}() expected a tensor of dtype {cls.dtype}, got "
                                f"{data.dtype}")
            return data
        return tensor(data, dtype=cls.dtype, device=device)

    def __repr__(cls) -> str:
        return f"<class 'ndgrad.{cls.__name__}'>"


def _legacy_type(name: str, dtype: _dtype.dtype) -> _LegacyTensorType:
    return _LegacyTensorType(name, (), {"dtype": dtype, "__module__": "ndgrad",
                                        "__doc__": f"Legacy constructor for {dtype} tensors."})


FloatTensor = _legacy_type("FloatTensor", _dtype.float32)
DoubleTensor = _legacy_type("DoubleTensor", _dtype.float64)
HalfTensor = _legacy_type("HalfTensor", _dtype.float16)
LongTensor = _legacy_type("LongTensor", _dtype.int64)
IntTensor = _legacy_type("IntTensor", _dtype.int32)
ShortTensor = _legacy_type("ShortTensor", _dtype.int16)
CharTensor = _legacy_type("CharTensor", _dtype.int8)
ByteTensor = _legacy_type("ByteTensor", _dtype.uint8)
BoolTensor = _legacy_type("BoolTensor", _dtype.bool)

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor",
           "IntTensor", "LongTensor", "ShortTensor"]
