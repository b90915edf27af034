"""Functional neural network ops (PyTorch's torch.nn.functional)."""
from ndgrad.ops.rearrange import pad

__all__ = ["pad"]
