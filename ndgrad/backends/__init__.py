"""torch.backends: which optional kernels libraries are present, and their flags.

ndgrad computes with NumPy (and CuPy on the GPU path), so the CUDA libraries PyTorch can call
(cuDNN, MPS) are never available; their flags are kept so programs that set them run.
"""
from ndgrad.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
