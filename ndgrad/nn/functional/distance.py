"""Distances and similarities between vectors."""
from __future__ import annotations

from ndgrad._tensor import Tensor
from ndgrad.ops import elementwise as ew
from ndgrad.ops import reduction


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along `dim`, broadcasting."""
    norm1 = ew.clamp(reduction.norm(x1, 2, dim, keepdim=True), min=eps)
    norm2 = ew.clamp(reduction.norm(x2, 2, dim, keepdim=True), min=eps)
    return reduction.sum((x1 / norm1) * (x2 / norm2), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    return reduction.norm(x1 - x2 + eps, p, -1, keepdim=keepdim)
