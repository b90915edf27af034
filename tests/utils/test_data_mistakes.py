"""Mistakes with utils.data raise PyTorch's exception class with a message naming the argument,
and leave the datasets and samplers they were given as they were."""
from __future__ import annotations

import pytest

from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake


def D(m):
    return m.utils.data


def dataset(m):
    return D(m).TensorDataset(m.arange(6.0), m.arange(6))


LOADER = [
    Mistake("DataLoader_batch_size_0", lambda m, ds: D(m).DataLoader(ds, batch_size=0),
            ValueError, "batch_size should be a positive integer value, but got batch_size=0",
            inputs=lambda m: (dataset(m),)),
    Mistake("DataLoader_batch_size_float", lambda m, ds: D(m).DataLoader(ds, batch_size=2.5),
            ValueError, "but got batch_size=2.5", inputs=lambda m: (dataset(m),)),
    Mistake("DataLoader_num_workers", lambda m, ds: D(m).DataLoader(ds, num_workers=-1),
            ValueError, "num_workers option should be non-negative",
            inputs=lambda m: (dataset(m),)),
    Mistake("DataLoader_shuffle_and_sampler",
            lambda m, ds: D(m).DataLoader(ds, shuffle=True, sampler=D(m).SequentialSampler(ds)),
            ValueError, "sampler option is mutually exclusive with shuffle",
            inputs=lambda m: (dataset(m),)),
    Mistake("DataLoader_batch_sampler_and_batch_size",
            lambda m, ds, bs: D(m).DataLoader(ds, batch_size=2, batch_sampler=bs), ValueError,
            "batch_sampler option is mutually exclusive with batch_size",
            inputs=lambda m: (dataset(m), D(m).BatchSampler(range(6), 2, False))),
    Mistake("DataLoader_timeout", lambda m, ds: D(m).DataLoader(ds, timeout=-1), ValueError,
            "timeout option should be non-negative", inputs=lambda m: (dataset(m),)),
    Mistake("DataLoader_prefetch_without_workers",
            lambda m, ds: D(m).DataLoader(ds, prefetch_factor=2), ValueError,
            "prefetch_factor option could only be specified in multiprocessing",
            inputs=lambda m: (dataset(m),)),
    Mistake("DataLoader_persistent_without_workers",
            lambda m, ds: D(m).DataLoader(ds, persistent_workers=True), ValueError,
            "persistent_workers option needs num_workers > 0", inputs=lambda m: (dataset(m),)),
    Mistake("DataLoader_no_batching_drop_last",
            lambda m, ds: D(m).DataLoader(ds, batch_size=None, drop_last=True), ValueError,
            "batch_size=None option disables auto-batching and is mutually exclusive with "
            "drop_last", inputs=lambda m: (dataset(m),)),
]

