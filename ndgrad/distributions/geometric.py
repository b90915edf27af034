"""The geometric distribution: failures before the first success."""
from __future__ import annotations

import numbers

import ndgrad
from ndgrad import Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.distribution import Distribution
from ndgrad.distributions.utils import (
    broadcast_all,
    finfo,
    lazy_property,
    logits_to_probs,
    one_parametrization,
    probs_to_logits,
)
from ndgrad.nn.functional import binary_cross_entropy_with_logits

__all__ = ["Geometric"]


class Geometric(Distribution):
    """Geometric(probs or logits): P(k) = (1 - p)^k p for k = 0, 1, 2, ..."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        param, is_probs = one_parametrization(probs, logits)
        scalar = isinstance(param, numbers.Number)
        (param,) = broadcast_all(param)
        if is_probs:
            self.probs = param
        else:
            self.logits = param
        super().__init__(() if scalar else param.shape, validate_args=validate_args)
        if self._validate_args and is_probs and not bool((self.probs > 0).all()):
            raise ValueError(f"Expected parameter probs ({type(param).__name__} of shape "
                             f"{tuple(param.shape)}) of distribution {self!r} to be positive "
                             f"but found invalid values:\n{param}")

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return ndgrad.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        tiny = float(finfo(self.probs.dtype).tiny)
        with ndgrad.no_grad():
            uniform = ndgrad.rand(shape, dtype=self.probs.dtype).clamp(min=tiny)
            return (uniform.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 puts all mass on k = 0; 0 * log(0) is taken as 0 there.
        probs = ndgrad.where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return (binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
                / self.probs)
