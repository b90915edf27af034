"""gradcheck and gradgradcheck: autograd's gradients against finite differences."""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised when an analytical gradient disagrees with the numerical one."""


def _as_tuple(x) -> tuple:
    if isinstance(x, list):
        return tuple(x)
    return x if isinstance(x, tuple) else (x,)


def _differentiable_inputs(inputs: tuple) -> list:
    return [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _outputs_as_arrays(func, inputs: tuple) -> list:
    with no_grad():
        outputs = _as_tuple(func(*inputs))
    return [np.array(o._data, dtype=np.float64).ravel() for o in outputs
            if isinstance(o, Tensor) and o.is_floating_point()]


def _numerical_jacobians(func, inputs: tuple, eps: float) -> list:
    """For each differentiable input, d(outputs)/d(input) by central differences."""
    jacobians = []
    for _, t in _differentiable_inputs(inputs):
        data = t._data
        columns = []
        for k in range(data.size):
            index = np.unravel_index(k, data.shape)
            original = data[index]
            data[index] = original + eps
            plus = _outputs_as_arrays(func, inputs)
            data[index] = original - eps
            minus = _outputs_as_arrays(func, inputs)
            data[index] = original
            columns.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]
                                          or [np.zeros(0)]))
        jacobians.append(np.stack(columns, axis=1) if columns else None)
    return jacobians


def _analytical_jacobians(func, inputs: tuple) -> list:
    """For each differentiable input, d(outputs)/d(input) by backward, one output at a time."""
    from ndgrad.autograd import grad as autograd_grad

    differentiable = [t for _, t in _differentiable_inputs(inputs)]
    outputs = [o for o in _as_tuple(func(*inputs))
               if isinstance(o, Tensor) and o.is_floating_point()]
    rows = [[] for _ in differentiable]
    for output in outputs:
        for k in range(output.numel()):
            if not output.requires_grad:
                for r, t in zip(rows, differentiable):
                    r.append(np.zeros(t.numel()))
                continue
            seed = np.zeros(output.shape, dtype=output._data.dtype)
            seed.reshape(-1)[k] = 1
            grads = autograd_grad(output, differentiable, Tensor._make(seed),
                                  retain_graph=True, allow_unused=True)
            for r, t, g in zip(rows, differentiable, grads):
                r.append(np.zeros(t.numel()) if g is None else
                         np.array(g._data, dtype=np.float64).ravel())
    return [np.stack(r, axis=0) if r else np.zeros((0, t.numel()))
            for r, t in zip(rows, differentiable)]


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **unused) -> bool:
    """Checks the gradients of `func` at `inputs` against central finite differences.

    Inputs that require grad should be float64. Returns True, or raises GradcheckError naming
    the input and the largest disagreement (returns False if raise_exception is False).
    """
    inputs = _as_tuple(inputs)
    for position, t in _differentiable_inputs(inputs):
        if t.dtype.name != "float64":
            import warnings
            warnings.warn(f"Input #{position} requiring gradient is not a float64 tensor; "
                          "gradcheck may fail from rounding", stacklevel=2)
    numerical = _numerical_jacobians(func, inputs, eps)
    analytical = _analytical_jacobians(func, inputs)
    for (position, _), num, ana in zip(_differentiable_inputs(inputs), numerical, analytical):
        if num is None:
            continue
        if num.shape != ana.shape or not np.allclose(ana, num, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            worst = np.abs(ana - num).max() if num.shape == ana.shape else float("nan")
            raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input "
                                 f"{position},\nnumerical:{num}\nanalytical:{ana}\n"
                                 f"largest difference: {worst}")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, **unused) -> bool:
    """Checks second derivatives: gradcheck of the gradient of `func` (built with create_graph).

    `grad_outputs` default to random float64 tensors, which are differentiated too.
    """
    from ndgrad import _random
    from ndgrad.autograd import grad as autograd_grad

    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)
                   and o.requires_grad]
        grad_outputs = tuple(_random.randn(o.shape, dtype=o.dtype, requires_grad=True)
                             for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    @enable_grad()
    def first_derivatives(*args):
        given_inputs, given_grads = args[:count], args[count:]
        outputs = [o for o in _as_tuple(func(*given_inputs)) if isinstance(o, Tensor)
                   and o.requires_grad]
        differentiable = [t for _, t in _differentiable_inputs(given_inputs)]
        grads = autograd_grad(outputs, differentiable, list(given_grads), create_graph=True,
                              allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
