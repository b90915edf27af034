"""Translations of reductions, cumulative ops and matrix products."""
from __future__ import annotations

from functools import partial

import numpy as np

from ndgrad.onnx._registry import call, op, unsupported
from ndgrad.ops import reduction
from ndgrad.ops.linalg import products
from ndgrad.ops.linalg.einsum import Einsum

_REDUCE = {reduction.Sum: "ReduceSum", reduction.Mean: "ReduceMean",
           reduction.Amax: "ReduceMax", reduction.Amin: "ReduceMin"}


def _axes(node, key: str = "axes"):
    axes = node.option(key)
    return None if axes is None else [int(a) for a in np.atleast_1d(axes)]


@op(*_REDUCE)
def _reduce(node):
    x = node.input(0)
    if node.record.target is reduction.Sum and node.dtype(0) != node.result_dtype:
        x = node.ctx.cast(x, node.result_dtype)  # sum(dtype=...) or an integer sum's int64
    return node.ctx.reduce(_REDUCE[node.record.target], x, _axes(node), node.option("keepdim"))


@op(reduction.Prod)
def _prod(node):
    return node.ctx.reduce("ReduceProd", node.input(0), _axes(node, "axis"),
                           node.option("keepdim"))


@op(reduction.Norm)
def _norm(node):
    p = node.option("p")
    kinds = {1: "ReduceL1", 2: "ReduceL2", float("inf"): "ReduceMax",
             -float("inf"): "ReduceMin"}
    if p not in kinds:
        unsupported(node, f"the {p}-norm")
    x = node.input(0)
    if np.isinf(p):
        x = node.add("Abs", [x])
    return node.ctx.reduce(kinds[p], x, _axes(node), node.option("keepdim"))


@op(reduction.Cumsum)
def _cumsum(node):
    dim = node.ctx.constant(int(node.option("dim")), np.int64)
    return node.add("CumSum", [node.input(0), dim])


@op(products.MatMul)
def _matmul(node):
    dtype = node.result_dtype
    return node.add("MatMul", [node.input(0, dtype), node.input(1, dtype)])


@op(Einsum)
def _einsum(node):
    subscripts = node.option("subscripts")
    equation = ",".join(subscripts) + "->" + node.option("output")
    return node.add("Einsum", [node.input(i) for i in range(len(subscripts))],
                    equation=equation)


# ---- max/min with a dim, argmax/argmin: their indices are computed outside the graph, so
# they are translated whole


def _extreme(node, reduce_op: str, arg_op: str, binary_op: str):
    """max/min in all of their forms: of a tensor, along dim (values, indices), along the
    seed's axis (values), or elementwise against another tensor."""
    dim, axis = node.arg("dim"), node.arg("axis")
    x = node.input("input")
    if hasattr(dim, "_data"):
        return node.add(binary_op, [x, node.input("dim", node.result_dtype)])
    keepdims = node.option("keepdims")
    keepdim = node.option("keepdim") if keepdims is None else keepdims
    if axis is not None:
        return node.ctx.reduce(reduce_op, x, node.option("axis"), keepdim)
    if dim is None:
        return node.ctx.reduce(reduce_op, x, None, False)
    if node.arg("input").ndim == 0:
        return [node.add("Identity", [x]), node.ctx.constant(0, np.int64)]
    dim = int(node.option("dim"))
    values = node.ctx.reduce(reduce_op, x, [dim], keepdim)
    return [values, node.add(arg_op, [x], axis=dim, keepdims=int(bool(keepdim)))]


def _arg_extreme(node, arg_op: str):
    """argmax/argmin along dim, or of the flattened tensor."""
    x = node.input("input")
    keepdims = node.option("keepdims")
    keepdim = node.option("keepdim") if keepdims is None else keepdims
    dim = node.option("dim") if node.arg("dim") is not None else node.option("axis")
    if dim is None:
        flat = node.add("Reshape", [x, node.ctx.ints([-1])])
        return node.add(arg_op, [flat], axis=0, keepdims=0)
    return node.add(arg_op, [x], axis=int(dim), keepdims=int(bool(keepdim)))


call("max", reduction.max)(partial(_extreme, reduce_op="ReduceMax", arg_op="ArgMax",
                                         binary_op="Max"))
call("min", reduction.min)(partial(_extreme, reduce_op="ReduceMin", arg_op="ArgMin",
                                         binary_op="Min"))
call("argmax", reduction.argmax)(partial(_arg_extreme, arg_op="ArgMax"))
call("argmin", reduction.argmin)(partial(_arg_extreme, arg_op="ArgMin"))


def _logical_reduction(node, reduce_op: str):
    """all/any as the min/max of the elements as 0/1 (ONNX reduces no bools)."""
    keepdims = node.option("keepdims")
    keepdim = node.option("keepdim") if keepdims is None else keepdims
    dim = node.option("dim") if node.arg("dim") is not None else node.option("axis")
    ones = node.ctx.cast(node.ctx.cast(node.input("input"), np.bool_), np.int32)
    reduced = node.ctx.reduce(reduce_op, ones, dim, keepdim if dim is not None else False)
    return node.ctx.cast(reduced, node.result_dtype)


call("all", reduction.all)(partial(_logical_reduction, reduce_op="ReduceMin"))
call("any", reduction.any)(partial(_logical_reduction, reduce_op="ReduceMax"))
