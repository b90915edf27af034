"""The Dirichlet distribution over the probability simplex."""
from __future__ import annotations

import ndgrad
from ndgrad import Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.distribution import Distribution
from ndgrad.distributions.utils import finfo, xlogy
from ndgrad.ops.special import digamma, lgamma, standard_gamma

__all__ = ["Dirichlet"]


def sample_dirichlet(concentration: Tensor) -> Tensor:
    """One Dirichlet draw per row of `concentration`: independent Gamma(a_k, 1) draws,
    normalised. Gradients flow through the gamma draws (implicit reparameterization)."""
    gammas = standard_gamma(concentration)
    draw = gammas / gammas.sum(-1, keepdim=True)
    return draw.clamp(min=float(finfo(draw.dtype).tiny))


class Dirichlet(Distribution):
    """Dirichlet(concentration): density prod x_k^(a_k - 1) / B(a) on the simplex."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return sample_dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (xlogy(self.concentration - 1.0, value).sum(-1)
                + lgamma(self.concentration.sum(-1)) - lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        shifted = (self.concentration - 1).clamp(min=0.0)
        mode = shifted / shifted.sum(-1, keepdim=True)
        # With every a_k < 1 the density peaks at the corners; PyTorch picks the corner of
        # the largest mean.
        corner = (self.concentration < 1).all(-1, keepdim=True)
        n = self.concentration.shape[-1]
        one_hot = (mode.argmax(-1, keepdim=True) == ndgrad.arange(n)).to(mode.dtype)
        return ndgrad.where(corner, one_hot, mode)

    @property
    def variance(self):
        total = self.concentration.sum(-1, keepdim=True)
        return (self.concentration * (total - self.concentration)
                / (total.pow(2) * (total + 1)))

    def entropy(self):
        k = self.concentration.shape[-1]
        total = self.concentration.sum(-1)
        return (lgamma(self.concentration).sum(-1) - lgamma(total)
                - (k - total) * digamma(total)
                - ((self.concentration - 1.0) * digamma(self.concentration)).sum(-1))
