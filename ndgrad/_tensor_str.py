"""Formats tensors the way PyTorch prints them: `tensor([1., 2.], requires_grad=True)`."""
from __future__ import annotations

import numpy as np

from ndgrad import _dtype

_PREFIX = "tensor("
# Tensors with this many elements or more are summarised with '...' as PyTorch does.
_SUMMARY_THRESHOLD = 1000


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.all(finite == np.round(finite)):
        big = finite.size and np.abs(finite).max() >= 1e8
        return (lambda v: f"{v:.4e}") if big else _integral_float
    magnitudes = np.abs(finite[finite != 0])
    if magnitudes.size and (magnitudes.max() >= 1e8 or magnitudes.min() < 1e-4
                            or magnitudes.max() / magnitudes.min() > 1e3):
        return lambda v: f"{v:.4e}"
    return lambda v: f"{v:.4f}"


def _integral_float(v) -> str:
    if np.isfinite(v):
        return f"{v:.0f}."
    return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")


def _format_array(array: np.ndarray) -> str:
    if array.dtype == np.bool_:
        formatter = str
    elif array.dtype.kind == "f":
        formatter = _float_formatter(array.astype(np.float64).ravel())
    else:
        formatter = str
    width = max((len(formatter(v)) for v in array.ravel()), default=0)
    summarise = array.size >= _SUMMARY_THRESHOLD
    return np.array2string(
        array, separator=", ", prefix=_PREFIX, threshold=_SUMMARY_THRESHOLD if summarise else
        array.size + 1, edgeitems=3, max_line_width=80,
        formatter={"all": lambda v: formatter(v).rjust(width)})


def tensor_repr(tensor) -> str:
    """The repr of a tensor: values, then dtype, grad_fn and requires_grad where relevant."""
    array = np.asarray(tensor._data)
    suffixes = []
    if array.size == 0 and array.ndim != 1:
        body = "[]"
        suffixes.append(f"size={tuple(array.shape)}")
    else:
        body = _format_array(array)
    dtype = tensor.dtype
    if dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool):
        suffixes.append(f"dtype=ndgrad.{dtype.name}")
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _PREFIX + ", ".join([body] + suffixes) + ")"
