"""Neural network building blocks (PyTorch's torch.nn)."""
from ndgrad.nn import functional

__all__ = ["functional"]
