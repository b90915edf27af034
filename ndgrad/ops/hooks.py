"""An identity op whose backward reports gradients to a callback (module backward hooks)."""
from __future__ import annotations

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction


class Tap(ArrayFunction):
    """Returns its inputs unchanged; backward passes the gradients through `callback`, which may
    replace them."""

    @staticmethod
    def forward(ctx, *arrays, callback):
        ctx.callback = callback
        return tuple(a.view() for a in arrays)

    @staticmethod
    def backward(ctx, *grads):
        result = ctx.callback(tuple(grads))
        return tuple(result)


def tap(callback, *tensors: Tensor) -> tuple:
    """Identity on `tensors` whose gradients go through `callback(grads) -> grads`."""
    return Tap.apply(*tensors, callback=callback)
