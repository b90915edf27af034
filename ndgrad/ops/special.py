"""Special functions the probability densities need: lgamma, digamma, polygamma, erfinv.

Each is a differentiable op (the derivative of lgamma is digamma, of digamma the trigamma
polygamma(1, x), and so on), so log-densities of Gamma, Beta, Dirichlet, Poisson, ... have
gradients of every order. Also the differentiable standard-gamma sampler used for
reparameterized Gamma, Beta and Dirichlet samples.
"""
from __future__ import annotations

import math

import numpy as np

from ndgrad._random import Generator, _rng
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import floating, int_arg, tensor_arg
from ndgrad.ops._dual import sum_to
from ndgrad.ops.elementwise import exp

# B_2k / (2k) for k = 1..7: the coefficients of the asymptotic series of digamma.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
# Below this the recurrence psi(x) = psi(x + 1) - 1/x shifts x up before the series is used;
# at x >= 10 seven series terms are accurate to float64 precision.
_SERIES_START = 10.0


def _lgamma_scalar(x: float) -> float:
    try:
        return math.lgamma(x)
    except (ValueError, OverflowError):  # poles at 0, -1, -2, ...: +inf as in C's lgamma
        return math.inf


_lgamma_ufunc = np.frompyfunc(_lgamma_scalar, 1, 1)
_erf_ufunc = np.frompyfunc(math.erf, 1, 1)
_erfc_ufunc = np.frompyfunc(math.erfc, 1, 1)


def _lgamma(x):
    """log|Gamma(x)| of a float array, exactly as C's lgamma (math.lgamma per element)."""
    return np.asarray(_lgamma_ufunc(x), dtype=np.float64).astype(x.dtype, copy=False)


def _digamma_positive(x):
    """psi(x) for x > 0: the recurrence up to x >= 10, then the asymptotic series."""
    x = np.array(x, dtype=np.float64)
    shift = np.zeros_like(x)
    low = x < _SERIES_START
    while low.any():
        shift[low] -= 1 / x[low]
        x[low] += 1
        low = x < _SERIES_START
    inv2 = 1 / (x * x)
    series = np.zeros_like(x)
    power = np.ones_like(x)
    for k, b in enumerate(_BERNOULLI, start=1):
        power *= inv2
        series += b / (2 * k) * power
    return shift + np.log(x) - 0.5 / x - series


def _digamma(x):
    """psi(x) = d/dx lgamma(x); -inf at 0 and NaN at negative integers, as PyTorch."""
    work = np.asarray(x, dtype=np.float64)
    out = np.empty_like(work)
    negative = work < 0
    positive = ~negative
    out[positive] = _digamma_positive(work[positive])
    y = work[negative]
    # Reflection: psi(1 - x) - psi(x) = pi / tan(pi x).
    out[negative] = _digamma_positive(1 - y) - math.pi / np.tan(math.pi * y)
    out[work == 0] = -np.inf
    out[negative & (work == np.floor(work))] = np.nan
    return out.astype(x.dtype, copy=False)


def _polygamma(n: int, x):
    """The n-th derivative of digamma (n >= 1): the recurrence
    psi_n(x) = psi_n(x + 1) + (-1)^(n+1) n! / x^(n+1) up to x >= 10 + n, then the series
    (-1)^(n+1) [(n-1)!/x^n + n!/(2 x^(n+1)) + sum_k B_2k (2k+n-1)! / ((2k)! x^(2k+n))]."""
    if n == 0:
        return _digamma(x)
    sign = 1.0 if n % 2 == 1 else -1.0
    work = np.array(x, dtype=np.float64)
    out = np.zeros_like(work)
    start = _SERIES_START + n
    low = work < start
    while low.any():
        out[low] += sign * math.factorial(n) / work[low] ** (n + 1)
        work[low] += 1
        low = work < start
    series = math.factorial(n - 1) / work ** n + math.factorial(n) / (2 * work ** (n + 1))
    for k, b in enumerate(_BERNOULLI, start=1):
        series += b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / work ** (2 * k + n)
    out += sign * series
    out[(x <= 0) & (x == np.floor(x))] = np.inf if n % 2 == 1 else -np.inf
    return out.astype(x.dtype, copy=False)


