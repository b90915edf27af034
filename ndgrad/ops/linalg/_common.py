"""Helpers shared by the linalg modules: LinAlgError, LAPACK error mapping, input checks."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.ops._common import constant, tensor_arg
from ndgrad.ops.shape import reshape, transpose


class LinAlgError(RuntimeError):
    """A matrix is singular or not positive-definite (PyTorch's torch.linalg.LinAlgError)."""


@contextmanager
def _lapack(name: str, problem: str):
    """Re-raises NumPy's LinAlgError as ndgrad's, naming the op."""
    try:
        yield
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{name}: {problem}") from None


# ---------------------------------------------------------------- helpers for backward


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
    input = tensor_arg(input, name, "A")
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
