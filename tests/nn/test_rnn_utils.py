"""nn.utils.rnn against torch: packing padded batches and lists of sequences, padding them
back, their gradients (first and second order), PackedSequence itself, and the mistakes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import ndgrad
from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake


def rnn_utils(m):
    return m.nn.utils.rnn


def _numpy(t) -> np.ndarray:
    return np.array(t.detach().numpy())


def _assert_same_indices(ours, theirs) -> None:
    if theirs is None:
        assert ours is None
    else:
        assert ours.dtype == ndgrad.int64
        np.testing.assert_array_equal(_numpy(ours), _numpy(theirs))


def _assert_same_packed(ours, theirs, rtol: float = 1e-6) -> None:
    np.testing.assert_allclose(_numpy(ours.data), _numpy(theirs.data), rtol=rtol)
    assert ours.batch_sizes.dtype == ndgrad.int64 and ours.batch_sizes.device.type == "cpu"
    np.testing.assert_array_equal(_numpy(ours.batch_sizes), _numpy(theirs.batch_sizes))
    _assert_same_indices(ours.sorted_indices, theirs.sorted_indices)
    _assert_same_indices(ours.unsorted_indices, theirs.unsorted_indices)


@dataclass
class PackCase:
    steps: int
    lengths: list
    batch_first: bool = False
    enforce_sorted: bool = True
    lengths_as_tensor: bool = False
    total_length: int | None = None
    padding_value: float = 0.0
    features: tuple = (3,)

    @property
    def id(self) -> str:
        layout = "batch_first" if self.batch_first else "time_first"
        kind = "tensor" if self.lengths_as_tensor else "list"
        return (f"{self.lengths}-{layout}-sorted={self.enforce_sorted}-{kind}-"
                f"total={self.total_length}-pad={self.padding_value}-f={self.features}")

    def shape(self) -> tuple:
        batch = len(self.lengths)
        dims = (batch, self.steps) if self.batch_first else (self.steps, batch)
        return dims + self.features

    def lengths_for(self, m):
        return m.tensor(self.lengths) if self.lengths_as_tensor else list(self.lengths)

    def pack(self, m, x):
        return rnn_utils(m).pack_padded_sequence(x, self.lengths_for(m), self.batch_first,
                                                 self.enforce_sorted)

    def pad(self, m, packed):
        return rnn_utils(m).pad_packed_sequence(packed, self.batch_first, self.padding_value,
                                                self.total_length)


PACK_CASES = [
    PackCase(4, [4, 2, 1]),
    PackCase(4, [4, 2, 1], lengths_as_tensor=True),
    PackCase(4, [4, 2.5, 1.9], enforce_sorted=False),              # fractions truncate
    PackCase(4, [4, 2, 1], batch_first=True),
    PackCase(5, [3, 3, 1], total_length=7, padding_value=-1.5),   # shorter than the input, ties
    PackCase(4, [2, 4, 1, 3], enforce_sorted=False),
    PackCase(4, [2, 4, 1, 3], enforce_sorted=False, lengths_as_tensor=True, batch_first=True),
    PackCase(3, [1, 3, 3, 2], enforce_sorted=False, total_length=5, padding_value=2.0),
    PackCase(3, [3], features=()),                                  # no feature dimension
    PackCase(3, [2, 3], enforce_sorted=False, features=(2, 2)),     # two feature dimensions
]


@pytest.mark.parametrize("case", PACK_CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pack_then_pad_against_torch(case, dtype, torch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(case.shape()).astype(dtype)
    ours, theirs = ndgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    packed_ours, packed_theirs = case.pack(ndgrad, ours), case.pack(torch, theirs)
    _assert_same_packed(packed_ours, packed_theirs)
    (padded_ours, lengths_ours), (padded_theirs, lengths_theirs) = (
        case.pad(ndgrad, packed_ours), case.pad(torch, packed_theirs))
    assert padded_ours.shape == tuple(padded_theirs.shape)
    assert padded_ours.dtype == getattr(ndgrad, dtype)
    np.testing.assert_array_equal(_numpy(padded_ours), _numpy(padded_theirs))
    assert lengths_ours.dtype == ndgrad.int64
    np.testing.assert_array_equal(_numpy(lengths_ours), _numpy(lengths_theirs))
    # Weight every padded entry differently, so a gradient sent to the wrong row shows.
    weights = rng.standard_normal(tuple(padded_theirs.shape)).astype(dtype)
    (padded_ours * ndgrad.tensor(weights)).sum().backward()
    (padded_theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(_numpy(ours.grad), _numpy(theirs.grad), rtol=1e-6)


@pytest.mark.parametrize("case", PACK_CASES[:7], ids=lambda c: c.id)
def test_pack_then_pad_gradcheck(case):
    x = ndgrad.tensor(np.random.default_rng(2).standard_normal(case.shape()),
                      requires_grad=True)

    def round_trip(t):
        padded, _ = case.pad(ndgrad, case.pack(ndgrad, t))
        return padded * padded     # not linear, so the second derivative is not zero

    assert ndgrad.autograd.gradcheck(round_trip, (x,))
    assert ndgrad.autograd.gradgradcheck(round_trip, (x,))


def test_packed_data_gradient_second_order_against_torch(torch):
    """d/dx of sum(g * d(sum(data**3))/dx): the packed data's second derivative."""
    x = np.random.default_rng(3).standard_normal((3, 4, 2))
    results = []
    for m in (ndgrad, torch):
        t = m.tensor(x, requires_grad=True)
        packed = rnn_utils(m).pack_padded_sequence(t, [3, 1, 2, 3], enforce_sorted=False)
        (grad,) = m.autograd.grad((packed.data ** 3).sum(), t, create_graph=True)
        (second,) = m.autograd.grad((grad * m.tensor(x)).sum(), t)
        results.append((_numpy(grad), _numpy(second)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


@dataclass
class PadCase:
    lengths: list
    batch_first: bool = False
    padding_value: float = 0.0
    padding_side: str = "right"
    features: tuple = (2,)

    @property
    def id(self) -> str:
        return (f"{self.lengths}-bf={self.batch_first}-pad={self.padding_value}-"
                f"{self.padding_side}-f={self.features}")

    def sequences(self, m, arrays: list, requires_grad: bool = False) -> list:
        return [m.tensor(a, requires_grad=requires_grad) for a in arrays]

    def arrays(self, dtype: str = "float64") -> list:
        rng = np.random.default_rng(4)
        return [rng.standard_normal((n, *self.features)).astype(dtype) for n in self.lengths]

    def pad(self, m, sequences):
        return rnn_utils(m).pad_sequence(sequences, self.batch_first, self.padding_value,
                                         self.padding_side)


PAD_CASES = [
    PadCase([2, 4, 1]),
    PadCase([2, 4, 1], batch_first=True, padding_value=-3.0),
    PadCase([2, 4, 1], padding_side="left"),
    PadCase([2, 4, 1], batch_first=True, padding_side="left", padding_value=1.0),
    PadCase([3], features=()),
    PadCase([3, 0, 2], features=(2, 3)),        # an empty sequence is padding only
    PadCase([1, 2], padding_side="left", features=(0,)),
]


@pytest.mark.parametrize("case", PAD_CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pad_sequence_against_torch(case, dtype, torch):
    arrays = case.arrays(dtype)
    ours, theirs = case.sequences(ndgrad, arrays, True), case.sequences(torch, arrays, True)
    padded_ours, padded_theirs = case.pad(ndgrad, ours), case.pad(torch, theirs)
    assert padded_ours.shape == tuple(padded_theirs.shape)
    assert padded_ours.dtype == getattr(ndgrad, dtype)
    np.testing.assert_array_equal(_numpy(padded_ours), _numpy(padded_theirs))
    weights = np.random.default_rng(5).standard_normal(tuple(padded_theirs.shape)).astype(dtype)
    (padded_ours * ndgrad.tensor(weights)).sum().backward()
    (padded_theirs * torch.tensor(weights)).sum().backward()
    for mine, other in zip(ours, theirs):
        np.testing.assert_allclose(_numpy(mine.grad), _numpy(other.grad), rtol=1e-6)


@pytest.mark.parametrize("case", PAD_CASES[:4], ids=lambda c: c.id)
def test_pad_sequence_gradcheck(case):
    inputs = tuple(case.sequences(ndgrad, case.arrays(), True))

    def padded_squares(*sequences):
        padded = case.pad(ndgrad, list(sequences))
        return padded * padded

    assert ndgrad.autograd.gradcheck(padded_squares, inputs)
    assert ndgrad.autograd.gradgradcheck(padded_squares, inputs)


def test_pad_sequence_of_a_tensor_pads_its_rows(torch):
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(
        _numpy(rnn_utils(ndgrad).pad_sequence(ndgrad.tensor(x), batch_first=True)),
        _numpy(rnn_utils(torch).pad_sequence(torch.tensor(x), batch_first=True)))


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence_against_torch(enforce_sorted, torch):
    lengths = [4, 3, 1] if enforce_sorted else [1, 4, 3]
    arrays = [np.random.default_rng(6).standard_normal((n, 2)) for n in lengths]
    results = []
    for m in (ndgrad, torch):
        sequences = [m.tensor(a, requires_grad=True) for a in arrays]
        packed = rnn_utils(m).pack_sequence(sequences, enforce_sorted)
        unpacked = rnn_utils(m).unpack_sequence(packed)
        sum(((u * float(i + 1)) ** 2).sum() for i, u in enumerate(unpacked)).backward()
        results.append((packed, unpacked, sequences))
    (packed_ours, unpacked_ours, ours), (packed_theirs, unpacked_theirs, theirs) = results
    _assert_same_packed(packed_ours, packed_theirs)
    for sequence in (unpacked_ours, ours):      # the round trip gives back the inputs
        assert [tuple(s.shape) for s in sequence] == [(n, 2) for n in lengths]
    for mine, other in zip(unpacked_ours + ours, unpacked_theirs + theirs):
        np.testing.assert_array_equal(_numpy(mine), _numpy(other))
    for mine, other in zip(ours, theirs):
        np.testing.assert_allclose(_numpy(mine.grad), _numpy(other.grad), rtol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_against_torch(batch_first, torch):
    x = np.random.default_rng(7).standard_normal((3, 4, 2))
    lengths = [2, 4, 1] if batch_first else [3, 1, 2, 3]
    results = []
    for m in (ndgrad, torch):
        padded = m.tensor(x, requires_grad=True)
        # A copy: PyTorch transposes a time-first input in place (refused for a leaf).
        pieces = rnn_utils(m).unpad_sequence(padded * 1.0, m.tensor(lengths), batch_first)
        sum((p * float(i + 1)).sum() for i, p in enumerate(pieces)).backward()
        results.append(([_numpy(p) for p in pieces], _numpy(padded.grad)))
    for mine, other in zip(results[0][0], results[1][0]):
        np.testing.assert_array_equal(mine, other)
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_invert_permutation_against_torch(torch):
    permutation = [3, 0, 4, 1, 2]
    np.testing.assert_array_equal(
        _numpy(rnn_utils(ndgrad).invert_permutation(ndgrad.tensor(permutation))),
        _numpy(rnn_utils(torch).invert_permutation(torch.tensor(permutation))))
    assert rnn_utils(ndgrad).invert_permutation(None) is None


def test_packed_sequence_is_a_namedtuple_like_torchs(torch):
    ours = rnn_utils(ndgrad).PackedSequence
    assert ours._fields == rnn_utils(torch).PackedSequence._fields
    data, batch_sizes = ndgrad.ones(3, 2), ndgrad.tensor([2, 1])
    packed = ours((data, batch_sizes), sorted_indices=ndgrad.tensor([1, 0]))
    assert packed.data is data and packed.batch_sizes is batch_sizes
    np.testing.assert_array_equal(_numpy(packed.unsorted_indices), [1, 0])
    assert isinstance(packed, tuple) and len(packed) == 4 and packed[1] is batch_sizes
    assert ours(data, batch_sizes).unsorted_indices is None


def test_packed_sequence_conversions_keep_the_structure():
    packed = rnn_utils(ndgrad).pack_sequence([ndgrad.ones(3, 2), ndgrad.ones(2, 2)])
    for converted, dtype in [(packed.double(), ndgrad.float64), (packed.to(ndgrad.float64),
                                                                ndgrad.float64),
                             (packed.double().float(), ndgrad.float32),
                             (packed.long(), ndgrad.int64)]:
        assert isinstance(converted, rnn_utils(ndgrad).PackedSequence)
        assert converted.data.dtype == dtype and converted.batch_sizes is packed.batch_sizes
    assert packed.to(ndgrad.float32) is packed and packed.cpu() is packed
    assert not packed.is_cuda


def leaf(m, *shape):
    return m.ones(*shape, requires_grad=True)


def packed(m):
    return rnn_utils(m).pack_padded_sequence(m.ones(3, 2, 1), [3, 2])


UNSORTED = "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True"

MISTAKES = [
    Mistake("zero_length", lambda m, x: rnn_utils(m).pack_padded_sequence(x, [3, 0]),
            RuntimeError, "Length of all samples has to be greater than 0.*\\[3, 0\\]",
            inputs=lambda m: (leaf(m, 3, 2, 4),)),
    Mistake("negative_length_unsorted",
            lambda m, x: rnn_utils(m).pack_padded_sequence(x, [-1, 2], enforce_sorted=False),
            RuntimeError, "Length of all samples has to be greater than 0",
            inputs=lambda m: (leaf(m, 3, 2, 4),)),
    Mistake("unsorted_lengths", lambda m, x: rnn_utils(m).pack_padded_sequence(x, [2, 3]),
            RuntimeError, UNSORTED + ".*got lengths \\[2, 3\\]",
            inputs=lambda m: (leaf(m, 3, 2, 4),)),
    Mistake("unsorted_tensor_lengths",
            lambda m, x: rnn_utils(m).pack_padded_sequence(x, m.tensor([1, 3]), True),
            RuntimeError, UNSORTED, inputs=lambda m: (leaf(m, 2, 3, 4),)),
    Mistake("unsorted_pack_sequence",
            lambda m, a, b: rnn_utils(m).pack_sequence([a, b]), RuntimeError, UNSORTED,
            inputs=lambda m: (leaf(m, 1, 2), leaf(m, 2, 2))),
    Mistake("lengths_count", lambda m, x: rnn_utils(m).pack_padded_sequence(x, [3, 2, 1]),
            RuntimeError, "Expected `len\\(lengths\\)` to be equal to batch_size, but got 3 "
            "\\(batch_size=2\\)", inputs=lambda m: (leaf(m, 3, 2, 4),)),
    Mistake("lengths_2d", lambda m, x: rnn_utils(m).pack_padded_sequence(x, m.tensor([[3, 2]])),
            RuntimeError, "'lengths' argument should be a 1D CPU int64 tensor, but got 2D",
            inputs=lambda m: (leaf(m, 3, 2, 4),)),
    Mistake("empty_input", lambda m, x: rnn_utils(m).pack_padded_sequence(x, [3, 2]),
            RuntimeError, "Cannot pack empty tensors. \\(pack_padded_sequence got input of "
            "shape \\[3, 2, 0\\]\\)", inputs=lambda m: (leaf(m, 3, 2, 0),)),
    Mistake("input_one_dimensional", lambda m, x: rnn_utils(m).pack_padded_sequence(x, [3]),
            IndexError, "at least 2 dimensions \\(time and batch\\), but got input of shape "
            "\\[3\\]", inputs=lambda m: (leaf(m, 3),)),
    Mistake("lengths_not_numbers", lambda m, x: rnn_utils(m).pack_padded_sequence(x, [None, 1]),
            # ndgrad.as_tensor's class for None differs from torch's (TypeError) here
            RuntimeError, "NoneType", TypeError, inputs=lambda m: (leaf(m, 3, 2, 4),)),
    Mistake("input_not_a_tensor", lambda m: rnn_utils(m).pack_padded_sequence([[1.0]], [1]),
            TypeError, "argument 'input' \\(position 1\\) must be Tensor, not list"),
    Mistake("total_length_too_small",
            lambda m, p: rnn_utils(m).pad_packed_sequence(p, total_length=2), ValueError,
            "Expected total_length to be at least the length of the longest sequence in input, "
            "but got total_length=2 and max sequence length being 3",
            inputs=lambda m: (packed(m),)),
    Mistake("pad_trailing_shapes", lambda m, a, b: rnn_utils(m).pad_sequence([a, b]),
            RuntimeError, "trailing shape \\[3\\] of the first, but sequence 1 has shape "
            "\\[2, 4\\]", inputs=lambda m: (leaf(m, 2, 3), leaf(m, 2, 4))),
    Mistake("pad_no_sequences", lambda m: rnn_utils(m).pad_sequence([]), RuntimeError,
            "received an empty list of sequences"),
    Mistake("pack_no_sequences", lambda m: rnn_utils(m).pack_sequence([]), RuntimeError,
            "received an empty list of sequences"),
    Mistake("pad_side", lambda m, a: rnn_utils(m).pad_sequence([a], padding_side="middle"),
            RuntimeError, "Expected padding_side to be one of left or right, but got middle",
            inputs=lambda m: (leaf(m, 2, 3),)),
    Mistake("pad_not_tensors", lambda m: rnn_utils(m).pad_sequence([[1.0, 2.0]]), TypeError,
            "must be Tensor, not list"),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_mistakes_raise_torchs_error_and_change_nothing(mistake, torch):
    check_ndgrad(mistake)
    check_torch(mistake, torch)


def test_length_longer_than_the_input_is_refused():
    """PyTorch reads past the input's end here (its batch_sizes get a row per extra step)."""
    x = leaf(ndgrad, 3, 2, 4)
    check_ndgrad(Mistake("too_long", lambda m, t: rnn_utils(m).pack_padded_sequence(t, [4, 2]),
                         RuntimeError, "a length in 'lengths' \\(4\\) is longer than the "
                         "input's time dimension 0 \\(size 3\\)", inputs=lambda m: (x,)))
    with pytest.raises(RuntimeError, match="time dimension 1 \\(size 2\\)"):
        rnn_utils(ndgrad).pack_padded_sequence(x, [3, 2, 1], batch_first=True)


def test_unpad_sequence_leaves_a_time_first_input_as_it_is():
    """PyTorch transposes it in place; ndgrad reads it through a view."""
    padded = ndgrad.arange(12.0).reshape(3, 2, 2)
    pieces = rnn_utils(ndgrad).unpad_sequence(padded, [3, 1])
    assert padded.shape == (3, 2, 2) and [p.shape for p in pieces] == [(3, 2), (1, 2)]
    np.testing.assert_array_equal(_numpy(pieces[1]), [[2.0, 3.0]])
