"""Shared pieces of the property tests: settings, dtypes, shapes, values and comparisons.

Every property test runs one drawn case on ndgrad and on torch and compares dtypes, shapes,
values and gradients. Cases are written once against the shared API (`module.tensor`,
`module.float32`, ...), so `module` is either library.
"""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import ndgrad

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
FLOAT_DTYPES = ("float16", "float32", "float64")
INTEGER_DTYPES = ("uint8", "int8", "int16", "int32", "int64")

# Relative and absolute tolerance by result dtype; integers and bools must match exactly.
# float16 is loosest: NumPy rounds every partial sum or product to float16 where PyTorch's CPU
# kernels accumulate in float32 (README, deviations).
TOLERANCES = {"float16": (1e-2, 1e-2), "float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12)}


def property_settings(max_examples: int) -> settings:
    """Derandomized settings; the torch fixture only hands over the module, so sharing it across
    a test's examples is safe."""
    return settings(max_examples=max_examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _attempt(forward, module):
    try:
        return forward(module), None
    except Exception as error:  # noqa: BLE001 - the class is what is compared
        return None, error


def forward_on_both(torch, forward):
    """`forward(module)` on ndgrad and on torch: (ours, theirs), or None where torch raises and
    ndgrad raises an exception of the same class.

    torch's NotImplementedError says a kernel is missing for a dtype; the RuntimeError it
    derives from is enough. An "INTERNAL ASSERT" is a torch bug (pow(True, float tensor)), with
    no behaviour to match.
    """
    theirs, their_error = _attempt(forward, torch)
    ours, our_error = _attempt(forward, ndgrad)
    if their_error is not None:
        if "INTERNAL ASSERT" not in str(their_error):
            assert our_error is not None, f"torch raises {their_error!r}, ndgrad does not"
            expected = RuntimeError if isinstance(their_error, NotImplementedError) \
                else type(their_error)
            assert isinstance(our_error, expected), \
                f"ndgrad raises {our_error!r}, torch {their_error!r}"
        return None
    if our_error is not None:
        raise our_error
    return ours, theirs


def dtype_name(dtype) -> str:
    """'float32' for both ndgrad.float32 and torch.float32."""
    return str(dtype).rsplit(".", 1)[-1]


def numpy(t) -> np.ndarray:
    """The values of an ndgrad or torch tensor as a NumPy array."""
    return np.asarray(t.detach().numpy())


def broadcast_shapes(count: int, max_dims: int = 3):
    """`count` mutually broadcastable shapes with 0-d, size-0 and size-1 dims among them."""
    return mutually_broadcastable_shapes(num_shapes=count, min_dims=0, max_dims=max_dims,
                                         min_side=0, max_side=3).map(lambda s: s.input_shapes)


def shapes(max_dims: int = 4, min_dims: int = 0, min_side: int = 0, max_side: int = 4):
    """One shape; sizes 0 and 1 come up often enough to matter."""
    sides = st.sampled_from(tuple(range(max(min_side, 1), max_side + 1)) * 2
                            + ((0,) if min_side == 0 else ()) + (1,))
    return st.lists(sides, min_size=min_dims, max_size=max_dims).map(tuple)


# Value domains: (low, high) for integers, and how floats are drawn. "nonzero" keeps divisors
# away from 0, "positive" keeps pow's base where every real exponent is defined, "unit" keeps
# products of many elements from overflowing.
INTEGER_RANGES = {"any": (-6, 6), "nonzero": (-6, 6), "positive": (1, 3), "exponent": (0, 3),
                  "unit": (-1, 1)}
FLOAT_RANGES = {"any": (-3.0, 3.0), "nonzero": (0.5, 3.0), "positive": (0.25, 2.5),
                "exponent": (-2.0, 2.0), "unit": (-1.5, 1.5)}


def sample(rng: np.random.Generator, dtype: str, shape: tuple, domain: str = "any"):
    """Values of `dtype` and `shape` in `domain`, with repeats so that ties happen."""
    if dtype == "bool":
        if domain in ("nonzero", "positive"):
            return np.ones(shape, dtype=bool)
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in INTEGER_DTYPES:
        low, high = INTEGER_RANGES[domain]
        if dtype == "uint8":
            low = max(low, 1 if domain == "nonzero" else 0)
        values = rng.integers(low, high + 1, size=shape)
        if domain == "nonzero":
            values = np.where(values == 0, 1, values)
        return values.astype(dtype)
    low, high = FLOAT_RANGES[domain]
    values = rng.uniform(low, high, size=shape)
    if domain == "nonzero":
        values = np.where(rng.random(shape) < 0.5, -values, values)
    else:
        # Half the values are small integers (or halves), so equal elements and exact
        # results are common.
        tied = np.round(rng.uniform(low, high, size=shape) * 2) / 2
        values = np.where(rng.random(shape) < 0.5, tied, values)
    return values.astype(dtype)


def scalar(rng: np.random.Generator, kind: str, domain: str = "any"):
    """A Python bool, int or float in `domain`."""
    return sample(rng, {"bool": "bool", "int": "int64", "float": "float64"}[kind], (),
                  domain).item()


def tolerance(dtype: str) -> dict:
    """The tolerance for results of `dtype`: exact for integers and bools."""
    rtol, atol = TOLERANCES.get(dtype, (0, 0))
    return {"rtol": rtol, "atol": atol}


def assert_same_tensor(ours, theirs, what: str, precision: str | None = None) -> None:
    """Same shape, dtype and values (NaNs equal), at the tolerance of the `precision` dtype
    (the result's own by default)."""
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape"
    name = dtype_name(theirs.dtype)
    assert dtype_name(ours.dtype) == name, f"{what}: dtype {ours.dtype} != {theirs.dtype}"
    np.testing.assert_allclose(numpy(ours), numpy(theirs), equal_nan=True, err_msg=what,
                               **tolerance(precision or name))


def assert_same_grads(ours: list, theirs: list, what: str, precision: str | None = None) -> None:
    """Leaf gradients equal; where torch has None (a gradient it knows is zero, such as
    vector_norm's with ord=0), ndgrad has None or zeros."""
    for i, (leaf_ours, leaf_theirs) in enumerate(zip(ours, theirs)):
        if leaf_theirs.grad is None:
            assert leaf_ours.grad is None or not numpy(leaf_ours.grad).any(), \
                f"{what}: gradient of input {i} should be None"
            continue
        assert leaf_ours.grad is not None, f"{what}: gradient of input {i} missing"
        assert_same_tensor(leaf_ours.grad, leaf_theirs.grad, f"{what}: gradient of input {i}",
                           precision)
