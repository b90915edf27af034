"""Random number generation: a seedable default generator and the random tensor factories."""
from __future__ import annotations

import numpy as np

from ndgrad import _dtype
from ndgrad._creation import _finish, _like, _size
from ndgrad._args import int_arg, parse_size
from ndgrad._tensor import Tensor


class Generator:
    """A source of random numbers (NumPy's PCG64), seeded with `manual_seed`."""

    def __init__(self, device: str = "cpu") -> None:
        self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Resets the generator to the stream of `seed`; returns self."""
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseeds from fresh entropy and returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63)))
        return self._seed

    def initial_seed(self) -> int:
        """The seed the current stream started from."""
        return self._seed

    def get_state(self) -> dict:
        """A snapshot of the generator's state, restorable with set_state."""
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        """Restores a state from get_state."""
        self._rng.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seeds the default generator, making every random function reproducible."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seeds the default generator from fresh entropy and returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed of the default generator."""
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """The state of the default generator."""
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    """Restores the default generator's state."""
    default_generator.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator behind `generator` (the default one for None)."""
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"generator must be an ndgrad.Generator or None, got "
                        f"{type(generator).__name__}")
    return (generator or default_generator)._rng


def _float_dtype(dtype) -> _dtype.dtype:
    dtype = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"expected a floating point dtype for random floats, got {dtype}")
    return dtype


def rand(*sizes, size=None, generator: Generator | None = None, dtype=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    dtype = _float_dtype(dtype)
    samples = _draw(_rng(generator).random, _size(sizes, size), dtype)
    return _finish(samples, requires_grad, device)


def randn(*sizes, size=None, generator: Generator | None = None, dtype=None, device=None,
          requires_grad: bool = False) -> Tensor:
    """Samples from the standard normal distribution."""
    dtype = _float_dtype(dtype)
    samples = _draw(_rng(generator).standard_normal, _size(sizes, size), dtype)
    return _finish(samples, requires_grad, device)


def _draw(method, shape: tuple, dtype) -> np.ndarray:
    """Samples from a Generator method, drawn in the requested dtype where NumPy can (float32
    and float64), so a float32 draw makes no float64 temporary; others are drawn in float64
    and cast."""
    numpy_dtype = np.dtype(dtype.numpy)
    if numpy_dtype.char in "fd":
        return method(shape, dtype=numpy_dtype)
    return method(shape).astype(numpy_dtype)


def randint(low: int, high: int | None = None, size=None, *, generator: Generator | None = None,
            dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high) (`randint(high, size)` starts at 0)."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    dtype = _dtype.int64 if dtype is None else _dtype.to_dtype(dtype)
    samples = _rng(generator).integers(low, high, size=parse_size((size,)))
    return _finish(samples.astype(dtype.numpy), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None,
           dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Normal samples with the given mean and std (numbers or tensors, broadcast)."""
    mean_data = mean._data if isinstance(mean, Tensor) else mean
    std_data = std._data if isinstance(std, Tensor) else std
    if np.any(np.asarray(std_data) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std_data}")
    if size is None:
        try:
            shape = np.broadcast_shapes(np.shape(mean_data), np.shape(std_data))
        except ValueError:
            raise RuntimeError(f"normal: mean of shape {list(np.shape(mean_data))} and std of "
                               f"shape {list(np.shape(std_data))} do not broadcast") from None
    else:
        shape = parse_size((size,))
    if dtype is None:
        tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
        dtype = tensors[0].dtype if tensors else None
    dtype = _float_dtype(dtype)
    samples = _rng(generator).normal(mean_data, std_data, size=shape)
    return _finish(samples.astype(dtype.numpy), requires_grad, device)


