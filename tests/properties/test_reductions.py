"""Property tests: reductions over random dims reduce, type and differentiate as torch's do.

Hypothesis draws a tensor of any of the nine dtypes and a shape of 0-4 dims (sizes 0 and 1
included), a reduction from the table, and its arguments: dim as None, an int or a tuple of
dims in any order (negative ones included), keepdim, a dtype= argument, a correction. The
result's dtype (integer sums widen to int64, all/any give bool, ...), shape and values must
match torch's; where torch raises, ndgrad must raise the same exception class; float results
are differentiated.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ndgrad
from tests.properties._strategies import (
    DTYPES,
    FLOAT_DTYPES,
    assert_same_grads,
    assert_same_tensor,
    dtype_name,
    forward_on_both,
    property_settings,
    sample,
    shapes,
)


def _dim(draw, ndim: int) -> int:
    """One dim, negative ones included; a 0-d tensor takes 0 or -1, as in torch."""
    return draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))


def _dims(draw, ndim: int):
    """None, one dim, or a tuple of distinct dims in any order (empty now and then)."""
    kind = draw(st.sampled_from(("none", "int", "tuple", "tuple", "int", "empty")))
    if kind == "none":
        return None
    if kind == "empty":
        return ()
    if kind == "int" or ndim == 0:
        return _dim(draw, ndim)
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in picked)


def _dtype_arg(draw, *choices):
    """A dtype= argument: None half of the time, else one of `choices`."""
    name = draw(st.sampled_from((None,) * len(choices) + choices))
    return name


def _reduce(draw, ndim):
    return {"dim": _dims(draw, ndim), "keepdim": draw(st.booleans())}


def _reduce_one(draw, ndim):
    return {"dim": _dim(draw, ndim), "keepdim": draw(st.booleans())}


def _reduce_with_dtype(draw, ndim):
    return dict(_reduce(draw, ndim), dtype=_dtype_arg(draw, "float64", "float32", "int64"))


def _variance(draw, ndim):
    return dict(_reduce(draw, ndim), correction=draw(st.sampled_from((0, 1, 1, 2))))


def _norm(draw, ndim):
    return dict(_reduce(draw, ndim), ord=draw(st.sampled_from((2, 1, math.inf, 0, 3))))


def _cumulative(draw, ndim):
    return {"dim": _dim(draw, ndim), "dtype": _dtype_arg(draw, "float64", "int64")}


def _with_dtype(module, params):
    """`params` with a dtype name replaced by the module's dtype."""
    params = dict(params)
    if params.get("dtype") is not None:
        params["dtype"] = getattr(module, params["dtype"])
    return params


@dataclass(frozen=True)
class Reduction:
    """One row: `fn(module, x, **params)`, params drawn by `params(draw, ndim)`; values come
    from `domain` (small magnitudes for prod, so integer products cannot overflow)."""

    name: str
    fn: Callable
    params: Callable = _reduce
    domain: str = "any"

    def __repr__(self) -> str:
        return self.name


REDUCTIONS = [
    Reduction("sum", lambda m, x, **p: x.sum(**_with_dtype(m, p)), _reduce_with_dtype),
    Reduction("mean", lambda m, x, **p: m.mean(x, **_with_dtype(m, p)), _reduce_with_dtype),
    Reduction("prod", lambda m, x, **p: x.prod(**_with_dtype(m, p)),
              lambda draw, ndim: dict(_reduce_one(draw, ndim),
                                      dtype=_dtype_arg(draw, "float64", "int64")), "unit"),
    Reduction("prod_all", lambda m, x: x.prod(), lambda draw, ndim: {}, "unit"),
    Reduction("amax", lambda m, x, dim, keepdim: x.amax(() if dim is None else dim, keepdim)),
    Reduction("amin", lambda m, x, dim, keepdim: m.amin(x, () if dim is None else dim, keepdim)),
    Reduction("max_dim", lambda m, x, dim, keepdim: x.max(dim, keepdim), _reduce_one),
    Reduction("min_dim", lambda m, x, dim, keepdim: m.min(x, dim=dim, keepdim=keepdim),
              _reduce_one),
    Reduction("max", lambda m, x: x.max(), lambda draw, ndim: {}),
    Reduction("var", lambda m, x, **p: x.var(**p), _variance),
    Reduction("std", lambda m, x, **p: m.std(x, **p), _variance),
    # dim=() is refused by torch's logsumexp with an internal shape error.
    Reduction("logsumexp", lambda m, x, dim, keepdim: m.logsumexp(
        x, tuple(range(x.ndim)) if dim in (None, ()) else dim, keepdim)),
    Reduction("vector_norm", lambda m, x, **p: m.linalg.vector_norm(x, **p), _norm),
    Reduction("norm", lambda m, x, dim, keepdim: x.norm(dim=dim, keepdim=keepdim)),
    Reduction("all", lambda m, x, **p: x.all(**p), _reduce_one),
    Reduction("any", lambda m, x, **p: m.any(x, **p), _reduce_one),
    Reduction("all_any_tuple", lambda m, x, dim, keepdim: (m.all(x, dim, keepdim),
                                                           m.any(x, dim, keepdim))),
    Reduction("argmax", lambda m, x, **p: x.argmax(**p),
              lambda draw, ndim: {"dim": draw(st.one_of(st.none(), st.just(_dim(draw, ndim)))),
                                  "keepdim": draw(st.booleans())}),
    Reduction("argmin", lambda m, x, **p: m.argmin(x, **p), _reduce_one),
    Reduction("cumsum", lambda m, x, **p: x.cumsum(**_with_dtype(m, p)), _cumulative),
    Reduction("cumprod", lambda m, x, **p: m.cumprod(x, **_with_dtype(m, p)), _cumulative,
              "unit"),
    Reduction("count_nonzero", lambda m, x, dim, keepdim: m.count_nonzero(x, dim)),
]


