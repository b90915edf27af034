"""Binary arithmetic with broadcasting: + - * /, remainder, pow, atan2, maximum, minimum, where.

Also clamp (maximum and minimum with bounds) and the ops composed from these: fmod, lerp,
square, frac.
"""
from __future__ import annotations

import math

import numpy as np

from ndgrad import _dtype
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import (as_tensor, binary_operands, cast_operand, check_broadcast,
                                constant, is_scalar, operand, tensor_arg)
from ndgrad.ops._dual import sum_to
from ndgrad.ops.elementwise.rounding import (FloorDivide, TruncDivide, check_integer_divisor,
                                             floor, trunc)
from ndgrad.ops.elementwise.unary import log


class Add(ArrayFunction):
    """a + b."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(grad, ctx.input_shape(0)) if need_a else None,
                sum_to(grad, ctx.input_shape(1)) if need_b else None)


class Sub(ArrayFunction):
    """a - b."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(grad, ctx.input_shape(0)) if need_a else None,
                sum_to(-grad, ctx.input_shape(1)) if need_b else None)


class Mul(ArrayFunction):
    """a * b."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, a, b):
        # Each gradient needs only the other operand; saving just that lets an in-place change
        # to the operand itself pass, as in PyTorch.
        need_a, need_b = ctx.needs_input_grad or (False, False)
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(grad * b, ctx.input_shape(0)) if need_a else None,
                sum_to(grad * a, ctx.input_shape(1)) if need_b else None)


class Div(ArrayFunction):
    """a / b (true division)."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, a, b):
        need_b = ctx.needs_input_grad[1] if ctx.needs_input_grad else False
        ctx.save_for_backward(a if need_b else None, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(grad / b, ctx.input_shape(0)) if need_a else None,
                sum_to(-grad * a / (b * b), ctx.input_shape(1)) if need_b else None)


class Remainder(ArrayFunction):
    """a mod b with the sign of b, as Python's % (PyTorch's remainder)."""

    @staticmethod
    def forward(ctx, a, b):
        check_integer_divisor(a, b)
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_b = None
        if ctx.needs_input_grad[1]:
            grad_b = sum_to(-grad * floor(div(a, b)), b.shape)
        return (sum_to(grad, a.shape) if ctx.needs_input_grad[0] else None), grad_b


class Pow(ArrayFunction):
    """a ** b, where either may be a Python scalar."""

    @staticmethod
    def forward(ctx, a, b):
        kind = np.result_type(a, b).kind
        if kind == "b":  # a bool tensor to a Python bool's power stays bool, as in PyTorch
            result = np.logical_or(a, not b)
        elif kind in "iu":
            result = _integer_power(a, b)
        else:
            result = np.power(a, b)
        # The result is needed only for the exponent's gradient (PyTorch saves it only then).
        need_b = ctx.needs_input_grad[1] if ctx.needs_input_grad else False
        ctx.save_for_backward(a, b, result if need_b else None)
        return result

    @staticmethod
    def backward(ctx, grad):
        a, b, result = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            if is_scalar(b):
                grad_a = grad * b * a ** (b - 1) if b != 0 else grad * 0
            else:
                # PyTorch's convention: the gradient is 0 where the exponent is 0, even at a = 0.
                grad_a = where(b == 0, 0.0, grad * b * a ** (b - 1))
            grad_a = sum_to(grad_a, ctx.input_shape(0))
        if ctx.needs_input_grad[1]:
            log_a = math.log(a) if is_scalar(a) else log(a)
            grad_b = grad * result * log_a
            if not is_scalar(a):
                # d(a**b)/db at a = 0 is 0 for b >= 0 (the limit), not 0 * log(0) = nan.
                grad_b = where((a == 0) & (b >= 0), 0.0, grad_b)
            grad_b = sum_to(grad_b, ctx.input_shape(1))
        return grad_a, grad_b


def _integer_power(a, b):
    """a ** b for integers, allowing negative exponents as PyTorch does (NumPy raises)."""
    # A negative exponent gives 1 / a ** -b rounded toward zero: +-1 where |a| = 1, else 0.
    # Python's abs keeps a Python exponent weakly typed: np.abs would make it an int64 scalar,
    # which NumPy lets widen an int32 base (PyTorch keeps the base's dtype).
    magnitude = np.power(a, abs(b) if is_scalar(b) else np.abs(b))
    return np.where(np.greater_equal(b, 0) | (np.abs(a) == 1), magnitude, 0)


