"""Vector and matrix norms: torch.linalg's vector_norm, matrix_norm and norm."""
from __future__ import annotations

import math
import numbers

from ndgrad._tensor import Tensor
from ndgrad.ops import reduction
from ndgrad.ops._common import normalize_dim, tensor_arg
from ndgrad.ops.casting import to_dtype
from ndgrad.ops.linalg._common import _float_matrix
from ndgrad.ops.linalg.decompositions import svdvals
from ndgrad.ops.shape import permute


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ord-norm over `dim` (all elements when None)."""
    x = tensor_arg(x, "vector_norm", "x", 1)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {x.dtype.name}")
    if isinstance(ord, (str, bool)) or not isinstance(ord, numbers.Real):
        raise TypeError(f"linalg.vector_norm(): argument 'ord' must be a number, not "
                        f"{type(ord).__name__}")
    return reduction.norm(x, float(ord), dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro', 'nuc', 2, -2, 1, -1, inf or -inf."""
    A = _float_matrix(A, "linalg.matrix_norm", square=False)
    if dtype is not None:
        A = to_dtype(A, dtype)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {len(dim)}")
    rows, cols = (normalize_dim(d, A.ndim) for d in dim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({rows}, {cols})")
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    rest = [d for d in range(A.ndim) if d not in (rows, cols)]
    moved = permute(A, rest + [rows, cols])
    if ord == "nuc":
        result = svdvals(moved).sum(-1)
    elif ord in (2, -2):
        values = svdvals(moved)
        result = values.amax(-1) if ord == 2 else values.amin(-1)
    elif ord in (1, -1, math.inf, -math.inf):
        sums = moved.abs().sum(-2 if abs(ord) == 1 else -1)
        result = sums.amax(-1) if ord > 0 else sums.amin(-1)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted((rows, cols)):
            result = result.unsqueeze(d)
    return result


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm (1 dim, or a 1-D input) or a matrix norm (2 dims, or a 2-D input).

    With neither `ord` nor `dim` it is the 2-norm of all elements, whatever the shape.
    """
    A = tensor_arg(A, "norm", "A", 1)
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if len(dim) == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)
