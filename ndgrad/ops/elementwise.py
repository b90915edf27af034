"""Elementwise ops: arithmetic with broadcasting, unary math, comparisons, dtype casts."""
from __future__ import annotations

import math

import numpy as np

from ndgrad import _backend, _dtype
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import (as_tensor, binary_operands, cast_operand, check_broadcast,
                                constant, floating, is_scalar)
from ndgrad.ops._dual import sum_to

# ---------------------------------------------------------------- arithmetic


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
        if np.result_type(a, b).kind in "iu":
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
    magnitude = np.power(a, np.abs(b))
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
        return (sum_to(grad * b / denominator, a.shape) if need_a else None,
                sum_to(-grad * a / denominator, b.shape) if need_b else None)


class Maximum(ArrayFunction):
    """The elementwise larger of a and b; ties split the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.share = (a > b) + 0.5 * (a == b)
        ctx.shapes = (np.shape(a), np.shape(b))
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _split_between(ctx, grad)


class Minimum(ArrayFunction):
    """The elementwise smaller of a and b; ties split the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.share = (a < b) + 0.5 * (a == b)
        ctx.shapes = (np.shape(a), np.shape(b))
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _split_between(ctx, grad)


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


# ---------------------------------------------------------------- unary math


class Neg(ArrayFunction):
    """-x."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Abs(ArrayFunction):
    """|x|."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.sign = np.sign(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.sign


class Exp(ArrayFunction):
    """e ** x."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        result = np.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad * result


class Exp2(ArrayFunction):
    """2 ** x."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        result = np.exp2(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad * result * math.log(2.0)


class Expm1(ArrayFunction):
    """e ** x - 1, accurate for small x."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        result = np.expm1(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad * (result + 1)


class Log(ArrayFunction):
    """Natural logarithm."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / x


class Log2(ArrayFunction):
    """Base-2 logarithm."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (x * math.log(2.0))


class Log10(ArrayFunction):
    """Base-10 logarithm."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (x * math.log(10.0))


class Log1p(ArrayFunction):
    """log(1 + x), accurate for small x."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (x + 1)


class Sqrt(ArrayFunction):
    """Square root."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        result = np.sqrt(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad / (2 * result)


class Rsqrt(ArrayFunction):
    """1 / sqrt(x)."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        result = 1 / np.sqrt(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad * -0.5 * result * result * result


class Reciprocal(ArrayFunction):
    """1 / x."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        result = np.reciprocal(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return -grad * result * result


class Sin(ArrayFunction):
    """Sine."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * cos(x)


class Cos(ArrayFunction):
    """Cosine."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return -grad * sin(x)


class Tan(ArrayFunction):
    """Tangent."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        result = np.tan(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad * (1 + result * result)


class Asin(ArrayFunction):
    """Inverse sine."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * rsqrt(1 - x * x)


class Acos(ArrayFunction):
    """Inverse cosine."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return -grad * rsqrt(1 - x * x)


class Atan(ArrayFunction):
    """Inverse tangent."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (1 + x * x)


class Sinh(ArrayFunction):
    """Hyperbolic sine."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * cosh(x)


class Cosh(ArrayFunction):
    """Hyperbolic cosine."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * sinh(x)


class Tanh(ArrayFunction):
    """Hyperbolic tangent."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        result = np.tanh(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad * (1 - result * result)


class Sigmoid(ArrayFunction):
    """1 / (1 + e ** -x), computed without overflow for large |x|."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        # e ** -|x| never overflows; the two branches agree where both are finite.
        z = np.exp(-np.abs(x))
        result = np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad * result * (1 - result)


class Relu(ArrayFunction):
    """max(x, 0); the gradient at 0 is 0, as in PyTorch."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.positive = x > 0
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.positive


_erf_of_object = np.frompyfunc(math.erf, 1, 1)


class Erf(ArrayFunction):
    """The Gauss error function, exact to the dtype (computed with math.erf)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.asarray(_erf_of_object(_backend.to_host(x)), dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (2 / math.sqrt(math.pi)) * exp(-(x * x))


class Clamp(ArrayFunction):
    """x limited to [low, high]; the gradient flows where low <= x <= high, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, low, high):
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        ctx.inside = inside
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, grad):
        return grad * constant(ctx.inside.astype(grad._data.dtype)), None, None


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
        ctx.shapes = (np.shape(a), np.shape(b))
        return np.floor_divide(a, b)


class TruncDivide(_Piecewise):
    """a / b rounded toward zero."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        quotient = np.trunc(np.true_divide(a, b))
        return quotient.astype(np.result_type(a, b), copy=False)


class Cast(ArrayFunction):
    """Converts to another dtype; the gradient converts back."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = _dtype.from_numpy_dtype(x.dtype)
        return x.astype(dtype.numpy)

    @staticmethod
    def backward(ctx, grad):
        return to_dtype(grad, ctx.input_dtype), None


class Clone(ArrayFunction):
    """A copy with its own storage."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class ToDevice(ArrayFunction):
    """Moves data to another device; the gradient moves back."""

    @staticmethod
    def forward(ctx, x, device):
        ctx.source = _backend.device_of(x)
        return _backend.move_to(x, device)

    @staticmethod
    def backward(ctx, grad):
        return to_device(grad, ctx.source), None


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
    a, b, _ = binary_operands(input, other)
    check_broadcast(a, b)
    return function.apply(a, b)


def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, input, other)


