"""Dropout: random zeroing during training, scaled so the expected value is unchanged."""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from ndgrad import _random
from ndgrad._tensor import Tensor
from ndgrad.ops._common import constant, tensor_arg

# SELU's negative saturation value, -scale * alpha, used by alpha_dropout.
_SELU_SATURATION = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


def check_probability(p: float) -> None:
    """A dropout probability is a number in [0, 1] (shared with nn.modules.dropout)."""
    if not isinstance(p, numbers.Real):
        raise TypeError(f"dropout probability must be a number, got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _check_args(input, p: float, op: str) -> None:
    tensor_arg(input, op)
    check_probability(p)


def _keep_mask(input: Tensor, p: float, shape=None):
    """A float mask of ones (kept) and zeros, each kept with probability 1 - p."""
    shape = input.shape if shape is None else shape
    keep = _random.rand(shape, dtype=input.dtype)._data >= p
    return keep.astype(input._data.dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zeros each element with probability p and scales the rest by 1 / (1 - p) (training)."""
    _check_args(input, p, "dropout")
    if not training or p == 0:
        return input
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    mask = constant(_keep_mask(input, p) * np.asarray(scale, dtype=input._data.dtype))
    return input.mul_(mask) if inplace else input * mask


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements take SELU's saturation value, then an affine
    map keeps the mean and variance."""
    _check_args(input, p, "alpha_dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = _keep_mask(input, p)
    a = (1 - p + p * _SELU_SATURATION ** 2 * (1 - p)) ** -0.5
    b = -a * _SELU_SATURATION * p
    # a * x + b where kept, a * saturation + b where dropped (PyTorch's formula).
    shift = constant((1 - keep) * np.asarray(a * _SELU_SATURATION, dtype=keep.dtype)
                     + np.asarray(b, dtype=keep.dtype))
    scale = constant(keep * np.asarray(a, dtype=keep.dtype))
    return input.mul_(scale).add_(shift) if inplace else input * scale + shift


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, channel_dim: int,
                     name: str) -> Tensor:
    """Zeros whole slices input[..., c, ...] along channel_dim (and the dims before it) with
    probability p, scaling the rest by 1 / (1 - p)."""
    if not training or p == 0:
        return input
    if input.ndim <= channel_dim:
        # PyTorch counts the batch dim its unbatched paths add, hence "2 dimensions" for both.
        raise RuntimeError(f"{name}: Feature dropout requires at least 2 dimensions in the input")
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    shape = tuple(input.shape[:channel_dim + 1]) + (1,) * (input.ndim - channel_dim - 1)
    mask = constant(_keep_mask(input, p, shape) * np.asarray(scale, dtype=input._data.dtype))
    return input.mul_(mask) if inplace else input * mask


def _warn_unusual_rank(name: str, ndim: int) -> None:
    """PyTorch's deprecation warning for a channel dropout given an input of unusual rank."""
    warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will "
                  f"result in an error in a future release. To retain the behavior and silence "
                  f"this warning, please use dropout instead.", stacklevel=3)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeros whole channels of (N, C, L) or (C, L) with probability p, scaling the rest by
    1 / (1 - p)."""
    _check_args(input, p, "dropout1d")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           f"input. Note that dropout1d exists to provide channel-wise dropout "
                           f"on inputs with 1 spatial dimension, a channel dimension, and an "
                           f"optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.ndim - 2, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeros whole channels of (N, C, H, W) with probability p, scaling the rest by 1 / (1 - p).

    A 3-D input is taken as (N, C, L), as in PyTorch (which warns about it)."""
    _check_args(input, p, "dropout2d")
    if input.ndim not in (3, 4):
        _warn_unusual_rank("dropout2d", input.ndim)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, 1, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeros whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p, scaling the
    rest by 1 / (1 - p).

    Any rank but 5 is taken as unbatched, channels first, as in PyTorch (which warns about
    ranks other than 4 and 5)."""
    _check_args(input, p, "dropout3d")
    if input.ndim not in (4, 5):
        _warn_unusual_rank("dropout3d", input.ndim)
    return _feature_dropout(input, p, training, inplace, 1 if input.ndim == 5 else 0, "dropout3d")
