"""default_collate and default_convert: turn samples into tensors, like PyTorch's."""
from __future__ import annotations

import collections.abc
import copy
import numbers

import numpy as np

from ndgrad import _dtype
from ndgrad._creation import as_tensor, tensor
from ndgrad._tensor import Tensor
from ndgrad.ops.shape import stack

# NumPy arrays of strings or objects cannot become tensors (dtype kinds, as in PyTorch).
_NON_NUMERIC_KINDS = "OSU"


def default_collate(batch: list):
    """Stacks tensors and arrays along a new first dim, makes numbers into 1-D tensors, keeps
    strings as they come, and recurses into tuples, lists, dicts and named tuples.

    As in PyTorch, a tuple sample collates to a list, and strings inside a list or tuple
    sample come back as the tuple of that field's values.
    """
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(list(batch))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, np.ndarray):
        if first.dtype.kind in _NON_NUMERIC_KINDS:
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, "
                            f"numbers, dicts or lists; found array of {first.dtype}")
        return stack([as_tensor(b) for b in batch])
    if isinstance(first, np.generic):
        return as_tensor(np.array(batch))
    if isinstance(first, bool):
        return tensor(list(batch), dtype=_dtype.bool)
    if isinstance(first, numbers.Integral):
        return tensor(list(batch), dtype=_dtype.int64)
    if isinstance(first, numbers.Real):
        return tensor(list(batch), dtype=_dtype.float64)
    if isinstance(first, collections.abc.Mapping):
        collated = {key: default_collate([b[key] for b in batch]) for key in first}
        try:
            return type(first)(collated)
        except TypeError:
            return collated
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(group) for group in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(group) for group in zip(*batch)]
        if isinstance(first, tuple):
            return columns  # PyTorch returns a list for tuples of samples
        try:
            return type(first)(columns)
        except TypeError:
            return columns
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(first).__name__}")


def default_convert(data):
    """Makes NumPy arrays and scalars into tensors, recursing into containers; other values
    pass through. The DataLoader applies it to samples when automatic batching is off."""
    if isinstance(data, Tensor) or isinstance(data, (str, bytes)):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        return data if data.dtype.kind in _NON_NUMERIC_KINDS else as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            clone = copy.copy(data)
            clone.update(converted)
            return clone
        except (AttributeError, TypeError):
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, as in PyTorch
    if isinstance(data, collections.abc.Sequence):
        try:
            clone = copy.copy(data)
            for i, d in enumerate(data):
                clone[i] = default_convert(d)
            return clone
        except TypeError:
            return [default_convert(d) for d in data]
    return data
