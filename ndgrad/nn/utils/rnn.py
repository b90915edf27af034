"""Packed and padded batches of variable-length sequences (PyTorch's torch.nn.utils.rnn).

Every function moves rows with one gather (`source[index]` with an integer index array built
in NumPy from the lengths), so gradients reach the inputs through ndgrad's indexing op, to any
order. Padding is a constant row appended to the source before the gather.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ndgrad import _dtype
from ndgrad._args import tensor_arg
from ndgrad._creation import as_tensor, full, tensor
from ndgrad._tensor import Tensor
from ndgrad.ops.shape import cat

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence",
           "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence"]

_PackedSequenceBase = namedtuple("_PackedSequenceBase",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """A batch of sequences packed time step by time step, as recurrent modules accept it.

    `data` holds the steps of all sequences, longest first within each step; `batch_sizes[t]`
    (an int64 CPU tensor) says how many sequences have a step t. `sorted_indices` maps the
    packed order to the original batch; `unsorted_indices` is its inverse (None when the batch
    was given sorted). Build one with `pack_padded_sequence` or `pack_sequence`.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None, unsorted_indices: Tensor | None = None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            # PackedSequence((data, batch_sizes)) is accepted, as in PyTorch.
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence "
                             "should never be created manually. They should be instantiated "
                             "by functions like pack_sequence and pack_padded_sequences in "
                             "nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """This sequence with `data` converted as `Tensor.to` does; indices follow the device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices, unsorted_indices = (None if i is None else i.to(data.device)
                                            for i in (self.sorted_indices,
                                                      self.unsorted_indices))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(dtype=_dtype.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=_dtype.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=_dtype.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=_dtype.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=_dtype.int32)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of an index permutation (None for None)."""
    if permutation is None:
        return None
    inverse = np.argsort(permutation.cpu().numpy(), kind="stable")
    return tensor(inverse, dtype=permutation.dtype, device=permutation.device)


def _lengths_array(lengths, op: str) -> np.ndarray:
    """`lengths` (a list or a 1-D tensor) as an int64 NumPy array; fractions are truncated, as
    PyTorch's conversion to int64 does."""
    if not isinstance(lengths, Tensor):
        lengths = as_tensor(lengths, dtype=_dtype.int64)
    if lengths.ndim != 1:
        raise RuntimeError(f"{op}: 'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lengths.ndim}D {lengths.dtype} tensor")
    return lengths.cpu().numpy().astype(np.int64)


def _gather(source: Tensor, index: np.ndarray) -> Tensor:
    """Rows of `source` (first dim) picked by an integer array: result shape index.shape +
    source.shape[1:]."""
    return source[tensor(index, dtype=_dtype.int64, device=source.device)]