class Atan2(ArrayFunction):
    """The angle of the point (b, a): atan2(a, b)."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        denominator = a * a + b * b
        # PyTorch's gradient at the origin is 0: a and b are 0 there, so dividing by 1 gives it.
        denominator = denominator + (denominator == 0)
        return (sum_to(grad * b / denominator, a.shape) if need_a else None,
                sum_to(-grad * a / denominator, b.shape) if need_b else None)


class Maximum(ArrayFunction):
    """The elementwise larger of a and b; ties split the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:  # the shares only matter when a graph is recorded
            ctx.share = _winner_share(a > b, a == b, np.result_type(a, b))
            ctx.shapes = (np.shape(a), np.shape(b))
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _split_between(ctx, grad)


class Minimum(ArrayFunction):
    """The elementwise smaller of a and b; ties split the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:
            ctx.share = _winner_share(a < b, a == b, np.result_type(a, b))
            ctx.shapes = (np.shape(a), np.shape(b))
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _split_between(ctx, grad)


def _winner_share(wins, ties, dtype) -> np.ndarray:
    """1 where a wins, 1/2 where a and b tie, else 0, in the result's dtype (no float64
    temporary for float32 inputs)."""
    share = np.asarray(wins, dtype=dtype)
    share += np.multiply(ties, 0.5, dtype=dtype)
    return share


def _split_between(ctx, grad: Tensor):
    """Gives input a `share` of the gradient and input b the rest (Maximum, Minimum)."""
    share = constant(ctx.share.astype(grad._data.dtype, copy=False))
    shape_a, shape_b = ctx.shapes
    return (sum_to(grad * share, shape_a) if ctx.needs_input_grad[0] else None,
            sum_to(grad * (1 - share), shape_b) if ctx.needs_input_grad[1] else None)


class Where(ArrayFunction):
    """Picks a where `condition` holds, else b."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition
        ctx.shapes = (np.shape(a), np.shape(b))
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition = constant(ctx.condition)
        shape_a, shape_b = ctx.shapes
        grad_a = grad_b = None
        if ctx.needs_input_grad[1]:
            grad_a = sum_to(where(condition, grad, 0.0), shape_a)
        if ctx.needs_input_grad[2]:
            grad_b = sum_to(where(condition, 0.0, grad), shape_b)
        return None, grad_a, grad_b


class Clamp(ArrayFunction):
    """x limited to [low, high]; the bounds may be None, numbers or arrays that broadcast."""

    @staticmethod
    def forward(ctx, x, low, high):
        if ctx.needs_input_grad:
            ctx.masks = _clamp_masks(x, low, high)
            ctx.shapes = (np.shape(x), np.shape(low), np.shape(high))
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, grad):
        return tuple(sum_to(grad * constant(mask.astype(grad._data.dtype)), shape)
                     if needed else None
                     for needed, mask, shape in zip(ctx.needs_input_grad, ctx.masks, ctx.shapes))


def _clamp_masks(x, low, high) -> tuple:
    """Where the gradient goes to x, low and high, by PyTorch's rule: to x at ties with a bound,
    to high wherever low > high, and to low only where low < high."""
    to_x = np.ones(np.shape(x), dtype=bool)
    to_low = to_high = None
    if low is not None:
        to_x = to_x & (x >= low)
        to_low = x < low if high is None else (x < low) & (low < high)
    if high is not None:
        to_x = to_x & (x <= high)
        to_high = x > high if low is None else (x > high) | (high < low)
    return to_x, to_low, to_high


# ---------------------------------------------------------------- wrappers


def _binary(function, input, other):
    if isinstance(input, Tensor):
        # The hot cases, without the general promotion and broadcast checks: a tensor with a
        # tensor of its dtype and shape, or with a Python float when it is floating point.
        data = input._data
        if isinstance(other, Tensor):
            if other._data.dtype == data.dtype and other._data.shape == data.shape:
                return function.apply(input, other)
        elif type(other) is float and data.dtype.kind == "f":
            return function.apply(input, other)
    a, b, _ = binary_operands(input, other, function.__name__.lower())
    check_broadcast(a, b)
    return function.apply(a, b)


