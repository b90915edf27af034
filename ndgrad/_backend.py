"""The one place that knows NumPy from CuPy: array modules and devices."""
from __future__ import annotations

import functools

import numpy

try:  # CuPy is optional; without it every array lives on the CPU.
    import cupy as _cupy
except ImportError:
    _cupy = None


# NumPy's floating point warnings (divide by zero, invalid value, overflow) are silenced while
# ops run: PyTorch gives inf and nan without a word. `token = quiet_numpy()` turns them off and
# `restore_numpy(token)` restores the state from before. NumPy 2 keeps its error state in a
# context variable; setting a ready-made state there costs 0.2 us, where np.errstate builds a
# new one on each entry (1.2 us, half of the 2.5 us of `a + a`; measured).
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _numpy_errors
except ImportError:  # a NumPy without it: the public, slower way
    _numpy_errors = None

if _numpy_errors is not None:
    with numpy.errstate(all="ignore"):
        quiet_numpy = functools.partial(_numpy_errors.set, _numpy_errors.get())
    restore_numpy = _numpy_errors.reset
else:
    def quiet_numpy():
        state = numpy.errstate(all="ignore")
        state.__enter__()
        return state

    def restore_numpy(token) -> None:
        token.__exit__(None, None, None)


def array_module(*arrays):
    """Return cupy if any argument is a cupy array, else numpy."""
    if _cupy is not None and any(isinstance(a, _cupy.ndarray) for a in arrays):
        return _cupy
    return numpy


def add_at(target, index, values) -> None:
    """Adds `values` into `target[index]` in place, accumulating repeated indices."""
    if _cupy is not None and isinstance(target, _cupy.ndarray):
        _cupy.add.at(target, index, values)
    else:
        numpy.add.at(target, index, values)


def to_host(array) -> numpy.ndarray:
    """Returns a NumPy copy of a device array (the array itself if already on the CPU)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return array.get()
    return array


class device:
    """Where a tensor's data lives: 'cpu', or 'cuda[:N]' when CuPy is installed."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, number = str(type).partition(":")
        if name not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type = name
        self.index = int(number) if number else index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")


def device_of(array) -> device:
    """Returns the device an array lives on."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return device("cuda", array.device.id)
    return CPU


def move_to(array, target: device):
    """Returns `array` on device `target` (the same array when it is already there)."""
    if target.type == "cpu":
        return to_host(array)
    if _cupy is None:
        raise RuntimeError("CUDA tensors need CuPy, which is not installed")
    with _cupy.cuda.Device(target.index or 0):
        return _cupy.asarray(array)
