"""Inverse, determinants, linear solves and matrix powers."""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import elementwise as ew
from ndgrad.ops._common import tensor_arg
from ndgrad.ops.linalg._common import (_eye, _float_matrix, _lapack, _mT, _same_dtype,
                                       _shape_str, _unsqueeze2)
from ndgrad.ops.linalg.products import _mm
from ndgrad.ops.shape import broadcast_to

# PyTorch's torch.return_types for slogdet.
SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])


# ---------------------------------------------------------------- primitives


class Inv(ArrayFunction):
    """The inverse of each square matrix."""

    @staticmethod
    def forward(ctx, a):
        with _lapack("linalg.inv", "the input matrix is singular, so it has no inverse"):
            result = np.linalg.inv(a)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        inverse_t = _mT(ctx.saved_tensors[0])
        return -_mm(_mm(inverse_t, grad), inverse_t)


class Det(ArrayFunction):
    """The determinant of each square matrix; its gradient needs an invertible matrix."""

    @staticmethod
    def forward(ctx, a):
        result = np.asarray(np.linalg.det(a))
        ctx.save_for_backward(a, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        a, det = ctx.saved_tensors
        return _unsqueeze2(grad * det) * _mT(inv(a))


class Slogdet(ArrayFunction):
    """The sign and log |det| of each square matrix; the sign's gradient is zero (as PyTorch)."""

    @staticmethod
    def forward(ctx, a):
        sign, logabsdet = (np.asarray(r) for r in np.linalg.slogdet(a))
        ctx.save_for_backward(a)
        return sign, logabsdet

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):
        a, = ctx.saved_tensors
        return _unsqueeze2(grad_logabsdet) * _mT(inv(a))


class Solve(ArrayFunction):
    """X with A X = B, for square A and B of shape (..., n, k) with the same batch dims."""

    @staticmethod
    def forward(ctx, a, b):
        with _lapack("linalg.solve", "the input matrix A is singular"):
            result = np.linalg.solve(a, b)
        ctx.save_for_backward(a, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        grad_b = Solve.apply(_mT(a), grad)
        grad_a = -_mm(grad_b, _mT(x)) if ctx.needs_input_grad[0] else None
        return grad_a, grad_b if ctx.needs_input_grad[1] else None


# ---------------------------------------------------------------- torch.linalg


def inv(A) -> Tensor:
    """The inverse of each square matrix in A (..., n, n)."""
    return Inv.apply(_float_matrix(A, "linalg.inv"))


def det(A) -> Tensor:
    """The determinant of each square matrix in A (..., n, n); the gradient needs A invertible."""
    return Det.apply(_float_matrix(A, "linalg.det"))


def slogdet(A) -> SlogdetResult:
    """(sign, log|det|) of each square matrix in A; the sign's gradient is zero."""
    return SlogdetResult(*Slogdet.apply(_float_matrix(A, "linalg.slogdet")))


def logdet(A) -> Tensor:
    """log(det(A)): nan where det < 0, -inf where det = 0."""
    sign, logabsdet = slogdet(A)
    return ew.where(sign < 0, math.nan, logabsdet)


def solve(A, B, *, left: bool = True) -> Tensor:
    """X with A X = B (X A = B if not left); B is (..., n, k), or (n,) / (..., n) vectors."""
    A, B = _float_matrix(A, "linalg.solve"), tensor_arg(B, "solve", "B", 2)
    _same_dtype(A, B, "linalg.solve")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    B2 = B.unsqueeze(-1) if vector else B
    if not left and not vector:
        A, B2 = _mT(A), _mT(B2)
    elif not left:
        A = _mT(A)
    n = A.shape[-1]
    try:
        batch = np.broadcast_shapes(A.shape[:-2], B2.shape[:-2])
    except ValueError:
        batch = None
    if B2.ndim < 2 or B2.shape[-2] != n or batch is None:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{equation} ({_shape_str(A.shape)} and {_shape_str(B.shape)})")
    X = Solve.apply(broadcast_to(A, batch + (n, n)), broadcast_to(B2, batch + B2.shape[-2:]))
    if vector:
        return X.squeeze(-1)
    return X if left else _mT(X)


def matrix_power(A, n: int) -> Tensor:
    """A multiplied by itself n times (the identity for n = 0, powers of inv(A) for n < 0)."""
    A = tensor_arg(A, "matrix_power", "A", 1)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, got "
                           f"shape {list(A.shape)}")
    if n == 0:
        return broadcast_to(_eye(A, A.shape[-1]), A.shape).clone()
    base = inv(A) if n < 0 else A
    result = base
    for bit in bin(abs(n))[3:]:  # square-and-multiply over the bits after the leading 1
        result = _mm(result, result)
        if bit == "1":
            result = _mm(result, base)
    return result
