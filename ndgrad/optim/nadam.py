"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule (Dozat, 2016)."""
from __future__ import annotations

import numpy as np

from ndgrad._creation import tensor
from ndgrad.optim.optimizer import (Optimizer, apply_weight_decay, array_of, increment, step_state,
                                    zeros_state)


class NAdam(Optimizer):
    """Adam whose update looks one momentum step ahead; mu_t = beta1 (1 - 0.96^(t psi) / 2)."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _init_state(self, group, param, state) -> None:
        state["step"] = step_state()
        state["mu_product"] = tensor(1.0)
        state["exp_avg"] = zeros_state(param)
        state["exp_avg_sq"] = zeros_state(param)

    def _update(self, group, param, grad, state) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        step = increment(state["step"])
        grad = apply_weight_decay(group, param, grad)
        decay = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        mu_product = array_of(state["mu_product"])
        mu_product *= mu
        exp_avg, exp_avg_sq = array_of(state["exp_avg"]), array_of(state["exp_avg_sq"])
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denominator = np.sqrt(exp_avg_sq / (1 - beta2 ** step)) + group["eps"]
        product = float(mu_product)
        param -= (lr * (1 - mu) / (1 - product)) * grad / denominator
        param -= (lr * mu_next / (1 - product * mu_next)) * exp_avg / denominator
