"""Padding layers: reflection, replication, zero, constant and circular padding of 1-3
spatial dims (see F.pad for the order of the pad widths)."""
from __future__ import annotations

from ndgrad._tensor import Tensor
from ndgrad.nn import functional as F
from ndgrad.nn.modules.module import Module


def _widths(padding, dims: int, name: str) -> tuple:
    """(left, right) per padded dim, last dim first: an int pads every side by the same."""
    count = 2 * dims
    if isinstance(padding, int):
        return (padding,) * count
    padding = tuple(padding)
    if len(padding) != count or not all(isinstance(p, int) for p in padding):
        raise ValueError(f"{name}: padding must be an int or a tuple of {count} ints, got "
                         f"{padding}")
    return padding


class _PadNd(Module):
    """Pads the last `dims` dims of an input of `dims` + 1 or `dims` + 2 dims with `mode`."""

    dims = 1
    mode = "constant"
    # PyTorch's error type for an input of the wrong rank: its circular modules check the rank
    # themselves (ValueError), reflection and replication leave it to F.pad.
    rank_error = NotImplementedError

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _widths(padding, self.dims, type(self).__name__)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (self.dims + 1, self.dims + 2):
            raise self.rank_error(f"{type(self).__name__}: expected {self.dims + 1}D or "
                             f"{self.dims + 2}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """Pads with a constant `value`."""

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        # Any input with at least as many dims as padded ones works, as in PyTorch.
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ReflectionPad1d(_PadNd):
    """Pads the last dim with its mirror image, the edge not repeated: (N, C, W) or (C, W)."""
    dims, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Reflection padding of (N, C, H, W) or (C, H, W); padding (left, right, top, bottom)."""
    dims, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Reflection padding of (N, C, D, H, W) or (C, D, H, W)."""
    dims, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pads the last dim by repeating its edge values."""
    dims, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Replication padding of the last two dims."""
    dims, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Replication padding of the last three dims."""
    dims, mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Pads the last dim by wrapping around: the left pad is taken from the right end."""
    dims, mode = 1, "circular"
    rank_error = ValueError


class CircularPad2d(_PadNd):
    """Circular padding of the last two dims."""
    dims, mode = 2, "circular"
    rank_error = ValueError


class CircularPad3d(_PadNd):
    """Circular padding of the last three dims."""
    dims, mode = 3, "circular"
    rank_error = ValueError


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with `value`."""
    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with `value`."""
    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with `value`."""
    dims = 3


class _ZeroPad:
    """Constant padding with zeros: only the padding is given, and only it is shown."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Pads the last dim with zeros."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Pads the last two dims with zeros."""


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Pads the last three dims with zeros."""


__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]
