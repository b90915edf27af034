"""The Bernoulli distribution over {0, 1}."""
from __future__ import annotations

import math

import ndgrad
from ndgrad import Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.distribution import Distribution
from ndgrad.distributions.utils import (broadcast_all, lazy_property, logits_to_probs,
                                        one_parametrization, probs_to_logits)
from ndgrad.nn.functional import binary_cross_entropy_with_logits

__all__ = ["Bernoulli", "BinaryProbsLogits"]


class BinaryProbsLogits:
    """The probs/logits pair of a distribution over binary trials: the one given is stored
    (as `_param`), the other derived from it on first use."""

    def _store_probs_or_logits(self, probs, logits, *others) -> tuple:
        """Stores whichever of probs/logits is given, broadcast with `others`; returns
        `others` broadcast."""
        param, is_probs = one_parametrization(probs, logits)
        *others, param = broadcast_all(*others, param)
        setattr(self, "probs" if is_probs else "logits", param)
        self._param = param
        return tuple(others)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()


class Bernoulli(BinaryProbsLogits, Distribution):
    """Bernoulli(probs or logits): 1 with probability probs, else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._store_probs_or_logits(probs, logits)
        super().__init__(self._param.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return ndgrad.where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with ndgrad.no_grad():
            uniform = ndgrad.rand(shape, dtype=self._param.dtype)
            return (uniform < self.probs.expand(shape)).to(self._param.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True):
        values = ndgrad.arange(2, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values

