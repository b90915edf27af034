"""DataLoader: batches from a dataset, optionally shuffled and loaded by background workers."""
from __future__ import annotations

import contextlib
import itertools
import warnings
from typing import Callable, Iterator

from ndgrad import _random
from ndgrad.utils.data._collate import default_collate, default_convert
from ndgrad.utils.data._worker import EXHAUSTED, WorkerPool, get_worker_info
from ndgrad.utils.data.dataset import IterableDataset
from ndgrad.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


class DataLoader:
    """Iterates over `dataset` in batches made by `collate_fn`.

    With num_workers > 0, batches are loaded by that many threads, up to prefetch_factor
    batches ahead per worker, and still yielded in order; an exception raised while loading is
    raised again in the caller's loop. Threads, not processes: nothing needs pickling, and NumPy
    releases the GIL in its kernels, so loading overlaps the training step. Measured with
    benchmarks/dataloader_workers.py on 2 cores: 1.35x faster epochs for NumPy-bound samples
    with a NumPy training step, 1.06x for pure-Python samples, and no gain when nothing else
    runs (loading alone is GIL- and core-bound).

    Each worker first calls worker_init_fn(worker_id); there and in the dataset's code,
    get_worker_info() says which worker is running. As in PyTorch, with an IterableDataset every
    worker iterates the whole dataset and makes its own batches, which come back round-robin
    over the workers: without sharding by get_worker_info().id, each sample comes num_workers
    times. Unlike PyTorch, workers share the dataset object and do not reseed `random`, NumPy
    or ndgrad (their state is shared by all threads); WorkerInfo.seed can seed a worker's own
    generator.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None
                 = None, persistent_workers: bool = False, pin_memory_device: str = "") -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset, self.num_workers = dataset, num_workers
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        self.batch_size, self.drop_last, self.generator = batch_size, drop_last, generator
        self.worker_init_fn, self.timeout = worker_init_fn, timeout
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle, "
                             "sampler and batch_sampler options")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            self.batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and self.batch_size is not None and not self._iterable:
            batch_sampler = BatchSampler(sampler, self.batch_size, drop_last)
        self.batch_sampler = batch_sampler
        # Without automatic batching PyTorch converts arrays in each sample but stacks nothing.
        default = default_collate if self._auto_batching else default_convert
        self.collate_fn = collate_fn or default
        # len(dataset) once len(self) has been asked, to warn when an IterableDataset yields
        # more batches than that, as PyTorch does (e.g. workers that do not shard it).
        self._reported_length = None

    @property
    def _auto_batching(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __len__(self) -> int:
        if self._iterable:
            length = self._reported_length = len(self.dataset)
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else -(-length // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def _index_batches(self) -> Iterator:
        return iter(self.batch_sampler) if self.batch_sampler is not None else iter(self.sampler)

    def _fetch(self, indices):
        if self.batch_sampler is None:
            return self.collate_fn(self.dataset[indices])
        return self.collate_fn([self.dataset[i] for i in indices])

    def _iterable_batches(self, samples: Iterator) -> Iterator:
        if self.batch_size is None:
            yield from (self.collate_fn(s) for s in samples)
            return
        while True:
            batch = list(itertools.islice(samples, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch)

    def __iter__(self) -> Iterator:
        # A base seed for the workers is drawn for every iterator, workers or not, as in
        # PyTorch: the generator then advances the same way (and shuffles the same) whatever
        # num_workers is.
        base_seed = int(_random._rng(self.generator).integers(2 ** 63))
        if self.num_workers:
            tasks = itertools.count() if self._iterable else self._index_batches()
            batches = self._threaded(base_seed, tasks)
        elif self._iterable:
            batches = self._iterable_batches(iter(self.dataset))
        else:
            batches = (self._fetch(indices) for indices in self._index_batches())
        if self._iterable and self._reported_length is not None:
            return self._warn_past_length(batches, self._reported_length)
        return batches

    def _threaded(self, base_seed: int, tasks: Iterator) -> Iterator:
        """Starts the workers and yields their batches in order; stops them when done."""
        pool = WorkerPool(self.num_workers, base_seed, self.dataset, self.worker_init_fn,
                          self._make_fetch)
        try:
            yield from pool.results(tasks, self.num_workers * self.prefetch_factor, self.timeout)
        finally:
            pool.close()

    def _make_fetch(self) -> Callable:
        """In a worker thread, after worker_init_fn: the function from one task to one batch.
        For an IterableDataset the worker iterates the dataset itself, and a task is a turn."""
        if not self._iterable:
            return self._fetch
        batches = self._iterable_batches(iter(self.dataset))
        return lambda turn: next(batches, EXHAUSTED)

    def _warn_past_length(self, batches: Iterator, length: int) -> Iterator:
        with contextlib.closing(batches):
            for count, batch in enumerate(batches, 1):
                if count > length:
                    hint = (" With num_workers > 0, each worker may be reading the whole "
                            "dataset: shard it by get_worker_info().id in its __iter__."
                            if self.num_workers else "")
                    warnings.warn(f"Length of IterableDataset {self.dataset} was reported to be "
                                  f"{length} (when accessing len(dataloader)), but {count} "
                                  f"samples have been fetched.{hint}", stacklevel=2)
                yield batch
