"""Imports torchvision as an oracle beside CPU-only torch 2.13.

The torchvision wheels pip finds are CUDA builds whose C extension does not load here, so its
Python modules stop at `operator torchvision::nms does not exist` when they register fake
kernels. Declaring those operator schemas first (they are never called by the oracle tests)
lets transforms, datasets, models and utils import. This lives in the tests, never in ndgrad.
"""
from __future__ import annotations

import re
import sys

import pytest

from tests.conftest import REQUIRE_TORCH

# Schemas of the operators torchvision registers fake kernels for at import time.
_SCHEMAS = [
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
]
_library = None


def _declare(schema: str) -> None:
    global _library
    import torch

    if _library is None:
        _library = torch.library.Library("torchvision", "DEF")
    _library.define(schema)


def _forget_torchvision() -> None:
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]


def import_torchvision():
    """The torchvision module, importing it once with the missing operators declared."""
    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    for schema in _SCHEMAS:
        _declare(schema)
    for _ in range(20):  # any operator not listed above: declare a placeholder and retry
        try:
            import torchvision

            return torchvision
        except RuntimeError as error:
            missing = re.search(r"operator torchvision::(\w+) does not exist", str(error))
            if missing is None:
                raise
            _forget_torchvision()
            _declare(f"{missing.group(1)}(Tensor x) -> Tensor")
    raise RuntimeError("torchvision kept asking for operators; see tests/vision/_torchvision.py")


@pytest.fixture
def torchvision():
    """torchvision as the oracle: skipped without it, a failure under NDGRAD_REQUIRE_TORCH=1."""
    try:
        import torch  # noqa: F401
    except ImportError:
        if REQUIRE_TORCH:
            pytest.fail("torch is required (NDGRAD_REQUIRE_TORCH=1) but not installed")
        pytest.skip("torch is not installed")
    try:
        module = import_torchvision()
    except ImportError:
        if REQUIRE_TORCH:
            pytest.fail("torchvision is required (NDGRAD_REQUIRE_TORCH=1) but not installed")
        pytest.skip("torchvision is not installed")
    return module
