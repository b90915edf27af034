"""RMSprop: divide the gradient by a running root mean square (Hinton's lecture 6e)."""
from __future__ import annotations

import numpy as np

from ndgrad.optim.optimizer import (Optimizer, apply_weight_decay, array_of, increment, step_state,
                                    zeros_state)


class RMSprop(Optimizer):
    """p -= lr * g / (sqrt(v) + eps), v = alpha v + (1 - alpha) g^2; optionally centered and
    with momentum."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _init_state(self, group, param, state) -> None:
        state["step"] = step_state()
        state["square_avg"] = zeros_state(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_state(param)
        if group["centered"]:
            state["grad_avg"] = zeros_state(param)

    def _update(self, group, param, grad, state) -> None:
        increment(state["step"])
        grad = apply_weight_decay(group, param, grad)
        alpha = group["alpha"]
        square_avg = array_of(state["square_avg"])
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = array_of(state["grad_avg"])
            grad_avg += (1 - alpha) * (grad - grad_avg)
            average = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            average = np.sqrt(square_avg)
        average += group["eps"]
        if group["momentum"] > 0:
            buffer = array_of(state["momentum_buffer"])
            buffer *= group["momentum"]
            buffer += grad / average
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * grad / average
