"""Adadelta: steps scaled by the ratio of running RMS of updates and of gradients
(Zeiler, 2012)."""
from __future__ import annotations

import numpy as np

from ndgrad.optim.optimizer import (Optimizer, apply_weight_decay, array_of, increment, step_state,
                                    zeros_state)


class Adadelta(Optimizer):
    """p -= lr * sqrt(u + eps) / sqrt(v + eps) * g, with running averages v of g^2 and u of
    squared updates."""

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _init_state(self, group, param, state) -> None:
        state["step"] = step_state()
        state["square_avg"] = zeros_state(param)
        state["acc_delta"] = zeros_state(param)

    def _update(self, group, param, grad, state) -> None:
        increment(state["step"])
        grad = apply_weight_decay(group, param, grad)
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = array_of(state["square_avg"]), array_of(state["acc_delta"])
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta
