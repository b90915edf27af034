"""The categorical distribution over {0, ..., K - 1}."""
from __future__ import annotations

import math

import numpy as np

import ndgrad
from ndgrad import Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.distribution import Distribution
from ndgrad.distributions.utils import (finfo, lazy_property, logits_to_probs, one_parametrization,
                                        probs_to_logits)

__all__ = ["Categorical", "CategoricalWrapper"]


class Categorical(Distribution):
    """Categorical(probs or logits): index k with probability probs[..., k].

    `probs` is normalised to sum to 1 over its last dim; `logits` are unnormalised log
    probabilities (normalised by logsumexp).
    """

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        param, is_probs = one_parametrization(probs, logits)
        if param.dim() < 1:
            name = "probs" if is_probs else "logits"
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if is_probs:
            self.probs = param / param.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            self.logits = param - param.logsumexp(-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return ndgrad.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return ndgrad.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with ndgrad.no_grad():
            # Inverse CDF: the number of cumulative probabilities below a uniform draw.
            cdf = self.probs.cumsum(-1).detach().numpy()
            cdf = cdf / cdf[..., -1:]
            uniform = ndgrad.rand(tuple(shape) + (1,), dtype=self.probs.dtype).numpy()
            index = (uniform >= np.broadcast_to(cdf, tuple(shape) + cdf.shape[-1:])).sum(-1)
        return ndgrad.tensor(np.minimum(index, self._num_events - 1), dtype=ndgrad.int64)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape))
        value = value.expand(shape[:-1] + (1,))
        logits = self.logits.expand(shape)
        return logits.gather(-1, value).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=float(finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True):
        values = ndgrad.arange(self._num_events, dtype=ndgrad.int64)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values


class CategoricalWrapper(Distribution):
    """A distribution defined through a Categorical (`self._categorical`): its probs, logits
    and expand are the Categorical's."""

    def expand(self, batch_shape, _instance=None):
        return self._expanded_copy(batch_shape,
                                   _categorical=self._categorical.expand(batch_shape))

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape
