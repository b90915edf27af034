"""ndgrad.utils.data: datasets, samplers, default_collate and DataLoader, against torch."""
import collections
import dataclasses
import itertools
import random
import threading
import time
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                               IterableDataset, RandomSampler, SequentialSampler, Subset,
                               SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                               default_collate, default_convert, get_worker_info, random_split)

Point = collections.namedtuple("Point", "x y")


def _gen(seed):
    return ndgrad.Generator().manual_seed(seed)


def _arange_dataset(n):
    return TensorDataset(ndgrad.arange(n), ndgrad.arange(n) * 10)


def _values(batches):
    """Batches of (Tensor, ...) as nested lists, for comparing with torch."""
    return [[t.tolist() for t in batch] for batch in batches]


class _Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _torch_twin(torch, cls, *args):
    """The same IterableDataset built on torch's base class and get_worker_info, for the oracle.
    Datasets that shard call `self.worker_info()`, so each library's answer is used."""
    twin = type(f"Torch{cls.__name__}", (torch.utils.data.IterableDataset,), dict(vars(cls)))
    dataset = twin(*args)
    dataset.worker_info = torch.utils.data.get_worker_info
    return dataset


def _torch_stream(torch, n):
    return _torch_twin(torch, _Stream, n)


class _Sharded(IterableDataset):
    """range(n), split between DataLoader workers by worker id."""
    worker_info = staticmethod(get_worker_info)

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = self.worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class _Uneven(IterableDataset):
    """Worker i yields sizes[i] samples 100 * i, 100 * i + 1, ...: workers end at different
    times. No __len__."""
    worker_info = staticmethod(get_worker_info)

    def __init__(self, *sizes):
        self.sizes = sizes

    def __iter__(self):
        info = self.worker_info()
        start = 100 * info.id
        return iter(range(start, start + self.sizes[info.id]))


class _Endless(IterableDataset):
    def __iter__(self):
        return iter(range(10 ** 9))


class _Sleepy(Dataset):
    """Items that take a random short time to load, so out-of-order completion would show."""

    def __init__(self, n, fail_at=None):
        self.n, self.fail_at = n, fail_at
        self.delays = random.Random(0).choices([0.0, 0.001, 0.003], k=n)

    def __getitem__(self, index):
        time.sleep(self.delays[index])
        if index == self.fail_at:
            raise KeyError(f"sample {index} is unreadable")
        return np.full(2, index, dtype=np.float32), index

    def __len__(self):
        return self.n


# ---- datasets --------------------------------------------------------------------------------

