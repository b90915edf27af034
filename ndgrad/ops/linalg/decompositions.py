"""Matrix decompositions: Cholesky, QR, symmetric eigendecomposition, SVD, pseudo-inverse."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops.linalg._common import _eye, _float_matrix, _lapack, _mT
from ndgrad.ops.linalg.products import _mm
from ndgrad.ops.linalg.solvers import Solve, inv
from ndgrad.ops.rearrange import diag_embed, tril, triu

# PyTorch's torch.return_types for the decompositions.
QRResult = namedtuple("qr", ["Q", "R"])
EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("svd", ["U", "S", "Vh"])


# ---------------------------------------------------------------- primitives


class Cholesky(ArrayFunction):
    """The lower-triangular L with L L^T = A, reading A's lower triangle."""

    @staticmethod
    def forward(ctx, a):
        with _lapack("linalg.cholesky", "The factorization could not be completed because the "
                                        "input is not positive-definite."):
            result = np.linalg.cholesky(a)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        # Murray (2016), arXiv:1602.07527; as PyTorch, the result is symmetric.
        lower, = ctx.saved_tensors
        phi = tril(_mm(_mT(lower), grad))
        phi = 0.5 * (phi + _mT(tril(phi, -1)))
        lower_inv = inv(lower)
        return _mm(_mm(_mT(lower_inv), phi), lower_inv)


class QR(ArrayFunction):
    """Q with orthonormal columns and upper-triangular R with Q R = A."""

    @staticmethod
    def forward(ctx, a, *, mode):
        ctx.mode = mode
        ctx.set_materialize_grads(False)
        if mode == "r":
            q, r = np.zeros_like(a, shape=(0,)), np.linalg.qr(a, mode="r")
        else:
            q, r = np.linalg.qr(a, mode=mode)
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        # The formula of PyTorch's linalg_qr_backward (tall and wide cases).
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        terms = []
        if grad_r is not None:
            terms.append(_mm(grad_r, _mT(r)))
        if grad_q is not None:
            terms.append(-_mm(_mT(q), grad_q))
        m_term = terms[0] if len(terms) == 1 else terms[0] + terms[1]
        if m >= n:
            sym = _mm(q, triu(m_term) + _mT(triu(m_term, 1)))
            if grad_q is not None:
                sym = sym + grad_q
            return _mT(Solve.apply(r, _mT(sym)))
        skew = tril(_mT(m_term) - m_term)
        result = _mT(Solve.apply(r[..., :m], _mT(_mm(q, skew))))
        result = _mm(result, _eye(q, m, n))  # pads the columns with zeros up to n
        return result + _mm(q, grad_r) if grad_r is not None else result


