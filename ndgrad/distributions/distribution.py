"""Distribution: the base class of every probability distribution (PyTorch's API)."""
from __future__ import annotations

import ndgrad
from ndgrad import Size, Tensor
from ndgrad.distributions import constraints
from ndgrad.distributions.utils import broadcast_all, lazy_property

__all__ = ["Distribution", "LocScale"]


class Distribution:
    """A batch of probability distributions of one family.

    `batch_shape` indexes independent distributions, `event_shape` is the shape of one draw;
    a sample has shape `sample_shape + batch_shape + event_shape`. Subclasses declare
    `arg_constraints` and `support`; with `validate_args` (on by default, as in PyTorch)
    invalid parameters and values raise ValueError.
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True
    arg_constraints: dict = {}

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turns argument validation on or off for distributions created afterwards."""
        if value not in (True, False):
            raise ValueError(f"validate_args must be True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self) -> None:
        for param, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None),
                                                         lazy_property):
                continue  # the other parametrization was given; this one derives from it
            value = getattr(self, param)
            if not bool(constraint.check(value).all()):
                raise ValueError(f"Expected parameter {param} ({type(value).__name__} of shape "
                                 f"{tuple(value.shape)}) of distribution {self!r} to satisfy "
                                 f"the constraint {constraint!r}, but found invalid values:\n"
                                 f"{value}")

    @property
    def batch_shape(self) -> Size:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    @property
    def support(self):
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def expand(self, batch_shape, _instance=None) -> Distribution:
        """A new distribution with parameters expanded to `batch_shape` (views, no copies,
        no re-validation)."""
        batch_shape = Size(batch_shape)
        new = type(self).__new__(type(self)) if _instance is None else _instance
        old_batch = tuple(self.batch_shape)
        old_ndim = len(old_batch)
        for name, value in self.__dict__.items():
            # Parameters lead with the batch dims; other tensors (an unbroadcast Cholesky
            # factor, a shared temperature) are kept as they are.
            if isinstance(value, Tensor) and tuple(value.shape[:old_ndim]) == old_batch:
                value = value.expand(tuple(batch_shape) + tuple(value.shape[old_ndim:]))
            elif isinstance(value, Distribution):
                extra = tuple(value.batch_shape[len(self.batch_shape):])
                value = value.expand(tuple(batch_shape) + extra)
            setattr(new, name, value)
        new._batch_shape = batch_shape
        return new

    def _expanded_copy(self, batch_shape, **attributes) -> Distribution:
        """A shallow copy with the batch shape and `attributes` replaced (for the expand of
        distributions that wrap others); not validated again."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__.update(attributes)
        new._batch_shape = Size(batch_shape)
        return new

    def sample(self, sample_shape=()) -> Tensor:
        """Draws `sample_shape` samples (outside the graph)."""
        with ndgrad.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """Draws reparameterized samples: gradients flow back to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample")

    def sample_n(self, n: int) -> Tensor:
        """`n` samples (the old spelling of sample((n,)))."""
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the probability density (or mass) at `value`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value: Tensor) -> Tensor:
        """The cumulative distribution function at `value`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse cumulative distribution function at `value`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """All values of a discrete distribution, along a new leftmost dim."""
        raise NotImplementedError(f"{type(self).__name__} does not implement "
                                  f"enumerate_support")

    def entropy(self) -> Tensor:
        """The entropy, per batch element."""
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=()) -> Size:
        return Size(tuple(Size(sample_shape)) + tuple(self._batch_shape)
                    + tuple(self._event_shape))

    def _validate_sample(self, value) -> None:
        """Raises ValueError unless `value` broadcasts with the batch and event shapes and
        lies in the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = tuple(value.shape)
        event = tuple(self._event_shape)
        if shape[len(shape) - len(event):] != event:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{Size(shape)} vs {self._event_shape}.")
        expected = tuple(self._batch_shape) + event
        for actual_size, expected_size in zip(reversed(shape), reversed(expected)):
            if actual_size != 1 and expected_size != 1 and actual_size != expected_size:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{Size(shape)} vs {Size(expected)}.")
        support = self.support
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{shape}) to be within the support ({support!r}) of the "
                             f"distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        params = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {_describe(self.__dict__[p])}" for p in params)
        return f"{type(self).__name__}({args})"


def _describe(value: Tensor):
    """A parameter as __repr__ shows it: its value if it has one element, else its size."""
    return value if value.numel() == 1 else value.size()


class LocScale(Distribution):
    """A real-valued location-scale family (Normal, Laplace, Cauchy): reparameterized draws
    loc + scale * eps, mode at loc."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc
