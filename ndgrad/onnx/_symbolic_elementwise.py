"""Translations of elementwise ops, activations, casts and the fused softmax/linear ops."""
from __future__ import annotations

from functools import partial

import numpy as np

from ndgrad.onnx._registry import call, op, unsupported
from ndgrad.ops import casting, fused
from ndgrad.ops.elementwise import arithmetic, comparison, piecewise, rounding, unary

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


def _trunc_value(node, x: str) -> str:
    """Rounds toward zero: ONNX has Floor and Ceil but no Trunc."""
    zero = node.ctx.constant(0, node.result_dtype)
    return node.add("Where", [node.add("Less", [x, zero]), node.add("Ceil", [x]),
                              node.add("Floor", [x])])


@op(rounding.Trunc)
def _trunc(node):
    return _trunc_value(node, node.input(0))


def _python_mod(node, a: str, b: str) -> str:
    """a - floor(a / b) * b, the remainder with the divisor's sign (Python's and PyTorch's
    remainder); ONNX's Mod gives it for integers only (fmod=0)."""
    if node.result_dtype.kind in "iu":
        return node.add("Mod", [a, b], fmod=0)
    quotient = node.add("Floor", [node.add("Div", [a, b])])
    return node.add("Sub", [a, node.add("Mul", [quotient, b])])


@op(arithmetic.Remainder)
def _remainder(node):
    dtype = node.result_dtype
    return _python_mod(node, node.input(0, dtype), node.input(1, dtype))


@op(rounding.FloorDivide)
def _floor_divide(node):
    """floor(a / b); for integers (a - a mod b) / b, exact where ONNX's Div truncates."""
    dtype = node.result_dtype
    a, b = node.input(0, dtype), node.input(1, dtype)
    if dtype.kind in "iu":
        return node.add("Div", [node.add("Sub", [a, _python_mod(node, a, b)]), b])
    return node.add("Floor", [node.add("Div", [a, b])])


@op(rounding.TruncDivide)
def _trunc_divide(node):
    dtype = node.result_dtype
    quotient = node.add("Div", [node.input(0, dtype), node.input(1, dtype)])
    return quotient if dtype.kind in "iu" else _trunc_value(node, quotient)


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
    """Gemm for a 2-D input (as PyTorch exports it), else MatMul with the weight transposed."""
    if node.arg(0).ndim == 2 and node.arg(1).ndim == 2:
        return node.add("Gemm", [node.input(0), node.input(1), node.input(2)], transB=1)
    weight = node.input(1)
    if node.arg(1).ndim == 2:
        weight = node.add("Transpose", [weight], perm=[1, 0])
    product = node.add("MatMul", [node.input(0), weight])
    if node.arg(2) is None:
        return product
    return node.add("Add", [product, node.input(2)])


@op(fused.LayerNorm)
def _layer_norm(node):
    """LayerNormalization from opset 17 (it requires a scale: ones when there is no weight);
    before, the standardisation written out."""
    x, dims, eps = node.arg(0), int(node.option("dims")), float(node.option("eps"))
    dtype = x._data.dtype
    if node.ctx.opset >= 17:
        scale = node.input(1) if node.arg(1) is not None else \
            node.ctx.constant(np.ones(x.shape[x.ndim - dims:]), dtype)
        inputs = [node.input(0), scale] + ([node.input(2)] if node.arg(2) is not None else [])
        return node.add("LayerNormalization", inputs, axis=x.ndim - dims, epsilon=eps)
    axes = list(range(x.ndim - dims, x.ndim))
    centred = node.add("Sub", [node.input(0), node.ctx.reduce("ReduceMean", node.input(0),
                                                              axes, True)])
    variance = node.ctx.reduce("ReduceMean", node.add("Mul", [centred, centred]), axes, True)
    std = node.add("Sqrt", [node.add("Add", [variance, node.ctx.constant(eps, dtype)])])
    out = node.add("Div", [centred, std])
    if node.arg(1) is not None:
        out = node.add("Mul", [out, node.input(1)])
    return out if node.arg(2) is None else node.add("Add", [out, node.input(2)])


# ---- comparisons and logical ops: plain functions that make constants, so translated whole

_COMPARE = {comparison.eq: "Equal", comparison.lt: "Less", comparison.le: "LessOrEqual",
            comparison.gt: "Greater", comparison.ge: "GreaterOrEqual"}
_LOGICAL = {comparison.logical_and: "And", comparison.logical_or: "Or",
            comparison.logical_xor: "Xor"}


def _common_dtype(node) -> np.dtype:
    """The operands' promoted dtype; float32 (the default dtype) when a Python float meets
    integer or bool tensors."""
    keys = ("input", "other")
    tensors = [node.dtype(k) for k in keys if hasattr(node.arg(k), "_data")]
    dtype = np.result_type(*tensors) if tensors else node.dtype("input")
    if dtype.kind in "iub" and any(isinstance(node.arg(k), float) for k in keys):
        return np.dtype(np.float32)
    return dtype


def _comparison(node, onnx_op: str, negate: bool = False):
    dtype = _common_dtype(node)
    result = node.add(onnx_op, [node.input("input", dtype), node.input("other", dtype)])
    return node.add("Not", [result]) if negate else result


for _function, _onnx_op in _COMPARE.items():
    call(_function.__name__, _function)(partial(_comparison, onnx_op=_onnx_op))
call("ne", comparison.ne)(partial(_comparison, onnx_op="Equal", negate=True))


def _logical(node, onnx_op: str):
    return node.add(onnx_op, [node.input("input", np.bool_), node.input("other", np.bool_)])


for _function, _onnx_op in _LOGICAL.items():
    call(_function.__name__, _function)(partial(_logical, onnx_op=_onnx_op))


def _bitwise(node, onnx_op: str):
    """And/Or/Xor on bool tensors, Bitwise<op> (opset 18) on integers."""
    dtype = _common_dtype(node)
    if dtype.kind == "b":
        return _logical(node, onnx_op)
    if node.ctx.opset < 18:
        unsupported(node, f"bitwise operations on integers at opset {node.ctx.opset}")
    return node.add("Bitwise" + onnx_op, [node.input("input", dtype), node.input("other", dtype)])


for _function, _onnx_op in ((comparison.bitwise_and, "And"), (comparison.bitwise_or, "Or"),
                            (comparison.bitwise_xor, "Xor")):
    call(_function.__name__, _function)(partial(_bitwise, onnx_op=_onnx_op))


@call("bitwise_not", comparison.bitwise_not)
def _bitwise_not(node):
    if node.dtype("input").kind == "b":
        return node.add("Not", [node.input("input")])
    return node.add("BitwiseNot", [node.input("input")])


@call("logical_not", comparison.logical_not)
def _logical_not(node):
    return node.add("Not", [node.input("input", np.bool_)])


@call("isnan", comparison.isnan)
def _isnan(node):
    return node.add("IsNaN", [node.input("input")])


@call("isinf", comparison.isinf)
def _isinf(node):
    return node.add("IsInf", [node.input("input")])


@call("isfinite", comparison.isfinite)
def _isfinite(node):
    x = node.input("input")
    return node.add("Not", [node.add("Or", [node.add("IsInf", [x]), node.add("IsNaN", [x])])])