SAMPLERS = [
    Mistake("BatchSampler_drop_last", lambda m: D(m).BatchSampler(range(5), 2, drop_last="no"),
            ValueError, "drop_last should be a boolean value, but got drop_last=no"),
    Mistake("BatchSampler_batch_size", lambda m: D(m).BatchSampler(range(5), 0, False),
            ValueError, "batch_size should be a positive integer value, but got batch_size=0"),
    Mistake("RandomSampler_replacement",
            lambda m, ds: D(m).RandomSampler(ds, replacement=1), TypeError,
            "replacement should be a boolean value, but got replacement=1",
            inputs=lambda m: (dataset(m),)),
    Mistake("RandomSampler_num_samples",
            lambda m, ds: D(m).RandomSampler(ds, num_samples=0), ValueError,
            "num_samples should be a positive integer value, but got num_samples=0",
            inputs=lambda m: (dataset(m),)),
    Mistake("RandomSampler_empty", lambda m: D(m).RandomSampler([]), ValueError,
            "num_samples should be a positive integer value, but got num_samples=0"),
    Mistake("WeightedRandomSampler_negative",
            lambda m, w: list(D(m).WeightedRandomSampler(w, 2)), RuntimeError,
            "invalid multinomial distribution \\(encountering probability entry < 0",
            inputs=lambda m: (m.tensor([1.0, -1.0]),)),
    Mistake("WeightedRandomSampler_zero_sum",
            lambda m, w: list(D(m).WeightedRandomSampler(w, 2)), RuntimeError,
            "invalid multinomial distribution \\(sum of probabilities <= 0\\)",
            inputs=lambda m: (m.zeros(2),)),
    Mistake("WeightedRandomSampler_replacement",
            lambda m, w: D(m).WeightedRandomSampler(w, 2, replacement=1), ValueError,
            "replacement should be a boolean value, but got replacement=1",
            inputs=lambda m: (m.tensor([0.5, 1.0]),)),
    Mistake("WeightedRandomSampler_weights_2d",
            lambda m, w: D(m).WeightedRandomSampler(w, 2), ValueError,
            "weights should be a 1d sequence but given weights have shape \\(1, 2\\)",
            inputs=lambda m: (m.tensor([[0.5, 1.0]]),)),
    Mistake("WeightedRandomSampler_too_many",
            lambda m, w: list(D(m).WeightedRandomSampler(w, 3, replacement=False)),
            RuntimeError, "cannot sample n_sample > prob_dist.size\\(-1\\) samples without "
            "replacement", inputs=lambda m: (m.tensor([0.5, 1.0]),)),
]

DATASETS = [
    Mistake("random_split_lengths", lambda m, ds: D(m).random_split(ds, [2, 3]), ValueError,
            "Sum of input lengths does not equal the length of the input dataset",
            inputs=lambda m: (dataset(m),)),
    Mistake("random_split_fraction", lambda m, ds: D(m).random_split(ds, [1.5, -0.5]),
            ValueError, "Fraction at index 0 is not between 0 and 1",
            inputs=lambda m: (dataset(m),)),
    # torch's TypeError is randperm's argument parser's.
    Mistake("random_split_generator", lambda m, ds: D(m).random_split(ds, [2, 4], generator=3),
            TypeError, "(generator must be an ndgrad.Generator or None, got int|randperm)",
            inputs=lambda m: (dataset(m),)),
    Mistake("Subset_index", lambda m, ds: D(m).Subset(ds, [0, 10])[1], IndexError,
            "index 10 is out of bounds for dimension 0 with size 6",
            inputs=lambda m: (dataset(m),)),
    Mistake("TensorDataset_sizes", lambda m, a, b: D(m).TensorDataset(a, b), AssertionError,
            "Size mismatch between tensors", inputs=lambda m: (m.ones(3), m.ones(4))),
    Mistake("TensorDataset_0d", lambda m, a: D(m).TensorDataset(a), IndexError,
            "Dimension specified as 0 but tensor has no dimensions",
            inputs=lambda m: (m.tensor(1.0),)),
    Mistake("ConcatDataset_empty", lambda m: D(m).ConcatDataset([]), AssertionError,
            "datasets should not be an empty iterable"),
    Mistake("ConcatDataset_negative_index", lambda m, ds: D(m).ConcatDataset([ds])[-10],
            ValueError, "absolute value of index should not exceed dataset length",
            inputs=lambda m: (dataset(m),)),
    Mistake("default_collate_sizes",
            lambda m, a, b: D(m).default_collate([a, b]), RuntimeError,
            "stack expects each tensor to be equal size, but got \\[2\\] at entry 0 and \\[3\\] "
            "at entry 1", inputs=lambda m: (m.ones(2), m.ones(3))),
    Mistake("default_collate_type", lambda m: D(m).default_collate([object(), object()]),
            TypeError, "default_collate: batch must contain tensors, numpy arrays, numbers, "
            "dicts or lists; found"),
    Mistake("default_collate_lengths", lambda m: D(m).default_collate([(1, 2), (1,)]),
            RuntimeError, "each element in list of batch should be of equal size"),
]

MISTAKES = LOADER + SAMPLERS + DATASETS


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
