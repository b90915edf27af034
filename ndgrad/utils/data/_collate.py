"""default_collate: turns a list of samples into a batch, like PyTorch's."""
from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from ndgrad import _dtype
from ndgrad._creation import as_tensor, tensor
from ndgrad._tensor import Tensor
from ndgrad.ops.shape import stack


def default_collate(batch: list):
    """Stacks tensors and arrays along a new first dim, makes numbers into 1-D tensors, keeps
    strings as lists, and recurses into tuples, lists, dicts and named tuples."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, np.ndarray):
        if first.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, "
                            f"numbers, dicts or lists; found array of {first.dtype}")
        return stack([as_tensor(b) for b in batch])
    if isinstance(first, np.generic):
        return as_tensor(np.array(batch))
    if isinstance(first, bool):
        return tensor(batch, dtype=_dtype.bool)
    if isinstance(first, numbers.Integral):
        return tensor(batch, dtype=_dtype.int64)
    if isinstance(first, numbers.Real):
        return tensor(batch, dtype=_dtype.float64)
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, collections.abc.Mapping):
        collated = {key: default_collate([b[key] for b in batch]) for key in first}
        try:
            return type(first)(collated)
        except TypeError:
            return collated
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(list(group)) for group in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(list(group)) for group in zip(*batch)]
        if isinstance(first, tuple):
            return columns  # PyTorch returns a list for tuples of samples
        try:
            return type(first)(columns)
        except TypeError:
            return columns
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(first).__name__}")
