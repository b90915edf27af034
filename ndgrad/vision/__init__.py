"""ndgrad.vision: torchvision's datasets, transforms, models and utils on ndgrad.

Mapped as `torchvision` (see ndgrad.compat), so `from torchvision import datasets, transforms`
runs unchanged. Submodules load on first use, as torchvision's do on import, so that
`import ndgrad.vision` stays cheap and Pillow is needed only by what reads or writes images.
"""
from __future__ import annotations

import importlib

_SUBMODULES = ("datasets", "models", "transforms", "utils")

__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ndgrad.vision' (torchvision) has no attribute '{name}'")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
