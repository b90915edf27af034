"""torch.* legacy spellings of linalg ops: inverse, pinverse, svd, qr, cross, cholesky."""
from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.ops._common import constant, tensor_arg
from ndgrad.ops.linalg._common import _mT
from ndgrad.ops.linalg.decompositions import QRResult, cholesky, pinv, qr, svd
from ndgrad.ops.linalg.products import cross
from ndgrad.ops.linalg.solvers import inv

# PyTorch's torch.return_types for torch.svd.
LegacySVDResult = namedtuple("svd", ["U", "S", "V"])


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
        shapes = (tensor_arg(input, "cross").shape, tensor_arg(other, "cross", "other", 2).shape)
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            shape = ()  # cross() below names the shapes that do not broadcast
        dim = next((d for d, size in enumerate(shape) if size == 3), -1)
    return cross(input, other, dim=dim)


def cholesky_legacy(input, upper: bool = False) -> Tensor:
    """torch.cholesky: `upper` is positional here."""
    return cholesky(input, upper=upper)