class Case:
    """`reduction(x, **params)` for x of `dtype` and `shape`, values and upstream from `seed`."""

    def __init__(self, reduction: Reduction, dtype: str, shape: tuple, params: dict,
                 seed: int) -> None:
        self.reduction, self.dtype, self.shape = reduction, dtype, shape
        self.params, self.seed = params, seed

    def forward(self, module):
        rng = np.random.default_rng(self.seed)
        x = module.tensor(sample(rng, self.dtype, self.shape, self.reduction.domain))
        x.requires_grad_(self.dtype in FLOAT_DTYPES)
        result = self.reduction.fn(module, x, **self.params)
        outputs = list(result) if isinstance(result, tuple) else [result]
        return outputs, [x]

    def backward(self, module, outputs: list) -> None:
        rng = np.random.default_rng(self.seed + 1)
        roots = [out for out in outputs if out.requires_grad]
        grads = [module.tensor(rng.standard_normal(tuple(out.shape)).astype(
            dtype_name(out.dtype))) for out in roots]
        module.autograd.backward(roots, grads)

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"{self.reduction.name}(<{self.dtype} {self.shape}>{params}), seed {self.seed}"


@st.composite
def cases(draw):
    reduction = draw(st.sampled_from(REDUCTIONS))
    shape = draw(shapes(max_dims=4))
    params = reduction.params(draw, len(shape))
    # Floats (differentiated) half the time.
    dtype = draw(st.sampled_from(DTYPES + ("float32", "float64") * 3))
    return Case(reduction, dtype, shape, params,
                draw(st.integers(0, 2**31)))


# torch warns where var/std divide by no degrees of freedom; the values are still compared.
@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")
@property_settings(1500)
@given(case=cases())
def test_reduction_matches_torch(torch, case):
    results = forward_on_both(torch, case.forward)
    if results is None:
        return
    (outputs_ours, leaves_ours), (outputs_theirs, leaves_theirs) = results
    assert len(outputs_ours) == len(outputs_theirs), "number of outputs"
    for k, (a, b) in enumerate(zip(outputs_ours, outputs_theirs)):
        assert_same_tensor(a, b, f"output {k}")
        assert a.requires_grad == b.requires_grad, f"output {k}: requires_grad"
    if any(out.requires_grad for out in outputs_theirs) and not _gradient_not_comparable(case):
        case.backward(torch, outputs_theirs)
        case.backward(ndgrad, outputs_ours)
        assert_same_grads(leaves_ours, leaves_theirs, "backward", case.dtype)


def _gradient_not_comparable(case: Case) -> bool:
    """var/std dividing by N - correction <= 0: the value is inf or nan in both libraries, the
    gradient too, but where each is inf or nan depends on how the formula is composed. Also
    var/std over dim=(): torch reduces every dim but its gradient is N times too large."""
    if case.reduction.name not in ("var", "std"):
        return False
    dims = case.params["dim"]
    if dims == ():
        return True
    dims = range(len(case.shape)) if dims is None else np.atleast_1d(dims)
    count = math.prod(case.shape[d] for d in dims) if case.shape else 1
    return count <= case.params["correction"]
