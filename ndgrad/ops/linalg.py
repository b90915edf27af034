"""Linear algebra: matmul and its relatives, einsum, norms, solvers and decompositions."""
from __future__ import annotations

import math
import string
import warnings
from collections import Counter, namedtuple
from contextlib import contextmanager

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import _dual
from ndgrad.ops import elementwise as ew
from ndgrad.ops import reduction
from ndgrad.ops._common import as_tensor, constant, normalize_dim
from ndgrad.ops.rearrange import diag_embed, tril, triu
from ndgrad.ops.shape import broadcast_to, permute, reshape, sum_to, transpose

# PyTorch's torch.return_types for the decompositions.
SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
QRResult = namedtuple("qr", ["Q", "R"])
EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("svd", ["U", "S", "Vh"])
LegacySVDResult = namedtuple("svd", ["U", "S", "V"])

# einsum labels in PyTorch's order: sublist integer n is _LABELS[n].
_LABELS = string.ascii_uppercase + string.ascii_lowercase


class LinAlgError(RuntimeError):
    """A matrix is singular or not positive-definite (PyTorch's torch.linalg.LinAlgError)."""


@contextmanager
def _lapack(name: str, problem: str):
    """Re-raises NumPy's LinAlgError as ndgrad's, naming the op."""
    try:
        yield
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{name}: {problem}") from None


# ---------------------------------------------------------------- primitives


