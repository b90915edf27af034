"""Affine maps: linear and bilinear."""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.ops import fused, linalg
from ndgrad.ops._common import tensor_arg


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, over the last dim of input (weight: out x in, or in)."""
    # Raw array shapes, and the general bias check only off the common path: this runs for
    # every layer of every step (Size objects and np.broadcast_shapes cost ~8 us a call).
    input, weight = tensor_arg(input, "linear"), tensor_arg(weight, "linear", "weight", 2)
    shape, weight_shape = input._data.shape, weight._data.shape
    if not shape or not weight_shape:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{len(shape)}D and {len(weight_shape)}D")
    if len(weight_shape) > 2:
        raise RuntimeError(f"linear: weight must be 1-D or 2-D (out_features x in_features), "
                           f"got weight of shape {list(weight_shape)}")
    if shape[-1] != weight_shape[-1]:
        rows = input.numel() // max(shape[-1], 1)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1]} "
                           f"and {weight_shape[-1]}x{weight_shape[0]})")
    if bias is not None and tensor_arg(bias, "linear", "bias", 3)._data.shape != \
            weight_shape[:-1]:
        output_shape = shape[:-1] + weight_shape[:-1]
        if not _expands_to(bias._data.shape, output_shape):
            raise RuntimeError(f"linear: bias of shape {list(bias.shape)} does not broadcast "
                               f"to the output shape {list(output_shape)}")
    return fused.linear(input, weight, bias)


def _expands_to(shape: tuple, target: tuple) -> bool:
    """Whether a tensor of `shape` can be expanded (broadcast one way) to `target`."""
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1 @ weight[k] @ x2 + bias_k, over the last dims (weight: out x in1 x in2)."""
    input1 = tensor_arg(input1, "bilinear", "input1", 1)
    input2 = tensor_arg(input2, "bilinear", "input2", 2)
    weight = tensor_arg(weight, "bilinear", "weight", 3)
    if weight.ndim != 3 or input1.ndim == 0 or input2.ndim == 0:
        raise RuntimeError(f"bilinear(): expected inputs of at least 1 dim and a 3-D weight "
                           f"(out, in1, in2), got input1 {list(input1.shape)}, input2 "
                           f"{list(input2.shape)} and weight {list(weight.shape)}")
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear: input sizes {input1.shape[-1]} and {input2.shape[-1]} do "
                           f"not match weight of shape {list(weight.shape)}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{list(bias.shape)} but expected [{weight.shape[0]}]")
    output = linalg.einsum("...i,oij,...j->...o", input1, weight, input2)
    return output if bias is None else output + bias
