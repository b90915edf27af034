"""Binary functions that NumPy evaluates without overflow: hypot, logaddexp, logaddexp2."""
from __future__ import annotations

import math

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import check_broadcast
from ndgrad.ops._dual import sum_to
from ndgrad.ops.elementwise.arithmetic import _float_operands
from ndgrad.ops.elementwise.unary import sigmoid


class Hypot(ArrayFunction):
    """sqrt(a^2 + b^2), without squaring (np.hypot scales first)."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(grad * a / out, a.shape) if need_a else None,
                sum_to(grad * b / out, b.shape) if need_b else None)


class LogAddExp(ArrayFunction):
    """log(exp(a) + exp(b)) (base 2 with `base2`: log2(2^a + 2^b))."""

    @staticmethod
    def forward(ctx, a, b, base2):
        ctx.save_for_backward(a, b)
        ctx.scale = math.log(2) if base2 else 1.0
        return np.logaddexp2(a, b) if base2 else np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # The derivative w.r.t. a is a's share of the sum: exp(a) / (exp(a) + exp(b)).
        share_a = sigmoid((a - b) * ctx.scale)
        return (sum_to(grad * share_a, a.shape) if need_a else None,
                sum_to(grad * (1 - share_a), b.shape) if need_b else None)


def _operands(input, other, op: str) -> tuple:
    """Two tensors of one floating dtype, broadcastable; integer tensors are refused, as by
    PyTorch (a Python number is taken, where PyTorch wants a tensor)."""
    a, b = _float_operands(input, other, op=op)
    for given in (input, other):
        if isinstance(given, Tensor) and not given.is_floating_point():
            raise RuntimeError(f'"{op}" not implemented for {given.dtype.name} tensors')
    check_broadcast(a, b)
    return a, b


def hypot(input, other) -> Tensor:
    """The hypotenuse sqrt(input^2 + other^2), elementwise with broadcasting."""
    return Hypot.apply(*_operands(input, other, "hypot"))


def logaddexp(input, other) -> Tensor:
    """log(exp(input) + exp(other)) without overflow."""
    return LogAddExp.apply(*_operands(input, other, "logaddexp"), base2=False)


def logaddexp2(input, other) -> Tensor:
    """log2(2^input + 2^other) without overflow."""
    return LogAddExp.apply(*_operands(input, other, "logaddexp2"), base2=True)
