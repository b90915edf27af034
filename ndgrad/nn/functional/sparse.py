"""Lookup tables: embedding, embedding_bag, one_hot."""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import no_grad
from ndgrad.ops import elementwise as ew
from ndgrad.ops import reduction
from ndgrad.ops._common import as_tensor, constant, tensor_arg
from ndgrad.ops.hooks import tap
from ndgrad.ops.indexing import getitem, index_add


def _indices(input, weight, op: str) -> np.ndarray:
    """`input`'s integer indices as an array, each a row of the 2-D `weight`."""
    data = tensor_arg(input, op)._data
    if tensor_arg(weight, op, "weight", 2).ndim != 2:
        raise RuntimeError(f"{op}: 'weight' must be 2-D, got weight of shape "
                           f"{list(weight.shape)}")
    num_embeddings = weight.shape[0]
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {data.dtype} instead")
    if data.size and (data.min() < 0 or data.max() >= num_embeddings):
        bad = data.max() if data.max() >= num_embeddings else data.min()
        raise IndexError(f"index {bad} is out of range for an embedding of "
                         f"{num_embeddings} rows")
    return data


def _renorm_(weight: Tensor, indices: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scales the referenced rows whose norm exceeds max_norm down to it, in place."""
    rows = np.unique(indices)
    with no_grad():
        norms = np.linalg.norm(weight._data[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight._data[rows] *= scale[:, None].astype(weight._data.dtype)
        weight._vc[0] += 1


def _scale_grad_by_freq(rows: Tensor, indices: np.ndarray) -> Tensor:
    """rows unchanged, but the gradient of each divided by how often its index occurs."""
    if not rows.requires_grad:
        return rows
    _, inverse, counts = np.unique(indices, return_inverse=True, return_counts=True)
    scale = constant((1.0 / counts[inverse.reshape(indices.shape)])[..., None]
                     .astype(rows._data.dtype))
    (rows,) = tap(lambda grads: (grads[0] * scale,), rows)
    return rows


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` at the integer `input`; the padding_idx row gets no gradient.

    scale_grad_by_freq divides each row's gradient by its index's count in `input`; `sparse`
    is accepted, but the gradient is always dense.
    """
    indices = _indices(input, weight, "embedding")
    if max_norm is not None:
        _renorm_(weight, indices, max_norm, norm_type)
    output = getitem(weight, indices)
    if scale_grad_by_freq:
        output = _scale_grad_by_freq(output, indices)
    if padding_idx is not None:
        padding_idx = padding_idx % weight.shape[0]
        is_padding = constant((indices == padding_idx)[..., None])
        output = ew.where(is_padding, output.detach(), output)
    return output


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxes of embedding rows per bag: the rows of a 2-D input, or the runs of
    a 1-D input that start at `offsets`.

    scale_grad_by_freq divides each row's gradient by its index's count in `input` (PyTorch
    2.13 scales some rows by other indices' counts); `sparse` is accepted, the gradient is
    dense.
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}')")
    if scale_grad_by_freq and mode == "max":
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    weight = tensor_arg(weight, "embedding_bag", "weight", 2)
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    indices = _indices(input, weight, "embedding_bag")
    if indices.ndim == 2 and offsets is not None:
        raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                         "a mini-batch of fixed length sequences")
    if indices.ndim == 2:
        bags = np.repeat(np.arange(indices.shape[0]), indices.shape[1])
        count, indices = indices.shape[0], indices.reshape(-1)
    else:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = as_tensor(offsets)._data
        _check_offsets(starts, len(indices))
        count = len(starts) - 1 if include_last_offset else len(starts)
        bags = np.searchsorted(starts, np.arange(len(indices)), side="right") - 1
    if max_norm is not None:
        _renorm_(weight, indices, max_norm, norm_type)
    keep = np.ones(len(indices), dtype=bool) if padding_idx is None else \
        indices != padding_idx % weight.shape[0]
    rows = getitem(weight, indices[keep])
    if scale_grad_by_freq:
        rows = _scale_grad_by_freq(rows, indices[keep])
    if per_sample_weights is not None:
        rows = rows * getitem(per_sample_weights.reshape(-1), np.nonzero(keep)[0]).unsqueeze(1)
    bags = bags[keep]
    if mode == "max":
        return _bag_max(rows, bags, count, weight)
    zeros = constant(np.zeros((count, weight.shape[1]), dtype=weight._data.dtype))
    total = index_add(zeros, 0, constant(bags), rows)
    if mode == "sum":
        return total
    sizes = np.bincount(bags, minlength=count).astype(weight._data.dtype)
    return total / constant(np.maximum(sizes, 1)[:, None])


def _check_offsets(starts: np.ndarray, length: int) -> None:
    """Bags start at 0 and within the input, as PyTorch requires."""
    if starts.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor, but got Tensor of dimension "
                         f"{starts.ndim}")
    if len(starts) and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {starts[0]}")
    if len(starts) and starts[-1] > length:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {length} but "
                           f"got offsets[-1] of {starts[-1]}")


def _bag_max(rows: Tensor, bags: np.ndarray, count: int, weight: Tensor) -> Tensor:
    from ndgrad.ops.shape import stack
    empty = constant(np.zeros(weight.shape[1], dtype=weight._data.dtype))
    pieces = [reduction.amax(getitem(rows, np.nonzero(bags == b)[0]), 0)
              if np.any(bags == b) else empty for b in range(count)]
    return stack(pieces) if pieces else constant(np.zeros((0, weight.shape[1]),
                                                          dtype=weight._data.dtype))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot vectors along a new last dim; num_classes=-1 uses max + 1."""
    data = as_tensor(tensor)._data
    if data.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes and non-negative.")
    return constant((data[..., None] == np.arange(num_classes)).astype(np.int64))
