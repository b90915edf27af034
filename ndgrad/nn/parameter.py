"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that, assigned as a Module attribute, joins `module.parameters()`.

    It shares storage with the tensor it is made from, as in PyTorch.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            array = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        parameter = object.__new__(cls)
        parameter._init(array, False, None, 0)
        parameter.requires_grad_(requires_grad)
        return parameter

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # all set up in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        raise TypeError("ndgrad tensors are saved with ndgrad.save, not pickled")

    def __deepcopy__(self, memo: dict) -> Parameter:
        """A new Parameter with copied data and gradient (copy.deepcopy(model) works, and
        parameters shared inside the copied object stay shared)."""
        if id(self) not in memo:
            result = Parameter(self.detach().clone(), self.requires_grad)
            if self.grad is not None:
                result.grad = self.grad.detach().clone()
            memo[id(self)] = result
        return memo[id(self)]


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data: Tensor, *, persistent: bool = True):
        buffer = object.__new__(cls)
        buffer._init(data._data, False, None, 0)
        buffer.persistent = persistent
        return buffer

    def __init__(self, data: Tensor, *, persistent: bool = True) -> None:
        pass  # all set up in __new__

    def __deepcopy__(self, memo: dict) -> Buffer:
        if id(self) not in memo:
            memo[id(self)] = Buffer(self.detach().clone(), persistent=self.persistent)
        return memo[id(self)]
