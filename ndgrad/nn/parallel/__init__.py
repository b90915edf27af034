"""Data parallelism over processes (PyTorch's torch.nn.parallel)."""
from ndgrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