def _float_operands(input, other, dtype: _dtype.dtype | None = None, op: str | None = None):
    """The two operands of an op with a floating result (true division, atan2), in `dtype` or
    else their promoted dtype, or the default float when that is integral or bool.

    Each operand converts from its own dtype: promoting to the common integer dtype first would
    wrap a 0-d int64 tensor into e.g. uint8.
    """
    a, b, common = binary_operands(input, other, op)
    if dtype is None and common.is_floating_point:
        return a, b
    dtype = dtype or _dtype.get_default_dtype()
    operands = (x if isinstance(x, Tensor) or is_scalar(x) else as_tensor(x)
                for x in (input, other))
    return tuple(cast_operand(x, dtype) for x in operands)


def _times_alpha(input, other, alpha):
    """The operands of input + alpha * other, other scaled in their promoted dtype: alpha is a
    weak scalar, so it neither widens the result nor turns a bool sum into an integer one."""
    a, b, dtype = binary_operands(input, other)
    if isinstance(alpha, bool) and dtype is not _dtype.bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and not dtype.is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if dtype is _dtype.bool:
        alpha = bool(alpha)
        return a, (mul(b, alpha) if isinstance(b, Tensor) else bool(b) and alpha)
    return a, (mul(b, alpha) if isinstance(b, Tensor) else b * alpha)


def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other, broadcasting."""
    if alpha != 1 or alpha is True:
        input, other = _times_alpha(input, other, alpha)
    return _binary(Add, input, other)


def _is_bool(x) -> bool:
    return isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other, broadcasting."""
    if _is_bool(input) or _is_bool(other):
        if _is_bool(input) and _is_bool(other):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if alpha != 1 or alpha is True:
        input, other = _times_alpha(input, other, alpha)
    a, b, _ = binary_operands(input, other, "sub")
    check_broadcast(a, b)
    return Sub.apply(a, b)


subtract = sub


def mul(input, other) -> Tensor:
    """input * other, broadcasting."""
    return _binary(Mul, input, other)


multiply = mul


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """input / other; integer inputs give a float result unless `rounding_mode` is given."""
    if rounding_mode is None:
        a, b = _float_operands(input, other, op="div")
        check_broadcast(a, b)
        return Div.apply(a, b)
    a, b, dtype = binary_operands(input, other, "div")
    _refuse_bool(f"div(rounding_mode={rounding_mode!r})", dtype)
    check_broadcast(a, b)
    if rounding_mode == "floor":
        return FloorDivide.apply(a, b)
    if rounding_mode == "trunc":
        return TruncDivide.apply(a, b)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                       f"but found '{rounding_mode}'")


divide = true_divide = div


def floor_divide(input, other) -> Tensor:
    """input // other, rounding down."""
    return div(input, other, rounding_mode="floor")


def _refuse_bool(name: str, dtype: _dtype.dtype) -> None:
    """PyTorch has no bool kernel for rounding division, remainder and pow: a bool result
    dtype is refused with its NotImplementedError (a RuntimeError)."""
    if dtype is _dtype.bool:
        raise NotImplementedError(f"{name} is not implemented for bool operands")


def remainder(input, other) -> Tensor:
    """input mod other with the sign of other (Python's %)."""
    a, b, dtype = binary_operands(input, other, "remainder")
    _refuse_bool("remainder", dtype)
    check_broadcast(a, b)
    return Remainder.apply(a, b)


def fmod(input, other) -> Tensor:
    """input mod other with the sign of input (C's fmod)."""
    a, b, dtype = binary_operands(input, other, "fmod")
    _refuse_bool("fmod", dtype)
    return sub(a, mul(div(a, b, rounding_mode="trunc"), b))


