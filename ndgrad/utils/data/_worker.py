"""DataLoader worker threads, get_worker_info, and the round-robin order batches come back in."""
from __future__ import annotations

import itertools
import queue
import threading
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterator

# A worker's fetch returns this when its IterableDataset iterator has run out.
EXHAUSTED = object()

_STOP = object()
_NO_TASK = object()
_local = threading.local()


@dataclass(frozen=True)
class WorkerInfo:
    """Who the calling DataLoader worker is: its id in range(num_workers), its seed
    (the iterator's base seed + id, as in PyTorch) and the dataset.

    Workers are threads, so `dataset` is the caller's dataset object itself, shared by every
    worker, not a per-process copy; shard an IterableDataset by `id` in its `__iter__`.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object
    worker_method: str = "thread"


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of the DataLoader worker thread calling it; None in any other thread."""
    return getattr(_local, "info", None)


class _Failure:
    """An exception raised in a worker, carried to the caller's thread to be raised there."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Worker(threading.Thread):
    """Runs worker_init_fn, builds its fetch function, then fetches one result per task."""

    def __init__(self, info: WorkerInfo, init_fn: Callable | None, make_fetch: Callable,
                 stopping: threading.Event) -> None:
        super().__init__(name=f"ndgrad-data-worker-{info.id}", daemon=True)
        self.info, self.init_fn, self.make_fetch = info, init_fn, make_fetch
        self.stopping = stopping
        self.tasks, self.results = queue.SimpleQueue(), queue.SimpleQueue()
        self.exhausted = False  # set by the caller's thread when it reads EXHAUSTED

    def run(self) -> None:
        _local.info = self.info
        try:
            if self.init_fn is not None:
                self.init_fn(self.info.id)
            fetch = self.make_fetch()
        except BaseException as error:  # answers the first task, as in PyTorch
            fetch, failure = None, _Failure(error)
        while True:
            task = self.tasks.get()
            if task is _STOP or self.stopping.is_set():
                return
            if fetch is None:
                self.results.put(failure)
                return
            try:
                result = fetch(task)
            except BaseException as error:  # anything uncaught would leave the caller waiting
                result = _Failure(error)
            self.results.put(result)
            if result is EXHAUSTED:
                return


class WorkerPool:
    """num_workers threads, each with its own WorkerInfo, started on creation."""

    def __init__(self, num_workers: int, base_seed: int, dataset, init_fn: Callable | None,
                 make_fetch: Callable) -> None:
        self.stopping = threading.Event()
        self.workers = [_Worker(WorkerInfo(i, num_workers, base_seed + i, dataset), init_fn,
                                make_fetch, self.stopping) for i in range(num_workers)]
        for worker in self.workers:
            worker.start()

    def results(self, tasks: Iterator, ahead: int, timeout: float) -> Iterator:
        """Sends tasks to the workers in turn, keeping `ahead` in flight, and yields the results
        in the order the tasks were sent, as PyTorch does. A worker whose IterableDataset is
        exhausted gets no more tasks, and the tasks already sent to it are skipped; so with an
        IterableDataset each batch comes from one worker, round-robin over those still going.
        """
        turn = itertools.cycle(self.workers)
        in_flight = deque()
        while True:
            while len(in_flight) < ahead and not all(w.exhausted for w in self.workers):
                task = next(tasks, _NO_TASK)
                if task is _NO_TASK:
                    break
                worker = next(w for w in turn if not w.exhausted)
                worker.tasks.put(task)
                in_flight.append(worker)
            if not in_flight:
                return
            worker = in_flight.popleft()
            if worker.exhausted:
                continue
            try:
                result = worker.results.get(timeout=timeout or None)
            except queue.Empty:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
            if isinstance(result, _Failure):
                raise result.error
            if result is EXHAUSTED:
                worker.exhausted = True
                continue
            yield result

    def close(self) -> None:
        """Stops the workers and waits for each to finish the task it is on."""
        self.stopping.set()
        for worker in self.workers:
            worker.tasks.put(_STOP)
        for worker in self.workers:
            worker.join()
