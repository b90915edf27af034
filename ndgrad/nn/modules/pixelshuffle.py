"""PixelShuffle and PixelUnshuffle under PyTorch's module path (torch.nn.modules.pixelshuffle);
they are defined with the other resizing layers in upsampling.py."""
from ndgrad.nn.modules.upsampling import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
