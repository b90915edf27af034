"""Runs the same expression on ndgrad and torch and compares values and gradients.

A `Spec` is one row of a family's table: a lambda written once against the shared API, the
input shapes, and the input domain. `check_against_torch` compares forward values, dtypes,
first and second derivatives; `check_gradcheck` runs ndgrad's own finite-difference checks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import ndgrad

# Tolerances per dtype: float32 results may differ from torch's in the last bits.
TOLERANCES = {
    "float16": dict(rtol=1e-2, atol=1e-2),
    "float32": dict(rtol=1e-4, atol=1e-5),
    "float64": dict(rtol=1e-7, atol=1e-9),
}


@dataclass
class Spec:
    """One op under test: `fn(*tensors)` on inputs of `shapes` drawn from [low, high]."""

    name: str
    fn: Callable
    shapes: list = field(default_factory=lambda: [(3, 4)])
    low: float = -2.0
    high: float = 2.0
    dtypes: tuple = ("float32", "float64")
    grad: bool = True
    gradgrad: bool = True
    # Inputs at these positions get no gradient (e.g. an integer index or a mask).
    constant_inputs: tuple = ()
    # Draw inputs away from 0 (for ops with a kink or pole there), as |x| in [min_abs, high].
    min_abs: float = 0.0

    def __str__(self) -> str:
        return self.name


def sample(spec: Spec, dtype: str, seed: int = 0) -> list:
    """NumPy arrays for the spec's inputs, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in spec.shapes:
        values = rng.uniform(spec.low, spec.high, size=shape)
        if spec.min_abs:
            magnitude = rng.uniform(spec.min_abs, max(abs(spec.low), abs(spec.high)), size=shape)
            values = np.where(values < 0, -magnitude, magnitude) if spec.low < 0 else magnitude
        arrays.append(values.astype(dtype))
    return arrays


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _to_numpy(t) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "_is_zerotensor") and t._is_zerotensor():
        return np.zeros(tuple(t.shape))
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def assert_close(actual, expected, dtype: str, what: str) -> None:
    """Compares two arrays with the dtype's tolerance, naming what is compared on failure."""
    np.testing.assert_allclose(_to_numpy(actual), _to_numpy(expected), equal_nan=True,
                               err_msg=what, **TOLERANCES[dtype])


def _make_inputs(module, arrays: list, spec: Spec, requires_grad: bool) -> list:
    tensors = []
    for i, a in enumerate(arrays):
        t = module.tensor(a.copy())
        if requires_grad and i not in spec.constant_inputs:
            t.requires_grad_(True)
        tensors.append(t)
    return tensors


def check_against_torch(spec: Spec, torch, dtype: str) -> None:
    """Forward value and dtype, gradient, and second derivative: ndgrad against torch."""
    arrays = sample(spec, dtype)
    ours = _make_inputs(ndgrad, arrays, spec, spec.grad)
    theirs = _make_inputs(torch, arrays, spec, spec.grad)
    out_ours = _as_tuple(spec.fn(*ours))
    out_theirs = _as_tuple(spec.fn(*theirs))
    assert len(out_ours) == len(out_theirs)
    for k, (a, b) in enumerate(zip(out_ours, out_theirs)):
        assert tuple(a.shape) == tuple(b.shape), f"{spec}: output {k} shape"
        assert a.dtype.name == str(b.dtype).replace("torch.", ""), f"{spec}: output {k} dtype"
        assert_close(a, b, dtype, f"{spec}: forward output {k}")
    if not spec.grad:
        return
    _check_gradients(spec, torch, dtype, ours, theirs, out_ours, out_theirs)


def _differentiable(tensors):
    return [t for t in tensors if t.requires_grad]


def _check_gradients(spec, torch, dtype, ours, theirs, out_ours, out_theirs):
    rng = np.random.default_rng(1)
    pairs = [(a, b) for a, b in zip(out_ours, out_theirs) if b.requires_grad]
    seeds = [rng.standard_normal(tuple(b.shape)).astype(dtype) for _, b in pairs]
    create = spec.gradgrad
    grads_ours = ndgrad.autograd.grad([a for a, _ in pairs], _differentiable(ours),
                                      [ndgrad.tensor(s) for s in seeds], create_graph=create,
                                      allow_unused=True)
    grads_theirs = torch.autograd.grad([b for _, b in pairs], _differentiable(theirs),
                                       [torch.tensor(s) for s in seeds], create_graph=create,
                                       allow_unused=True)
    for k, (g, h) in enumerate(zip(grads_ours, grads_theirs)):
        if h is None:
            assert g is None or not np.any(_to_numpy(g)), f"{spec}: gradient {k} should be zero"
            continue
        assert g is not None, f"{spec}: gradient {k} missing"
        assert_close(g, h, dtype, f"{spec}: gradient of input {k}")
    if create:
        _check_second_order(spec, dtype, ours, theirs, grads_ours, grads_theirs, torch)


def _check_second_order(spec, dtype, ours, theirs, grads_ours, grads_theirs, torch):
    """Differentiates sum(grad * v) once more, for a random v, on both sides."""
    rng = np.random.default_rng(2)
    terms_ours, terms_theirs = [], []
    for g, h in zip(grads_ours, grads_theirs):
        if h is None or not h.requires_grad:
            continue
        v = rng.standard_normal(tuple(h.shape)).astype(dtype)
        terms_theirs.append((h * torch.tensor(v)).sum())
        terms_ours.append((g * ndgrad.tensor(v)).sum())
    if not terms_theirs:
        return
    inputs_ours, inputs_theirs = _differentiable(ours), _differentiable(theirs)
    second_theirs = torch.autograd.grad(sum(terms_theirs), inputs_theirs, allow_unused=True)
    total_ours = terms_ours[0]
    for term in terms_ours[1:]:
        total_ours = total_ours + term
    if not total_ours.requires_grad:
        for h in second_theirs:
            assert h is None or not np.any(_to_numpy(h)), f"{spec}: second derivative missing"
        return
    second_ours = ndgrad.autograd.grad(total_ours, inputs_ours, allow_unused=True)
    for k, (g, h) in enumerate(zip(second_ours, second_theirs)):
        if h is None or g is None:
            other = h if g is None else g
            assert other is None or not np.any(_to_numpy(other)), \
                f"{spec}: second derivative {k} differs in presence"
            continue
        assert_close(g, h, dtype, f"{spec}: second derivative of input {k}")


def check_gradcheck(spec: Spec) -> None:
    """gradcheck, and gradgradcheck when the spec has second derivatives, in float64."""
    arrays = sample(spec, "float64")
    inputs = _make_inputs(ndgrad, arrays, spec, True)
    assert ndgrad.autograd.gradcheck(spec.fn, tuple(inputs))
    if spec.gradgrad:
        assert ndgrad.autograd.gradgradcheck(spec.fn, tuple(inputs))
