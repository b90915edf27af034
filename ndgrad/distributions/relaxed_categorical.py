"""The relaxed one-hot categorical (Concrete / Gumbel-softmax) distribution on the simplex."""
from __future__ import annotations

import ndgrad
from ndgrad import Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.categorical import Categorical, CategoricalWrapper
from ndgrad.distributions.relaxed_bernoulli import RelaxedTransformed
from ndgrad.distributions.transforms import ExpTransform
from ndgrad.distributions.utils import clamp_probs
from ndgrad.ops.special import lgamma

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(CategoricalWrapper):
    """The log of a RelaxedOneHotCategorical draw: log_softmax((logits + Gumbel) / T)."""

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        param = self._categorical._param
        super().__init__(param.shape[:-1], param.shape[-1:], validate_args=validate_args)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        uniforms = clamp_probs(ndgrad.rand(shape, dtype=self.logits.dtype))
        gumbels = -((-(uniforms.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        temperature = ndgrad.as_tensor(self.temperature)
        log_scale = (lgamma(ndgrad.full_like(temperature, float(k)))
                     - temperature.log() * -(k - 1))
        score = self.logits - value * temperature
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(RelaxedTransformed):
    """RelaxedOneHotCategorical(temperature, probs or logits): softmax((logits + Gumbel) / T),
    a reparameterizable relaxation of OneHotCategorical."""

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None,
                 validate_args: bool | None = None) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)
