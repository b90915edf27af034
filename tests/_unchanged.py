"""Checks that a call which raised left everything it was given exactly as it was.

`snapshot(obj)` records, as comparable nested tuples, everything reachable from `obj`: a
tensor's values, shape, dtype, version counter, requires_grad and grad; any other object's
attributes (so a module's parameters, buffers, submodules and training flags, an optimizer's
param_groups and state, a scheduler's counters), following lists, tuples and dicts. Functions
and classes are compared by identity. `check_ndgrad` and `check_torch` run a `Mistake` row
(tests/ops/_mistakes.py) against this record.
"""
from __future__ import annotations

import types

import numpy as np
import pytest

import ndgrad
from tests.ops._mistakes import Mistake

_ATOMS = (str, bytes, int, float, complex, bool, type(None))
_BY_IDENTITY = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type,
                types.ModuleType)


def _array(a: np.ndarray) -> tuple:
    return ("ndarray", a.shape, str(a.dtype), np.ascontiguousarray(a).tobytes())


def _key(k):
    return ("Tensor", id(k)) if isinstance(k, ndgrad.Tensor) else k


def snapshot(obj, _seen: set | None = None):
    """A comparable record of `obj` and everything it holds (see the module docstring)."""
    seen = set() if _seen is None else _seen
    if isinstance(obj, _ATOMS):
        return obj
    if isinstance(obj, ndgrad.Tensor):
        grad = None if obj.grad is None else snapshot(obj.grad, seen)
        return ("Tensor", id(obj), _array(obj.detach().numpy()), obj._version,
                obj.requires_grad, grad)
    if isinstance(obj, np.ndarray):
        return _array(obj)
    if isinstance(obj, _BY_IDENTITY) or id(obj) in seen:
        return ("same object", id(obj))
    seen.add(id(obj))
    if isinstance(obj, dict):
        return (type(obj).__name__, tuple((_key(k), snapshot(v, seen)) for k, v in obj.items()))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(snapshot(v, seen) for v in obj))
    if isinstance(obj, (set, frozenset)):
        return (type(obj).__name__, frozenset(_key(v) for v in obj))
    if hasattr(obj, "__dict__"):
        return (type(obj).__name__, id(obj), snapshot(vars(obj), seen))
    return ("object", type(obj).__name__, id(obj))


def _first_difference(before, after, path: str = "") -> str:
    """Where two snapshots first differ, as an attribute/index path."""
    if type(before) is not type(after) or not isinstance(before, tuple) or \
            len(before) != len(after):
        return f"{path or 'the input'}: {str(before)[:120]} -> {str(after)[:120]}"
    for i, (b, a) in enumerate(zip(before, after)):
        if b != a:
            return _first_difference(b, a, f"{path}[{i}]")
    return path


def check_ndgrad(mistake: Mistake) -> None:
    """ndgrad raises the row's error with its message, and its inputs come out unchanged."""
    inputs = mistake.inputs(ndgrad)
    before = snapshot(inputs)
    with pytest.raises(mistake.error, match=mistake.match):
        mistake.call(ndgrad, *inputs)
    after = snapshot(inputs)
    assert after == before, f"{mistake.name} changed {_first_difference(before, after)}"


def check_torch(mistake: Mistake, torch) -> None:
    """torch raises the row's exception class (or its torch_error) for the same call.

    Only the class is compared: PyTorch does change some inputs before it raises (BatchNorm's
    batch counter, the entries of a state_dict that fit), which ndgrad does not.
    """
    with pytest.raises(mistake.torch_error or mistake.error):
        mistake.call(torch, *mistake.inputs(torch))