def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b, dtype = binary_operands(input, other)
    if dtype is _dtype.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    check_broadcast(a, b)
    return Sub.apply(a, b)


subtract = sub


def mul(input, other) -> Tensor:
    """input * other, broadcasting."""
    return _binary(Mul, input, other)


multiply = mul


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """input / other; integer inputs give a float result unless `rounding_mode` is given."""
    a, b, dtype = binary_operands(input, other)
    check_broadcast(a, b)
    if rounding_mode is None:
        if not dtype.is_floating_point:
            default = _dtype.get_default_dtype()
            a, b = cast_operand(a, default), cast_operand(b, default)
        return Div.apply(a, b)
    if rounding_mode == "floor":
        return FloorDivide.apply(a, b)
    if rounding_mode == "trunc":
        return TruncDivide.apply(a, b)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                     f"found '{rounding_mode}'")


divide = true_divide = div


def floor_divide(input, other) -> Tensor:
    """input // other, rounding down."""
    return div(input, other, rounding_mode="floor")


def remainder(input, other) -> Tensor:
    """input mod other with the sign of other (Python's %)."""
    return _binary(Remainder, input, other)


def fmod(input, other) -> Tensor:
    """input mod other with the sign of input (C's fmod)."""
    return sub(input, mul(div(input, other, rounding_mode="trunc"), other))


def pow(input, exponent) -> Tensor:
    """input ** exponent; either may be a Python scalar."""
    a, b, dtype = binary_operands(input, exponent)
    check_broadcast(a, b)
    if not dtype.is_floating_point and isinstance(b, Tensor) is False and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return Pow.apply(a, b)


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64."""
    a, b, _ = binary_operands(input, exponent)
    return pow(cast_operand(a, _dtype.float64), cast_operand(b, _dtype.float64))


def atan2(input, other) -> Tensor:
    """The angle of the point (other, input), in (-pi, pi]."""
    a, b, dtype = binary_operands(input, other)
    if not dtype.is_floating_point:
        default = _dtype.get_default_dtype()
        a, b = cast_operand(a, default), cast_operand(b, default)
    check_broadcast(a, b)
    return Atan2.apply(a, b)


arctan2 = atan2


def maximum(input, other) -> Tensor:
    """The elementwise maximum of two tensors."""
    return _binary(Maximum, as_tensor(input), as_tensor(other))


def minimum(input, other) -> Tensor:
    """The elementwise minimum of two tensors."""
    return _binary(Minimum, as_tensor(input), as_tensor(other))


def where(condition, input=None, other=None):
    """Elements of `input` where `condition` is True, else of `other` (both may be scalars).

    With only `condition`, returns the indices of its nonzero elements as a tuple of tensors.
    """
    condition = as_tensor(condition)
    if input is None and other is None:
        return tuple(constant(i) for i in np.nonzero(condition._data))
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.name}")
    a, b, dtype = binary_operands(input, other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = constant(np.asarray(a, dtype=dtype.numpy))
    check_broadcast(a, b)
    for operand in (a, b):
        check_broadcast(condition, operand)
    return Where.apply(condition, a, b)


def lerp(input, end, weight) -> Tensor:
    """input + weight * (end - input)."""
    return add(input, mul(weight, sub(end, input)))


def neg(input) -> Tensor:
    """-input."""
    input = as_tensor(input)
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return Neg.apply(input)


negative = neg


def abs(input) -> Tensor:
    """|input|."""
    return Abs.apply(as_tensor(input))


absolute = abs


def _float_unary(function):
    """The wrapper for a unary op that computes in floating point (ints are promoted)."""
    def wrapper(input) -> Tensor:
        if not (isinstance(input, Tensor) and input._data.dtype.kind == "f"):
            input = floating(as_tensor(input))
        return function.apply(input)
    wrapper.__name__ = function.__name__.lower()
    wrapper.__doc__ = f"Computes {function.__doc__[0].lower()}{function.__doc__[1:]}"
    return wrapper


exp = _float_unary(Exp)
exp2 = _float_unary(Exp2)
expm1 = _float_unary(Expm1)
log = _float_unary(Log)
log2 = _float_unary(Log2)
log10 = _float_unary(Log10)
log1p = _float_unary(Log1p)
sqrt = _float_unary(Sqrt)
rsqrt = _float_unary(Rsqrt)
reciprocal = _float_unary(Reciprocal)
sin = _float_unary(Sin)
cos = _float_unary(Cos)
tan = _float_unary(Tan)
asin = arcsin = _float_unary(Asin)
acos = arccos = _float_unary(Acos)
atan = arctan = _float_unary(Atan)
sinh = _float_unary(Sinh)
cosh = _float_unary(Cosh)
tanh = _float_unary(Tanh)
sigmoid = _float_unary(Sigmoid)
erf = _float_unary(Erf)


def relu(input) -> Tensor:
    """max(input, 0)."""
    return Relu.apply(as_tensor(input))


def square(input) -> Tensor:
    """input * input."""
    input = as_tensor(input)
    return mul(input, input)


def _rounding(function):
    """The wrapper for an op that rounds: integer tensors come back unchanged, as copies."""
    def wrapper(input) -> Tensor:
        input = as_tensor(input)
        if input._data.dtype.kind != "f":
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
    input = as_tensor(input)
    if input._data.dtype.kind != "f":
        return clone(input)
    return Round.apply(input, decimals=decimals)


def sign(input) -> Tensor:
    """-1, 0 or 1 by the sign of each element."""
    input = as_tensor(input)
    if input._data.dtype == np.bool_:
        return clone(input)
    return Sign.apply(input)


def frac(input) -> Tensor:
    """The fractional part: input - trunc(input)."""
    input = as_tensor(input)
    return sub(input, trunc(input))


def clamp(input, min=None, max=None) -> Tensor:
    """input limited to [min, max]; either bound may be None or a tensor."""
    input = as_tensor(input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input if min is None else maximum(input, min)
        return result if max is None else minimum(result, max)
    dtype = _dtype.result_type(input, *(b for b in (min, max) if b is not None))
    input = cast_operand(input, dtype)
    return Clamp.apply(input, min, max)


clip = clamp


def to_dtype(input: Tensor, dtype) -> Tensor:
    """A copy of `input` converted to `dtype` (differentiable between float dtypes)."""
    dtype = _dtype.to_dtype(dtype)
    if input._data.dtype == dtype.numpy:
        return input
    return Cast.apply(input, dtype)


def to_device(input: Tensor, device) -> Tensor:
    """A copy of `input` on `device` (differentiable)."""
    return ToDevice.apply(input, _backend.device(device))


def clone(input: Tensor) -> Tensor:
    """A differentiable copy with its own storage."""
    return Clone.apply(input)


# ---------------------------------------------------------------- comparisons and logic
# These return bool tensors outside the graph: they have no gradient.


def _compare(ufunc, input, other) -> Tensor:
    a, b, _ = binary_operands(input, other)
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


def _truth(x):
    x = as_tensor(x)._data
    return x if x.dtype == np.bool_ else x != 0


def logical_and(input, other) -> Tensor:
    """Elementwise AND of the truth values."""
    return constant(np.logical_and(_truth(input), _truth(other)))


def logical_or(input, other) -> Tensor:
    """Elementwise OR of the truth values."""
    return constant(np.logical_or(_truth(input), _truth(other)))


def logical_xor(input, other) -> Tensor:
    """Elementwise XOR of the truth values."""
    return constant(np.logical_xor(_truth(input), _truth(other)))


def logical_not(input) -> Tensor:
    """Elementwise NOT of the truth values."""
    return constant(np.logical_not(_truth(input)))


def _bitwise(ufunc, input, other) -> Tensor:
    a, b, dtype = binary_operands(input, other)
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
    data = as_tensor(input)._data
    if data.dtype.kind == "f":
        raise RuntimeError(f"bitwise_not is only supported for integer and bool tensors, got "
                           f"{data.dtype}")
    return constant(np.invert(data))


def isnan(input) -> Tensor:
    """True where the element is NaN."""
    return constant(np.isnan(as_tensor(input)._data))


def isinf(input) -> Tensor:
    """True where the element is +inf or -inf."""
    return constant(np.isinf(as_tensor(input)._data))


def isfinite(input) -> Tensor:
    """True where the element is neither NaN nor infinite."""
    return constant(np.isfinite(as_tensor(input)._data))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """True where |input - other| <= atol + rtol * |other|."""
    a, b, _ = binary_operands(input, other)
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
    a, b = as_tensor(input)._data, as_tensor(other)._data
    return a.shape == b.shape and bool(np.array_equal(a, b))
