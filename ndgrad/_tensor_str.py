"""Formats tensors the way PyTorch prints them: `tensor([1., 2.], requires_grad=True)`.

The layout rules (shared width, int/fixed/scientific mode, '...' summaries, line wrapping)
follow PyTorch's default print options so that reprs match character for character.
"""
from __future__ import annotations

import numpy as np

from ndgrad import _backend, _dtype

_PREFIX = "tensor("
_PRECISION = 4
# Tensors with more elements than this are summarised with '...'.
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80


class _Formatter:
    """Formats every element of one tensor to the same width and notation."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            self.max_width = max([len(str(v)) for v in values.ravel().tolist()] + [1])
            return
        values = values.astype(np.float64)
        # Zeros and non-finite values neither pick the notation nor count toward the width.
        nonzero_finite = values[np.isfinite(values) & (values != 0)]
        if nonzero_finite.size == 0:
            return
        magnitudes = np.abs(nonzero_finite)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        # largest > 1000 * smallest, not largest / smallest, which overflows for subnormals.
        self.sci_mode = bool(largest > 1000.0 * smallest or largest > 1.0e8
                             or (not self.int_mode and smallest < 1.0e-4))
        if self.sci_mode:
            widths = [len(f"{v:.{_PRECISION}e}") for v in nonzero_finite.tolist()]
        elif self.int_mode:
            # One more for the '.' that marks the values as floats.
            widths = [len(f"{v:.0f}") + 1 for v in nonzero_finite.tolist()]
        else:
            widths = [len(f"{v:.{_PRECISION}f}") for v in nonzero_finite.tolist()]
        self.max_width = max(widths)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if np.isfinite(value):
                text += "."
        else:
            text = f"{value:.{_PRECISION}f}"
        return text.rjust(self.max_width)


def _summarized(array: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: the first and last edge items along each dim."""
    for axis, size in enumerate(array.shape):
        if size > 2 * _EDGEITEMS:
            edges = np.r_[0:_EDGEITEMS, size - _EDGEITEMS:size]
            array = np.take(array, edges, axis=axis)
    return array


def _vector_str(array: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    elements_per_line = max(1, (_LINEWIDTH - indent) // (formatter.max_width + 2))
    if summarize and array.shape[0] > 2 * _EDGEITEMS:
        data = ([formatter.format(v) for v in array[:_EDGEITEMS].tolist()] + [" ..."]
                + [formatter.format(v) for v in array[-_EDGEITEMS:].tolist()])
    else:
        data = [formatter.format(v) for v in array.tolist()]
    lines = [", ".join(data[i:i + elements_per_line])
             for i in range(0, len(data), elements_per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(array: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector_str(array, indent, summarize, formatter)
    rows = range(array.shape[0])
    if summarize and array.shape[0] > 2 * _EDGEITEMS:
        rows = [*range(_EDGEITEMS), None, *range(array.shape[0] - _EDGEITEMS, array.shape[0])]
    slices = ["..." if i is None else _array_str(array[i], indent + 1, summarize, formatter)
              for i in rows]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text: str, suffixes: list) -> str:
    """Appends `, suffix` to the last line, or on a new line where it would pass the width."""
    indent = len(_PREFIX)
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(tensor) -> str:
    """The repr of a tensor: values, then device, dtype, grad_fn or requires_grad as relevant."""
    array = _backend.to_host(tensor._data)
    dtype = tensor.dtype
    suffixes = []
    if tensor.device.type != "cpu":
        suffixes.append(f"device='{tensor.device}'")
    if array.size == 0:
        # Matches NumPy: the shape is shown unless it is (0,); no values show the dtype.
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype is not _dtype.get_default_dtype():
            suffixes.append(f"dtype={dtype!r}")
    else:
        if dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool):
            suffixes.append(f"dtype={dtype!r}")
        summarize = array.size > _THRESHOLD
        formatter = _Formatter(_summarized(array) if summarize else array)
        body = _array_str(array, len(_PREFIX), summarize, formatter)
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(_PREFIX + body, suffixes)
