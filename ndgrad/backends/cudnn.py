"""torch.backends.cudnn: cuDNN is never used by ndgrad; its flags are kept for programs.

`benchmark`, `deterministic`, `enabled` and `allow_tf32` are plain module attributes with
PyTorch's defaults: programs can read and set them (`cudnn.benchmark = True`), and nothing in
ndgrad depends on them.
"""
from __future__ import annotations

import contextlib
import sys

__all__ = ["allow_tf32", "benchmark", "deterministic", "enabled", "flags", "is_acceptable",
           "is_available", "version"]

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: ndgrad does not call cuDNN."""
    return False


def version() -> None:
    """None: no cuDNN library is loaded."""


def is_acceptable(tensor) -> bool:
    """False: cuDNN never computes on an ndgrad tensor."""
    return False


@contextlib.contextmanager
def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
          deterministic: bool = False, allow_tf32: bool = True):
    """Sets the flags inside the block and restores them after it."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    previous = {name: getattr(module, name) for name in names}
    values = dict(zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)))
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in previous.items():
            setattr(module, name, value)
