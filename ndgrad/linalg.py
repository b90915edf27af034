"""ndgrad.linalg: PyTorch's torch.linalg namespace (norms, solvers, decompositions)."""
from ndgrad.ops.linalg import (LinAlgError, cholesky, cross, det, eigh, eigvalsh,
                               householder_product, inv, matmul, matrix_exp, matrix_norm,
                               matrix_power, multi_dot, norm, pinv, qr, slogdet, solve, svd,
                               svdvals, vecdot, vector_norm)

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "householder_product",
           "inv", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "multi_dot", "norm",
           "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm"]