def test_tensor_dataset():
    ds = _arange_dataset(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert (x.item(), y.item()) == (3, 30)
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(ndgrad.zeros(3), ndgrad.zeros(4))


def test_subset_and_concat():
    ds = _arange_dataset(6)
    sub = Subset(ds, [4, 0, 2])
    assert len(sub) == 3
    assert [sub[i][0].item() for i in range(3)] == [4, 0, 2]
    assert sub[[2, 0]][0].tolist() == [2, 4]
    cat = ds + sub
    assert isinstance(cat, ConcatDataset) and len(cat) == 9
    assert cat.cumulative_sizes == [6, 9]
    assert [cat[i][0].item() for i in (0, 5, 6, 8, -1, -3)] == [0, 5, 4, 2, 2, 4]
    with pytest.raises(ValueError, match="exceed dataset length"):
        cat[-10]
    with pytest.raises(AssertionError, match="empty"):  # PyTorch's error types here
        ConcatDataset([])
    with pytest.raises(AssertionError, match="IterableDataset"):
        ConcatDataset([ds, _Stream(3)])


CHAINS = [[3, 2], [4], [0, 3, 0], [2, 2, 2], []]


@pytest.mark.parametrize("lengths", CHAINS, ids=str)
def test_chain_dataset_like_torch(torch, lengths):
    ours = ChainDataset([_Stream(n) for n in lengths])
    theirs = torch.utils.data.ChainDataset([_torch_stream(torch, n) for n in lengths])
    assert list(ours) == list(theirs) == [i for n in lengths for i in range(n)]
    assert len(ours) == len(theirs) == sum(lengths)
    batches = [b.tolist() for b in DataLoader(ours, batch_size=2)]
    assert batches == [b.tolist() for b in torch.utils.data.DataLoader(theirs, batch_size=2)]


def test_iterable_dataset_add_chains(torch):
    ours = _Stream(2) + _Stream(3) + _Stream(1)
    theirs = _torch_stream(torch, 2) + _torch_stream(torch, 3) + _torch_stream(torch, 1)
    assert isinstance(ours, ChainDataset) and isinstance(theirs, torch.utils.data.ChainDataset)
    assert list(ours) == list(theirs) == [0, 1, 0, 1, 2, 0]
    assert len(ours) == len(theirs) == 6


# Chains that reach a map-style dataset, built from a library (ndgrad or torch) and its stream.
REFUSED_CHAINS = {
    "list": lambda lib, stream: lib.utils.data.ChainDataset([stream, [7, 8]]),
    "added_map_dataset": lambda lib, stream: stream + lib.utils.data.TensorDataset(lib.ones(3)),
}


@pytest.mark.parametrize("lib_name", ["ndgrad", "torch"])
@pytest.mark.parametrize("name", sorted(REFUSED_CHAINS))
def test_chain_dataset_refuses_map_datasets_like_torch(torch, name, lib_name):
    lib = torch if lib_name == "torch" else ndgrad
    stream = _torch_stream(torch, 2) if lib_name == "torch" else _Stream(2)
    chain = REFUSED_CHAINS[name](lib, stream)
    items = iter(chain)
    assert [next(items), next(items)] == [0, 1]  # checked lazily, when reached
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        next(items)
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        len(chain)


@pytest.mark.parametrize("n, fractions", [(10, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]), (1, [1]),
                                          (11, [0.1, 0.2, 0.7]), (5, [1 / 3] * 3),
                                          (3, [0.1, 0.9]), (100, [0.335, 0.335, 0.33])])
def test_random_split_fractions_round_like_torch(torch, n, fractions):
    ours = random_split(range(n), fractions, generator=_gen(0))
    theirs = torch.utils.data.random_split(range(n), fractions,
                                           generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s) == list(range(n))


def test_random_split_lengths_and_seeding():
    parts = random_split(range(20), [5, 15], generator=_gen(1))
    assert [len(p) for p in parts] == [5, 15]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(20))
    again = random_split(range(20), [5, 15], generator=_gen(1))
    other = random_split(range(20), [5, 15], generator=_gen(2))
    assert list(again[0]) == list(parts[0]) and list(again[1]) == list(parts[1])
    assert list(other[0]) != list(parts[0])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(20), [5, 10])
    with pytest.raises(ValueError, match="Fraction at index 0"):
        random_split(range(4), [-0.5, 1.5])


# ---- samplers --------------------------------------------------------------------------------

def test_sequential_and_random_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    sampler = RandomSampler(range(10), generator=_gen(0))
    first, second = list(sampler), list(sampler)
    assert len(sampler) == 10 and sorted(first) == sorted(second) == list(range(10))
    assert first != second  # each pass reshuffles
    assert list(RandomSampler(range(10), generator=_gen(0))) == first
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(range(3), num_samples=0)


def test_random_sampler_num_samples():
    with_rep = list(RandomSampler(range(5), replacement=True, num_samples=50, generator=_gen(0)))
    assert len(with_rep) == 50 and set(with_rep) <= set(range(5)) and len(set(with_rep)) == 5
    # Without replacement, more samples than items means whole permutations back to back.
    drawn = list(RandomSampler(range(5), num_samples=12, generator=_gen(0)))
    assert len(drawn) == 12 and all(type(i) is int for i in drawn)
    assert sorted(drawn[:5]) == sorted(drawn[5:10]) == list(range(5))
    assert len(set(drawn[10:])) == 2


def test_subset_random_sampler():
    sampler = SubsetRandomSampler([7, 3, 9, 1], generator=_gen(0))
    assert len(sampler) == 4 and sorted(sampler) == [1, 3, 7, 9]
    assert list(SubsetRandomSampler([7, 3, 9, 1], generator=_gen(0))) == list(
        SubsetRandomSampler([7, 3, 9, 1], generator=_gen(0)))


