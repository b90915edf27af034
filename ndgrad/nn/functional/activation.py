"""Activation functions, composed from differentiable primitives."""
from __future__ import annotations

import math
import numbers

from ndgrad._creation import zeros
from ndgrad._tensor import Tensor
from ndgrad.ops import elementwise as ew
from ndgrad.ops import fused
from ndgrad.ops._common import normalize_dim, tensor_arg
from ndgrad.ops.elementwise.piecewise import piecewise_linear
from ndgrad.ops.shape import chunk

# SELU's constants (Klambauer et al., 2017).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _inplace(input: Tensor, function, *args) -> Tensor:
    """Writes function(input, *args) into input. The function runs on a copy, so the tensors
    its backward saves are not the ones overwritten (PyTorch saves the original self likewise)."""
    return input.copy_(function(input.clone(), *args))


def _numbers(op: str, **options) -> list:
    """Scalar options (slopes, alphas, thresholds) as Python numbers: a 0-d tensor gives its
    value, anything else but a number is refused, as by PyTorch. Positions count from 2: the
    input comes first."""
    values = []
    for position, (name, value) in enumerate(options.items(), 2):
        if isinstance(value, Tensor) and value.ndim == 0:
            value = value.item()
        if not isinstance(value, numbers.Number):
            raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Number, "
                            f"not {type(value).__name__}")
        values.append(value)
    return values


def _floating(input, op: str) -> None:
    """PyTorch has kernels for most activations in floating point only: an integer or bool
    input is refused with its NotImplementedError (a RuntimeError)."""
    if isinstance(input, Tensor) and not input.is_floating_point():
        raise NotImplementedError(f"{op}: not implemented for {input.dtype.name} input; it "
                                  f"takes floating point tensors")


def _no_bool(input, op: str, unsigned: bool = True) -> None:
    """Refuses a bool input (and a uint8 one unless `unsigned`), as PyTorch's kernels do."""
    if isinstance(input, Tensor) and (input.dtype.name == "bool"
                                      or (not unsigned and input.dtype.name == "uint8")):
        raise NotImplementedError(f"{op}: not implemented for {input.dtype.name} input")