def _with_padding_row(rows: Tensor, padding_value: float) -> Tensor:
    """`rows` with one more row, filled with `padding_value`, at index len(rows)."""
    pad = full((1, *rows.shape[1:]), padding_value, dtype=rows.dtype, device=rows.device)
    return cat([rows, pad])


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch (T x B x * or B x T x * with `batch_first`) of sequences of the
    given `lengths`.

    With `enforce_sorted` the lengths must be in decreasing order; otherwise the batch is
    sorted here and the permutation kept in the result. A length longer than the input's time
    dimension is a RuntimeError (PyTorch reads past the input's end instead).
    """
    op = "pack_padded_sequence"
    input = tensor_arg(input, op)
    lengths = _lengths_array(lengths, op)
    time_dim, batch_dim = (1, 0) if batch_first else (0, 1)
    if input.ndim < 2:
        raise IndexError(f"{op}: expected input with at least 2 dimensions (time and batch), "
                         f"but got input of shape {list(input.shape)}")
    if input.numel() == 0:
        raise RuntimeError(f"Cannot pack empty tensors. ({op} got input of shape "
                           f"{list(input.shape)})")
    steps, batch = input.shape[time_dim], input.shape[batch_dim]
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch})")
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               f"requirement; got lengths {lengths.tolist()}")
        order, sorted_indices = np.arange(batch), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = tensor(order, dtype=_dtype.int64, device=input.device)
    if lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           f"element in 'lengths' that is <= 0: {lengths.tolist()}")
    if lengths.max() > steps:
        raise RuntimeError(f"{op}: a length in 'lengths' ({lengths.max()}) is longer than the "
                           f"input's time dimension {time_dim} (size {steps})")
    sorted_lengths = lengths[order]
    present = sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]
    t, b = np.nonzero(present)       # row-major: time step by time step, longest first
    columns = order[b]
    flat = columns * steps + t if batch_first else t * batch + columns
    data = _gather(input.reshape(steps * batch, *input.shape[2:]), flat)
    batch_sizes = tensor(present.sum(axis=1), dtype=_dtype.int64)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _packed_positions(batch_sizes: np.ndarray, steps: int) -> np.ndarray:
    """For each (time step, sorted column) of a steps x batch grid, the row of the packed
    data holding it, or len(data) (the padding row) where the sequence has ended."""
    batch = int(batch_sizes[0]) if len(batch_sizes) else 0
    present = np.zeros((steps, batch), dtype=bool)
    present[:len(batch_sizes)] = np.arange(batch)[None, :] < batch_sizes[:, None]
    positions = np.full((steps, batch), int(batch_sizes.sum()), dtype=np.int64)
    positions[present] = np.arange(int(batch_sizes.sum()))
    return positions


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Unpacks a `PackedSequence` into a padded batch and the sequences' lengths.

    The batch is T x B x * (B x T x * with `batch_first`) in the original order, with T the
    longest length, or `total_length` when given. Lengths are an int64 CPU tensor.
    """
    batch_sizes = sequence.batch_sizes.numpy().astype(np.int64)
    max_length = len(batch_sizes)
    if total_length is None:
        total_length = max_length
    elif total_length < max_length:
        raise ValueError("Expected total_length to be at least the length of the longest "
                         f"sequence in input, but got total_length={total_length} and max "
                         f"sequence length being {max_length}")
    positions = _packed_positions(batch_sizes, total_length)
    lengths = (batch_sizes[:, None] > np.arange(positions.shape[1])[None, :]).sum(axis=0)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices.cpu().numpy()
        positions, lengths = positions[:, unsorted], lengths[unsorted]
    if batch_first:
        positions = positions.T
    padded = _gather(_with_padding_row(sequence.data, padding_value), positions)
    return padded, tensor(lengths, dtype=_dtype.int64)


def pad_sequence(sequences: Iterable[Tensor] | Tensor, batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stacks sequences of shape L_i x * into one T x B x * batch (B x T x * with
    `batch_first`), T the longest L_i, padding each at its end (or start, `padding_side="left"`)
    with `padding_value`."""
    op = "pad_sequence"
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    for i, seq in enumerate(sequences):
        tensor_arg(seq, op, f"sequences[{i}]")
        if seq.ndim == 0 or seq.shape[1:] != sequences[0].shape[1:]:
            raise RuntimeError(f"{op}: every sequence must have the trailing shape "
                               f"{list(sequences[0].shape[1:])} of the first, but sequence {i} "
                               f"has shape {list(seq.shape)}")
    lengths = np.array([seq.shape[0] for seq in sequences], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    steps = np.arange(lengths.max())[:, None]
    shift = lengths.max() - lengths if padding_side == "left" else np.zeros_like(lengths)
    offset = steps - shift[None, :]
    present = (offset >= 0) & (offset < lengths[None, :])
    positions = np.where(present, starts[None, :] + offset, lengths.sum())
    if batch_first:
        positions = positions.T
    return _gather(_with_padding_row(cat(sequences), padding_value), positions)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """Splits a padded batch back into its sequences: the first `lengths[i]` steps of each."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = _lengths_array(lengths, "unpad_sequence")
    return [padded_sequences[i, :length] for i, length in enumerate(lengths.tolist())]


def pack_sequence(sequences: Iterable[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of sequences of shape L_i x *; see `pack_padded_sequence`."""
    sequences = list(sequences)
    padded = pad_sequence(sequences)
    lengths = [seq.shape[0] for seq in sequences]
    return pack_padded_sequence(padded, lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a `PackedSequence` holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
