"""Forward-mode automatic differentiation with dual tensors, as torch.autograd.forward_ad.

Inside `dual_level()`, `make_dual(x, t)` gives a tensor that carries the tangent t, and every
op applied to dual tensors gives outputs carrying J t (read with `unpack_dual`). No op has a
hand-written forward derivative: each op's tangent comes from its reverse-mode formula by the
double-backward identity (see Note [tangent by double backward]), so every op that has a
backward has a forward derivative too.

# Note [tangent by double backward]
For y = f(x), the backward maps u to J^T u, linearly in u. Differentiating <J^T u, t> in u
gives J t. Per op: rerun it on fresh leaves, take J^T u with create_graph=True for a recorded
zero seed u, then one more backward in u with t as the gradient. That costs the op's forward
and two backwards of it, and only while a dual level is active: Function.apply calls this
module's hook only then (autograd/function.py `_forward_hook`).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd import function as _function
from ndgrad.autograd import grad as _grad
from ndgrad.autograd.grad_mode import enable_grad

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

# id(dual tensor) -> (the tensor, its tangent, its version then), for the active level. Holding
# the tensor keeps its id from being reused while the level lasts; exit_dual_level drops them
# all. The version catches an in-place op on a dual tensor, which does not carry its tangent.
_tangents: dict = {}
_level = None


def enter_dual_level() -> int:
    """Starts a dual level (only one at a time, as in PyTorch) and returns its index."""
    global _level
    if _level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _level = 0
    _function._forward_hook = _propagate
    return _level


def exit_dual_level(*, level: int | None = None) -> None:
    """Ends the dual level: every tangent made in it is dropped."""
    global _level
    if _level is None or level not in (None, _level):
        raise RuntimeError(f"Trying to exit a forward AD level ({level}) that was not the last "
                           "one entered.")
    _function._forward_hook = None
    _tangents.clear()
    _level = None


class dual_level:
    """Context manager for a dual level: dual tensors made inside lose their tangents on exit."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc_info) -> None:
        exit_dual_level()


def _check_level(level, what: str) -> None:
    if _level is None:
        raise RuntimeError(f"{what}: no forward AD level exists, make sure to enter_dual_level() "
                           "first (or use `with dual_level():`).")
    if level not in (None, _level):
        raise RuntimeError(f"{what}: level {level} is not the active forward AD level {_level}")


class _HookOff:
    """Runs ops without tangent propagation: inside the hook itself, and for views whose
    tangent is set by hand."""

    def __enter__(self) -> None:
        self.previous, _function._forward_hook = _function._forward_hook, None

    def __exit__(self, *exc_info) -> None:
        _function._forward_hook = self.previous


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of `tensor` (in its autograd graph) that carries `tangent` as its forward
    gradient."""
    _check_level(level, "make_dual")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual expects Tensors, got {type(tensor).__name__} and "
                        f"{type(tangent).__name__}")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than "
                           f"that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    with _HookOff():
        dual = tensor[...]  # a new view: view_as would return tensor itself
    _tangents[id(dual)] = (dual, tangent.detach().to(tensor.dtype), dual._vc[0])
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of a dual tensor: the primal as a view without the tangent; tangent
    is None for a tensor that carries none (or outside a dual level)."""
    if _level is None or id(tensor) not in _tangents:
        return UnpackedDualTensor(tensor, None)
    with _HookOff():
        primal = tensor[...]
    return UnpackedDualTensor(primal, _tangent(tensor))


def _tangent(tensor: Tensor) -> Tensor:
    """The tangent of a dual tensor, refused once the tensor has been changed in place."""
    _, tangent, version = _tangents[id(tensor)]
    if tensor._vc[0] != version:
        raise RuntimeError(f"forward AD: a dual tensor of shape {list(tensor.shape)} was "
                           "modified by an in-place operation, which ndgrad does not carry "
                           "tangents through; use the out-of-place operation instead.")
    return tangent


def _propagate(cls, args: tuple, kwargs: dict):
    """Function.apply while a dual level is active: the op's outputs, given the tangents of
    their dual inputs."""
    duals = [i for i, a in enumerate(args) if isinstance(a, Tensor) and id(a) in _tangents]
    with _HookOff():
        result = cls.apply(*args, **kwargs)
        if duals:
            _attach(result, _output_tangents(cls, args, kwargs, duals))
    return result


def _output_tangents(cls, args: tuple, kwargs: dict, duals: list) -> list:
    """The tangent of each output of cls(*args), None for non-float outputs (see Note
    [tangent by double backward])."""
    inputs = [Tensor._make(a._data, i in duals) if isinstance(a, Tensor) else a
              for i, a in enumerate(args)]
    with enable_grad():
        rerun = cls.apply(*inputs, **kwargs)
    outputs = rerun if isinstance(rerun, tuple) else (rerun,)
    recorded = [o for o in outputs if o.requires_grad]
    seeds = []
    with enable_grad():
        for o in recorded:
            seeds.append(Tensor._make(np.zeros_like(o._data), True))
    found = [None] * len(recorded)
    if recorded:
        leaves = [inputs[i] for i in duals]
        vjps = _grad(recorded, leaves, seeds, create_graph=True, allow_unused=True)
        pairs = [(g, _tangent(args[i])) for g, i in zip(vjps, duals)
                 if g is not None and g.requires_grad]
        if pairs:
            found = _grad([g for g, _ in pairs], seeds, [t for _, t in pairs],
                          allow_unused=True)
    by_output = dict(zip(map(id, recorded), found))
    tangents = []
    for o in outputs:
        if o._data.dtype.kind != "f":
            tangents.append(None)
            continue
        t = by_output.get(id(o))
        tangents.append(Tensor._make(np.zeros_like(o._data)) if t is None else t)
    return tangents


def _attach(result, tangents: list) -> None:
    outputs = result if isinstance(result, tuple) else (result,)
    for o, t in zip(outputs, tangents):
        if t is not None and isinstance(o, Tensor):
            _tangents[id(o)] = (o, t, o._vc[0])
