"""Flattening parameters into one vector and back."""
from __future__ import annotations

from typing import Iterable

from ndgrad._tensor import Tensor
from ndgrad.ops.shape import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param: Tensor, device) -> object:
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return param.device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated into one 1-d tensor (differentiable)."""
    device = None
    flat = []
    for param in parameters:
        device = _check_device(param, device)
        flat.append(param.view(-1))
    return cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Sets each parameter's data to the next slice of `vec`, in order; as in PyTorch, the
    parameters then share storage with `vec`."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    total = sum(param.numel() for param in parameters)
    if vec.ndim != 1 or vec.numel() < total:
        # Checked first: PyTorch fails part way, with the earlier parameters already replaced.
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vec of at least {total} "
                           f"elements (the parameters' total), got vec of shape "
                           f"{list(vec.shape)}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_device(param, device)
        count = param.numel()
        param.data = vec[pointer:pointer + count].view_as(param).data
        pointer += count
