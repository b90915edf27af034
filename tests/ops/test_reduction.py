"""Reductions against torch: values, dtypes, gradients, second derivatives, gradcheck."""
from functools import partial

import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck

# var of one element and mean/logsumexp of none are nan or -inf, in torch too, which both warn.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning",
                                        "ignore::RuntimeWarning")

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
    *rows("prod", SINGLE + EMPTY, min_abs=0.5),  # zeros: test_prod_cumprod_gradients_with_zeros
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
    *rows("norm", MULTI, dict(p=-INF), "_-inf", min_abs=0.1),
    *rows("norm", MULTI + EMPTY, dict(p=0), "_p0", min_abs=0.1),
    *rows("all", MULTI + EMPTY, prepare=positive, grad=False),
    *rows("any", MULTI + EMPTY, prepare=positive, grad=False),
    *rows("cumsum", CUMULATIVE), *rows("cumprod", CUMULATIVE),
    *rows("nansum", MULTI + EMPTY), *rows("nanmean", MULTI),
    *rows("aminmax", [c for c in SINGLE if c[0] != "empty_dim1"]),
]


def finite_differences_apply(spec) -> bool:
    """Rows gradcheck can take: differentiable, not empty, not var/std of one element (nan)."""
    one_element_var = spec.name[:3] in ("var", "std") and "scalar" in spec.name
    return spec.grad and "empty" not in spec.name and not one_element_var


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if finite_differences_apply(s)], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


def compare_fixed(fn, data, torch, dtype="float64", order=2, torch_dtype=None):
    """fn on fixed data in ndgrad and torch: value, gradient and (order=2) second derivative.

    torch computes in `torch_dtype` (default `dtype`); results compare with `dtype`'s tolerance.
    """
    results = []
    for module, computed_in in [(ndgrad, dtype), (torch, torch_dtype or dtype)]:
        rng = np.random.default_rng(3)
        x = module.tensor(np.array(data, dtype=computed_in), requires_grad=True)
        out = fn(x)
        seed = module.tensor(rng.standard_normal(tuple(out.shape)).astype(computed_in))
        (grad,) = module.autograd.grad(out, x, seed, create_graph=order == 2)
        found = [out, grad]
        if order == 2:
            v = module.tensor(rng.standard_normal(x.shape).astype(computed_in))
            found += module.autograd.grad((grad * v).sum(), x)
        results.append(found)
    for what, ours, theirs in zip(["value", "gradient", "second derivative"], *results):
        assert_close(ours, theirs, dtype, f"{what} on {data}")


TIED = [[1.0, 3.0, 3.0, -2.0], [3.0, -2.0, 0.5, 3.0]]


@pytest.mark.parametrize("name", ["max", "min"])
def test_whole_tensor_max_min_split_ties_evenly(name, torch):
    compare_fixed(lambda t: getattr(t, name)(), TIED, torch, order=1)
    x = ndgrad.tensor(TIED, requires_grad=True)
    getattr(ndgrad, name)(x).backward()
    hits = np.array(TIED) == (3.0 if name == "max" else -2.0)
    np.testing.assert_allclose(x.grad.numpy(), hits / hits.sum())


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_dim_return_values_and_indices(name, keepdim, torch):
    ours = getattr(ndgrad.tensor(TIED), name)(dim=1, keepdim=keepdim)
    theirs = getattr(torch.tensor(TIED), name)(dim=1, keepdim=keepdim)
    values, indices = ours
    assert ours._fields == ("values", "indices")
    assert values is ours.values and indices is ours.indices and indices.dtype == ndgrad.int64
    np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(values.numpy(), theirs.values.numpy())
    # The whole gradient goes to the index torch picks (the first of the tied maxima).
    compare_fixed(lambda t: getattr(t, name)(1, keepdim).values, TIED, torch, order=1)
    compare_fixed(lambda t: getattr(t, name)(0).values, TIED, torch, order=1)


