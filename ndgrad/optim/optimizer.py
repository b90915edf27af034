"""Optimizer: parameter groups, per-parameter state, zero_grad, and PyTorch's state_dict layout.

Updates run on the parameters' NumPy storage in place, outside the graph: each optimizer's
arithmetic is a small private function over arrays, called once per parameter by `step`.
"""
from __future__ import annotations

import numbers
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Callable, Iterable

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import enable_grad, no_grad


class _Required:
    """Marks a hyper-parameter that has no default and must be given."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()

# Hyper-parameters that must not be negative, as PyTorch's errors name them ("Invalid ...").
_NON_NEGATIVE = {"lr": "learning rate", "eps": "epsilon value",
                 "weight_decay": "weight_decay value", "momentum": "momentum value",
                 "alpha": "alpha value", "lr_decay": "lr_decay value",
                 "initial_accumulator_value": "initial_accumulator_value value",
                 "momentum_decay": "momentum_decay value"}


def array_of(t: Tensor) -> np.ndarray:
    """The array behind a tensor (its storage itself: writing to it changes the tensor)."""
    return t._data


class Optimizer:
    """Base class: holds `param_groups` (dicts with 'params' and hyper-parameters) and `state`
    (per parameter); subclasses implement `_update(group, param, grad, state)` on arrays."""

    def __init__(self, params: Iterable, defaults: dict) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        self.defaults = dict(defaults)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Adds a group of parameters with its own hyper-parameters (defaults fill the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self._validate(group)
        self.param_groups.append(group)

    # Whether every non-scalar state tensor has its parameter's shape (not LBFGS's flat ones).
    _state_like_params = True

    def _validate(self, group: dict) -> None:
        """Raises ValueError for hyper-parameters PyTorch refuses, in every group (PyTorch
        checks only the constructor's); subclasses extend it."""
        for name in (*_NON_NEGATIVE, "rho"):
            if name in group:
                _check_number(name, group[name])
        betas = group.get("betas", (0.0, 0.0))
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair of numbers, got {betas!r}")
        for i, beta in enumerate(betas):
            _check_number(f"betas[{i}]", beta)
        for name, label in _NON_NEGATIVE.items():
            if group.get(name, 0) < 0:
                raise ValueError(f"Invalid {label}: {group[name]}")
        if not 0.0 <= group.get("rho", 0.0) <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears every parameter's gradient (to None, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    array_of(p.grad)[...] = 0

    def step(self, closure: Callable[[], Any] | None = None):
        """Performs one update of every parameter that has a gradient; `closure` re-evaluates
        the model and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                maximize = group.get("maximize", False)
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = array_of(p.grad)
                    if maximize:
                        grad = -grad
                    state = self.state[p]
                    if not state:
                        self._init_state(group, p, state)
                    self._update(group, array_of(p), grad, state)
                    p._vc[0] += 1  # the parameter changed in place, as optimizer.step does
        return loss

    def _init_state(self, group: dict, param: Tensor, state: dict) -> None:
        """Creates the per-parameter state (buffers as Tensors) on the first step."""

    def _update(self, group: dict, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    # ---- state_dict in PyTorch's layout ----

    def state_dict(self) -> dict:
        """{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [index, ...]}]},
        parameters numbered in group order, as PyTorch does."""
        index = {}
        groups = []
        for group in self.param_groups:
            numbered = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": numbered})
        # Empty entries (a parameter looked up but given no state) are left out, as in PyTorch.
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restores hyper-parameters and state saved by state_dict (from ndgrad or PyTorch).

        Everything is checked and converted first: a state_dict that does not fit raises and
        leaves the optimizer as it was.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for saved, own in zip(groups, self.param_groups):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        by_index = {}
        for saved, own in zip(groups, self.param_groups):
            by_index.update(zip(saved["params"], own["params"]))
        state = defaultdict(dict)
        for key, values in saved_state.items():
            if int(key) not in by_index:
                raise ValueError(f"loaded state dict has state for parameter {key}, which no "
                                 f"parameter group lists")
            param = by_index[int(key)]
            state[param] = {name: _state_value(name, value, param)
                            for name, value in values.items()}
            if self._state_like_params:
                _check_state_shapes(state[param], param, key)
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])


def _check_number(name: str, value) -> None:
    """A hyper-parameter is a number or a one-element tensor, as PyTorch accepts."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor {name} must be 1-element")
    elif not isinstance(value, numbers.Real):
        raise TypeError(f"optimizer argument {name} must be a number, got {type(value).__name__}")


def _check_state_shapes(state: dict, param: Tensor, key) -> None:
    """Loaded buffers fit their parameter: checked at load, where PyTorch fails at the next
    step (NumPy's broadcasting message here)."""
    for name, value in state.items():
        if isinstance(value, Tensor) and value.ndim and value.shape != param.shape:
            raise ValueError(f"loaded state dict has '{name}' of shape {list(value.shape)} for "
                             f"parameter {key} of shape {list(param.shape)}")


def _state_value(name: str, value, param: Tensor):
    """A loaded state entry as an ndgrad tensor; float buffers take the parameter's dtype
    (except 'step'), as in PyTorch."""
    if not isinstance(value, Tensor):
        if not hasattr(value, "__array__"):
            return value
        # asarray: np.array asks __array__ for copy=, which torch 2.13 tensors warn about; the
        # value is cloned below anyway.
        value = Tensor._make(np.asarray(value.detach() if hasattr(value, "detach") else value))
    if name != "step" and value.is_floating_point():
        return value.to(param.dtype).clone()
    return value.clone()


def apply_weight_decay(group: dict, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Weight decay as the group asks: decoupled (the parameter shrinks by lr * weight_decay
    in place, AdamW) or L2 (weight_decay * param added to the gradient). Returns the gradient
    to use."""
    weight_decay = group.get("weight_decay", 0)
    if not weight_decay:
        return grad
    if group.get("decoupled_weight_decay", False):
        param *= 1 - group["lr"] * weight_decay
        return grad
    return grad + weight_decay * param


def zeros_state(param: Tensor) -> Tensor:
    """A zero buffer shaped and typed like `param`."""
    return Tensor._make(np.zeros_like(array_of(param)))


def step_state() -> Tensor:
    """The step counter PyTorch keeps in optimizer state: a float32 scalar tensor."""
    return Tensor._make(np.zeros((), dtype=np.float32))


def increment(step: Tensor) -> float:
    """Adds one to a step counter and returns the new count."""
    array = array_of(step)
    array += 1
    return float(array)
