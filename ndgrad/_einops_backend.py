"""ndgrad's einops backend: the operations einops composes rearrange, reduce, repeat, einsum,
pack and unpack from, as differentiable ndgrad ops. Imported only once einops is (see
ndgrad/_einops.py)."""
from __future__ import annotations

from einops._backends import AbstractBackend

from ndgrad import _dtype
from ndgrad._creation import arange, from_numpy
from ndgrad._tensor import Tensor
from ndgrad.ops.linalg import einsum
from ndgrad.ops.shape import cat, stack, unsqueeze


class NdgradBackend(AbstractBackend):
    """einops on ndgrad tensors, as einops' TorchBackend does it on torch's."""

    framework_name = "ndgrad"

    def is_appropriate_type(self, tensor) -> bool:
        return isinstance(tensor, Tensor)

    def from_numpy(self, x):
        tensor = from_numpy(x)
        return tensor.requires_grad_(True) if tensor.is_floating_point() else tensor

    def to_numpy(self, x):
        return x.detach().numpy()

    def arange(self, start, stop):
        return arange(start, stop, dtype=_dtype.int64)

    def reduce(self, x, operation, reduced_axes):
        if operation in ("min", "max"):
            return getattr(x, "a" + operation)(dim=reduced_axes)
        if operation in ("sum", "mean"):
            return getattr(x, operation)(dim=reduced_axes)
        if operation in ("any", "all", "prod"):
            for axis in sorted(reduced_axes, reverse=True):  # one dim at a time, highest first
                x = getattr(x, operation)(dim=axis)
            return x
        raise NotImplementedError(f"einops reduction {operation!r} is not supported")

    def transpose(self, x, axes):
        return x.permute(axes)

    def stack_on_zeroth_dimension(self, tensors: list):
        return stack(tensors)

    def add_axes(self, x, n_axes, pos2len):
        # Broadcast views, not copies, as for torch: repeat() copies later only if it must.
        repeats = [-1] * n_axes
        for position, length in pos2len.items():
            x = unsqueeze(x, position)
            repeats[position] = length
        return x.expand(repeats)

    def tile(self, x, repeats):
        return x.repeat(repeats)

    def concat(self, tensors, axis: int):
        return cat(tensors, dim=axis)

    def add_axis(self, x, new_position):
        return unsqueeze(x, new_position)

    def is_float_type(self, x) -> bool:
        return x.is_floating_point()

    def einsum(self, pattern, *x):
        return einsum(pattern, *x)