def _erfinv(y):
    """The inverse of erf: Giles' rational first guess, then Newton steps."""
    work = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1 - work) * (1 + work))
        central = w < 5
        w_c = w - 2.5
        w_t = np.sqrt(np.where(central, 5.0, w)) - 3
        p_c = np.polyval((2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                          0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                          1.50140941), w_c)
        p_t = np.polyval((-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                          0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                          2.83297682), w_t)
        x = np.where(central, p_c, p_t) * work
        # Newton on erf(x) = y near 0; in the tails on log erfc(|x|) = log(1 - |y|), which
        # is nearly linear there and keeps the precision that erf loses by rounding to 1.
        central = np.abs(work) < 0.5
        magnitude, log_target = np.abs(x), np.log(1 - np.abs(work))
        for _ in range(3):
            density = 2 / math.sqrt(math.pi) * np.exp(-x * x)
            x = x - (np.asarray(_erf_ufunc(x), dtype=np.float64) - work) / density
            tail = np.asarray(_erfc_ufunc(magnitude), dtype=np.float64)
            slope = 2 / math.sqrt(math.pi) * np.exp(-magnitude * magnitude) / tail
            magnitude = magnitude + (np.log(tail) - log_target) / slope
        x = np.where(central, x, np.copysign(magnitude, work))
    x = np.where(np.abs(work) == 1, np.copysign(np.inf, work), x)
    x = np.where(np.abs(work) > 1, np.nan, x)
    return x.astype(y.dtype, copy=False)


class Lgamma(ArrayFunction):
    """log|Gamma(x)|."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _lgamma(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * digamma(x)


class Digamma(ArrayFunction):
    """psi(x), the logarithmic derivative of Gamma."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _digamma(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * polygamma(1, x)


class Polygamma(ArrayFunction):
    """The n-th derivative of digamma."""

    @staticmethod
    def forward(ctx, x, n=1):
        ctx.n = n
        ctx.save_for_backward(x)
        return _polygamma(n, x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * polygamma(ctx.n + 1, x)


class Erfc(ArrayFunction):
    """The complementary error function 1 - erf(x), accurate in the upper tail."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.asarray(_erfc_ufunc(x), dtype=np.float64).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (-2 / math.sqrt(math.pi)) * exp(-(x * x))


class Erfinv(ArrayFunction):
    """The inverse error function."""

    @staticmethod
    def forward(ctx, y):
        result = _erfinv(y)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        result, = ctx.saved_tensors
        return grad * (math.sqrt(math.pi) / 2) * exp(result * result)


def _standard_gamma_grad(alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1) held at a fixed quantile (implicit
    reparameterization): -(dP(alpha, x)/d alpha) / p(x; alpha), with P the regularized lower
    incomplete gamma function, differentiated term by term in its power series. Above
    alpha = 2000 the series needs too many terms and the Wilson-Hilferty normal approximation
    of the quantile is used instead."""
    alpha64 = np.asarray(alpha, dtype=np.float64)
    x64 = np.maximum(np.asarray(x, dtype=np.float64), np.finfo(np.float64).tiny)
    out = np.empty(np.broadcast_shapes(alpha64.shape, x64.shape))
    alpha64, x64 = np.broadcast_to(alpha64, out.shape), np.broadcast_to(x64, out.shape)
    large = alpha64 > 2000
    out[large] = _wilson_hilferty_grad(alpha64[large], x64[large])
    out[~large] = _series_gamma_grad(alpha64[~large], x64[~large])
    return out.astype(np.result_type(alpha, x), copy=False)


def _series_gamma_grad(a, x):
    log_x = np.log(x)
    term = np.exp(a * log_x - x - _lgamma(a + 1))
    psi = _digamma(a + 1)
    d_cdf = term * (log_x - psi)
    # Terms grow until n ~ x, then fall faster than geometrically; x + 12 sqrt(x) + 40 terms
    # reach float64 precision.
    steps = int(np.max(x + 12 * np.sqrt(x), initial=0.0)) + 40
    for n in range(1, steps):
        term = term * x / (a + n)
        psi = psi + 1 / (a + n)
        d_cdf += term * (log_x - psi)
    density = np.exp((a - 1) * log_x - x - _lgamma(a))
    return -d_cdf / density


def _wilson_hilferty_grad(a, x):
    # x = a (1 - 1/(9a) + z / (3 sqrt a))^3; solve for z at the sample, differentiate in a.
    cube = np.cbrt(x / a)
    z = (cube - 1 + 1 / (9 * a)) * 3 * np.sqrt(a)
    d_cube = 1 / (9 * a * a) - z / (6 * a ** 1.5)
    return cube ** 3 + 3 * a * cube * cube * d_cube


def _gammainc_series(a, x):
    """P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)), for x < a + 1."""
    term = np.ones_like(x)
    total = np.ones_like(x)
    for n in range(1, 10000):
        term = term * x / (a + n)
        total += term
        if np.all(np.abs(term) <= np.abs(total) * 1e-17):
            break
    return total * np.exp(a * np.log(x) - x - _lgamma(a + 1))


def _gammaincc_fraction(a, x):
    """Q(a, x) = 1 - P(a, x) by its continued fraction (modified Lentz), for x >= a + 1."""
    tiny = 1e-300
    b = x + 1 - a
    c = np.full_like(x, 1 / tiny)
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1 / d
        step = d * c
        h = h * step
        if np.all(np.abs(step - 1) <= 1e-16):
            break
    return np.exp(a * np.log(x) - x - _lgamma(a)) * h


def _gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    a64, x64 = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.zeros(a64.shape)
    series = (x64 > 0) & (x64 < a64 + 1)
    fraction = x64 >= a64 + 1
    out[series] = _gammainc_series(a64[series], x64[series])
    out[fraction] = 1 - _gammaincc_fraction(a64[fraction], x64[fraction])
    out[np.isnan(a64) | np.isnan(x64) | (a64 <= 0) | (x64 < 0)] = np.nan
    return out.astype(np.result_type(a, x), copy=False)


class Gammainc(ArrayFunction):
    """The regularized lower incomplete gamma function P(a, x), differentiable in x only (as
    in PyTorch)."""

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _gammainc(a, x)

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative of gammainc with respect to its first "
                                      "argument is not implemented")
        density = ((a - 1) * x.log() - x - lgamma(a)).exp()
        return None, sum_to(grad * density, x.shape)


