"""Affine maps: linear and bilinear."""
from __future__ import annotations

from ndgrad._tensor import Tensor
from ndgrad.ops import fused, linalg


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, over the last dim of input (weight: out x in)."""
    if input._data.shape[-1:] != weight._data.shape[-1:]:
        rows = input.numel() // max(input.shape[-1], 1)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} "
                           f"and {weight.shape[-1]}x{weight.shape[0]})")
    return fused.linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1 @ weight[k] @ x2 + bias_k, over the last dims (weight: out x in1 x in2)."""
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear: input sizes {input1.shape[-1]} and {input2.shape[-1]} do "
                           f"not match weight of shape {list(weight.shape)}")
    output = linalg.einsum("...i,oij,...j->...o", input1, weight, input2)
    return output if bias is None else output + bias
