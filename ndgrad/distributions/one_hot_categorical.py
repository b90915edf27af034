"""The one-hot categorical distribution: a Categorical whose draws are one-hot vectors."""
from __future__ import annotations

import ndgrad
from ndgrad import Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.categorical import Categorical, CategoricalWrapper

__all__ = ["OneHotCategorical"]


def _one_hot(index: Tensor, num_classes: int, dtype) -> Tensor:
    return (index.unsqueeze(-1) == ndgrad.arange(num_classes)).to(dtype)


class OneHotCategorical(CategoricalWrapper):
    """OneHotCategorical(probs or logits): the one-hot vector of a Categorical draw."""

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        param = self._categorical._param
        super().__init__(param.shape[:-1], param.shape[-1:], validate_args=validate_args)

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        probs = self._categorical.probs
        return _one_hot(probs.argmax(-1), probs.shape[-1], probs.dtype)

    @property
    def variance(self):
        probs = self._categorical.probs
        return probs * (1 - probs)

    def sample(self, sample_shape=()) -> Tensor:
        probs = self._categorical.probs
        index = self._categorical.sample(sample_shape)
        return _one_hot(index, probs.shape[-1], probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True):
        n = self.event_shape[0]
        values = ndgrad.eye(n, dtype=self._param.dtype)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = values.expand((n,) + tuple(self.batch_shape) + (n,))
        return values
