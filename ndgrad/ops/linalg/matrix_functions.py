"""Matrix functions built from products: matrix_exp and householder_product.

Both are compositions of matmul and elementwise ops rather than Functions, so their gradients
of every order come from those ops (orthogonal parametrizations differentiate through them).
"""
from __future__ import annotations

import math

import numpy as np

from ndgrad._creation import eye
from ndgrad._tensor import Tensor
from ndgrad.ops._common import tensor_arg
from ndgrad.ops.linalg.products import matmul

# Taylor terms after scaling the matrix to norm <= 1/2: the remainder is below
# (1/2)^19 / 19! ~ 1e-23, under float64's rounding.
_TAYLOR_TERMS = 18


def _square_check(A: Tensor, name: str) -> None:
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: expected a tensor of square matrices (*, n, n), got shape "
                           f"{list(A.shape)}")


def matrix_exp(A) -> Tensor:
    """e^A = sum_k A^k / k! for square matrices (*, n, n), by scaling and squaring:
    e^A = (e^(A / 2^s))^(2^s) with s chosen so that ||A / 2^s||_1 <= 1/2, where a Taylor
    polynomial of degree 18 is exact to float64 rounding."""
    A = tensor_arg(A, "matrix_exp")
    _square_check(A, "matrix_exp")
    if not A.is_floating_point():
        raise RuntimeError(f"matrix_exp: expected a floating point tensor, got {A.dtype.name}")
    norm = float(np.abs(A._data).sum(axis=-2).max()) if A.numel() else 0.0
    squarings = max(0, math.ceil(math.log2(norm)) + 1) if norm > 0.5 else 0
    scaled = A / (2 ** squarings) if squarings else A
    identity = eye(A.shape[-1], dtype=A.dtype).expand(A.shape)
    # Horner's scheme: I + X (I + X/2 (I + X/3 (...))).
    result = identity
    for k in range(_TAYLOR_TERMS, 0, -1):
        result = identity + matmul(scaled, result) / k
    for _ in range(squarings):
        result = matmul(result, result)
    return result


def householder_product(A, tau) -> Tensor:
    """The first k columns of H_1 H_2 ... H_k for A (*, m, n) and tau (*, k), where
    H_i = I - tau_i v_i v_i^T and v_i is column i of A below the diagonal with 1 on it
    (the representation LAPACK's geqrf returns)."""
    A, tau = tensor_arg(A, "householder_product"), tensor_arg(tau, "householder_product")
    m, n = A.shape[-2], A.shape[-1]
    k = tau.shape[-1]
    if m < n or n < k:
        raise RuntimeError(f"householder_product: expected input (*, m, n) with m >= n >= k, "
                           f"got input {list(A.shape)} and tau {list(tau.shape)}")
    lower = A.tril(-1)
    units = np.eye(m, dtype=A._data.dtype)
    Q = eye(m, dtype=A.dtype).expand(A.shape[:-2] + (m, m))
    for i in range(k):
        v = (lower[..., :, i] + Tensor._make(units[:, i])).unsqueeze(-1)  # (*, m, 1)
        # Q H_i = Q - tau_i (Q v) v^T
        Q = Q - matmul(matmul(Q, v) * tau[..., i, None, None], v.mT)
    return Q[..., :, :n]
