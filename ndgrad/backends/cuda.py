"""torch.backends.cuda: flags of PyTorch's CUDA matrix kernels, kept for programs that set them.

ndgrad's GPU path multiplies with CuPy, whose precision these flags do not change.
"""
from ndgrad import cuda as _cuda

__all__ = ["is_built", "matmul"]


class _MatmulFlags:
    """torch.backends.cuda.matmul: TF32 and reduced-precision flags, PyTorch's defaults."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    """True when ndgrad's GPU path (CuPy) is usable."""
    return _cuda.is_available()