class Eigh(ArrayFunction):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices.

    The eigenvector gradient divides by eigenvalue gaps, so it is exact for a well-separated
    spectrum and infinite for repeated eigenvalues (as in PyTorch); eigenvalue-only losses are
    fine either way.
    """

    @staticmethod
    def forward(ctx, a, *, uplo):
        ctx.set_materialize_grads(False)
        values, vectors = np.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        values, vectors = ctx.saved_tensors
        if grad_vectors is None:
            return _mm(vectors * grad_values.unsqueeze(-2), _mT(vectors))
        vhgv = _mm(_mT(vectors), grad_vectors)
        gaps = values.unsqueeze(-2) - values.unsqueeze(-1) + _eye(values, values.shape[-1])
        inner = 0.5 * (vhgv - _mT(vhgv)) / gaps
        if grad_values is not None:
            inner = inner + diag_embed(grad_values)
        return _mm(_mm(vectors, inner), _mT(vectors))


class SVD(ArrayFunction):
    """U, S, Vh with U diag(S) Vh = A, singular values descending.

    The singular-vector gradient divides by gaps between squared singular values, so it is
    exact for distinct nonzero singular values (as in PyTorch); with full_matrices=True the
    extra columns of U and rows of Vh get no gradient. S-only losses are fine either way.
    """

    @staticmethod
    def forward(ctx, a, *, full_matrices):
        ctx.full_matrices = full_matrices
        ctx.set_materialize_grads(False)
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        u, s, vh = ctx.saved_tensors
        m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
        if ctx.full_matrices:
            u, vh = u[..., :k], vh[..., :k, :]
            grad_u = None if grad_u is None else grad_u[..., :k]
            grad_vh = None if grad_vh is None else grad_vh[..., :k, :]
        if grad_u is None and grad_vh is None:
            return _mm(u * grad_s.unsqueeze(-2), vh)
        s2 = s * s
        gaps = s2.unsqueeze(-2) - s2.unsqueeze(-1) + _eye(s, k)
        inner = 0
        if grad_u is not None:
            uhgu = _mm(_mT(u), grad_u)
            inner = (uhgu - _mT(uhgu)) * s.unsqueeze(-2) / gaps
        if grad_vh is not None:
            vhgv = _mm(vh, _mT(grad_vh))
            inner = inner + s.unsqueeze(-1) * (vhgv - _mT(vhgv)) / gaps
        if grad_s is not None:
            inner = inner + diag_embed(grad_s)
        if m > n and grad_u is not None:
            scaled = grad_u / s.unsqueeze(-2)
            left = _mm(u, inner) + scaled - _mm(u, _mm(_mT(u), scaled))
            return _mm(left, vh)
        if m < n and grad_vh is not None:
            scaled = grad_vh / s.unsqueeze(-1)
            right = _mm(inner, vh) + scaled - _mm(_mm(scaled, _mT(vh)), vh)
            return _mm(u, right)
        return _mm(_mm(u, inner), vh)


class Pinv(ArrayFunction):
    """The Moore-Penrose pseudo-inverse; singular values <= max(atol, rtol * max) count as 0.

    The gradient is PyTorch's, valid where the rank does not change under small perturbations.
    """

    @staticmethod
    def forward(ctx, a, *, atol, rtol):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        largest = s.max(axis=-1, keepdims=True, initial=0.0)
        keep = s > np.maximum(atol, rtol * largest)
        s_inv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
        result = np.matmul(np.swapaxes(vh, -1, -2) * s_inv[..., None, :], np.swapaxes(u, -1, -2))
        ctx.save_for_backward(a, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        a, p = ctx.saved_tensors
        p_t, grad_t = _mT(p), _mT(grad)
        if a.shape[-2] <= a.shape[-1]:
            k = _mm(grad_t, p)
            k_p_t = _mm(k, p_t)
            return (-_mT(_mm(p, k)) + k_p_t - _mm(_mm(a, p), k_p_t)
                    + _mm(_mm(p_t, p), grad_t - _mm(k, a)))
        k = _mm(p, grad_t)
        p_t_k = _mm(p_t, k)
        return (-_mT(_mm(k, p)) + _mm(_mm(grad_t - _mm(a, k), p), p_t) + p_t_k
                - _mm(_mm(p_t_k, p), a))


# ---------------------------------------------------------------- torch.linalg


def cholesky(A, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of symmetric positive-definite A: L L^T = A (U^T U = A if upper).

    Reads the lower triangle only; the gradient is symmetric, as in PyTorch.
    """
    lower = Cholesky.apply(_float_matrix(A, "linalg.cholesky"))
    return _mT(lower) if upper else lower


def qr(A, mode: str = "reduced") -> QRResult:
    """Q, R with A = Q R: mode 'reduced', 'complete', or 'r' (R only, Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    return QRResult(*QR.apply(_float_matrix(A, "linalg.qr", square=False), mode=mode))


def eigh(A, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric A, reading one triangle.

    Eigenvectors are defined up to sign; see `Eigh` for where the gradient is exact.
    """
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return EighResult(*Eigh.apply(_float_matrix(A, "linalg.eigh"), uplo=UPLO))


def eigvalsh(A, UPLO: str = "L") -> Tensor:
    """The eigenvalues of symmetric A, ascending."""
    return eigh(A, UPLO).eigenvalues


def svd(A, full_matrices: bool = True) -> SVDResult:
    """U, S, Vh with A = U diag(S) Vh; see `SVD` for where the gradient is exact."""
    A = _float_matrix(A, "linalg.svd", square=False)
    return SVDResult(*SVD.apply(A, full_matrices=full_matrices))


def svdvals(A) -> Tensor:
    """The singular values of A, descending."""
    return svd(A, full_matrices=False).S


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse; rtol defaults to eps * max(m, n) unless atol > 0.

    `hermitian` is accepted for compatibility; the SVD is used either way.
    """
    A = _float_matrix(A, "linalg.pinv", square=False)
    atol = 0.0 if atol is None else float(atol)
    if rtol is None:
        rtol = np.finfo(A._data.dtype).eps * max(A.shape[-2:]) if atol <= 0 else 0.0
    return Pinv.apply(A, atol=atol, rtol=float(rtol))
