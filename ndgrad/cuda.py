"""torch.cuda's queries on ndgrad's GPU path: CuPy arrays on CUDA devices.

Without CuPy (or without a CUDA device) nothing is available: is_available() is False and
device_count() 0, as on a CPU build of PyTorch; the calls that need a device raise
RuntimeError. ndgrad has one random generator for every device, so the seeding functions
leave it alone (seed it with ndgrad.manual_seed).
"""
from __future__ import annotations

from ndgrad import _backend

__all__ = ["current_device", "device_count", "empty_cache", "get_device_name",
           "is_available", "is_bf16_supported", "is_initialized", "manual_seed",
           "manual_seed_all", "max_memory_allocated", "memory_allocated", "memory_reserved",
           "seed", "seed_all", "set_device", "synchronize"]


def _cupy():
    """CuPy when ndgrad's GPU path is usable, else None."""
    cupy = _backend._cupy
    if cupy is None:
        return None
    try:
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except cupy.cuda.runtime.CUDARuntimeError:  # CuPy installed, no driver or device
        return None


def _require_cupy():
    cupy = _cupy()
    if cupy is None:
        raise RuntimeError("CUDA is not available: ndgrad's GPU path needs CuPy "
                           "(pip install 'ndgrad[gpu]') and a CUDA device")
    return cupy


def is_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    return _cupy() is not None


def device_count() -> int:
    """The number of CUDA devices CuPy sees (0 without CuPy)."""
    cupy = _cupy()
    return 0 if cupy is None else cupy.cuda.runtime.getDeviceCount()


def is_initialized() -> bool:
    """True when the GPU path is usable (CuPy initialises CUDA lazily on its own)."""
    return is_available()


def current_device() -> int:
    """The index of the current CUDA device."""
    return _require_cupy().cuda.Device().id


def set_device(device) -> None:
    """Makes `device` (an index, 'cuda:N' or ndgrad.device) the current CUDA device."""
    index = device if isinstance(device, int) else _backend.device(device).index or 0
    _require_cupy().cuda.Device(index).use()


def synchronize(device=None) -> None:
    """Waits for every kernel queued on the current device to finish."""
    _require_cupy().cuda.Device().synchronize()


def get_device_name(device=None) -> str:
    """The name of a CUDA device (the current one by default)."""
    cupy = _require_cupy()
    index = current_device() if device is None else _backend.device(device).index or 0
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def empty_cache() -> None:
    """Frees the blocks CuPy's memory pool holds but no array uses."""
    cupy = _cupy()
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by arrays (0 without CuPy)."""
    cupy = _cupy()
    return 0 if cupy is None else cupy.get_default_memory_pool().used_bytes()


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory CuPy's pool has taken from the device (0 without CuPy)."""
    cupy = _cupy()
    return 0 if cupy is None else cupy.get_default_memory_pool().total_bytes()


def max_memory_allocated(device=None) -> int:
    """CuPy keeps no peak figure: the memory allocated now (0 without CuPy)."""
    return memory_allocated(device)


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: ndgrad has no bfloat16 dtype."""
    return False


def manual_seed(seed: int) -> None:
    """Accepted for PyTorch programs; ndgrad.manual_seed seeds every device."""


def manual_seed_all(seed: int) -> None:
    """Accepted for PyTorch programs; ndgrad.manual_seed seeds every device."""


def seed() -> None:
    """Accepted for PyTorch programs; ndgrad.seed reseeds every device."""


def seed_all() -> None:
    """Accepted for PyTorch programs; ndgrad.seed reseeds every device."""
