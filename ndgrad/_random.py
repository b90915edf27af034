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