def test_max_with_axis_returns_values_and_ties_share_gradient(torch):
    data = [[1.0, 3.0], [1.0, 2.0], [0.0, 3.0]]
    x = ndgrad.tensor(data, requires_grad=True)
    out = x.max(axis=0)
    assert isinstance(out, ndgrad.Tensor)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0.5], [0.5, 0.0], [0.0, 0.5]])
    assert ndgrad.min(x, axis=1, keepdims=True).shape == (3, 1)
    compare_fixed(lambda t: t.max(axis=0) if isinstance(t, ndgrad.Tensor) else t.amax(0),
                  data, torch, order=1)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_of_two_tensors_are_maximum_minimum(name, torch):
    a, b = [[1.0, 5.0], [-1.0, 2.0]], [[2.0, 3.0], [0.0, 4.0]]
    compare_fixed(lambda t: getattr(t, name)(module_of(t).tensor(b, dtype=t.dtype)), a, torch,
                  order=1)
    compare_fixed(lambda t: getattr(module_of(t), name)(module_of(t).tensor(b, dtype=t.dtype), t),
                  a, torch, order=1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim, keepdim", [(1, False), (0, True), ((0, 1), False), (-1, True)])
def test_logsumexp_is_finite_for_large_inputs(dim, keepdim, dtype, torch):
    data = [[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4 + 2.0, -1e4]]
    out = ndgrad.tensor(data, dtype=getattr(ndgrad, dtype)).logsumexp(dim, keepdim)
    assert np.isfinite(out.numpy()).all()
    # In float32 torch's gradient exp(x - out) inherits out's rounding (1e4 has an ulp of 1e-3),
    # so the reference is torch in float64.
    compare_fixed(lambda t: t.logsumexp(dim, keepdim), data, torch, dtype, torch_dtype="float64")


ONE_ZERO = [2.0, 0.0, 3.0, -1.5]
TWO_ZEROS = [0.0, 1.5, 0.0, 2.0]
ZERO_ROWS = [ONE_ZERO, TWO_ZEROS, [1.5, -0.5, 2.0, 1.2]]
ZERO_CASES = [(f"{name}-{label}", fn, data)
              for label, data in [("one_zero", ONE_ZERO), ("two_zeros", TWO_ZEROS)]
              for name, fn in [("prod", lambda t: t.prod()), ("prod0", lambda t: t.prod(0)),
                               ("cumprod", lambda t: t.cumprod(-1))]] + [
    ("prod1-rows", lambda t: t.prod(1), ZERO_ROWS),
    ("prod0_keep-rows", lambda t: t.prod(0, keepdim=True), ZERO_ROWS),
    ("prod-rows", lambda t: t.prod(), ZERO_ROWS),
    ("cumprod1-rows", lambda t: t.cumprod(1), ZERO_ROWS),
    ("cumprod0-rows", lambda t: t.cumprod(0), ZERO_ROWS)]


@pytest.mark.parametrize("name, fn, data", ZERO_CASES, ids=[c[0] for c in ZERO_CASES])
def test_prod_cumprod_gradients_with_zeros(name, fn, data, torch):
    compare_fixed(fn, data, torch)
    x = ndgrad.tensor(data, dtype=ndgrad.float64, requires_grad=True)
    assert ndgrad.autograd.gradcheck(fn, (x,))
    assert ndgrad.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("p", [2, "fro", 3])
def test_norm_gradient_at_zero_vector_is_zero(p, torch):
    compare_fixed(lambda t: t.norm(p), [0.0, 0.0, 0.0], torch, order=1)
    compare_fixed(lambda t: t.norm(p, dim=1), [[0.0, 0.0], [3.0, -4.0]], torch, order=1)
    x = ndgrad.zeros(3, requires_grad=True)
    ndgrad.norm(x, p).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


@pytest.mark.parametrize("dtype", ["int32", "bool", "uint8", "int64"])
@pytest.mark.parametrize("fn", [lambda t: t.sum(), lambda t: t.sum(1), lambda t: t.prod(),
                                lambda t: t.prod(0), lambda t: t.cumsum(1),
                                lambda t: t.cumprod(0), lambda t: t.amax(1), lambda t: t.max(),
                                lambda t: t.max(0).values, lambda t: t.all(1)])
def test_integer_inputs_match_torch_dtypes(fn, dtype, torch):
    data = np.array([[1, 0, 2], [3, 1, 1]]).astype(dtype)
    ours, theirs = fn(ndgrad.tensor(data)), fn(torch.tensor(data))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_mean_of_integers_raises_unless_dtype_given():
    x = ndgrad.tensor([[1, 2], [3, 5]])
    with pytest.raises(RuntimeError, match="mean"):
        x.mean()
    with pytest.raises(RuntimeError, match="mean"):
        ndgrad.mean(x, 0)
    assert x.mean(dtype=ndgrad.float64).item() == 2.75


@pytest.mark.parametrize("fn", [
    lambda t: t.sum(3), lambda t: t.mean(-4), lambda t: t.sum((0, 3)), lambda t: t.prod(3),
    lambda t: t.max(3), lambda t: t.min(-4), lambda t: t.amax(3), lambda t: t.argmax(3),
    lambda t: t.var(3), lambda t: t.std((1, -4)), lambda t: t.logsumexp(3),
    lambda t: t.norm(dim=3), lambda t: t.all(3), lambda t: t.any(-4), lambda t: t.cumsum(3),
    lambda t: t.cumprod(-4), lambda t: t.sum().cumsum(1), lambda t: t.sum().sum(-2)])
def test_dim_out_of_range_raises_index_error(fn, torch):
    for module in (ndgrad, torch):
        with pytest.raises(IndexError):
            fn(module.ones(2, 3, 4))


@pytest.mark.parametrize("fn", [lambda t: t.amax(0), lambda t: t.max(0), lambda t: t.argmax(0),
                                lambda t: t.amin(), lambda t: t.max(), lambda t: t.argmin()])
def test_max_min_of_no_elements_raise_like_torch(fn, torch):
    with pytest.raises((IndexError, RuntimeError)) as theirs:
        fn(torch.zeros(0, 3))
    with pytest.raises(theirs.type, match="reduction dim"):
        fn(ndgrad.zeros(0, 3))


def test_var_std_with_correction_zero_and_unbiased_false(torch):
    data = np.random.default_rng(5).uniform(-2, 2, size=(3, 5))
    biased = [lambda t: t.var(1, correction=0), lambda t: t.var(1, unbiased=False),
              lambda t: module_of(t).var(t, dim=1, correction=0, keepdim=True).squeeze(1)]
    for fn in biased:
        compare_fixed(fn, data, torch)
        np.testing.assert_allclose(fn(ndgrad.tensor(data)).numpy(), np.var(data, axis=1))
    for fn in [lambda t: t.var(False), lambda t: t.std(unbiased=False)]:
        compare_fixed(fn, data, torch)
    np.testing.assert_allclose(ndgrad.tensor(data).std(0, correction=0).numpy(),
                               np.std(data, axis=0))
    np.testing.assert_allclose(ndgrad.tensor(data).var().numpy(), np.var(data, ddof=1))


def test_numpy_aliases_axis_and_keepdims():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = ndgrad.tensor(data)
    np.testing.assert_array_equal(x.sum(axis=1, keepdims=True).numpy(),
                                  data.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(ndgrad.mean(x, axis=(0, 2)).numpy(), data.mean(axis=(0, 2)))
    np.testing.assert_array_equal(x.cumsum(axis=2).numpy(), data.cumsum(axis=2))


ALIASED = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
           "logsumexp", "all", "any"]
ALIAS_SPELLINGS = [dict(axis=1), dict(axis=1, keepdims=True), dict(dim=1, keepdims=True),
                   dict(axis=-1, keepdim=True)]


@pytest.mark.parametrize("kwargs", ALIAS_SPELLINGS, ids=lambda k: ",".join(k))
@pytest.mark.parametrize("name", ALIASED)
def test_every_reduction_takes_axis_and_keepdims_as_torch(name, kwargs, torch):
    """As function and as method: the method's own defaults must not clash with `axis`."""
    data = np.arange(12.0).reshape(3, 4) % 5
    for call in (lambda m, t: getattr(m, name)(t, **kwargs),
                 lambda m, t: getattr(t, name)(**kwargs)):
        ours, theirs = (call(m, m.tensor(data)) for m in (ndgrad, torch))
        ours = ours[0] if isinstance(ours, tuple) else ours
        theirs = theirs[0] if isinstance(theirs, tuple) else theirs
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "count_nonzero"])
def test_axis_alias_of_cumulative_reductions_and_count_nonzero(name, torch):
    data = np.arange(12.0).reshape(3, 4) % 5
    for call in (lambda m, t: getattr(m, name)(t, axis=1), lambda m, t: getattr(t, name)(axis=0)):
        ours, theirs = (call(m, m.tensor(data)) for m in (ndgrad, torch))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- found by tests/properties/test_reductions.py

