"""Matrix and vector products: matmul, mm, bmm, mv, addmm, dot, outer, inner, tensordot, cross.

Also torch.linalg's multi_dot and vecdot. `_mm` is the MatMul the other linalg backwards use.
"""
from __future__ import annotations

import math

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import _dual
from ndgrad.ops._common import as_tensor, normalize_dim, tensor_arg, tensor_list
from ndgrad.ops.linalg._common import _same_dtype, _shape_str
from ndgrad.ops.shape import broadcast_to, permute, reshape

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


def _refuse_bool(a: Tensor, b: Tensor, name: str) -> None:
    """PyTorch has no bool kernel for matrix products (outer, a broadcast product, has one);
    with an empty matrix operand no kernel runs, and it returns the empty or all-False result."""
    if a._data.dtype == np.bool_ and ((a.ndim == 1 and b.ndim == 1)
                                      or (a._data.size and b._data.size)):
        raise NotImplementedError(f"{name} is not implemented for bool tensors")


# ---------------------------------------------------------------- products


def matmul(input, other) -> Tensor:
    """Matrix product with PyTorch's rules.

    1-D x 1-D is a dot product; a 1-D first (second) argument is a row (column) vector whose
    added dim is removed again; otherwise the last two dims multiply and the others broadcast.
    """
    # An array operand is taken, as by PyTorch's `@` operator.
    a, b = (as_tensor(x) if isinstance(x, np.ndarray) else tensor_arg(x, "matmul", name, k)
            for k, (x, name) in enumerate(((input, "input"), (other, "other")), 1))
    _same_dtype(a, b, "matmul")
    _refuse_bool(a, b, "matmul")
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
    a, b = tensor_arg(input, "mm"), tensor_arg(mat2, "mm", "mat2", 2)
    for t, name in ((a, "self"), (b, "mat2")):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got a {t.ndim}-D tensor")
    return matmul(a, b)


def bmm(input, mat2) -> Tensor:
    """Batched product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    a, b = tensor_arg(input, "bmm"), tensor_arg(mat2, "bmm", "mat2", 2)
    for t, name in ((a, "batch1"), (b, "batch2")):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor, got a {t.ndim}-D tensor")
    if (b.shape[0], b.shape[1]) != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return matmul(a, b)


def mv(input, vec) -> Tensor:
    """Product of a matrix and a vector."""
    a, v = tensor_arg(input, "mv"), tensor_arg(vec, "mv", "vec", 2)
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
    input = tensor_arg(input, "addmm")
    return product + (input if beta == 1 else input * beta)


def dot(input, tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same size."""
    a, b = tensor_arg(input, "dot"), tensor_arg(tensor, "dot", "tensor", 2)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)


def vdot(input, other) -> Tensor:
    """Inner product of two 1-D tensors (the first is conjugated; real tensors only here)."""
    return dot(input, other)


def outer(input, vec2) -> Tensor:
    """Outer product of two 1-D tensors: result[i, j] = input[i] * vec2[j]."""
    a, b = tensor_arg(input, "outer"), tensor_arg(vec2, "outer", "vec2", 2)
    for t, name in ((a, "self"), (b, "vec2")):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def ger(input, vec2) -> Tensor:
    """Alias of `outer`."""
    return outer(input, vec2)


def inner(input, other) -> Tensor:
    """Sum of products over the last dims; the result has shape a.shape[:-1] + b.shape[:-1]."""
    a, b = tensor_arg(input, "inner"), tensor_arg(other, "inner", "other", 2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    return tensordot(a, b, ([-1], [-1]))


def tensordot(a, b, dims=2) -> Tensor:
    """Contracts `dims` (the last n of a with the first n of b, or two lists of dims)."""
    a, b = tensor_arg(a, "tensordot", "a", 1), tensor_arg(b, "tensordot", "b", 2)
    _same_dtype(a, b, "tensordot")
    _refuse_bool(a, b, "tensordot")
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


def cross(input, other, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along `dim` (inputs broadcast)."""
    a, b = tensor_arg(input, "cross"), tensor_arg(other, "cross", "other", 2)
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


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices; the first and last may be 1-D vectors."""
    tensors = tensor_list(tensors, "multi_dot")
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return result


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    """Sum of x * y over `dim` (inputs broadcast)."""
    return (tensor_arg(x, "vecdot", "x", 1) * tensor_arg(y, "vecdot", "y", 2)).sum(dim)
