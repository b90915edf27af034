"""Adam (with AMSGrad) and AdamW (decoupled weight decay)."""
from __future__ import annotations

import math

import numpy as np

from ndgrad.optim.optimizer import (Optimizer, apply_weight_decay, array_of, increment, step_state,
                                    zeros_state)


class Adam(Optimizer):
    """Adaptive moments: p -= lr * m_hat / (sqrt(v_hat) + eps) (Kingma & Ba, 2015)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _init_state(self, group, param, state) -> None:
        state["step"] = step_state()
        state["exp_avg"] = zeros_state(param)
        state["exp_avg_sq"] = zeros_state(param)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_state(param)

    def _update(self, group, param, grad, state) -> None:
        lr = group["lr"]
        grad = apply_weight_decay(group, param, grad)
        beta1, beta2 = group["betas"]
        step = increment(state["step"])
        exp_avg, exp_avg_sq = array_of(state["exp_avg"]), array_of(state["exp_avg_sq"])
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        second = exp_avg_sq
        if group["amsgrad"]:
            second = array_of(state["max_exp_avg_sq"])
            np.maximum(second, exp_avg_sq, out=second)
        denominator = np.sqrt(second) / math.sqrt(1 - beta2 ** step) + group["eps"]
        param -= (lr / (1 - beta1 ** step)) * exp_avg / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step
    (Loshchilov & Hutter, 2019)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False,
                 fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # an AdamW decays decoupled whatever the file says
            group["decoupled_weight_decay"] = True
