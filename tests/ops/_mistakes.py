"""The table row shared by the error tests (tests/ops/test_errors*.py, tests/nn, ...).

A `Mistake` is one wrong call to the public API. `tests/_unchanged.py` runs it on ndgrad
(PyTorch's exception class, a message naming the op, argument, shapes or dtypes, and every
input left exactly as it was) and on torch (the same class).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

BROADCAST = "The size of tensor a \\({}\\) must match the size of tensor b \\({}\\) at " \
            "non-singleton dimension {}"
DIM_RANGE = "Dimension out of range \\(expected to be in range of \\[{}, {}\\], but got {}\\)"
NEGATIVE_POWER = "Integers to negative integer powers are not allowed"
LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation"


def _no_inputs(module) -> tuple:
    return ()


@dataclass(frozen=True)
class Mistake:
    """`call(module, *inputs(module))` makes a mistake with `module`'s API (ndgrad's or torch's).

    ndgrad raises `error` with a message matching `match`; torch raises `torch_error` (the
    same type unless given) for the same call. The tensors `inputs` makes must come out of
    the failed call unchanged.
    """

    name: str
    call: Callable
    error: type
    match: str
    torch_error: type | None = None
    inputs: Callable = _no_inputs

    def __str__(self) -> str:
        return self.name


def leaf(module, *shape):
    """A leaf that requires grad and already holds a gradient (of ones)."""
    x = module.arange(float(np.prod(shape, dtype=int))).reshape(shape).requires_grad_()
    x.sum().backward()
    return x
