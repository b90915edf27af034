"""Reductions against torch: values, dtypes, gradients, second derivatives, gradcheck."""
from functools import partial

import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck

CUBE = (2, 3, 4)
# (label, input shape, keyword arguments) for reductions over any set of dims.
MULTI = [
    ("all", CUBE, {}),
    ("all_keep", CUBE, dict(dim=None, keepdim=True)),
    ("scalar", (), {}),
    ("scalar_dim0", (), dict(dim=0)),
    ("dim1", CUBE, dict(dim=1)),
    ("dim-1_keep", CUBE, dict(dim=-1, keepdim=True)),
    ("dims0,2", CUBE, dict(dim=(0, 2))),
    ("dims0,-1_keep", CUBE, dict(dim=(0, -1), keepdim=True)),
    ("empty_dim1", (0, 3), dict(dim=1)),
]
# Reductions that take one dim only (prod, max(dim), argmax).
SINGLE = [c for c in MULTI if not isinstance(c[2].get("dim"), tuple) and c[0] != "all_keep"]
WITH_DIM = [c for c in MULTI if "dim" in c[2] and c[2]["dim"] is not None]
# Empty inputs reduced over their empty dim: only where the op has an identity.
EMPTY = [("empty", (0, 3), {}), ("empty_dim0", (0, 3), dict(dim=0))]
CUMULATIVE = [("dim1", CUBE, dict(dim=1)), ("dim-1", CUBE, dict(dim=-1)),
              ("dim0", CUBE, dict(dim=0)), ("scalar_dim0", (), dict(dim=0)),
              ("empty_dim0", (0, 3), dict(dim=0)), ("empty_dim1", (0, 3), dict(dim=1))]


def module_of(t):
    """The module a tensor belongs to, so one lambda can call module-level functions."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad
    import torch
    return torch


def positive(t):
    return t > 0


def call(name, kwargs, function, prepare, t):
    """t.name(**kwargs), or the module-level name(t, **kwargs) when `function` is set."""
    if prepare is not None:
        t = prepare(t)
    if function:
        return getattr(module_of(t), name)(t, **kwargs)
    return getattr(t, name)(**kwargs)


def rows(name, cases, extra=None, tag="", prepare=None, **spec_kwargs):
    """One Spec per case; even rows call the Tensor method, odd rows the function."""
    return [Spec(f"{name}{tag}[{label}]",
                 partial(call, name, {**(extra or {}), **kwargs}, i % 2 == 1, prepare),
                 shapes=[shape], **spec_kwargs)
            for i, (label, shape, kwargs) in enumerate(cases)]


INF = float("inf")
SPECS = [
    *rows("sum", MULTI + EMPTY),
    *rows("mean", MULTI + EMPTY),
    *rows("prod", SINGLE + EMPTY, min_abs=0.5),  # zeros: see test_prod_cumprod_with_zeros
    *rows("amax", MULTI), *rows("amin", MULTI),
    *rows("max", SINGLE), *rows("min", SINGLE),
    *rows("argmax", SINGLE + [MULTI[1]], grad=False),
    *rows("argmin", SINGLE + [MULTI[1]], grad=False),
    *rows("var", MULTI), *rows("std", MULTI),
    *rows("var", MULTI, dict(correction=0), "_c0"), *rows("std", MULTI, dict(correction=2), "_c2"),
    *rows("var", WITH_DIM, dict(unbiased=False), "_biased"),
    *rows("std", WITH_DIM, dict(unbiased=True), "_unbiased"),
    *rows("logsumexp", WITH_DIM + EMPTY[1:]),
    *rows("norm", MULTI + EMPTY, dict(p=2), "_p2"),
    *rows("norm", MULTI + EMPTY, dict(p="fro"), "_fro"),
    *rows("norm", MULTI, dict(p=1), "_p1", min_abs=0.1),
    *rows("norm", MULTI, dict(p=3), "_p3", min_abs=0.1),
    *rows("norm", MULTI, dict(p=INF), "_inf", min_abs=0.1),
    *rows("all", MULTI + EMPTY, prepare=positive, grad=False),
    *rows("any", MULTI + EMPTY, prepare=positive, grad=False),
    *rows("cumsum", CUMULATIVE), *rows("cumprod", CUMULATIVE),
]
# var/std of one element: a nan or inf value or gradient, which finite differences cannot check.
def finite_differences_apply(spec):
    name = spec.name
    return spec.grad and "empty" not in name and not (name[:3] in ("var", "std")
                                                       and "scalar" in name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if finite_differences_apply(s)], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


def compare_fixed(fn, data, torch, dtype="float64", order=2):
    """fn on fixed data in ndgrad and torch: value, gradient and (order=2) second derivative."""
    rng = np.random.default_rng(3)
    data = np.array(data, dtype=dtype)
    results = []
    for module in (ndgrad, torch):
        x = module.tensor(data.copy(), requires_grad=True)
        out = fn(x)
        seed = module.tensor(rng.standard_normal(tuple(out.shape)).astype(dtype))
        (grad,) = module.autograd.grad(out, x, seed, create_graph=order == 2)
        found = [out, grad]
        if order == 2:
            v = module.tensor(rng.standard_normal(data.shape).astype(dtype))
            found += module.autograd.grad((grad * v).sum(), x)
        results.append(found)
    for what, ours, theirs in zip(["value", "gradient", "second derivative"], *results):
        assert_close(ours, theirs, dtype, f"{what} on {data.tolist()}")
