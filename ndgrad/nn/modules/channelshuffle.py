"""ChannelShuffle: interleaves the channels of `groups` groups (ShuffleNet)."""
from __future__ import annotations

from ndgrad._tensor import Tensor
from ndgrad.nn.modules.module import Module


class ChannelShuffle(Module):
    """(N, C, *) -> (N, C, *) with channel g * (C / groups) + k moved to k * groups + g."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() < 3:
            raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, "
                               f"but got input with sizes {list(input.shape)}")
        batch, channels, *spatial = input.shape
        if self.groups <= 0 or channels % self.groups:
            raise RuntimeError(f"Number of channels must be divisible by groups. Got "
                               f"{channels} channels and {self.groups} groups.")
        grouped = input.reshape(batch, self.groups, channels // self.groups, *spatial)
        return grouped.transpose(1, 2).reshape(input.shape)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


__all__ = ["ChannelShuffle"]
