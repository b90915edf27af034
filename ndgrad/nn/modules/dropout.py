"""Dropout layers: active in training mode, the identity in eval mode."""
from __future__ import annotations

from ndgrad._tensor import Tensor
from ndgrad.nn import functional as F
from ndgrad.nn.functional.dropout import check_probability
from ndgrad.nn.modules.module import Module


class Dropout(Module):
    """Zeros elements with probability p during training, scaling the rest by 1 / (1 - p)."""

    _function = staticmethod(F.dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_probability(p)
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class AlphaDropout(Dropout):
    """Dropout that keeps SELU activations' mean and variance."""

    _function = staticmethod(F.alpha_dropout)


class Dropout1d(Dropout):
    """Zeros whole channels of (N, C, L) or (C, L) with probability p during training, scaling
    the rest by 1 / (1 - p)."""

    _function = staticmethod(F.dropout1d)


class Dropout2d(Dropout):
    """Zeros whole channels of (N, C, H, W) with probability p during training, scaling the
    rest by 1 / (1 - p)."""

    _function = staticmethod(F.dropout2d)


class Dropout3d(Dropout):
    """Zeros whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p during
    training, scaling the rest by 1 / (1 - p)."""

    _function = staticmethod(F.dropout3d)
