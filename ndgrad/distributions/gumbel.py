"""The Gumbel (type I extreme value) distribution."""
from __future__ import annotations

import math
import numbers

import ndgrad
from ndgrad.distributions import constraints
from ndgrad.distributions.transformed_distribution import TransformedDistribution
from ndgrad.distributions.transforms import AffineTransform, ExpTransform
from ndgrad.distributions.uniform import Uniform
from ndgrad.distributions.utils import broadcast_all, finfo

__all__ = ["Gumbel"]

_EULER_GAMMA = 0.57721566490153286060


class Gumbel(TransformedDistribution):
    """Gumbel(loc, scale): loc - scale log(-log U) for U uniform on (0, 1)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        info = finfo(self.loc.dtype)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            base = Uniform(float(info.tiny), 1 - float(info.eps), validate_args=validate_args)
        else:
            base = Uniform(ndgrad.full_like(self.loc, float(info.tiny)),
                           ndgrad.full_like(self.loc, 1 - float(info.eps)),
                           validate_args=validate_args)
        transforms = [ExpTransform().inv, AffineTransform(loc=0, scale=-ndgrad.ones_like(self.loc)),
                      ExpTransform().inv, AffineTransform(loc=self.loc, scale=-self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = Gumbel(self.loc.expand(batch_shape), self.scale.expand(batch_shape),
                     validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def has_rsample(self):
        return True

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    @property
    def mean(self):
        return self.loc + self.scale * _EULER_GAMMA

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def entropy(self):
        return self.scale.log() + (1 + _EULER_GAMMA)