class MatMul(ArrayFunction):
    """Matrix product of arrays with at least 2 dims; batch dims broadcast."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = _dual.sum_to(grad @ b.mT, a.shape) if ctx.needs_input_grad[0] else None
        grad_b = _dual.sum_to(a.mT @ grad, b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Einsum(ArrayFunction):
    """Einstein summation over letter subscripts whose sizes agree across operands.

    The gradient of operand k is an einsum of the output gradient with the other operands,
    producing k's labels: labels only k has are summed in forward, so their gradient is
    broadcast back; a label repeated within k (a diagonal) gets its gradient on that diagonal.
    """

    @staticmethod
    def forward(ctx, *operands, subscripts, output):
        ctx.subscripts, ctx.output = subscripts, output
        ctx.save_for_backward(*operands)
        xp = _backend.array_module(*operands)
        equation = ",".join(subscripts) + "->" + output
        # 'greedy' contracts pairs through BLAS; it costs ~6us, so single operands skip it.
        result = xp.asarray(np.einsum(equation, *operands,
                                      optimize="greedy" if len(operands) > 1 else False))
        if any(np.may_share_memory(result, x) for x in operands):
            result = result.copy()  # einsum('ii->i') is a view; outputs never alias inputs
        return result

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        return tuple(_einsum_grad(ctx, k, grad, operands) if need else None
                     for k, need in enumerate(ctx.needs_input_grad))


def _einsum_grad(ctx, k: int, grad: Tensor, operands: tuple) -> Tensor:
    subscripts = ctx.subscripts
    target = subscripts[k]
    sizes = dict(zip(target, operands[k].shape))
    unique = "".join(dict.fromkeys(target))
    others = [j for j in range(len(operands)) if j != k]
    seen = set(ctx.output).union(*(subscripts[j] for j in others))
    kept = "".join(c for c in unique if c in seen)
    result = Einsum.apply(grad, *(operands[j] for j in others),
                          subscripts=(ctx.output, *(subscripts[j] for j in others)), output=kept)
    if kept != unique:
        result = reshape(result, tuple(sizes[c] if c in kept else 1 for c in unique))
        result = broadcast_to(result, tuple(sizes[c] for c in unique))
    if unique == target:
        return result
    used = set("".join(subscripts) + ctx.output)
    fresh = iter(c for c in _LABELS if c not in used)
    labels, eye_subscripts, eyes = [], [], []
    for c in target:
        if c in labels:
            label = next(fresh)
            eye_subscripts.append(c + label)
            eyes.append(_eye(grad, sizes[c]))
            labels.append(label)
        else:
            labels.append(c)
    return Einsum.apply(result, *eyes, subscripts=(unique, *eye_subscripts),
                        output="".join(labels))


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


class Cross(ArrayFunction):
    """The cross product of 3-vectors along `dim`, for arrays of the same shape."""

    @staticmethod
    def forward(ctx, a, b, *, dim):
        ctx.dim = dim
        ctx.save_for_backward(a, b)
        return np.cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = Cross.apply(b, grad, dim=ctx.dim) if ctx.needs_input_grad[0] else None
        grad_b = Cross.apply(grad, a, dim=ctx.dim) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


# ---------------------------------------------------------------- helpers for backward


def _mm(a: Tensor, b: Tensor) -> Tensor:
    return MatMul.apply(a, b)


def _mT(x: Tensor) -> Tensor:
    return transpose(x, -2, -1)


def _unsqueeze2(x: Tensor) -> Tensor:
    return reshape(x, tuple(x.shape) + (1, 1))


def _eye(like: Tensor, n: int, m: int | None = None) -> Tensor:
    xp = _backend.array_module(like._data)
    return constant(xp.eye(n, m, dtype=like._data.dtype))


# ---------------------------------------------------------------- checks


def _same_dtype(a: Tensor, b: Tensor, name: str) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{name}: expected both arguments to have the same dtype, but got: "
                           f"{a.dtype.name} != {b.dtype.name}")


def _float_matrix(input, name: str, square: bool = True) -> Tensor:
    """`input` as a Tensor, checked to be a (batch of) float (square) matrices."""
    input = as_tensor(input)
    if input._data.dtype.kind != "f" or input._data.dtype == np.float16:
        raise RuntimeError(f"{name}: Expected a float32 or float64 tensor as input. "
                           f"Got {input.dtype.name}")
    if input.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{input.shape[-2]} by {input.shape[-1]} matrices")
    return input


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


# ---------------------------------------------------------------- products


def matmul(input, other) -> Tensor:
    """Matrix product with PyTorch's rules.

    1-D x 1-D is a dot product; a 1-D first (second) argument is a row (column) vector whose
    added dim is removed again; otherwise the last two dims multiply and the others broadcast.
    """
    a, b = as_tensor(input), as_tensor(other)
    _same_dtype(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    shape_a, shape_b = a._data.shape, b._data.shape
    if a.ndim == 1 and b.ndim == 1 and shape_a != shape_b:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{shape_a[0]}] and src "
                           f"[{shape_b[0]}] to have the same number of elements, but got "
                           f"{shape_a[0]} and {shape_b[0]} elements respectively")
    if a.ndim == 2 and b.ndim == 2:
        if shape_a[1] != shape_b[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                               f"({_shape_str(shape_a)} and {_shape_str(shape_b)})")
        return MatMul.apply(a, b)
    a2 = reshape(a, (1,) + shape_a) if a.ndim == 1 else a
    b2 = reshape(b, shape_b + (1,)) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise RuntimeError(f"matmul: shapes {list(shape_a)} and {list(shape_b)} cannot be "
                           f"multiplied ({a2.shape[-1]} != {b2.shape[-2]} in the contracted dim)")
    try:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: the batch dims of shapes {list(shape_a)} and "
                           f"{list(shape_b)} cannot be broadcast") from None
    rows = shape_a[-2:-1] if a.ndim > 1 else ()
    cols = shape_b[-1:] if b.ndim > 1 else ()
    return reshape(MatMul.apply(a2, b2), batch + rows + cols)


def mm(input, mat2) -> Tensor:
    """Product of two matrices (2-D only, no broadcasting)."""
    a, b = as_tensor(input), as_tensor(mat2)
    for t, name in ((a, "self"), (b, "mat2")):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got a {t.ndim}-D tensor")
    return matmul(a, b)


def bmm(input, mat2) -> Tensor:
    """Batched product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    a, b = as_tensor(input), as_tensor(mat2)
    for t, name in ((a, "batch1"), (b, "batch2")):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor, got a {t.ndim}-D tensor")
    if (b.shape[0], b.shape[1]) != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return matmul(a, b)


def mv(input, vec) -> Tensor:
    """Product of a matrix and a vector."""
    a, v = as_tensor(input), as_tensor(vec)
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        raise RuntimeError(f"mv: expected a matrix and a vector of matching size, got shapes "
                           f"{list(a.shape)} and {list(v.shape)}")
    return matmul(a, v)


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), with `input` broadcast to the product's shape."""
    product = mm(mat1, mat2)
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product
    return product + (as_tensor(input) if beta == 1 else as_tensor(input) * beta)