class StandardGamma(ArrayFunction):
    """Samples of Gamma(alpha, 1), differentiable in alpha by implicit reparameterization."""

    @staticmethod
    def forward(ctx, alpha, generator=None):
        sample = np.asarray(_rng(generator).standard_gamma(alpha), dtype=alpha.dtype)
        # Gamma samples below the smallest normal number round to 0; PyTorch clamps them so
        # that log(sample) stays finite.
        sample = np.maximum(sample, np.finfo(alpha.dtype).tiny)
        if ctx.needs_input_grad:
            ctx.dx_dalpha = _standard_gamma_grad(alpha, sample)
        return sample

    @staticmethod
    def backward(ctx, grad):
        # The implicit gradient is a constant to higher orders, as PyTorch's
        # _standard_gamma_grad has no derivative either.
        return grad * Tensor._make(ctx.dx_dalpha)


# ---------------------------------------------------------------- wrappers


def _float_input(input, name: str) -> Tensor:
    return floating(tensor_arg(input, name))


def lgamma(input) -> Tensor:
    """Computes log|Gamma(input)| elementwise."""
    return Lgamma.apply(_float_input(input, "lgamma"))


def digamma(input) -> Tensor:
    """Computes the digamma function psi(input) = d/dx lgamma(x) elementwise."""
    return Digamma.apply(_float_input(input, "digamma"))


def polygamma(n: int, input) -> Tensor:
    """Computes the n-th derivative of digamma elementwise (n = 0 is digamma itself)."""
    n = int_arg(n, "polygamma", "n", 1)
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n={n}")
    input = _float_input(input, "polygamma")
    return Digamma.apply(input) if n == 0 else Polygamma.apply(input, n=n)


def mvlgamma(input, p: int) -> Tensor:
    """Computes the multivariate log-gamma function of dimension p elementwise."""
    input = _float_input(input, "mvlgamma")
    if p < 1:
        raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1, got {p}")
    total = p * (p - 1) / 4 * math.log(math.pi)
    for j in range(p):
        total = total + lgamma(input - j / 2)
    return total


def gammainc(input, other) -> Tensor:
    """Computes the regularized lower incomplete gamma function P(input, other)."""
    input, other = _float_input(input, "gammainc"), _float_input(other, "gammainc")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    return Gammainc.apply(input.expand(shape), other.expand(shape))


def gammaincc(input, other) -> Tensor:
    """Computes the regularized upper incomplete gamma function 1 - P(input, other)."""
    return 1 - gammainc(input, other)


def erfc(input) -> Tensor:
    """Computes the complementary error function 1 - erf(input) elementwise."""
    return Erfc.apply(_float_input(input, "erfc"))


def erfinv(input) -> Tensor:
    """Computes the inverse error function elementwise (domain [-1, 1])."""
    return Erfinv.apply(_float_input(input, "erfinv"))


def standard_gamma(alpha, generator: Generator | None = None) -> Tensor:
    """Draws Gamma(alpha, 1) samples, one per element of alpha; differentiable in alpha."""
    alpha = _float_input(alpha, "_standard_gamma")
    return StandardGamma.apply(alpha, generator=generator)
