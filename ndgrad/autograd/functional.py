"""Derivatives of whole functions, as PyTorch's torch.autograd.functional: vjp, jvp, jacobian,
hessian, vhp, hvp.

`inputs` is a Tensor or a tuple of Tensors; results follow that structure (and the outputs'),
as in PyTorch. Without create_graph the results are detached; with it they are differentiable.
jvp and hvp use the double-backward identity: u -> J^T u is linear, so J v = d<J^T u, v>/du.
`vectorize` is accepted and has no effect: Jacobians are built one reverse pass per row.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd import grad as _autograd_grad
from ndgrad.autograd.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from ndgrad.ops.shape import stack

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(value, what: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(v).__name__}.")
    return is_tuple, values


def _untuple(values, is_tuple):
    """`values` (nested one level per flag) as a tuple or a single item, as the input was."""
    if isinstance(is_tuple, tuple):
        outer, inner = is_tuple
        values = tuple(_untuple(v, inner) for v in values)
        return values if outer else values[0]
    return values if is_tuple else values[0]


def _preprocess(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs that record: connected to an outer graph when create_graph asks for one."""
    return tuple(x[...] if create_graph and x.requires_grad
                 else x.detach().requires_grad_() for x in inputs)


def _postprocess(values, create_graph: bool):
    if isinstance(values, tuple):
        return tuple(_postprocess(v, create_graph) for v in values)
    return values if create_graph else values.detach()


def _check_requires_grad(values: tuple, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, value in enumerate(values):
        if value is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if value.requires_grad:
            continue
        if kind == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the "
                               "inputs of the user-provided function. This is not allowed in "
                               "strict mode.")
        if kind == "hessian":
            raise RuntimeError(f"The hessian of the user-provided function with respect to "
                               f"input {i} is independent of the input. This is not allowed in "
                               "strict mode.")
        if kind == "jacobian":
            raise RuntimeError("While computing the hessian, found that the jacobian of the "
                               f"user-provided function with respect to input {i} is "
                               "independent of the input. This is not allowed in strict mode. "
                               "You should ensure that your function is twice differentiable "
                               "and that the jacobian depends on the inputs (this would be "
                               "violated by a linear function for example).")
        raise RuntimeError(f"Output {i} of the user-provided function does not require "
                           "gradients. The outputs must be computed in a differentiable manner "
                           "from the input when running in strict mode.")


