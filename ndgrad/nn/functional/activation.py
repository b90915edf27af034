"""Activation functions, composed from differentiable primitives."""
from __future__ import annotations

import math

from ndgrad._tensor import Tensor
from ndgrad.ops import elementwise as ew
from ndgrad.ops import reduction
from ndgrad.ops.shape import chunk

# SELU's constants (Klambauer et al., 2017).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return input.relu_() if inplace else ew.relu(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]."""
    return input.clamp_(min_val, max_val) if inplace else ew.clamp(input, min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    result = ew.where(input > 0, input, input * negative_slope)
    return input.copy_(result) if inplace else result


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope per channel (dim 1) or one shared slope."""
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim > 1 else input.shape[0]
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.numel()} and channel size = "
                               f"{channels}.")
        if input.ndim > 1:
            weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return ew.where(input > 0, input, weight * input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (e^x - 1) otherwise."""
    # minimum(x, 0) keeps expm1 finite in the branch where() discards, so no inf * 0 = nan
    # reaches the gradient.
    result = ew.where(input > 0, input, ew.expm1(ew.minimum(input, 0.0)) * alpha)
    return input.copy_(result) if inplace else result


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    result = elu(input, SELU_ALPHA) * SELU_SCALE
    return input.copy_(result) if inplace else result


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (e^(x / alpha) - 1) otherwise."""
    negative = ew.expm1(ew.minimum(input, 0.0) / alpha) * alpha
    result = ew.where(input > 0, input, negative)
    return input.copy_(result) if inplace else result


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses the tanh formula."""
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (ew.tanh(inner) + 1)
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got "
                           f"{approximate!r}")
    return input * 0.5 * (ew.erf(input * (1 / math.sqrt(2))) + 1)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    result = input * ew.sigmoid(input)
    return input.copy_(result) if inplace else result


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    result = input * ew.tanh(softplus(input))
    return input.copy_(result) if inplace else result


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    return ew.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ew.tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """clamp(x / 6 + 1/2, 0, 1)."""
    result = ew.clamp(input / 6 + 0.5, 0.0, 1.0)
    return input.copy_(result) if inplace else result


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x)."""
    result = input * hardsigmoid(input)
    return input.copy_(result) if inplace else result


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold."""
    scaled = input * beta
    # log1p(e^-|z|) + max(z, 0) equals log(1 + e^z) and never overflows.
    smooth = (ew.log1p(ew.exp(-ew.abs(scaled))) + ew.relu(scaled)) / beta
    return ew.where(scaled > threshold, input, smooth)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (ew.abs(input) + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - ew.tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    result = ew.where(input > threshold, input, value)
    return input.copy_(result) if inplace else result


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of `input` along `dim`."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    a, b = chunk(input, 2, dim)
    return a * ew.sigmoid(b)


def _softmax_dim(input: Tensor, dim: int | None) -> int:
    # PyTorch's legacy rule for an implicit dim: 0 for 0-, 1- and 3-D inputs, else 1.
    if dim is not None:
        return dim
    return 0 if input.ndim in (0, 1, 3) else 1


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """x - logsumexp(x) along `dim`: log-probabilities, stable for large logits
    (see Note [stable logsumexp] in ndgrad/ops/reduction.py)."""
    if dtype is not None:
        input = input.to(dtype)
    dim = _softmax_dim(input, dim)
    return input - reduction.logsumexp(input, dim, keepdim=True)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """e^x / sum(e^x) along `dim`, computed as exp(log_softmax) so large logits are finite."""
    return ew.exp(log_softmax(input, dim, dtype))


def softmin(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """softmax(-x) along `dim`."""
    return softmax(-input, dim, dtype)

