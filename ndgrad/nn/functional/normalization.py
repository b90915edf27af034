"""Normalisation: layer_norm, rms_norm, group_norm, batch_norm, instance_norm, normalize."""
from __future__ import annotations

import math

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import no_grad
from ndgrad.ops import elementwise as ew
from ndgrad.ops import fused, reduction
from ndgrad.ops._common import tensor_arg, type_name


def _normalized_dims(op: str, input: Tensor, normalized_shape, **affine) -> tuple:
    """The trailing dims that normalized_shape names; the affine tensors must have its shape."""
    tensor_arg(input, op)
    is_int = isinstance(normalized_shape, (int, np.integer))
    if not is_int and not (isinstance(normalized_shape, (tuple, list)) and
                           all(isinstance(n, (int, np.integer)) for n in normalized_shape)):
        raise TypeError(f"{op}(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type_name(normalized_shape)}")
    shape = (int(normalized_shape),) if is_int else tuple(int(n) for n in normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or len(shape) > input.ndim:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size "
                           f"{list(input.shape)}")
    for position, (name, t) in enumerate(affine.items(), 3):
        if t is not None and tuple(tensor_arg(t, op, name, position).shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    return tuple(range(input.ndim - len(shape), input.ndim))


def _check_per_channel(input: Tensor, op: str, **per_channel) -> None:
    """Per-channel tensors (running statistics, weight, bias) have one entry per channel of
    an (N, C, ...) input."""
    if tensor_arg(input, op).ndim < 2:
        raise RuntimeError(f"{op}: expected an input of shape (N, C, ...), but got input of "
                           f"size {list(input.shape)}")
    channels = input.shape[1]
    for position, (name, t) in enumerate(per_channel.items(), 2):
        if t is not None and tensor_arg(t, op, name, position).numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")


def _standardize(input: Tensor, dims: tuple, eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps) over `dims`, with the biased variance."""
    centered = input - reduction.mean(input, dims, keepdim=True)
    variance = reduction.mean(centered * centered, dims, keepdim=True)
    return centered * ew.rsqrt(variance + eps)


def _affine(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    if weight is not None:
        x = x * weight
    return x if bias is None else x + bias


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Standardises over the last len(normalized_shape) dims, then applies weight and bias."""
    dims = _normalized_dims("layer_norm", input, normalized_shape, weight=weight, bias=bias)
    dtype = input._data.dtype
    if dtype.kind == "f" and all(t is None or t._data.dtype == dtype for t in (weight, bias)):
        return fused.LayerNorm.apply(input, weight, bias, dims=len(dims), eps=eps)
    return _affine(_standardize(input, dims, eps), weight, bias)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the last dims, times weight; eps defaults to the dtype's
    machine epsilon, as in PyTorch."""
    dims = _normalized_dims("rms_norm", input, normalized_shape, weight=weight)
    if not input.is_floating_point():
        # PyTorch's NotImplementedError is a RuntimeError; finfo below would raise NumPy's.
        raise RuntimeError(f"rms_norm: not implemented for {input.dtype.name} input; it takes "
                           f"floating point tensors")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    result = input * ew.rsqrt(reduction.mean(input * input, dims, keepdim=True) + eps)
    return result if weight is None else result * weight


def _channel_shape(input: Tensor) -> tuple:
    """(C, 1, 1, ...): how a per-channel vector broadcasts against (N, C, ...)."""
    return (input.shape[1],) + (1,) * (input.ndim - 2)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Standardises each group of channels of each sample, then applies per-channel affine."""
    tensor_arg(input, "group_norm")
    if not isinstance(num_groups, (int, np.integer)):
        raise TypeError(f"group_norm(): argument 'num_groups' (position 2) must be int, not "
                        f"{type_name(num_groups)}")
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for position, name, t in ((3, "weight", weight), (4, "bias", bias)):
        if t is None:
            continue
        if tuple(tensor_arg(t, "group_norm", name, position).shape) != (input.shape[1],):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    batch = input.shape[0]
    grouped = input.reshape(batch, num_groups, -1)
    normalized = _standardize(grouped, (2,), eps).reshape(input.shape)
    channel = _channel_shape(input)
    return _affine(normalized, None if weight is None else weight.reshape(channel),
                   None if bias is None else bias.reshape(channel))


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Standardises each channel (dim 1) over the batch and spatial dims.

    In training, batch statistics are used and the running ones updated in place:
    running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance.
    Otherwise the running statistics are used.
    """
    _check_per_channel(input, "batch_norm", running_mean=running_mean, running_var=running_var,
                       weight=weight, bias=bias)
    dims = (0,) + tuple(range(2, input.ndim))
    channel = _channel_shape(input)
    if training or running_mean is None:
        count = input.numel() // input.shape[1]
        if training and count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        mean = reduction.mean(input, dims, keepdim=True)
        centered = input - mean
        variance = reduction.mean(centered * centered, dims, keepdim=True)
        if training and running_mean is not None:
            with no_grad():
                unbiased = variance.detach().reshape(-1) * (count / max(count - 1, 1))
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(-1) * momentum)
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
        normalized = centered * ew.rsqrt(variance + eps)
    else:
        normalized = (input - running_mean.reshape(channel)) * \
            ew.rsqrt(running_var.reshape(channel) + eps)
    return _affine(normalized, None if weight is None else weight.reshape(channel),
                   None if bias is None else bias.reshape(channel))


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Standardises each channel of each sample over its spatial dims.

    With use_input_stats=False the running statistics are used instead; otherwise given
    running statistics are updated with the per-sample statistics averaged over the batch
    (unbiased variance), as PyTorch does.
    """
    count = math.prod(input.shape[2:])
    if use_input_stats and count <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{list(input.shape)}")
    _check_per_channel(input, "instance_norm", running_mean=running_mean,
                       running_var=running_var, weight=weight, bias=bias)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, 0.0, eps)
    dims = tuple(range(2, input.ndim))
    if running_mean is not None and running_var is not None:
        with no_grad():
            data = input.detach()
            centered = data - reduction.mean(data, dims, keepdim=True)
            variance = reduction.sum(centered * centered, dims) / (count - 1)
            running_mean.mul_(1 - momentum).add_(reduction.mean(data, (0,) + dims) * momentum)
            running_var.mul_(1 - momentum).add_(reduction.mean(variance, 0) * momentum)
    normalized = _standardize(input, dims, eps)
    channel = _channel_shape(input)
    return _affine(normalized, None if weight is None else weight.reshape(channel),
                   None if bias is None else bias.reshape(channel))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along `dim`."""
    norm = reduction.norm(input, p, dim, keepdim=True)
    return input / ew.clamp(norm, min=eps)