def test_weighted_random_sampler_frequencies():
    weights = [1.0, 2.0, 3.0, 0.0, 4.0]
    drawn = np.array(list(WeightedRandomSampler(weights, 20000, generator=_gen(0))))
    frequencies = np.bincount(drawn, minlength=5) / len(drawn)
    np.testing.assert_allclose(frequencies, np.array(weights) / 10, atol=0.015)
    assert frequencies[3] == 0
    unique = list(WeightedRandomSampler(weights, 4, replacement=False, generator=_gen(0)))
    assert sorted(unique) == [0, 1, 2, 4]
    with pytest.raises(RuntimeError):
        WeightedRandomSampler(weights, 5, replacement=False)


@pytest.mark.parametrize("kwargs", [dict(weights=[[1.0, 2.0]], num_samples=2),
                                    dict(weights=[1.0, 2.0], num_samples=0),
                                    dict(weights=[1.0, 2.0], num_samples=1.5)])
def test_weighted_random_sampler_errors_like_torch(torch, kwargs):
    with pytest.raises(ValueError):
        torch.utils.data.WeightedRandomSampler(**kwargs)
    with pytest.raises(ValueError):
        WeightedRandomSampler(**kwargs)


@pytest.mark.parametrize("n, size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                (2, 5, False), (2, 5, True), (0, 2, False)])
def test_batch_sampler_like_torch(torch, n, size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), size, drop_last)
    theirs = torch.utils.data.BatchSampler(range(n), size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(n), 0, drop_last)


# ---- default_collate ---------------------------------------------------------------------------

def _describe(x):
    """A library-neutral description of a collated batch: container types, dtypes, values."""
    if hasattr(x, "dtype") and hasattr(x, "shape") and not isinstance(x, np.ndarray):
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: _describe(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)) and not isinstance(x, (str, bytes)):
        return (type(x).__name__, [_describe(v) for v in x])
    return (type(x).__name__, x)


