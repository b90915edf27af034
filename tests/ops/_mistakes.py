"""The table row and checks shared by the tests/ops/test_errors*.py files.

A `Mistake` is one wrong call to the public API. The checks run it on ndgrad (PyTorch's
exception class, a message naming the op, argument, shapes or dtypes) and on torch (the same
class), and check that the failed call left its inputs exactly as they were.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import ndgrad

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


def _tensors(inputs: tuple) -> list:
    """The tensors among `inputs`, also inside lists and tuples."""
    found = []
    for item in inputs:
        if isinstance(item, (list, tuple)):
            found.extend(_tensors(item))
        elif hasattr(item, "requires_grad"):
            found.append(item)
    return found


def _state(t) -> tuple:
    """Everything a failed call must leave alone: values, shape, dtype, version, autograd."""
    grad = None if t.grad is None else t.grad.detach().numpy().copy()
    return (t.detach().numpy().copy(), tuple(t.shape), str(t.dtype), t._version,
            t.requires_grad, grad)


def _assert_same_state(before: tuple, after: tuple, name: str) -> None:
    values, shape, dtype, version, requires_grad, grad = before
    assert (after[1], after[2], after[3], after[4]) == (shape, dtype, version, requires_grad), \
        f"{name}: shape, dtype, version or requires_grad changed"
    np.testing.assert_array_equal(after[0], values, err_msg=f"{name}: values changed")
    assert (after[5] is None) == (grad is None), f"{name}: grad appeared or vanished"
    if grad is not None:
        np.testing.assert_array_equal(after[5], grad, err_msg=f"{name}: grad changed")


def _raises_and_changes_nothing(mistake: Mistake, module, error: type, match: str | None):
    inputs = mistake.inputs(module)
    tensors = _tensors(inputs)
    before = [_state(t) for t in tensors]
    with pytest.raises(error, match=match):
        mistake.call(module, *inputs)
    for old, t in zip(before, tensors):
        _assert_same_state(old, _state(t), mistake.name)


def check_ndgrad(mistake: Mistake) -> None:
    """ndgrad raises the row's error and message, and changes none of the inputs."""
    _raises_and_changes_nothing(mistake, ndgrad, mistake.error, mistake.match)


def check_torch(mistake: Mistake, torch) -> None:
    """torch raises the same exception class for the same call (the row's oracle)."""
    _raises_and_changes_nothing(mistake, torch, mistake.torch_error or mistake.error, None)
