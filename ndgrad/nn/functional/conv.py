"""Convolutions (PyTorch's conv*, conv_transpose*, unfold, fold), defined in ndgrad.ops.conv."""
from ndgrad.ops.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
                             conv_transpose3d, fold, unfold)

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "fold", "unfold"]