# Each row builds a batch from a library (ndgrad or torch), so Tensor leaves exist in both.
COLLATE_CASES = {
    "tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "int_tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "ndarrays": lambda lib: [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "uint8_arrays": lambda lib: [np.arange(3, dtype=np.uint8)] * 2,
    "np_scalars": lambda lib: [np.float32(1.5), np.float32(2.0)],
    "np_int_scalars": lambda lib: [np.int32(1), np.int32(2)],
    "np_strings": lambda lib: [np.str_("a"), np.str_("b")],
    "floats": lambda lib: [1.0, 2.5],
    "ints": lambda lib: [1, 2],
    "bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "b"],
    "tuples": lambda lib: [(lib.tensor([1.0]), 1, "x"), (lib.tensor([2.0]), 2, "y")],
    "lists": lambda lib: [[1, 2.0, b"p"], [3, 4.0, b"q"]],
    "dicts": lambda lib: [{"img": np.ones(2), "label": 0, "name": "a"},
                          {"img": np.zeros(2), "label": 1, "name": "b"}],
    "namedtuples": lambda lib: [Point(lib.tensor([1, 2]), 0.5), Point(lib.tensor([3, 4]), 1.5)],
    "nested": lambda lib: [{"a": (1, [np.int64(3), "s"]), "p": Point(np.ones(2), {"q": True})},
                           {"a": (2, [np.int64(4), "t"]), "p": Point(np.zeros(2), {"q": False})}],
}


@pytest.mark.parametrize("name", sorted(COLLATE_CASES))
def test_default_collate_like_torch(torch, name):
    ours = default_collate(COLLATE_CASES[name](ndgrad))
    theirs = torch.utils.data.default_collate(COLLATE_CASES[name](torch))
    assert _describe(ours) == _describe(theirs)


@pytest.mark.parametrize("sample", [np.float32(1), np.ones(2), (np.ones(2), "a"), [np.int8(1), 2],
                                    {"a": np.int32(2)}, Point(np.zeros(1), 3), np.array(["x"])],
                         ids=lambda s: type(s).__name__)
def test_default_convert_like_torch(torch, sample):
    ours, theirs = default_convert(sample), torch.utils.data.default_convert(sample)
    if isinstance(sample, np.ndarray) and sample.dtype.kind == "U":
        assert ours is sample and theirs is sample
    else:
        assert _describe(ours) == _describe(theirs)


@pytest.mark.parametrize("batch, error", [([[1, 2], [3]], RuntimeError),
                                          ([np.array(["a"]), np.array(["b"])], TypeError),
                                          ([object(), object()], TypeError)])
def test_default_collate_errors_like_torch(torch, batch, error):
    with pytest.raises(error):
        torch.utils.data.default_collate(batch)
    with pytest.raises(error):
        default_collate(batch)


# ---- DataLoader ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                                      (4, 8, False), (4, 8, True), (5, 1, False)])
def test_dataloader_batches_like_torch(torch, n, batch_size, drop_last):
    ours = DataLoader(_arange_dataset(n), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(n), torch.arange(n) * 10),
        batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert _values(ours) == _values(theirs)
    assert all(batch[0].dtype == ndgrad.int64 for batch in ours)


def test_dataloader_shuffle_is_reproducible():
    def epochs(seed, count=3):
        loader = DataLoader(_arange_dataset(20), batch_size=4, shuffle=True, generator=_gen(seed))
        return [[i for x, _ in loader for i in x.tolist()] for _ in range(count)]

    first = epochs(0)
    assert all(sorted(epoch) == list(range(20)) for epoch in first)
    assert first == epochs(0)
    assert first[0] != epochs(1)[0]
    assert first[0] != first[1] != first[2]  # each epoch reshuffles


def test_dataloader_sampler_batch_sampler_and_collate_fn():
    ds = _arange_dataset(6)
    by_sampler = DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert [x.tolist() for x, _ in by_sampler] == [[5, 4], [3, 2], [1, 0]]
    by_batches = DataLoader(ds, batch_sampler=[[0, 5], [1], [2, 3, 4]])
    assert len(by_batches) == 3
    assert [x.tolist() for x, _ in by_batches] == [[0, 5], [1], [2, 3, 4]]
    sums = DataLoader(ds, batch_size=4, collate_fn=lambda b: sum(x.item() for x, _ in b))
    assert list(sums) == [6, 9]


def test_dataloader_without_batching_converts_samples(torch):
    samples = [(np.arange(2, dtype=np.float32) + i, i) for i in range(3)]
    ours = list(DataLoader(samples, batch_size=None))
    theirs = list(torch.utils.data.DataLoader(samples, batch_size=None))
    assert len(ours) == 3
    assert _describe(ours) == _describe(theirs)


@pytest.mark.parametrize("num_workers, prefetch_factor", [(1, None), (3, 2), (4, 1)])
def test_workers_keep_order(num_workers, prefetch_factor):
    def batches(**workers):
        loader = DataLoader(_Sleepy(40), batch_size=3, shuffle=True, generator=_gen(5),
                            **workers)
        return [(x.tolist(), y.tolist()) for x, y in loader]

    expected = batches()
    assert batches(num_workers=num_workers, prefetch_factor=prefetch_factor) == expected
    assert len(expected) == 14


@pytest.mark.parametrize("num_workers", [0, 2])
def test_exception_in_getitem_reaches_loop(num_workers):
    loader = DataLoader(_Sleepy(30, fail_at=17), batch_size=4, num_workers=num_workers)
    seen = []
    with pytest.raises(KeyError, match="sample 17 is unreadable"):
        for x, _ in loader:
            seen.append(x)
    assert len(seen) == 4


@pytest.mark.parametrize("batch_size, drop_last, expected", [
    (3, False, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]),
    (3, True, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
    (5, True, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]),
    (None, False, list(range(10))),
])
def test_iterable_dataset(torch, batch_size, drop_last, expected):
    loader = DataLoader(_Stream(10), batch_size=batch_size, drop_last=drop_last)
    got = [b if isinstance(b, int) else b.tolist() for b in loader]
    assert got == expected
    assert len(loader) == len(expected)
    theirs = torch.utils.data.DataLoader(_torch_stream(torch, 10), batch_size=batch_size,
                                         drop_last=drop_last)
    assert len(theirs) == len(loader)
    assert [b if isinstance(b, int) else b.tolist() for b in theirs] == expected


