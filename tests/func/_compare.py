"""Helpers shared by the ndgrad.func tests: the same inputs in both libraries, results compared
as trees of arrays."""
from __future__ import annotations

import numpy as np

import ndgrad


def arrays(*shapes, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, size=shape) for shape in shapes]


def tensors(L, values: list) -> list:
    """float64 tensors of `values` in library L (ndgrad or torch)."""
    return [L.tensor(v) for v in values]


def as_numpy(tree):
    """A tree of tensors (either library) as the same tree of NumPy arrays."""
    if isinstance(tree, dict):
        return {k: as_numpy(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return [as_numpy(v) for v in tree]
    if isinstance(tree, (ndgrad.Tensor,)) or hasattr(tree, "detach"):
        return tree.detach().numpy()
    return tree


def assert_trees_close(actual, expected, rtol: float = 1e-9, atol: float = 1e-11) -> None:
    actual, expected = as_numpy(actual), as_numpy(expected)
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys()
        for k in expected:
            assert_trees_close(actual[k], expected[k], rtol, atol)
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected):
            assert_trees_close(a, e, rtol, atol)
    else:
        assert np.shape(actual) == np.shape(expected), (np.shape(actual), np.shape(expected))
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
