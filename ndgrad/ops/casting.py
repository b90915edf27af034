"""Copies and conversions: dtype casts, device moves and clone, all differentiable."""
from __future__ import annotations

from ndgrad import _backend, _dtype
from ndgrad._args import tensor_arg
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction


class Cast(ArrayFunction):
    """Converts to another dtype; the gradient converts back."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = _dtype.from_numpy_dtype(x.dtype)
        return x.astype(dtype.numpy)

    @staticmethod
    def backward(ctx, grad):
        return to_dtype(grad, ctx.input_dtype), None


class Clone(ArrayFunction):
    """A copy with its own storage."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class ToDevice(ArrayFunction):
    """Moves data to another device; the gradient moves back."""

    @staticmethod
    def forward(ctx, x, device):
        ctx.source = _backend.device_of(x)
        return _backend.move_to(x, device)

    @staticmethod
    def backward(ctx, grad):
        return to_device(grad, ctx.source), None


# ---------------------------------------------------------------- wrappers


def to_dtype(input: Tensor, dtype) -> Tensor:
    """A copy of `input` converted to `dtype` (differentiable between float dtypes)."""
    dtype = _dtype.to_dtype(dtype)
    if input._data.dtype == dtype.numpy:
        return input
    return Cast.apply(input, dtype)


def to_device(input: Tensor, device) -> Tensor:
    """A copy of `input` on `device` (differentiable)."""
    return ToDevice.apply(input, _backend.device(device))


def clone(input: Tensor) -> Tensor:
    """A differentiable copy with its own storage."""
    return Clone.apply(tensor_arg(input, "clone"))