def _clip(input: Tensor, low: float, high: float, scale: float = 1.0,
          shift: float = 0.0) -> Tensor:
    """scale * input + shift limited to [low, high] (where it is not, the input lies on a bound
    itself): the gradient is zero at the bounds, as PyTorch's hardtanh (clamp passes it there)."""
    breakpoints = [((low - shift) / scale, False), ((high - shift) / scale, True)]
    return piecewise_linear(input, breakpoints, (0, scale, 0), (low, shift, high))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return input.relu_() if inplace else ew.relu(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    _no_bool(input, "relu6")
    return _inplace(input, _clip, 0.0, 6.0) if inplace else _clip(input, 0.0, 6.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]."""
    min_val, max_val = _numbers("hardtanh", min_val=min_val, max_val=max_val)
    _no_bool(input, "hardtanh", unsigned=False)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _inplace(input, _clip, min_val, max_val) if inplace else _clip(input, min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    (negative_slope,) = _numbers("leaky_relu", negative_slope=negative_slope)
    _floating(input, "leaky_relu")
    if inplace:
        return _inplace(input, leaky_relu, negative_slope)
    return piecewise_linear(input, [(0, False)], (negative_slope, 1), (0, 0))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope per channel (dim 1) or one shared slope."""
    input, weight = tensor_arg(input, "prelu"), tensor_arg(weight, "prelu", "weight", 2)
    if input.ndim == 0:
        raise RuntimeError("prelu: Not allow zero-dim input tensor.")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
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
    (alpha,) = _numbers("elu", alpha=alpha)
    _floating(input, "elu")
    if inplace:
        return _inplace(input, elu, alpha)
    # clamp(x, max=0) keeps expm1 finite in the branch where() discards, so no inf * 0 = nan
    # reaches the gradient; at x = 0 its gradient is 1, giving PyTorch's alpha there.
    return ew.where(input > 0, input, ew.expm1(ew.clamp(input, max=0.0)) * alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    if inplace:
        return _inplace(input, selu)
    return elu(input, SELU_ALPHA) * SELU_SCALE


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (e^(x / alpha) - 1) otherwise."""
    (alpha,) = _numbers("celu", alpha=alpha)
    _floating(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return _inplace(input, celu, alpha)
    negative = ew.expm1(ew.clamp(input, max=0.0) / alpha) * alpha
    return ew.where(input > 0, input, negative)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses the tanh formula."""
    _floating(input, "gelu")
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (ew.tanh(inner) + 1)
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got "
                           f"{approximate!r}")
    return input * 0.5 * (ew.erf(input * (1 / math.sqrt(2))) + 1)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    _floating(input, "silu")
    return _inplace(input, silu) if inplace else input * ew.sigmoid(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    _floating(input, "mish")
    return _inplace(input, mish) if inplace else input * ew.tanh(softplus(input))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    return ew.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ew.tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """clamp(x / 6 + 1/2, 0, 1)."""
    _floating(input, "hardsigmoid")
    return _inplace(input, hardsigmoid) if inplace else _clip(input, 0.0, 1.0, 1 / 6, 0.5)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x)."""
    _floating(input, "hardswish")
    return _inplace(input, hardswish) if inplace else input * hardsigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold."""
    beta, threshold = _numbers("softplus", beta=beta, threshold=threshold)
    _floating(input, "softplus")
    scaled = input * beta
    # log1p(e^-|z|) + max(z, 0) equals log(1 + e^z) and never overflows. -|z| is written
    # z - 2 max(z, 0) so that its gradient at 0 is -1 (abs's is 0), which makes the gradient
    # at z = 0 sigmoid(0) = 1/2, as in PyTorch.
    positive = ew.clamp(scaled, min=0.0)
    smooth = (ew.log1p(ew.exp(scaled - positive * 2)) + positive) / beta
    return ew.where(scaled > threshold, input, smooth)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (ew.abs(input) + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - ew.tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    threshold, value = _numbers("threshold", threshold=threshold, value=value)
    _no_bool(input, "threshold", unsigned=False)
    return _inplace(input, _threshold, threshold, value) if inplace else \
        _threshold(input, threshold, value)


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return piecewise_linear(input, [(threshold, False)], (0, 1), (value, 0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    (lambd,) = _numbers("hardshrink", lambd=lambd)
    _floating(input, "hardshrink")
    return piecewise_linear(input, [(-lambd, True), (lambd, False)], (1, 0, 1), (0, 0, 0))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    (lambd,) = _numbers("softshrink", lambd=lambd)
    _floating(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be in range [0, inf) for input dtype "
                           f"{input.dtype.name}, but found {lambd}")
    return piecewise_linear(input, [(-lambd, True), (lambd, False)], (1, 0, 1),
                            (lambd, 0, -lambd))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed as min(x, 0) - log(1 + e^-|x|), which never overflows."""
    _floating(input, "logsigmoid")
    # minimum splits the gradient at 0 and abs's is 0 there: 1/2 in all, as PyTorch's.
    zero = zeros((), dtype=input.dtype)
    return ew.minimum(input, zero) - ew.log1p(ew.exp(-ew.abs(input)))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of `input` along `dim`."""
    if tensor_arg(input, "glu").ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = normalize_dim(dim, input.ndim)
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    a, b = chunk(input, 2, dim)
    return a * ew.sigmoid(b)


# The softmax family takes PyTorch's unused `_stacklevel` so positional calls line up.


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """e^x / sum(e^x) along `dim`, stable for large logits."""
    return fused.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """log(softmax(x)) along `dim`, exact for large logits."""
    return fused.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along `dim`."""
    return fused.softmax(-input, dim, dtype)

