"""Translations of elementwise ops, activations, casts and the fused softmax/linear ops."""
from __future__ import annotations

import numpy as np

from ndgrad.onnx._registry import op, unsupported
from ndgrad.ops import casting, fused
from ndgrad.ops.elementwise import arithmetic, piecewise, rounding, unary

_UNARY = {
    unary.Neg: "Neg", unary.Abs: "Abs", unary.Exp: "Exp", unary.Log: "Log",
    unary.Sqrt: "Sqrt", unary.Reciprocal: "Reciprocal", unary.Sin: "Sin", unary.Cos: "Cos",
    unary.Tan: "Tan", unary.Asin: "Asin", unary.Acos: "Acos", unary.Atan: "Atan",
    unary.Sinh: "Sinh", unary.Cosh: "Cosh", unary.Tanh: "Tanh", unary.Sigmoid: "Sigmoid",
    unary.Relu: "Relu", unary.Erf: "Erf", rounding.Floor: "Floor", rounding.Ceil: "Ceil",
    rounding.Sign: "Sign", casting.Clone: "Identity", casting.ToDevice: "Identity",
}
_BINARY = {
    arithmetic.Add: "Add", arithmetic.Sub: "Sub", arithmetic.Mul: "Mul",
    arithmetic.Div: "Div", arithmetic.Maximum: "Max", arithmetic.Minimum: "Min",
}


@op(*_UNARY)
def _unary(node):
    return node.add(_UNARY[node.record.target], [node.input(0)])


@op(*_BINARY)
def _binary(node):
    # Operands take the result's dtype: ONNX has no type promotion (int + float, x + 2.0).
    dtype = node.result_dtype
    return node.add(_BINARY[node.record.target], [node.input(0, dtype), node.input(1, dtype)])


@op(arithmetic.Pow)
def _pow(node):
    dtype = node.result_dtype
    return node.add("Pow", [node.input(0, dtype), node.input(1, dtype)])


@op(unary.Rsqrt)
def _rsqrt(node):
    return node.add("Reciprocal", [node.add("Sqrt", [node.input(0)])])


@op(unary.Log1p)
def _log1p(node):
    one = node.ctx.constant(1, node.result_dtype)
    return node.add("Log", [node.add("Add", [node.input(0), one])])


@op(unary.Expm1)
def _expm1(node):
    one = node.ctx.constant(1, node.result_dtype)
    return node.add("Sub", [node.add("Exp", [node.input(0)]), one])


@op(rounding.Round)
def _round(node):
    if node.option("decimals", 0) != 0:
        unsupported(node, "round with decimals")
    return node.add("Round", [node.input(0)])


@op(arithmetic.Where)
def _where(node):
    dtype = node.result_dtype
    condition = node.input(0, np.bool_)
    return node.add("Where", [condition, node.input(1, dtype), node.input(2, dtype)])


@op(arithmetic.Clamp)
def _clamp(node):
    dtype = node.result_dtype
    x = node.input(0, dtype)
    if node.arg(1) is not None:
        x = node.add("Max", [x, node.input(1, dtype)])
    if node.arg(2) is not None:
        x = node.add("Min", [x, node.input(2, dtype)])
    return x


@op(casting.Cast)
def _cast(node):
    return node.ctx.cast(node.input(0), node.result_dtype)


@op(piecewise.PiecewiseLinear)
def _piecewise_linear(node):
    """offsets[s] + slopes[s] * x on segment s, the segments split at the breakpoints
    (leaky_relu, hardtanh, threshold, ...): one Where per breakpoint."""
    dtype = node.result_dtype
    x = node.input(0)
    breakpoints, slopes, offsets = (node.option(k) for k in ("breakpoints", "slopes", "offsets"))

    def segment(i):
        line = node.add("Mul", [x, node.ctx.constant(slopes[i], dtype)])
        return node.add("Add", [line, node.ctx.constant(offsets[i], dtype)])

    result = segment(0)
    for i, (point, inclusive) in enumerate(breakpoints, 1):
        compare = "GreaterOrEqual" if inclusive else "Greater"
        above = node.add(compare, [x, node.ctx.constant(point, dtype)])
        result = node.add("Where", [above, segment(i), result])
    return result


@op(fused.Softmax, fused.LogSoftmax)
def _softmax(node):
    kind = "Softmax" if node.record.target is fused.Softmax else "LogSoftmax"
    return node.add(kind, [node.input(0)], axis=int(node.option("dim")))


@op(fused.Linear)
def _linear(node):
    weight = node.input(1)
    if node.arg(1).ndim == 2:
        weight = node.add("Transpose", [weight], perm=[1, 0])
    product = node.add("MatMul", [node.input(0), weight])
    if node.arg(2) is None:
        return product
    return node.add("Add", [product, node.input(2)])