@pytest.mark.parametrize("iterable, kwargs", [
    (False, dict(sampler=[0, 1], shuffle=True)),
    (False, dict(batch_sampler=[[0]], batch_size=2)),
    (False, dict(batch_sampler=[[0]], shuffle=True)),
    (False, dict(batch_sampler=[[0]], sampler=[0])),
    (False, dict(batch_sampler=[[0]], drop_last=True)),
    (False, dict(batch_size=None, drop_last=True)),
    (False, dict(prefetch_factor=2)),
    (False, dict(num_workers=-1)),
    (True, dict(shuffle=True)),
    (True, dict(sampler=[0])),
    (True, dict(batch_sampler=[[0]])),
])
def test_mutually_exclusive_options_raise_like_torch(torch, iterable, kwargs):
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(_torch_stream(torch, 3) if iterable else list(range(3)),
                                    **kwargs)
    with pytest.raises(ValueError):
        DataLoader(_Stream(3) if iterable else list(range(3)), **kwargs)


# ---- workers: get_worker_info, worker_init_fn, IterableDataset ---------------------------------

class _Recorder(Dataset):
    """Records, per loaded index, the thread and the WorkerInfo it was loaded with."""

    def __init__(self, n):
        self.n, self.seen = n, {}

    def __getitem__(self, index):
        self.seen[index] = (threading.get_ident(), get_worker_info())
        return index

    def __len__(self):
        return self.n


