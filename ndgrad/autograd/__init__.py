"""Reverse-mode automatic differentiation: backward, grad, Function, grad modes, gradcheck."""
from __future__ import annotations

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.autograd import engine
from ndgrad.autograd.function import Function
from ndgrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from ndgrad.autograd.grad_mode import (detect_anomaly, enable_grad, is_anomaly_enabled,
                                       is_grad_enabled, no_grad, set_detect_anomaly,
                                       set_grad_enabled)

__all__ = ["Function", "backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled"]


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _tensors(x, what: str, error: type) -> list:
    """`x` (a tensor or a sequence of them) as a list, refusing anything but tensors."""
    tensors = _as_list(x)
    for t in tensors:
        if not isinstance(t, Tensor):
            raise error(f"all {what} have to be Tensors, but got {type(t).__name__}")
    return tensors


def _grads_list(outputs, grads) -> list:
    """Gradients given for `outputs`: one (tensor, array or list) for a single output tensor."""
    if grads is None:
        return []
    if isinstance(outputs, Tensor) or isinstance(grads, Tensor):
        return [grads]
    return list(grads)


def _initial_grads(outputs: list, grad_outputs: list) -> list:
    """The gradient each output starts with: the given one, or 1 for a one-element output."""
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got "
                           f"{len(grad_outputs)} gradients for {len(outputs)} outputs")
    grads = []
    for i, output in enumerate(outputs):
        given = grad_outputs[i] if grad_outputs else None
        if given is None:
            if output._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs "
                                   f"(got an output of shape {list(output.shape)}); pass a "
                                   "gradient of that shape to backward()")
            data = output._data
            seed = _backend.array_module(data).empty(data.shape, data.dtype)
            seed.fill(1)  # empty + fill: np.ones is a Python function, 4x slower for one value
            grads.append(Tensor._make(seed))
            continue
        if not isinstance(given, Tensor):
            array = np.asarray(given, dtype=output._data.dtype)
            given = Tensor._make(_backend.move_to(array, output.device))
        elif given._data.dtype != output._data.dtype:
            given = given.to(output.dtype)  # as PyTorch: a float64 seed for a float32 output
        if given.shape != output.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{list(given.shape)} and output[{i}] has a shape of "
                               f"{list(output.shape)}.")
        grads.append(given)
    return grads


def _check_requires_grad(outputs: list) -> None:
    for i, output in enumerate(outputs):
        if not output.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulates gradients of `tensors` into the .grad of the leaves of their graph."""
    outputs = _tensors(tensors, "outputs", TypeError)
    _check_requires_grad(outputs)
    grads = _initial_grads(outputs, _grads_list(tensors, grad_tensors))
    retain_graph = create_graph if retain_graph is None else retain_graph
    targets = None if inputs is None else _tensors(inputs, "inputs", RuntimeError)
    engine.run_backward(outputs, grads, retain_graph, create_graph, inputs=targets,
                        allow_unused=True, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, leaving every .grad untouched."""
    given_grads = _grads_list(outputs, grad_outputs)
    outputs = _tensors(outputs, "outputs", TypeError)
    targets = _tensors(inputs, "inputs", RuntimeError)
    _check_requires_grad(outputs)
    for t in targets:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outputs, given_grads)
    retain_graph = create_graph if retain_graph is None else retain_graph
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    results = engine.run_backward(outputs, grads, retain_graph, create_graph, inputs=targets,
                                  allow_unused=allow_unused)
    if materialize_grads:
        results = tuple(Tensor._make(np.zeros_like(t._data)) if g is None else g
                        for t, g in zip(targets, results))
    return results
