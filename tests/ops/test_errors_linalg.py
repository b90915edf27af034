"""Products and linear algebra given shapes that do not multiply, non-square or non-float
matrices, or what is not a tensor, raise PyTorch's exception naming the shapes and dtypes."""
from __future__ import annotations

import pytest

from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake

SQUARE = "{}: A must be batches of square matrices, but they are 2 by 3 matrices"


def _a(m):
    return (m.arange(6.0).reshape(2, 3),)


MISTAKES = [
    Mistake("matmul_list", lambda m, a: m.matmul([[1.0, 2.0]], a), TypeError,
            "matmul\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list",
            inputs=_a),
    Mistake("matmul_shapes", lambda m, a: a @ m.ones(4, 2), RuntimeError,
            "mat1 and mat2 shapes cannot be multiplied \\(2x3 and 4x2\\)", inputs=_a),
    Mistake("matmul_vectors", lambda m: m.ones(3) @ m.ones(4), RuntimeError,
            "inconsistent tensor size, expected tensor \\[3\\] and src \\[4\\]"),
    Mistake("matmul_batch", lambda m: m.ones(2, 2, 3) @ m.ones(3, 3, 4), RuntimeError,
            "matmul: the batch dims of shapes \\[2, 2, 3\\] and \\[3, 3, 4\\] cannot be "
            "broadcast"),
    Mistake("matmul_scalar", lambda m, a: m.matmul(m.tensor(1.0), a), RuntimeError,
            "both arguments to matmul need to be at least 1D, but they are 0D and 2D", inputs=_a),
    Mistake("matmul_dtypes", lambda m, a: a @ m.ones(3, 2, dtype=m.float64), RuntimeError,
            "expected both arguments to have the same dtype, but got: float32 != float64",
            inputs=_a),
    Mistake("mm_vector", lambda m, a: m.mm(m.ones(2), a), RuntimeError,
            "self must be a matrix", inputs=_a),
    Mistake("bmm_matrices", lambda m, a: m.bmm(a, a.t()), RuntimeError,
            "batch1 must be a 3D tensor", inputs=_a),
    Mistake("bmm_inner_size", lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 2, 2)), RuntimeError,
            "Expected size for first two dimensions of batch2 tensor to be: \\[2, 3\\] but got: "
            "\\[2, 2\\]"),
    Mistake("mv_sizes", lambda m, a: m.mv(a, m.ones(2)), RuntimeError,
            "mv: expected a matrix and a vector of matching size, got shapes \\[2, 3\\] and "
            "\\[2\\]", inputs=_a),
    Mistake("dot_matrices", lambda m, a: m.dot(a, a), RuntimeError,
            "1D tensors expected, but got 2D and 2D tensors", inputs=_a),
    Mistake("dot_sizes", lambda m: m.dot(m.ones(2), m.ones(3)), RuntimeError,
            "inconsistent tensor size"),
    Mistake("outer_matrix", lambda m, a: m.outer(a, m.ones(2)), RuntimeError,
            "outer: Expected 1-D argument self, but got 2-D", inputs=_a),
    Mistake("addmm_input_shape", lambda m, a: m.addmm(m.ones(3), a, a.t()), RuntimeError,
            "The size of tensor a \\(2\\) must match the size of tensor b \\(3\\)", inputs=_a),
    Mistake("vector_norm_str_ord", lambda m, a: m.linalg.vector_norm(a, ord="fro"), TypeError,
            "linalg.vector_norm\\(\\): argument 'ord' must be a number, not str", inputs=_a),
    Mistake("inv_not_square", lambda m, a: m.linalg.inv(a), RuntimeError,
            SQUARE.format("linalg.inv"), inputs=_a),
    Mistake("inv_vector", lambda m: m.linalg.inv(m.ones(3)), RuntimeError,
            "linalg.inv: The input tensor A must have at least 2 dimensions"),
    Mistake("inv_int", lambda m: m.linalg.inv(m.tensor([[1, 0], [0, 1]])), RuntimeError,
            "linalg.inv: Expected a float32 or float64 tensor as input. Got int64"),
    # torch raises torch.linalg.LinAlgError, a RuntimeError; ndgrad has its own subclass
    Mistake("inv_singular", lambda m: m.linalg.inv(m.zeros(2, 2)), RuntimeError,
            "linalg.inv: the input matrix is singular"),
    Mistake("cholesky_not_square", lambda m, a: m.linalg.cholesky(a), RuntimeError,
            SQUARE.format("linalg.cholesky"), inputs=_a),
    Mistake("cholesky_not_positive_definite", lambda m: m.linalg.cholesky(-m.eye(2)),
            RuntimeError, "linalg.cholesky: The factorization could not be completed because "
            "the input is not positive-definite"),
    Mistake("solve_shapes", lambda m: m.linalg.solve(m.eye(2), m.ones(3)), RuntimeError,
            "linalg.solve: Incompatible shapes of A and B for the equation AX = B \\(2x2 and 3"),
    Mistake("solve_not_square", lambda m, a: m.linalg.solve(a, m.ones(2)), RuntimeError,
            SQUARE.format("linalg.solve"), inputs=_a),
    Mistake("det_not_square", lambda m, a: m.linalg.det(a), RuntimeError,
            SQUARE.format("linalg.det"), inputs=_a),
    Mistake("einsum_sizes", lambda m, a: m.einsum("ij,jk->ik", a, m.ones(4, 2)), RuntimeError,
            "einsum\\(\\): subscript j has size 4 for operand 1 which does not broadcast with "
            "previously seen size 3", inputs=_a),
    Mistake("einsum_too_few", lambda m, a: m.einsum("ij,jk->ik", a), RuntimeError,
            "einsum\\(\\): fewer operands were provided than specified in the equation",
            inputs=_a),
    Mistake("tensordot_sizes", lambda m, a: m.tensordot(a, m.ones(4, 2), dims=1), RuntimeError,
            "contracted dimensions need to match, but first has size 3", inputs=_a),
    Mistake("cross_shapes", lambda m: m.cross(m.ones(2, 3), m.ones(4, 3), dim=1), RuntimeError,
            "linalg.cross: inputs of shapes \\[2, 3\\] and \\[4, 3\\] cannot be broadcast"),
    Mistake("cross_sizes", lambda m: m.linalg.cross(m.ones(2), m.ones(2)), RuntimeError,
            "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2"),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
