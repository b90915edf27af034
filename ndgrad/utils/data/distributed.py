"""DistributedSampler: each rank's share of a dataset (PyTorch's torch.utils.data.distributed)."""
from __future__ import annotations

import math
from collections.abc import Iterator

from ndgrad._random import Generator, randperm
from ndgrad.utils.data.sampler import Sampler, _check_bool


class DistributedSampler(Sampler):
    """Yields the indices of rank `rank` out of `num_replicas`: every `num_replicas`-th index
    of one (shuffled, with seed `seed + epoch`) order, so the ranks' shares are disjoint.

    Without `drop_last` the order is padded by repeating its start, so every rank gets
    ceil(len / num_replicas) indices; with it, the tail is dropped instead. Every rank must use
    the same `seed` and call `set_epoch` alike. `num_replicas` and `rank` default to the
    world size and rank of the initialised process group.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        _check_bool("shuffle", shuffle)
        _check_bool("drop_last", drop_last)
        if num_replicas is None or rank is None:
            from ndgrad import distributed
            if not distributed.is_initialized():
                raise RuntimeError("DistributedSampler: give num_replicas and rank, or call "
                                   "ndgrad.distributed.init_process_group() first")
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        size = len(dataset)
        if drop_last and size % num_replicas:
            self.num_samples = math.ceil((size - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(size / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        size = len(self.dataset)
        if self.shuffle:
            generator = Generator().manual_seed(self.seed + self.epoch)
            order = randperm(size, generator=generator).tolist()
        else:
            order = list(range(size))
        if self.drop_last:
            order = order[:self.total_size]
        elif order:
            repeats = math.ceil(self.total_size / len(order))
            order = (order * repeats)[:self.total_size]
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch, which reseeds the shuffle: call it before each epoch on every rank."""
        self.epoch = epoch
