"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
from __future__ import annotations

import numpy as np

from ndgrad._creation import full_like
from ndgrad.optim.optimizer import (Optimizer, apply_weight_decay, array_of, increment, step_state)


class Adagrad(Optimizer):
    """p -= lr_t * g / (sqrt(sum of g^2) + eps), lr_t = lr / (1 + (t - 1) lr_decay)."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))
        # PyTorch creates Adagrad's state up front, so it is in state_dict() before any step.
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(group, param, self.state[param])

    def _init_state(self, group, param, state) -> None:
        state["step"] = step_state()
        state["sum"] = full_like(param.detach(), group["initial_accumulator_value"])

    def _update(self, group, param, grad, state) -> None:
        step = increment(state["step"])
        grad = apply_weight_decay(group, param, grad)
        learning_rate = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = array_of(state["sum"])
        total += grad * grad
        param -= learning_rate * grad / (np.sqrt(total) + group["eps"])