REFUSED_REDUCTIONS = [
    ("argmax_bool", lambda m: m.tensor([True, False]).argmax()),
    ("argmin_bool_dim", lambda m: m.argmin(m.tensor([[True], [False]]), 0)),
    ("norm_int", lambda m: m.tensor([3, 4]).norm()),
    ("norm_fro_three_dims", lambda m: m.ones(2, 2, 2).norm(dim=(0, 1, 2))),
    ("vector_norm_inf_empty_dim", lambda m: m.linalg.vector_norm(m.zeros(0, 2), float("inf"), 0)),
    ("vector_norm_negative_empty", lambda m: m.linalg.vector_norm(m.zeros(0, 2), -1)),
    ("sum_int_dtype_of_grad_input", lambda m: m.ones(2, requires_grad=True).sum(dtype=m.int64)),
    ("prod_int_dtype_of_grad_input", lambda m: m.ones(2, requires_grad=True).prod(dtype=m.int32)),
    ("cumsum_int_dtype_of_grad_input",
     lambda m: m.ones(2, requires_grad=True).cumsum(0, dtype=m.int64)),
    ("cumprod_bool_dtype_of_grad_input",
     lambda m: m.ones(2, requires_grad=True).cumprod(0, dtype=m.bool)),
]


@pytest.mark.parametrize("fn", [f for _, f in REFUSED_REDUCTIONS],
                         ids=[name for name, _ in REFUSED_REDUCTIONS])
