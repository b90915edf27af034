"""ndgrad.onnx: export a model to ONNX, with torch.onnx's public names.

`export` runs one forward pass in a tracing mode that records every op applied (see
_tracer.py), translates each op to ONNX nodes (the _symbolic_*.py files, one per family) and
writes the graph with the `onnx` package, which is imported only when `export` runs.
"""
from __future__ import annotations

import enum

from ndgrad.onnx import errors
from ndgrad.onnx._export import export
from ndgrad.onnx._tracer import is_in_onnx_export
from ndgrad.onnx.errors import OnnxExporterError

__all__ = [
    "OnnxExporterError",
    "OperatorExportTypes",
    "TrainingMode",
    "errors",
    "export",
    "is_in_onnx_export",
]


class TrainingMode(enum.IntEnum):
    """Which mode the model is put in for export (only EVAL exports a faithful graph)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    """How ops are exported; ndgrad writes standard ONNX ops only."""

    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3
