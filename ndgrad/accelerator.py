"""torch.accelerator: the device-agnostic view of the accelerator, CUDA through CuPy here.

On a machine without ndgrad's GPU path there is no accelerator: is_available() is False,
current_accelerator() None and device_count() 0, and calls that need a device raise
RuntimeError, as on a CPU build of PyTorch.
"""
from __future__ import annotations

import contextlib

from ndgrad import cuda
from ndgrad._backend import device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index",
           "device_count", "device_index", "empty_cache", "is_available", "max_memory_allocated",
           "memory_allocated", "memory_reserved", "set_device_idx", "set_device_index",
           "synchronize"]


def _require() -> None:
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def is_available() -> bool:
    """True when ndgrad can use an accelerator (CUDA through CuPy)."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """device('cuda') when there is an accelerator, else None."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    """The number of accelerator devices (0 without one)."""
    return cuda.device_count()


def current_device_index() -> int:
    """The index of the current accelerator device."""
    _require()
    return cuda.current_device()


def set_device_index(device) -> None:
    """Makes `device` the current accelerator device."""
    _require()
    cuda.set_device(device)


current_device_idx = current_device_index
set_device_idx = set_device_index


@contextlib.contextmanager
def device_index(device: int | None):
    """Makes `device` current inside the block (None: leaves everything as it is)."""
    if device is None:
        yield
        return
    previous = current_device_index()
    set_device_index(device)
    try:
        yield
    finally:
        set_device_index(previous)


def synchronize(device=None) -> None:
    """Waits for the accelerator's queued work to finish."""
    _require()
    cuda.synchronize(device)


def empty_cache() -> None:
    """Frees cached accelerator memory that no tensor uses."""
    _require()
    cuda.empty_cache()


def memory_allocated(device=None) -> int:
    """Bytes of accelerator memory held by tensors."""
    _require()
    return cuda.memory_allocated(device)


def max_memory_allocated(device=None) -> int:
    """The most accelerator memory held by tensors (see ndgrad.cuda.max_memory_allocated)."""
    _require()
    return cuda.max_memory_allocated(device)


def memory_reserved(device=None) -> int:
    """Bytes of accelerator memory the allocator holds."""
    _require()
    return cuda.memory_reserved(device)
