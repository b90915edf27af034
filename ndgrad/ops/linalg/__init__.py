"""Linear algebra: matmul and its relatives, einsum, norms, solvers and decompositions.

One module per family; this package re-exports them, so `ndgrad.ops.linalg.X` stays the
import path of every op. Between the modules imports point one way: `_common` (LinAlgError,
shared checks and backward helpers) is imported by all; products and einsum import only it;
solvers import products; decompositions import solvers; norms import decompositions; legacy
(torch.* spellings) imports the rest.
"""
from ndgrad.ops.linalg._common import LinAlgError
from ndgrad.ops.linalg.decompositions import (QR, SVD, Cholesky, Eigh, EighResult, Pinv, QRResult,
                                              SVDResult, cholesky, eigh, eigvalsh, pinv, qr, svd,
                                              svdvals)
from ndgrad.ops.linalg.einsum import Einsum, einsum
from ndgrad.ops.linalg.legacy import (LegacySVDResult, cholesky_legacy, cross_legacy, inverse,
                                      pinverse, qr_legacy, svd_legacy)
from ndgrad.ops.linalg.matrix_functions import householder_product, matrix_exp
from ndgrad.ops.linalg.norms import matrix_norm, norm, vector_norm
from ndgrad.ops.linalg.products import (Cross, MatMul, addmm, bmm, cross, dot, ger, inner, matmul,
                                        mm, multi_dot, mv, outer, tensordot, vdot, vecdot)
from ndgrad.ops.linalg.solvers import (Det, Inv, Slogdet, SlogdetResult, Solve, det, inv, logdet,
                                       matrix_power, slogdet, solve)

__all__ = [
    "LinAlgError",
    # matrix functions
    "householder_product", "matrix_exp",
    # decompositions
    "QR", "SVD", "Cholesky", "Eigh", "EighResult", "Pinv", "QRResult", "SVDResult", "cholesky",
    "eigh", "eigvalsh", "pinv", "qr", "svd", "svdvals",
    # einsum
    "Einsum", "einsum",
    # legacy
    "LegacySVDResult", "cholesky_legacy", "cross_legacy", "inverse", "pinverse", "qr_legacy",
    "svd_legacy",
    # norms
    "matrix_norm", "norm", "vector_norm",
    # products
    "Cross", "MatMul", "addmm", "bmm", "cross", "dot", "ger", "inner", "matmul", "mm",
    "multi_dot", "mv", "outer", "tensordot", "vdot", "vecdot",
    # solvers
    "Det", "Inv", "Slogdet", "SlogdetResult", "Solve", "det", "inv", "logdet", "matrix_power",
    "slogdet", "solve",
]