@pytest.mark.parametrize("num_workers, n", [(1, 5), (3, 12), (4, 2)])
def test_get_worker_info_and_worker_init_fn(num_workers, n):
    dataset = _Recorder(n)
    init = {}

    def worker_init_fn(worker_id):
        init[worker_id] = (threading.get_ident(), get_worker_info())

    loader = DataLoader(dataset, batch_size=2, num_workers=num_workers,
                        worker_init_fn=worker_init_fn, generator=_gen(0))
    assert get_worker_info() is None
    for _ in loader:
        assert get_worker_info() is None  # the caller's thread is no worker
    # Every worker is initialised, even when there are fewer batches than workers.
    assert sorted(init) == list(range(num_workers))
    infos = [init[worker_id][1] for worker_id in range(num_workers)]
    assert [info.id for info in infos] == list(range(num_workers))
    assert all(info.num_workers == num_workers and info.dataset is dataset for info in infos)
    base_seed = infos[0].seed
    assert [info.seed for info in infos] == [base_seed + i for i in range(num_workers)]
    # Each thread sees its own info: the one its worker_init_fn saw.
    info_of_thread = {thread: info for thread, info in init.values()}
    assert sorted(dataset.seen) == list(range(n))
    assert all(info_of_thread[thread] is info for thread, info in dataset.seen.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        infos[0].id = 5


def _epoch_seeds(seed, epochs=2):
    """The worker seeds of each epoch of a 2-worker loader whose generator is seeded `seed`."""
    found, result = [], []
    loader = DataLoader(_Sharded(4), batch_size=2, num_workers=2, generator=_gen(seed),
                        worker_init_fn=lambda worker_id: found.append(get_worker_info().seed))
    for _ in range(epochs):
        found.clear()
        list(loader)
        result.append(sorted(found))
    return result


def test_worker_seeds_follow_the_generator():
    first = _epoch_seeds(0)
    assert first == _epoch_seeds(0)
    assert first[0] != first[1] and first[0] != _epoch_seeds(1)[0]


def test_shuffle_is_the_same_with_and_without_workers():
    def order(num_workers):
        loader = DataLoader(_arange_dataset(12), batch_size=5, shuffle=True, generator=_gen(3),
                            num_workers=num_workers)
        return [[x.tolist() for x, _ in loader] for _ in range(2)]

    assert order(0) == order(2) == order(3)


@pytest.mark.parametrize("iterable", [False, True])
def test_worker_init_fn_error_reaches_loop(iterable):
    def worker_init_fn(worker_id):
        if worker_id == 1:
            raise OSError(f"worker {worker_id} cannot open its shard")

    dataset = _Sharded(10) if iterable else _arange_dataset(10)
    loader = DataLoader(dataset, batch_size=2, num_workers=2, worker_init_fn=worker_init_fn)
    with pytest.raises(OSError, match="worker 1 cannot open its shard"):
        list(loader)


# Each row runs in ndgrad (worker threads) and in torch (worker processes); batches must match
# in order, which is round-robin over the workers still yielding.
ITERABLE_WORKER_CASES = {
    "sharded": (_Sharded, (11,), dict(num_workers=2, batch_size=2)),
    "sharded_unbatched": (_Sharded, (11,), dict(num_workers=2, batch_size=None)),
    "sharded_drop_last": (_Sharded, (11,), dict(num_workers=2, batch_size=3, drop_last=True)),
    "sharded_3_workers": (_Sharded, (10,), dict(num_workers=3, batch_size=2)),
    "uneven": (_Uneven, (7, 2, 4), dict(num_workers=3, batch_size=2)),
    "uneven_prefetch_1": (_Uneven, (1, 6), dict(num_workers=2, batch_size=2, prefetch_factor=1)),
    "uneven_empty_worker": (_Uneven, (0, 3, 5), dict(num_workers=3, batch_size=2)),
    "unsharded_duplicates": (_Stream, (5,), dict(num_workers=2, batch_size=2)),
    "unsharded_batch_1": (_Stream, (3,), dict(num_workers=2, batch_size=1)),
}


def _flat(batch):
    return batch if isinstance(batch, int) else batch.tolist()


@pytest.mark.filterwarnings("ignore:This DataLoader will create")  # torch, on small machines
@pytest.mark.parametrize("name", sorted(ITERABLE_WORKER_CASES))
def test_iterable_dataset_workers_like_torch(torch, name):
    cls, args, kwargs = ITERABLE_WORKER_CASES[name]
    ours = DataLoader(cls(*args), **kwargs)
    # fork, because the twin classes are made at run time and cannot be pickled for spawn.
    theirs = torch.utils.data.DataLoader(_torch_twin(torch, cls, *args),
                                         multiprocessing_context="fork", **kwargs)
    if hasattr(cls, "__len__"):
        assert len(ours) == len(theirs)
    with warnings.catch_warnings(record=True) as our_warnings:
        warnings.simplefilter("always")
        got = [_flat(b) for b in ours]
    with warnings.catch_warnings(record=True) as their_warnings:
        warnings.simplefilter("always")
        expected = [_flat(b) for b in theirs]
    assert got == expected
    if cls is _Sharded and not kwargs.get("drop_last"):  # each sample exactly once
        assert sorted(i for b in got for i in ([b] if isinstance(b, int) else b)) == list(
            range(args[0]))
    # Both warn for each batch past len(dataset), as len(loader) was asked: the _Stream rows.
    assert _length_warnings(our_warnings) == _length_warnings(their_warnings)
    assert (_length_warnings(our_warnings) > 0) == (cls is _Stream)


def _length_warnings(caught):
    return sum("Length of IterableDataset" in str(w.message) for w in caught)


def _live_workers():
    return [t for t in threading.enumerate() if t.name.startswith("ndgrad-data-worker")]


@pytest.mark.parametrize("dataset", [_Endless(), _Sleepy(100)], ids=["iterable", "map"])
def test_workers_stop_when_the_loop_ends(dataset):
    loader = DataLoader(dataset, batch_size=4, num_workers=3)
    for i, _ in enumerate(loader):
        assert len(_live_workers()) == 3
        if i == 5:
            break
    assert _live_workers() == []
    batches = [b if isinstance(dataset, _Endless) else b[1] for b in itertools.islice(loader, 4)]
    assert _live_workers() == []
    if isinstance(dataset, _Endless):  # every worker reads the whole stream
        assert [b.tolist() for b in batches] == [[0, 1, 2, 3]] * 3 + [[4, 5, 6, 7]]
    else:
        assert [b.tolist() for b in batches] == [list(range(i, i + 4)) for i in (0, 4, 8, 12)]


class _Failing(IterableDataset):
    def __iter__(self):
        yield get_worker_info().id
        raise KeyError("stream broke")


def test_exception_in_iterable_worker_reaches_loop():
    with pytest.raises(KeyError, match="stream broke"):
        list(DataLoader(_Failing(), batch_size=2, num_workers=2))


def test_worker_timeout():
    loader = DataLoader(_Sleepy(4), batch_size=2, num_workers=1, timeout=0.001)
    loader.dataset.delays = [0.1] * 4
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.001 seconds"):
        list(loader)
    with pytest.raises(ValueError, match="timeout"):
        DataLoader(_Sleepy(4), timeout=-1)
