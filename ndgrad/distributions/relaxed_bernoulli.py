"""The relaxed (Concrete / Gumbel-softmax) Bernoulli distribution on (0, 1)."""
from __future__ import annotations

import ndgrad
from ndgrad import Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.bernoulli import BinaryProbsLogits
from ndgrad.distributions.distribution import Distribution
from ndgrad.distributions.transformed_distribution import TransformedDistribution
from ndgrad.distributions.transforms import SigmoidTransform
from ndgrad.distributions.utils import (broadcast_all, clamp_probs)

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli", "RelaxedTransformed"]


class LogitRelaxedBernoulli(BinaryProbsLogits, Distribution):
    """The logit of a RelaxedBernoulli draw: (logit(U) + logits) / temperature."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None,
                 validate_args: bool | None = None) -> None:
        self.temperature = temperature
        self._store_probs_or_logits(probs, logits)
        super().__init__(self._param.shape, validate_args=validate_args)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(ndgrad.rand(shape, dtype=probs.dtype))
        return (uniforms.log() - (-uniforms).log1p() + probs.log()
                - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return ndgrad.as_tensor(self.temperature).log() + diff - 2 * diff.exp().log1p()


class RelaxedTransformed(TransformedDistribution):
    """A relaxed distribution pushed through a transform: temperature, logits and probs are
    its base distribution's."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(RelaxedTransformed):
    """RelaxedBernoulli(temperature, probs or logits): a continuous relaxation of Bernoulli
    with reparameterized samples in (0, 1); low temperatures approach {0, 1}."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None,
                 validate_args: bool | None = None) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)
