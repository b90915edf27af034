"""Errors raised by ONNX export, named and nested as torch.onnx.errors's."""
from __future__ import annotations

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """Export could not write a faithful ONNX graph of the model."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op met during tracing has no ONNX translation."""
