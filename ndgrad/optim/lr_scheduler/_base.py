"""LRScheduler, the base of every schedule, and helpers the schedules share."""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Any

from ndgrad.optim.optimizer import Optimizer

EPOCH_DEPRECATION = ("The epoch parameter in `scheduler.step()` was not necessary and is being "
                      "deprecated where possible. Please use `scheduler.step()` to step the "
                      "scheduler. During the deprecation, if epoch is different from None, the "
                      "closed form is used instead of the new chainable form, where available.")


def per_group(name: str, optimizer: Optimizer, value) -> list:
    """`value` repeated for every parameter group, or checked to have one entry per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has "
                             f"{len(optimizer.param_groups)}.")
        return list(value)
    return [value] * len(optimizer.param_groups)


def lrs(optimizer: Optimizer) -> list:
    """The optimizer's current learning rates, one per group."""
    return [group["lr"] for group in optimizer.param_groups]


def check_optimizer(optimizer) -> None:
    """Raises TypeError unless `optimizer` is an ndgrad Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def set_momentum(optimizer: Optimizer, use_beta1: bool, momentums: list) -> None:
    """Writes each group's momentum, or beta1 for Adam-style optimizers."""
    for group, momentum in zip(optimizer.param_groups, momentums):
        if use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum


@contextmanager
def flag(scheduler, name: str):
    """Sets the boolean attribute `name` for the duration of a with-block, as PyTorch does."""
    setattr(scheduler, name, True)
    try:
        yield
    finally:
        setattr(scheduler, name, False)


class LRScheduler:
    """Base class: `step()` advances `last_epoch` and writes `get_lr()` into the optimizer's
    groups; `base_lrs` are the groups' 'initial_lr' (set here on a fresh start)."""

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when "
                               "resuming scheduler with last_epoch >= 0")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        with flag(self, "_is_initial"):
            self.step()

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list[float]:
        """The learning rates the last `step()` set, one per parameter group."""
        return self._last_lr

    def get_lr(self) -> list[float]:
        """The rates for the current `last_epoch` (called by `step()`)."""
        raise NotImplementedError

    def _warn_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=3)

    def step(self, epoch: int | None = None) -> None:
        """Advances one epoch (or jumps to `epoch`, deprecated) and updates the rates.

        A step the schedule refuses (OneCycleLR past total_steps) leaves the counters as they
        were (PyTorch counts it anyway).
        """
        counters = self._step_count, self.last_epoch
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        try:
            self._update_lr(epoch)
        except Exception:
            self._step_count, self.last_epoch = counters
            raise

    def _update_lr(self, epoch: int | None = None) -> None:
        with flag(self, "_get_lr_called_within_step"):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", self.get_lr)
                values = closed_form()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = lrs(self.optimizer)
