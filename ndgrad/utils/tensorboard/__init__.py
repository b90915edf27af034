"""TensorBoard logging (PyTorch's torch.utils.tensorboard): SummaryWriter writes event files
with the tensorboard package's own writer and protocol buffers."""
try:
    import tensorboard  # noqa: F401
except ImportError:
    raise ImportError("ndgrad.utils.tensorboard needs the tensorboard package: "
                      "pip install 'ndgrad[tensorboard]'") from None

from ndgrad.utils.tensorboard.writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
