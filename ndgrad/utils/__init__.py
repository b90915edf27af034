"""Utilities (PyTorch's torch.utils)."""
from ndgrad.utils import data

__all__ = ["data"]
