"""Translations of reductions, cumulative ops and matrix products."""
from __future__ import annotations

import numpy as np

from ndgrad.onnx._registry import op, unsupported
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
