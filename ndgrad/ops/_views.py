"""Views: tensors that share storage with a base tensor, and how to rebuild them from it.

A view records its base (the tensor that owns the storage), the steps that derive it (e.g.
`[(getitem, (key,)), (permute, (dims,))]`) and the base's version when its history was last
set. Views share the base's version counter, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import enable_grad


class ViewInfo:
    """What makes a tensor a view: its base, the steps from the base, the base's version."""

    __slots__ = ("base", "steps", "version")

    def __init__(self, base: Tensor, steps: tuple, version: int) -> None:
        self.base, self.steps, self.version = base, steps, version


def mark_view(output: Tensor, input: Tensor, function, *args) -> Tensor:
    """Records that `output` = function(input, *args) shares input's storage; returns output."""
    if output is input or not _shares_storage(output._data, input._data):
        return output
    if input._view is not None:
        base, steps = input._view.base, input._view.steps + ((function, args),)
    else:
        base, steps = input, ((function, args),)
    output._vc = base._vc
    output._view = ViewInfo(base, steps, base._vc[0])
    return output


def _shares_storage(output, input) -> bool:
    if output.size and input.size:
        return np.may_share_memory(output, input)
    # An empty array overlaps nothing, but an empty slice is still a view (an in-place op
    # on it joins the base's graph, as in PyTorch): it keeps the base's buffer as its root.
    return _root(output) is _root(input)


def _root(array):
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def replay(base: Tensor, steps: tuple) -> Tensor:
    """Applies a view's steps to `base` (or to a stand-in of the base's shape)."""
    t = base
    for function, args in steps:
        t = function(t, *args)
    return t


def adopt_history(target: Tensor, source: Tensor) -> None:
    """Gives `target` the autograd history of `source`, which computed its new value."""
    old_node, old_nr = target._grad_fn, target._output_nr
    target.grad_fn = source.grad_fn
    target._output_nr = source._output_nr
    target._requires_grad = source._requires_grad
    if source.grad_fn is not None:
        source.grad_fn._rebind_output(source, target)
    if target._retains_grad and old_node is not None and old_node is not target._grad_fn:
        _move_retained_grad(target, old_node, old_nr)


def _move_retained_grad(target: Tensor, old_node, old_nr: int) -> None:
    """retain_grad follows a tensor to its new node, as in PyTorch: `.grad` is then the
    gradient of its latest value; hooks registered earlier stay with the old value."""
    hooks = getattr(old_node, "_output_hooks", {})
    entry = hooks.get(old_nr)
    if entry is not None and entry[0]() is target:
        hooks[old_nr] = (_no_tensor, entry[1])
    if target._grad_fn is not None:
        target._output_hook_list()


def _no_tensor() -> None:
    """Stands for a dead weak reference: the old node retains no tensor's grad any more."""
    return None


def refresh(view: Tensor) -> None:
    """Rebuilds a view's history from its base after the base changed in place.

    A base outside the graph leaves the view as it is (it may be a leaf of its own, as in
    PyTorch). The steps are replayed with grad mode on: a refresh first asked for under
    no_grad must still give the view its history, since the version it records is not redone.
    """
    info = view._view
    base = info.base
    if base._vc[0] == info.version or not base._requires_grad:
        return
    with enable_grad():
        fresh = replay(base, info.steps)
    info.version = base._vc[0]
    adopt_history(view, fresh)


def base_positions(view: Tensor) -> np.ndarray:
    """For each element of a view, its flat position in the base."""
    info = view._view
    stand_in = Tensor._make(np.arange(info.base._data.size).reshape(info.base._data.shape))
    return replay(stand_in, info.steps)._data
