"""Shared test setup: the torch oracle, per-dtype tolerances, fixed seeds."""
import os

import numpy as np
import pytest

import ndgrad

REQUIRE_TORCH = os.environ.get("NDGRAD_REQUIRE_TORCH") == "1"

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # scikit-learn brings it; without it BLAS keeps its default threads
    threadpool_limits = None
if threadpool_limits is not None:
    # One BLAS thread per test process: under `pytest -n 2` on a 2-core machine OpenBLAS's
    # thread pool made small matmuls 5-10x slower (the demo run took 44 s instead of 4-6 s).
    threadpool_limits(limits=1)


@pytest.fixture(autouse=True)
def _fixed_seeds():
    """Every test starts from the same random state, in ndgrad and NumPy."""
    ndgrad.manual_seed(0)
    np.random.seed(0)
    yield
    ndgrad.set_default_dtype(ndgrad.float32)


@pytest.fixture
def torch():
    """The torch module, for oracle tests: skipped without torch, a failure under CI."""
    try:
        import torch as torch_module
    except ImportError:
        if REQUIRE_TORCH:
            pytest.fail("torch is required (NDGRAD_REQUIRE_TORCH=1) but not installed")
        pytest.skip("torch is not installed")
    torch_module.manual_seed(0)
    return torch_module