def rand_like(input: Tensor, *, generator: Generator | None = None, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1) with the shape (and dtype) of `input`."""
    shape, dtype, device = _like(input, dtype, device, "rand_like")
    return rand(shape, generator=generator, dtype=dtype, device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype=None, device=None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal samples with the shape (and dtype) of `input`."""
    shape, dtype, device = _like(input, dtype, device, "randn_like")
    return randn(shape, generator=generator, dtype=dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *,
                 generator: Generator | None = None, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
    """Integers from [low, high) with the shape (and dtype) of `input`."""
    shape, dtype, device = _like(input, dtype, device, "randint_like")
    return randint(low, high, shape, generator=generator, dtype=dtype, device=device,
                   requires_grad=requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1."""
    (n,) = parse_size((int_arg(n, "randperm", "n", 1),))
    dtype = _dtype.int64 if dtype is None else _dtype.to_dtype(dtype)
    return _finish(_rng(generator).permutation(n).astype(dtype.numpy), requires_grad, device)


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson samples, one per element of the rate tensor `input`, in its dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' must be Tensor, not {type(input).__name__}")
    if np.any(input._data < 0):
        raise RuntimeError("poisson(): invalid Poisson rate, expected rate to be non-negative")
    samples = _rng(generator).poisson(input._data)
    return _finish(samples.astype(input._data.dtype), False, None)


def binomial(count: Tensor, prob: Tensor, generator: Generator | None = None) -> Tensor:
    """Binomial samples: successes in `count` trials of probability `prob` (broadcast)."""
    for name, value in (("count", count), ("prob", prob)):
        if not isinstance(value, Tensor):
            raise TypeError(f"binomial(): argument '{name}' must be Tensor, not "
                            f"{type(value).__name__}")
    if np.any((prob._data < 0) | (prob._data > 1)):
        raise RuntimeError("binomial(): prob must be in [0, 1]")
    samples = _rng(generator).binomial(count._data.astype(np.int64), prob._data)
    return _finish(samples.astype(prob._data.dtype), False, None)


# ---- sampling from given probabilities ----


def _probabilities(input: Tensor, name: str) -> np.ndarray:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not input.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating point probability tensor, got "
                           f"{input.dtype}")
    return np.asarray(input.detach().cpu().numpy(), dtype=np.float64)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Indices sampled from the categories of each row of `input` (weights, not necessarily
    normalised): a 1-D input gives (num_samples,), a 2-D one (rows, num_samples), int64.

    Without replacement a category is drawn at most once per row; as in PyTorch, once the
    categories of nonzero weight are used up, zero-weight ones follow in index order.
    """
    weights = _probabilities(input, "multinomial")
    num_samples = int_arg(num_samples, "multinomial", "num_samples", 2)
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got shape {list(weights.shape)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    rows = weights.reshape(-1, weights.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without "
                           f"replacement ({num_samples} > {rows.shape[1]})")
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    if replacement:
        cumulative = np.cumsum(rows / totals, axis=1)
        uniform = rng.random((rows.shape[0], num_samples))
        samples = np.stack([np.searchsorted(c, u, side="right") for c, u in
                            zip(cumulative, uniform)])
        samples = np.minimum(samples, rows.shape[1] - 1)  # guards u ~ 1 against rounding
    else:
        # Weighted sampling without replacement: the num_samples largest of w / Exp(1).
        keys = rows / rng.standard_exponential(rows.shape)
        samples = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    samples = samples.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64)
    return _finish(samples, False, input.device)


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """1 with probability `input` (elementwise), else 0, in input's dtype; a number `p` is
    used for every element instead."""
    if p is None:
        probabilities = _probabilities(input, "bernoulli")
    else:
        probabilities = np.full(tuple(input.shape), float(p))
    _check_unit_interval(probabilities, "bernoulli")
    draws = _rng(generator).random(probabilities.shape) < probabilities
    return _finish(draws.astype(input.dtype.numpy), False, input.device)


def _check_unit_interval(p, name: str) -> None:
    if not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError(f"{name} expects p to be in [0, 1], got "
                           f"{p if np.ndim(p) == 0 else 'a tensor with values outside it'}")


# ---- in-place fills (Tensor.bernoulli_, random_, ...): samples copied into the tensor ----


def _fill(self: Tensor, samples: np.ndarray) -> Tensor:
    """Writes `samples` into self in place; like any fill, the old values get no gradient."""
    return self.copy_(Tensor._make(samples))


def bernoulli_(self: Tensor, p=0.5, *, generator: Generator | None = None) -> Tensor:
    """Fills self with 1 with probability p (a number or a tensor broadcast to self), else 0."""
    probabilities = _probabilities(p, "bernoulli_") if isinstance(p, Tensor) else float(p)
    _check_unit_interval(np.asarray(probabilities), "bernoulli_")
    draws = _rng(generator).random(tuple(self.shape)) < probabilities
    return _fill(self, draws)


_UNSET = object()


def random_(self: Tensor, from_: int = 0, to=_UNSET, *,
            generator: Generator | None = None, **kwargs) -> Tensor:
    """Fills self with integers from [from, to): `random_(to)` starts at 0, `to=None` and
    `random_()` go up to 2**mantissa for floats and the largest value for integers, as in
    PyTorch."""
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    if kwargs:
        raise TypeError(f"random_() got unexpected keyword arguments {sorted(kwargs)}")
    if to is _UNSET and from_ != 0:
        from_, to = 0, from_
    if to is _UNSET:
        to = None
    if to is None:
        to = _random_upper(self.dtype)
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={from_} >= to={to}")
    return _fill(self, _rng(generator).integers(from_, to, size=tuple(self.shape)))


def _random_upper(dtype: _dtype.dtype) -> int:
    """One past the largest value random_() draws for `dtype`."""
    if dtype == _dtype.bool:
        return 2
    if dtype.is_floating_point:
        return 2 ** (np.finfo(dtype.numpy).nmant + 1) + 1
    return min(int(np.iinfo(dtype.numpy).max) + 1, 2 ** 63 - 1)


def exponential_(self: Tensor, lambd: float = 1.0, *,
                 generator: Generator | None = None) -> Tensor:
    """Fills self with samples of the exponential distribution of rate `lambd`."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(self, _rng(generator).exponential(1.0 / lambd, tuple(self.shape)))


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fills self with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _fill(self, _rng(generator).geometric(p, tuple(self.shape)))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Generator | None = None) -> Tensor:
    """Fills self with exp(N(mean, std^2)) samples."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _fill(self, _rng(generator).lognormal(mean, std, tuple(self.shape)))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fills self with samples of the Cauchy distribution median + sigma * tan(pi (U - 1/2))."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    return _fill(self, median + sigma * _rng(generator).standard_cauchy(tuple(self.shape)))
