"""Sorting and selection: sort, argsort, topk, kthvalue, unique.

Values come from gathering the input at the computed indices, so they are differentiable
(the gradient goes to the selected elements); indices never require grad.
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.return_types import ValuesIndices
from ndgrad.ops._common import (bool_arg, constant, dim_alias, int_arg, normalize_dim,
                                tensor_arg)
from ndgrad.ops.indexing import take_along_dim


def _order(data: np.ndarray, dim: int, descending: bool, stable: bool) -> np.ndarray:
    """Indices that sort `data` along `dim`, NaN counting as the largest value (as in PyTorch).

    Descending is the reverse of a stable ascending sort of the reversed data: ties keep their
    input order, NaN comes first, and no negation can overflow (int64 min, unsigned ints).
    """
    if not descending:
        return np.argsort(data, axis=dim, kind="stable" if stable else None).astype(np.int64)
    reversed_order = np.argsort(np.flip(data, dim), axis=dim, kind="stable")
    return (data.shape[dim] - 1 - np.flip(reversed_order, dim)).astype(np.int64)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort `input` along `dim`."""
    input = tensor_arg(input, "argsort")
    if input.ndim == 0:
        return constant(np.zeros((), dtype=np.int64))
    return constant(_order(input._data, normalize_dim(dim, input.ndim), descending, stable))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) of `input` sorted along `dim`."""
    input = tensor_arg(input, "sort")
    if input.ndim == 0:
        return ValuesIndices(input.clone(), constant(np.zeros((), dtype=np.int64)))
    indices = argsort(input, dim, descending, stable)
    return ValuesIndices(take_along_dim(input, indices, dim), indices)


def msort(input) -> Tensor:
    """`input` sorted along dim 0."""
    return sort(input, 0).values


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the k largest (or smallest) elements along `dim`."""
    input = tensor_arg(input, "topk")
    k = int_arg(k, "topk", "k", 1)
    dim = normalize_dim(dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    if input.ndim == 0 and k in (0, 1):
        return sort(input)  # PyTorch returns the value itself for k=0 too
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range: k={k} but dimension {dim} has size "
                           f"{size}")
    order = _order(input._data, dim, largest, stable=True)
    indices = constant(np.take(order, np.arange(k), axis=dim))
    return ValuesIndices(take_along_dim(input, indices, dim), indices)


def kthvalue(input, k: int, dim: int | None = None, keepdim: bool = False, *, axis=None,
             keepdims=None):
    """(values, indices) of the k-th smallest element (1-based) along `dim` (the last when
    None); NumPy's names `axis` and `keepdims` are accepted too."""
    input = tensor_arg(input, "kthvalue")
    k = int_arg(k, "kthvalue", "k", 1)
    dim = dim_alias(dim, axis)
    keepdim = keepdim if keepdims is None else keepdims
    dim = normalize_dim(-1 if dim is None else dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}: "
                           f"k={k}, size {size}")
    if input.ndim == 0:
        return sort(input)
    order = _order(input._data, dim, False, stable=True)
    indices = constant(np.take(order, [k - 1], axis=dim))
    values = take_along_dim(input, indices, dim)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return ValuesIndices(values, indices)


def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements (or slices along `dim`), sorted; optionally the inverse indices
    and counts. Not differentiable, as in PyTorch."""
    data = tensor_arg(input, "unique")._data
    for name, flag in (("sorted", sorted), ("return_inverse", return_inverse),
                       ("return_counts", return_counts)):
        bool_arg(flag, "unique", name)
    if dim is not None:
        dim = normalize_dim(dim, data.ndim)
    values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True, axis=dim)
    result = [constant(values)]
    if return_inverse:
        shape = data.shape if dim is None else (data.shape[dim],)
        result.append(constant(inverse.reshape(shape).astype(np.int64)))
    if return_counts:
        result.append(constant(counts.astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)
