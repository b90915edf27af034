"""ndgrad.special: PyTorch's torch.special namespace (special mathematical functions)."""
import math

from ndgrad.ops.elementwise import erf, exp2, expm1, log1p, sigmoid, where
from ndgrad.ops.fused import log_softmax, softmax
from ndgrad.ops.reduction import logsumexp
from ndgrad.ops.special import (digamma, erfc, erfinv, gammainc, gammaincc, lgamma, mvlgamma,
                                polygamma)

expit = sigmoid
gammaln = lgamma
multigammaln = mvlgamma
psi = digamma


def ndtr(input):
    """Computes the standard normal CDF, erfc(-input / sqrt(2)) / 2."""
    return 0.5 * erfc(-input * math.sqrt(0.5))


def logit(input, eps: float | None = None):
    """Computes log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    if eps is not None:
        input = input.clamp(min=eps, max=1 - eps)
    return input.log() - (-input).log1p()


def xlogy(input, other):
    """Computes input * log(other), taken as 0 where input is 0."""
    zero = input == 0
    return where(zero, 0.0, input * where(zero, 1.0, other).log())


__all__ = ["digamma", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammainc",
           "gammaincc", "gammaln", "log1p", "log_softmax", "logit", "logsumexp",
           "multigammaln", "mvlgamma", "ndtr", "polygamma", "psi", "softmax", "xlogy"]
