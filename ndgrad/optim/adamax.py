"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

import numpy as np

from ndgrad.optim.optimizer import (Optimizer, apply_weight_decay, array_of, increment, step_state,
                                    zeros_state)


class Adamax(Optimizer):
    """p -= lr / (1 - beta1^t) * m / u, with u = max(beta2 * u, |g| + eps)."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def _init_state(self, group, param, state) -> None:
        state["step"] = step_state()
        state["exp_avg"] = zeros_state(param)
        state["exp_inf"] = zeros_state(param)

    def _update(self, group, param, grad, state) -> None:
        grad = apply_weight_decay(group, param, grad)
        beta1, beta2 = group["betas"]
        step = increment(state["step"])
        exp_avg, exp_inf = array_of(state["exp_avg"]), array_of(state["exp_inf"])
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)
        param -= (group["lr"] / (1 - beta1 ** step)) * exp_avg / exp_inf
