"""Elementwise ops: arithmetic with broadcasting, unary math, comparisons, dtype casts.

One module per family; this package re-exports them, so `ndgrad.ops.elementwise.X` stays the
import path of every op. Between the modules imports point one way: arithmetic imports
rounding and unary, rounding imports casting, and comparison imports none of them. The casts
live one level up, in `ndgrad.ops.casting`, because every op's argument handling
(`ops._common`) converts dtypes with them.
"""
from ndgrad.ops.elementwise.arithmetic import (Add, Atan2, Clamp, Div, Maximum, Minimum, Mul,
                                               Pow, Remainder, Sub, Where, add, arctan2, atan2,
                                               clamp, clip, div, divide, float_power,
                                               floor_divide, fmod, frac, lerp, maximum, minimum,
                                               mul, multiply, pow, remainder, square, sub,
                                               subtract, true_divide, where)
from ndgrad.ops.casting import Cast, Clone, ToDevice, clone, to_device, to_dtype
from ndgrad.ops.elementwise.comparison import (allclose, bitwise_and, bitwise_not, bitwise_or,
                                               bitwise_xor, eq, equal, ge, greater,
                                               greater_equal, gt, isclose, isfinite, isinf,
                                               isnan, le, less, less_equal, logical_and,
                                               logical_not, logical_or, logical_xor, lt, ne,
                                               not_equal)
from ndgrad.ops.elementwise.piecewise import PiecewiseLinear, piecewise_linear
from ndgrad.ops.elementwise.stable import Hypot, LogAddExp, hypot, logaddexp, logaddexp2
from ndgrad.ops.elementwise.rounding import (Ceil, Floor, FloorDivide, Round, Sign, Trunc,
                                             TruncDivide, ceil, fix, floor, round, sign, trunc)
from ndgrad.ops.elementwise.unary import (Abs, Acos, Asin, Atan, Cos, Cosh, Erf, Exp, Exp2, Expm1,
                                          Log, Log1p, Log2, Log10, Neg, Reciprocal, Relu, Rsqrt,
                                          Sigmoid, Sin, Sinh, Sqrt, Tan, Tanh, abs, absolute, acos,
                                          arccos, arcsin, arctan, asin, atan, cos, cosh, erf, exp,
                                          exp2, expm1, log, log1p, log2, log10, neg, negative,
                                          reciprocal, relu, rsqrt, sigmoid, sin, sinh, sqrt, tan,
                                          tanh)

__all__ = [
    # stable
    "Hypot", "LogAddExp", "hypot", "logaddexp", "logaddexp2",
    # arithmetic
    "Add", "Atan2", "Clamp", "Div", "Maximum", "Minimum", "Mul", "Pow", "Remainder", "Sub",
    "Where", "add", "arctan2", "atan2", "clamp", "clip", "div", "divide", "float_power",
    "floor_divide", "fmod", "frac", "lerp", "maximum", "minimum", "mul", "multiply", "pow",
    "remainder", "square", "sub", "subtract", "true_divide", "where",
    # casting
    "Cast", "Clone", "ToDevice", "clone", "to_device", "to_dtype",
    # comparison
    "allclose", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "eq", "equal", "ge",
    "greater", "greater_equal", "gt", "isclose", "isfinite", "isinf", "isnan", "le", "less",
    "less_equal", "logical_and", "logical_not", "logical_or", "logical_xor", "lt", "ne",
    "not_equal",
    # piecewise
    "PiecewiseLinear", "piecewise_linear",
    # rounding
    "Ceil", "Floor", "FloorDivide", "Round", "Sign", "Trunc", "TruncDivide", "ceil", "fix",
    "floor", "round", "sign", "trunc",
    # unary
    "Abs", "Acos", "Asin", "Atan", "Cos", "Cosh", "Erf", "Exp", "Exp2", "Expm1", "Log", "Log1p",
    "Log2", "Log10", "Neg", "Reciprocal", "Relu", "Rsqrt", "Sigmoid", "Sin", "Sinh", "Sqrt", "Tan",
    "Tanh", "abs", "absolute", "acos", "arccos", "arcsin", "arctan", "asin", "atan", "cos", "cosh",
    "erf", "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "neg", "negative",
    "reciprocal", "relu", "rsqrt", "sigmoid", "sin", "sinh", "sqrt", "tan", "tanh",
]
