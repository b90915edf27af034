"""Helpers shared by the distributions: argument broadcasting, probs/logits conversion,
lazily computed parameters."""
from __future__ import annotations

import numbers

import numpy as np

import ndgrad
from ndgrad import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits"]


def broadcast_all(*values) -> tuple:
    """The arguments (tensors or numbers) as tensors of one broadcast shape; numbers take the
    dtype of the first tensor argument, or the default dtype."""
    for value in values:
        if not isinstance(value, (Tensor, numbers.Number)):
            raise ValueError(f"Input arguments must all be instances of numbers.Number or "
                             f"ndgrad.Tensor, got {type(value).__name__}")
    tensors = [v for v in values if isinstance(v, Tensor)]
    dtype = tensors[0].dtype if tensors else ndgrad.get_default_dtype()
    as_tensors = [v if isinstance(v, Tensor) else ndgrad.tensor(v, dtype=dtype) for v in values]
    try:
        shape = np.broadcast_shapes(*(tuple(v.shape) for v in as_tensors))
    except ValueError:
        shapes = ", ".join(str(tuple(v.shape)) for v in as_tensors)
        raise ValueError(f"shapes {shapes} do not broadcast") from None
    return tuple(v if tuple(v.shape) == shape else v.expand(shape) for v in as_tensors)


def clamp_probs(probs: Tensor) -> Tensor:
    """`probs` clamped to [eps, 1 - eps] of its dtype, so logits stay finite."""
    eps = float(np.finfo(probs.dtype.numpy).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from logits: sigmoid for binary events, softmax over the last dim
    otherwise."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits from probabilities (clamped first): log-odds for binary events, log
    probabilities otherwise."""
    clamped = clamp_probs(probs)
    if is_binary:
        return clamped.log() - (-clamped).log1p()
    return clamped.log()


def one_parametrization(probs, logits):
    """The one given of `probs` and `logits`, and whether it is `probs`; a ValueError unless
    exactly one is given."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    return (probs, True) if probs is not None else (logits, False)


def sum_rightmost(value, dim: int):
    """`value` summed over its rightmost `dim` dims."""
    if dim == 0 or not isinstance(value, Tensor):
        return value
    return value.reshape(tuple(value.shape[:value.ndim - dim]) + (-1,)).sum(-1)


def finfo(dtype):
    """NumPy's finfo of an ndgrad floating dtype."""
    return np.finfo(dtype.numpy)


class lazy_property:
    """A property computed on first access and then stored on the instance, so that either of
    two parametrizations (probs / logits) is derived only when asked for."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x * log(y), taken as 0 where x == 0 (also for y == 0)."""
    zero = x == 0
    return ndgrad.where(zero, 0.0, x * ndgrad.where(zero, 1.0, y).log())
