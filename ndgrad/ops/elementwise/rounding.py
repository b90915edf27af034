"""Piecewise-constant ops: floor, ceil, round, trunc, sign, and rounded division.

Their gradient is zero; on integer tensors the rounding ops return copies.
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import constant, tensor_arg
from ndgrad.ops.casting import clone


class _Piecewise(ArrayFunction):
    """Ops that are constant between jumps (floor, sign, ...): the gradient is zero.

    Unary ones have the gradient's shape; binary ones record their operands' `shapes`.
    """

    @staticmethod
    def backward(ctx, grad):
        shapes = getattr(ctx, "shapes", (grad.shape,))
        return tuple(constant(np.zeros(shape, dtype=grad._data.dtype)) if need else None
                     for shape, need in zip(shapes, ctx.needs_input_grad))


class Floor(_Piecewise):
    """Rounds down."""

    @staticmethod
    def forward(ctx, x):
        return np.floor(x)


class Ceil(_Piecewise):
    """Rounds up."""

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x)


class Round(_Piecewise):
    """Rounds half to even, to `decimals` places."""

    @staticmethod
    def forward(ctx, x, decimals=0):
        ctx.shapes = (np.shape(x),)
        return np.round(x, decimals)


class Trunc(_Piecewise):
    """Rounds toward zero."""

    @staticmethod
    def forward(ctx, x):
        return np.trunc(x)


class Sign(_Piecewise):
    """-1, 0 or 1 by the sign of x."""

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)


class FloorDivide(_Piecewise):
    """a // b, rounding the quotient down (its gradient is zero, as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        check_integer_divisor(a, b)
        ctx.shapes = (np.shape(a), np.shape(b))
        return np.floor_divide(a, b)


class TruncDivide(_Piecewise):
    """a / b rounded toward zero."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        if check_integer_divisor(a, b):
            # In integers: a float quotient would round int64s past 2**53.
            quotient = np.floor_divide(a, b)
            return quotient + ((np.remainder(a, b) != 0) & (np.less(a, 0) != np.less(b, 0)))
        return np.trunc(np.true_divide(a, b))


def check_integer_divisor(a, b) -> bool:
    """Whether a / b is an integer division; raises PyTorch's error if it divides by zero
    (NumPy would return 0 with a warning)."""
    if np.result_type(a, b).kind not in "iu":
        return False
    if np.size(a) and np.size(b) and np.any(np.equal(b, 0)):
        raise RuntimeError("ZeroDivisionError: integer division or remainder by zero")
    return True


# ---------------------------------------------------------------- wrappers


def _refuse_bool(input: Tensor, name: str) -> None:
    """PyTorch has no bool kernel for rounding (integers come back unchanged)."""
    if input._data.dtype == np.bool_:
        raise NotImplementedError(f"{name} is not implemented for bool tensors")


def _rounding(function):
    """The wrapper for an op that rounds: integer tensors come back unchanged, as copies."""
    def wrapper(input) -> Tensor:
        input = tensor_arg(input, wrapper.__name__)
        if input._data.dtype.kind != "f":
            _refuse_bool(input, wrapper.__name__)
            return clone(input)
        return function.apply(input)
    wrapper.__name__ = function.__name__.lower()
    wrapper.__doc__ = function.__doc__
    return wrapper


floor = _rounding(Floor)
ceil = _rounding(Ceil)
trunc = fix = _rounding(Trunc)


def round(input, *, decimals: int = 0) -> Tensor:
    """Rounds half to even, to `decimals` decimal places."""
    input = tensor_arg(input, "round")
    if input._data.dtype.kind != "f":
        _refuse_bool(input, "round")
        if decimals:  # as in PyTorch, which rounds integers only to whole numbers
            raise NotImplementedError(f"round(decimals={decimals}) is not implemented for "
                                      f"{input.dtype.name} tensors")
        return clone(input)
    return Round.apply(input, decimals=decimals)


def sign(input) -> Tensor:
    """-1, 0 or 1 by the sign of each element."""
    input = tensor_arg(input, "sign")
    if input._data.dtype == np.bool_:
        return clone(input)
    return Sign.apply(input)