def _grad(outputs: tuple, inputs: tuple, grad_outputs, create_graph: bool,
          retain_graph: bool | None = None) -> tuple:
    """autograd.grad over the outputs that require grad; None for unconnected inputs."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _autograd_grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                          retain_graph=retain_graph, create_graph=create_graph,
                          allow_unused=True)


# What an entry that came back None means, per computation, for the strict error.
_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian.",
}


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool,
                   stage: str) -> tuple:
    """`grads` with zeros for None; under strict, a None (or, with create_graph, a result that
    does not depend on the inputs) is an error."""
    filled = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i)
                                   + " This is not allowed in strict mode.")
            g = Tensor._make(np.zeros(ref.shape, ref._data.dtype))
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        filled.append(g)
    return tuple(filled)


def _validate_v(v: tuple, refs: tuple, is_tuple: bool) -> None:
    if len(v) != len(refs):
        what = "outputs" if is_tuple else "output"
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got "
                           f"{len(v)}." if is_tuple else
                           f"The given v should contain a single Tensor (one per {what}).")
    for i, (a, b) in enumerate(zip(v, refs)):
        if a.shape != b.shape:
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {list(b.shape)} "
                               f"but got {list(a.shape)}.")


def _default_v(refs: tuple, given, fn: str, what: str):
    """The given v as a tuple, or a single one when `refs` is one single-element Tensor."""
    if given is not None:
        return _as_tuple(given, "variable v", fn)[1]
    if len(refs) != 1 or refs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the {what} to the user-provided "
                           "function is a single Tensor with a single element.")
    return (Tensor._make(np.ones(refs[0].shape, refs[0]._data.dtype)),)


def _run(func: Callable, inputs: tuple, fn: str, strict: bool) -> tuple[bool, tuple]:
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn)
    _check_requires_grad(outputs, "outputs", strict)
    return is_tuple, outputs


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product at `inputs`."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph)
        is_outputs_tuple, outputs = _run(func, inputs, "vjp", strict)
        v = _default_v(outputs, v, "vjp", "output")
        _validate_v(v, outputs, is_outputs_tuple)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(outputs, inputs, v, create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_untuple(_postprocess(outputs, create_graph), is_outputs_tuple),
            _untuple(_postprocess(result, create_graph), is_inputs_tuple))


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product at `inputs`, by the double-backward
    identity."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _preprocess(inputs, create_graph)
        v = _default_v(inputs, v, "jvp", "input")
        _validate_v(v, inputs, is_inputs_tuple)
        is_outputs_tuple, outputs = _run(func, inputs, "jvp", strict)
        seeds = tuple(Tensor._make(np.zeros(o.shape, o._data.dtype)).requires_grad_()
                      for o in outputs)
        grad_inputs = _grad(outputs, inputs, seeds, True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        connected = [(g, t) for g, t in zip(grad_inputs, v) if g is not None]
        products = _grad(tuple(g for g, _ in connected), seeds, tuple(t for _, t in connected),
                         create_graph) if connected else (None,) * len(seeds)
        result = _fill_in_zeros(products, outputs, strict, create_graph, "back_trick")
    return (_untuple(_postprocess(outputs, create_graph), is_outputs_tuple),
            _untuple(_postprocess(result, create_graph), is_outputs_tuple))


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of `func` at `inputs`: J[i][j] has shape outputs[i].shape +
    inputs[j].shape, one reverse pass per output element (either strategy)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         f'Got {strategy!r}.')
    if strategy == "forward-mode" and strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           "`strategy=\"forward-mode\"` are not supported together (yet). "
                           "Please either set `strict=False` or `strategy=\"reverse-mode\"`.")
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph)
        is_outputs_tuple, outputs = _run(func, inputs, "jacobian", strict)
        jac = tuple(_output_jacobian(i, out, inputs, create_graph, strict)
                    for i, out in enumerate(outputs))
    return _untuple(_postprocess(jac, create_graph), (is_outputs_tuple, is_inputs_tuple))


def _output_jacobian(i: int, out: Tensor, inputs: tuple, create_graph: bool,
                     strict: bool) -> tuple:
    """The Jacobian blocks of output `i`, one per input."""
    rows = [[] for _ in inputs]
    flat = out.reshape(-1)
    for k in range(out.numel()):
        with set_grad_enabled(create_graph or is_grad_enabled()):
            grads = _grad((flat[k],), inputs, None, create_graph, retain_graph=True)
        for j, (g, x) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is "
                                       f"independent of input {j}. This is not allowed in "
                                       "strict mode.")
                g = Tensor._make(np.zeros(x.shape, x._data.dtype))
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(f"The jacobian of the user-provided function is "
                                   f"independent of input {i}. This is not allowed in strict "
                                   "mode when create_graph=True.")
            rows[j].append(g)
    blocks = []
    for x, parts in zip(inputs, rows):
        shape = tuple(out.shape) + tuple(x.shape)
        blocks.append(stack(parts).reshape(shape) if parts
                      else Tensor._make(np.zeros(shape, x._data.dtype)))
    return tuple(blocks)


def _scalar_output(func: Callable, inputs: tuple, fn: str, strict: bool) -> Tensor:
    out = func(*inputs)
    if not isinstance(out, Tensor):
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    _check_requires_grad((out,), "outputs", strict)
    if out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should contain "
                           "a single element")
    return out


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of the scalar function `func` at `inputs`: H[i][j] has shape
    inputs[i].shape + inputs[j].shape (the Jacobian of its gradient)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args):
        def scalar(*inner):
            return _scalar_output(func, inner, "hessian", strict).squeeze()
        jac = jacobian(scalar, args, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      strategy=outer_jacobian_strategy)
    return _untuple(result, (is_inputs_tuple, is_inputs_tuple))


def _first_derivative(func: Callable, inputs, v, fn: str, strict: bool, create_graph: bool):
    """What vhp and hvp share: (is_inputs_tuple, inputs, v, output, gradient of the output)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _preprocess(inputs, create_graph)
    v = _default_v(inputs, v, fn, "input")
    _validate_v(v, inputs, is_inputs_tuple)
    output = _scalar_output(func, inputs, fn, strict)
    jac = _grad((output,), inputs, None, True)
    _check_requires_grad(jac, "jacobian", strict)
    return is_inputs_tuple, inputs, v, output, jac


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H): the vector-Hessian product of a scalar function."""
    with enable_grad():
        is_inputs_tuple, inputs, v, output, jac = _first_derivative(
            func, inputs, v, "vhp", strict, create_graph)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        products = _grad(jac, inputs, v, create_graph)
        result = _fill_in_zeros(products, inputs, strict, create_graph, "double_back")
    return (_postprocess(output, create_graph),
            _untuple(_postprocess(result, create_graph), is_inputs_tuple))


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v): the Hessian-vector product of a scalar function, by the
    double-backward identity applied to its gradient."""
    with enable_grad():
        is_inputs_tuple, inputs, v, output, jac = _first_derivative(
            func, inputs, v, "hvp", strict, create_graph)
        seeds = tuple(Tensor._make(np.zeros(x.shape, x._data.dtype)).requires_grad_()
                      for x in inputs)
        double_back = _grad(jac, inputs, seeds, True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        products = _grad(double_back, seeds, v, create_graph)
        result = _fill_in_zeros(products, inputs, strict, create_graph, "double_back_trick")
    return (_postprocess(output, create_graph),
            _untuple(_postprocess(result, create_graph), is_inputs_tuple))
