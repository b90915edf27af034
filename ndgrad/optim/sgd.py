"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from ndgrad._creation import tensor
from ndgrad.optim.optimizer import Optimizer, array_of


class SGD(Optimizer):
    """p -= lr * d, where d is the gradient (plus weight decay), or its momentum buffer."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _init_state(self, group, param, state) -> None:
        # As in PyTorch, plain SGD keeps no state; with momentum the buffer appears at step 1.
        if group["momentum"] != 0:
            state["momentum_buffer"] = None

    def _update(self, group, param, grad, state) -> None:
        _sgd(param, grad, state, group["lr"], group["momentum"], group["dampening"],
             group["weight_decay"], group["nesterov"])


def _sgd(param, grad, state, lr, momentum, dampening, weight_decay, nesterov) -> None:
    if weight_decay:
        grad = grad + weight_decay * param
    if momentum:
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = tensor(grad)
            values = array_of(buffer)
        else:
            values = array_of(buffer)
            values *= momentum
            if dampening:
                values += (1 - dampening) * grad
            else:
                values += grad  # no temporary for the common dampening=0
        grad = grad + momentum * values if nesterov else values
    param -= lr * grad