def dot(input, tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same size."""
    a, b = as_tensor(input), as_tensor(tensor)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)


def vdot(input, other) -> Tensor:
    """Inner product of two 1-D tensors (the first is conjugated; real tensors only here)."""
    return dot(input, other)


def outer(input, vec2) -> Tensor:
    """Outer product of two 1-D tensors: result[i, j] = input[i] * vec2[j]."""
    a, b = as_tensor(input), as_tensor(vec2)
    for t, name in ((a, "self"), (b, "vec2")):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def ger(input, vec2) -> Tensor:
    """Alias of `outer`."""
    return outer(input, vec2)


def inner(input, other) -> Tensor:
    """Sum of products over the last dims; the result has shape a.shape[:-1] + b.shape[:-1]."""
    a, b = as_tensor(input), as_tensor(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    return tensordot(a, b, ([-1], [-1]))


def tensordot(a, b, dims=2) -> Tensor:
    """Contracts `dims` (the last n of a with the first n of b, or two lists of dims)."""
    a, b = as_tensor(a), as_tensor(b)
    _same_dtype(a, b, "tensordot")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0 or dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects 0 <= dims <= {min(a.ndim, b.ndim)} for shapes "
                               f"{list(a.shape)} and {list(b.shape)}, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [normalize_dim(d, a.ndim) for d in dims_a]
    dims_b = [normalize_dim(d, b.ndim) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} in "
                               f"dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    kept_a, kept_b = [a.shape[d] for d in free_a], [b.shape[d] for d in free_b]
    contracted = math.prod(a.shape[d] for d in dims_a)
    left = reshape(permute(a, free_a + dims_a), (math.prod(kept_a), contracted))
    right = reshape(permute(b, dims_b + free_b), (contracted, math.prod(kept_b)))
    return reshape(MatMul.apply(left, right), tuple(kept_a + kept_b))


def einsum(*args) -> Tensor:
    """Einstein summation: `einsum('ij,jk->ik', a, b)`, or PyTorch's sublist form.

    Supports '...' (broadcast), repeated labels within an operand (diagonals, 'ii->i'), the
    implicit output (labels seen once, sorted, after the '...' dims) and size-1 broadcasting.
    """
    equation, operands = _einsum_arguments(args)
    operands = [as_tensor(x) for x in operands]
    for x in operands[1:]:
        _same_dtype(operands[0], x, "einsum()")
    subscripts, output = _parse_equation(equation, operands)
    sizes = {}
    for k, (labels, x) in enumerate(zip(subscripts, operands)):
        own = {}
        for c, size in zip(labels, x.shape):
            if own.setdefault(c, size) != size:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the "
                                   f"sizes don't match, {size} != {own[c]}")
        for c, size in own.items():
            seen = sizes.setdefault(c, size)
            if seen != size and 1 not in (seen, size):
                raise RuntimeError(f"einsum(): subscript {c} has size {size} for operand {k} "
                                   f"which does not broadcast with previously seen size {seen}")
            sizes[c] = size if seen == 1 else seen
    operands = [broadcast_to(x, tuple(sizes[c] for c in labels))
                for labels, x in zip(subscripts, operands)]
    return Einsum.apply(*operands, subscripts=tuple(subscripts), output=output)


def _einsum_arguments(args: tuple):
    """(equation, operands) from einsum's two call forms."""
    if args and isinstance(args[0], str):
        operands = args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = operands[0]
        return args[0], list(operands)

    def letters(sublist) -> str:
        if any(n is not Ellipsis and not 0 <= n < len(_LABELS) for n in sublist):
            raise ValueError("einsum(): subscript in subscript list is not within the valid "
                             "range [0, 52)")
        return "".join("..." if n is Ellipsis else _LABELS[n] for n in sublist)

    operands, terms = list(args[0::2][:len(args) // 2]), list(args[1::2])
    equation = ",".join(letters(s) for s in terms)
    if len(args) % 2:
        equation += "->" + letters(args[-1])
    return equation, operands


def _parse_equation(equation: str, operands: list):
    """Explicit letter subscripts per operand and for the output, '...' expanded to letters."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        fewer = "fewer" if len(operands) < len(terms) else "more"
        raise RuntimeError(f"einsum(): {fewer} operands were provided than specified in the "
                           f"equation")
    for c in equation.replace("...", "").replace(",", "").replace("->", ""):
        if c not in _LABELS:
            raise RuntimeError(f"einsum(): invalid subscript {c!r} in the equation "
                               f"'{equation}', subscripts must be in [a-zA-Z]")
    ellipsis_dims = []
    for k, (term, x) in enumerate(zip(terms, operands)):
        named = len(term.replace("...", ""))
        if term.count("...") > 1 or (term.count("...") == 0 and named != x.ndim) or named > x.ndim:
            raise RuntimeError(f"einsum(): the subscripts '{term}' do not match the "
                               f"{x.ndim} dimensions of operand {k} (shape {list(x.shape)})")
        ellipsis_dims.append(x.ndim - named)
    if not arrow:
        counts = Counter(lhs.replace("...", "").replace(",", ""))
        rhs = ("..." if "..." in lhs else "") + "".join(sorted(c for c, n in counts.items()
                                                               if n == 1))
    free = [c for c in _LABELS if c not in equation]
    broadcast = "".join(free[:max(ellipsis_dims, default=0)])
    subscripts = [t.replace("...", broadcast[len(broadcast) - n:] if n else "")
                  for t, n in zip(terms, ellipsis_dims)]
    output = rhs.replace("...", broadcast)
    for c in output:
        if output.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               f"output")
        if not any(c in s for s in subscripts):
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                               f"for any input operand")
    return subscripts, output


def cross(input, other, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along `dim` (inputs broadcast)."""
    a, b = as_tensor(input), as_tensor(other)
    _same_dtype(a, b, "linalg.cross")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"linalg.cross: inputs of shapes {list(a.shape)} and {list(b.shape)} "
                           f"cannot be broadcast") from None
    dim = normalize_dim(dim, len(shape)) - len(shape)
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[dim]} and {b.shape[dim]}")
    return Cross.apply(broadcast_to(a, shape), broadcast_to(b, shape), dim=dim)


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
    A, B = _float_matrix(A, "linalg.solve"), as_tensor(B)
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


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ord-norm over `dim` (all elements when None)."""
    x = as_tensor(x)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {x.dtype.name}")
    return reduction.norm(x, float(ord), dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro', 'nuc', 2, -2, 1, -1, inf or -inf."""
    A = _float_matrix(A, "linalg.matrix_norm", square=False)
    if dtype is not None:
        A = A.to(dtype)
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
    A = as_tensor(A)
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


def matrix_power(A, n: int) -> Tensor:
    """A multiplied by itself n times (the identity for n = 0, powers of inv(A) for n < 0)."""
    A = as_tensor(A)
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


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices; the first and last may be 1-D vectors."""
    tensors = [as_tensor(t) for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return result


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    """Sum of x * y over `dim` (inputs broadcast)."""
    return (as_tensor(x) * as_tensor(y)).sum(dim)


# ---------------------------------------------------------------- torch.* legacy spellings


def inverse(input) -> Tensor:
    """Alias of `linalg.inv`."""
    return inv(input)


def pinverse(input, rcond: float = 1e-15) -> Tensor:
    """`linalg.pinv` with relative tolerance `rcond`."""
    return pinv(input, rtol=rcond)


def svd_legacy(input, some: bool = True, compute_uv: bool = True) -> LegacySVDResult:
    """torch.svd: U, S, V (not Vh) with A = U diag(S) V^T; reduced unless some=False."""
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return LegacySVDResult(constant(np.zeros_like(U._data)), S,
                               constant(np.zeros_like(Vh._data)))
    return LegacySVDResult(U, S, _mT(Vh))


def qr_legacy(input, some: bool = True) -> QRResult:
    """torch.qr: the reduced factorization unless some=False."""
    return qr(input, "reduced" if some else "complete")


def cross_legacy(input, other, dim: int | None = None) -> Tensor:
    """torch.cross: without `dim`, the first dim of size 3 (deprecated in PyTorch, which warns)."""
    if dim is None:
        warnings.warn("Using cross without specifying the dim arg is deprecated; the first dim "
                      "of size 3 is used.", UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(as_tensor(input).shape, as_tensor(other).shape)
        dim = next((d for d, size in enumerate(shape) if size == 3), -1)
    return cross(input, other, dim=dim)


def cholesky_legacy(input, upper: bool = False) -> Tensor:
    """torch.cholesky: `upper` is positional here."""
    return cholesky(input, upper=upper)