def test_reductions_refused_as_in_torch(fn, torch):
    with pytest.raises(RuntimeError):  # torch: RuntimeError or its NotImplementedError
        fn(torch)
    with pytest.raises(RuntimeError):
        fn(ndgrad)


def test_integer_dtype_of_grad_input_allowed_without_grad(torch):
    for lib in (ndgrad, torch):
        with lib.no_grad():
            assert lib.ones(2, requires_grad=True).sum(dtype=lib.int64).item() == 2


def test_max_dim_of_bools_matches_torch(torch):
    data = np.array([[False, True, True], [False, False, False]])
    ours, theirs = ndgrad.tensor(data).max(1), torch.tensor(data).max(1)
    for a, b in zip(ours, theirs):
        assert a.dtype.name == str(b.dtype).replace("torch.", "")
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("data, dim, correction", [([[1.0, 1.0], [1.0, 2.0]], 1, 1),
                                                    (0.5, None, 0), ([2.0, 2.0, 2.0], 0, 0)])
def test_std_gradient_is_zero_where_the_deviation_is_zero(data, dim, correction, torch):
    grads = []
    for lib in (ndgrad, torch):
        x = lib.tensor(data, requires_grad=True)
        x.std(dim, correction=correction).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    assert np.isfinite(grads[0]).all()


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_all_any_over_no_dims_reduce_nothing_as_in_torch(name, dtype, torch):
    data = np.array([[0, 2], [3, 0]])
    ours, theirs = (getattr(lib, name)(lib.tensor(data, dtype=getattr(lib, dtype)), dim=())
                    for lib in (ndgrad, torch))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["nansum", "nanmean"])
@pytest.mark.parametrize("dim", [None, 1, 0])
def test_nan_reductions_skip_nans_in_values_and_gradients(name, dim, torch):
    data = np.array([[1.0, np.nan, 2.0], [np.nan, 3.0, np.nan]])
    results = []
    for lib in (ndgrad, torch):
        x = lib.tensor(data, requires_grad=True)
        out = getattr(lib, name)(x, dim)
        out.backward(lib.ones_like(out))
        results.append((out, x.grad))
    assert_close(results[0][0], results[1][0], "float64", f"{name} value")
    assert_close(results[0][1], results[1][1], "float64", f"{name} gradient")


def test_nanmean_of_only_nans_is_nan(torch):
    data = [[np.nan, np.nan], [1.0, np.nan]]
    assert_close(ndgrad.nanmean(ndgrad.tensor(data), 1), torch.nanmean(torch.tensor(data), 1),
                 "float32", "nanmean of an all-NaN row")
