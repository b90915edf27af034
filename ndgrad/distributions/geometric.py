"""The geometric distribution: failures before the first success."""
from __future__ import annotations

import ndgrad
from ndgrad import Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.bernoulli import BinaryProbsLogits
from ndgrad.distributions.distribution import Distribution
from ndgrad.distributions.utils import (broadcast_all, finfo)
from ndgrad.nn.functional import binary_cross_entropy_with_logits

__all__ = ["Geometric"]


class Geometric(BinaryProbsLogits, Distribution):
    """Geometric(probs or logits): P(k) = (1 - p)^k p for k = 0, 1, 2, ..."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._store_probs_or_logits(probs, logits)
        param = self._param
        super().__init__(param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            raise ValueError(f"Expected parameter probs ({type(param).__name__} of shape "
                             f"{tuple(param.shape)}) of distribution {self!r} to be positive "
                             f"but found invalid values:\n{param}")

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