def pow(input, exponent) -> Tensor:
    """input ** exponent; either may be a Python scalar."""
    a, b, dtype = binary_operands(input, exponent, "pow")
    if isinstance(b, Tensor):  # PyTorch takes a bool tensor to a Python bool's power
        _refuse_bool("pow", dtype)
    check_broadcast(a, b)
    if not dtype.is_floating_point and isinstance(b, Tensor) is False and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return Pow.apply(a, b)


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64."""
    return pow(*_float_operands(input, exponent, _dtype.float64, "float_power"))


def atan2(input, other) -> Tensor:
    """The angle of the point (other, input), in (-pi, pi]."""
    a, b = _float_operands(input, other, op="atan2")
    check_broadcast(a, b)
    return Atan2.apply(a, b)


arctan2 = atan2


def maximum(input, other) -> Tensor:
    """The elementwise maximum of two tensors."""
    return _binary(Maximum, tensor_arg(input, "maximum"),
                   tensor_arg(other, "maximum", "other", 2))


def minimum(input, other) -> Tensor:
    """The elementwise minimum of two tensors."""
    return _binary(Minimum, tensor_arg(input, "minimum"),
                   tensor_arg(other, "minimum", "other", 2))


def where(condition, input=None, other=None):
    """Elements of `input` where `condition` is True, else of `other` (both may be scalars).

    With only `condition`, returns the indices of its nonzero elements as a tuple of tensors.
    """
    condition = tensor_arg(condition, "where", "condition")
    if input is None and other is None:
        return tuple(constant(i) for i in np.nonzero(condition._data))
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.name}")
    a, b, dtype = binary_operands(input, other, "where")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = constant(np.asarray(a, dtype=dtype.numpy))
    check_broadcast(a, b)
    for value in (a, b):
        check_broadcast(condition, value)
    return Where.apply(condition, a, b)


def lerp(input, end, weight) -> Tensor:
    """input + weight * (end - input).

    As in PyTorch, input and end are floating point tensors of one dtype, and so is a weight
    tensor that has dimensions.
    """
    input, end = tensor_arg(input, "lerp"), tensor_arg(end, "lerp", "end", 2)
    # A weight tensor takes part in the promotion, a Python number does not.
    dtype = _dtype.result_type(input, end, weight) if isinstance(weight, Tensor) else input.dtype
    if not dtype.is_floating_point:
        raise NotImplementedError(f"lerp is not implemented for {dtype.name} tensors")
    for name, other in (("end", end), ("weight", weight)):
        if (isinstance(other, Tensor) and other.dtype is not input.dtype
                and (name == "end" or other.ndim)):
            raise RuntimeError(f"lerp: expected dtype {input.dtype.name} for `{name}` but got "
                               f"dtype {other.dtype.name}")
    input, end = cast_operand(input, dtype), cast_operand(end, dtype)
    return add(input, mul(weight, sub(end, input)))


def square(input) -> Tensor:
    """input * input (a bool tensor gives int64, as input ** 2 does)."""
    input = tensor_arg(input, "square")
    if input._data.dtype == np.bool_:
        input = cast_operand(input, _dtype.int64)
    return mul(input, input)


def frac(input) -> Tensor:
    """The fractional part: input - trunc(input)."""
    input = tensor_arg(input, "frac")
    if not input.is_floating_point():  # as in PyTorch, which has no integer kernel for frac
        raise NotImplementedError(f"frac is only implemented for floating point tensors, got "
                                  f"{input.dtype.name}")
    return sub(input, trunc(input))


def clamp(input, min=None, max=None) -> Tensor:
    """input limited to [min, max]; either bound may be None or a tensor."""
    input = tensor_arg(input, "clamp")
    min, max = (b if b is None else operand(b, "clamp", name, position)
                for b, name, position in ((min, "min", 2), (max, "max", 3)))
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    dtype = _dtype.result_type(input, *bounds)
    if dtype is _dtype.bool and not (len(bounds) == 1 and isinstance(bounds[0], Tensor)):
        # As in PyTorch: a bool tensor clamps only against one bool tensor bound.
        raise NotImplementedError("clamp of bool tensors is only implemented against one bool "
                                  "tensor bound")
    if any(isinstance(b, Tensor) for b in bounds):
        # Tensor bounds: every operand a tensor of the result dtype, broadcasting together.
        min, max = (None if b is None else cast_operand(as_tensor(b), dtype) for b in (min, max))
        for bound in bounds:
            check_broadcast(input, bound)
    return Clamp.apply(cast_operand(input, dtype), min, max)


clip = clamp
