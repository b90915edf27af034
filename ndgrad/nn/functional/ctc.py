"""ctc_loss: argument checks and reduction around the CTC op of ndgrad/ops/ctc.py."""
from __future__ import annotations

import numpy as np

from ndgrad._backend import array_module
from ndgrad._creation import tensor
from ndgrad._tensor import Tensor
from ndgrad.nn.functional.loss import _reduction_mode
from ndgrad.ops.ctc import ctc_loss_per_sample


def _lengths(lengths, name: str) -> np.ndarray:
    """Lengths given as a tensor, a sequence or a number, as a 1-D int64 array."""
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype.is_complex:
            raise RuntimeError(f"{name} must be integral, got dtype {lengths.dtype.name}")
        return lengths.numpy().astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _check_range(values: np.ndarray, name: str, high: int | None = None) -> None:
    if values.size and values.min() < 0:
        raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                           f"{values.min()}")
    if high is not None and values.size and values.max() > high:
        raise RuntimeError(f"Expected {name} to have value at most {high}, but got value "
                           f"{values.max()}")


def _padded_targets(targets: np.ndarray, target_lengths: np.ndarray, batch: int) -> np.ndarray:
    """The targets as an (N, S) array, S the longest target; the padding is never read."""
    longest = int(target_lengths.max()) if target_lengths.size else 0
    if targets.ndim == 2:
        if targets.shape[0] != batch:
            raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got "
                               f"size {targets.shape[0]} for argument #2 'targets'")
        if targets.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, "
                               f"but got size {targets.shape[1]} for argument #2 'targets'")
        return targets[:, :longest]
    total = int(target_lengths.sum())
    if targets.shape[0] != total:
        raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size "
                           f"{targets.shape[0]} for argument #2 'targets' (concatenated targets "
                           f"must hold sum(target_lengths) labels)")
    padded = np.zeros((batch, longest), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(target_lengths)])
    for n in range(batch):
        padded[n, :target_lengths[n]] = targets[offsets[n]:offsets[n + 1]]
    return padded


def _extended_labels(padded: np.ndarray, target_lengths: np.ndarray, blank: int,
                     classes: int) -> np.ndarray:
    """(N, 2 S + 1) label sequences blank, l1, blank, l2, ..., blank, padded with blank."""
    batch, longest = padded.shape
    used = np.arange(longest)[None, :] < target_lengths[:, None]
    labels = np.where(used, padded, blank)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise RuntimeError(f"ctc_loss: target {bad} is out of bounds for {classes} classes")
    extended = np.full((batch, 2 * longest + 1), blank, dtype=np.int64)
    extended[:, 1::2] = labels
    return extended


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The connectionist temporal classification loss of log-probabilities (T, N, C), or
    unbatched (T, C), against targets padded (N, S) or concatenated (sum(target_lengths),).

    'mean' divides each sequence's loss by its target length (at least 1) and then averages
    over the batch. `zero_infinity` turns infinite losses (no alignment exists, e.g. a target
    longer than its input) and their gradients into zeros. The gradient is PyTorch's, first
    order only (see Note [ctc gradient] in ndgrad/ops/ctc.py).
    """
    reduction = _reduction_mode(None, None, reduction)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got "
                           f"shape {list(log_probs.shape)}")
    if not log_probs.is_floating_point():
        raise NotImplementedError(f"ctc_loss: log_probs must be floating point, got dtype "
                                  f"{log_probs.dtype.name}")
    batched = log_probs.ndim == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)
    target_array = targets.numpy() if isinstance(targets, Tensor) else np.asarray(targets)
    if not batched and target_array.ndim == 1:
        target_array = target_array[None]
    if target_array.ndim not in (1, 2):
        raise RuntimeError(f"ctc_loss: expected targets of 1 to 2 dimensions, got shape "
                           f"{list(target_array.shape)}")
    T, N, C = log_probs.shape
    input_lengths = _lengths(input_lengths, "input_lengths")
    target_lengths = _lengths(target_lengths, "target_lengths")
    if len(input_lengths) != N:
        raise RuntimeError(f"input_lengths must be of size batch_size ({N}), got "
                           f"{len(input_lengths)}")
    if len(target_lengths) != N:
        raise RuntimeError(f"target_lengths must be of size batch_size ({N}), got "
                           f"{len(target_lengths)}")
    if not 0 <= blank < C:
        raise RuntimeError(f"blank must be in label range [0, {C - 1}], got {blank}")
    _check_range(input_lengths, "input_lengths", T)
    _check_range(target_lengths, "target_lengths")
    padded = _padded_targets(target_array.astype(np.int64), target_lengths, N)
    labels = _extended_labels(padded, target_lengths, blank, C)
    xp = array_module(log_probs._data)
    loss = ctc_loss_per_sample(log_probs, xp.asarray(labels), xp.asarray(input_lengths),
                               xp.asarray(2 * target_lengths + 1), bool(zero_infinity))
    if reduction == "mean":
        divisor = tensor(np.maximum(target_lengths, 1), dtype=log_probs.dtype,
                         device=log_probs.device)
        return (loss / divisor).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)
