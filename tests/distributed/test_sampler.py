"""DistributedSampler against torch's: the same shares without shuffling, a partition of one
permutation with it."""
import pytest

import ndgrad
from ndgrad.utils.data import DistributedSampler

CASES = [(10, 3, False), (10, 3, True), (9, 3, False), (9, 3, True), (2, 3, False),
         (1, 4, True), (12, 4, False), (0, 2, False)]


@pytest.mark.parametrize("size, replicas, drop_last", CASES)
def test_shares_match_torch(size, replicas, drop_last, torch):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for rank in range(replicas):
        ours = DistributedSampler(range(size), replicas, rank, shuffle=False,
                                  drop_last=drop_last)
        theirs = TorchSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)
        assert all(type(i) is int for i in ours)


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_shares_split_one_permutation_per_epoch(drop_last):
    size, replicas = 11, 3
    samplers = [DistributedSampler(range(size), replicas, r, seed=7, drop_last=drop_last)
                for r in range(replicas)]
    orders = []
    for epoch in range(2):
        for sampler in samplers:
            sampler.set_epoch(epoch)
        shares = [list(s) for s in samplers]
        order = ndgrad.randperm(size, generator=ndgrad.Generator().manual_seed(7 + epoch))
        total = len(shares[0]) * replicas
        padded = (order.tolist() * 2)[:total]
        assert [padded[r::replicas] for r in range(replicas)] == shares
        assert all(len(share) == len(samplers[0]) for share in shares)
        orders.append(shares)
    assert orders[0] != orders[1], "set_epoch did not change the shuffle"
    assert [list(s) for s in samplers] == orders[1], "iterating twice changed the order"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"num_replicas": 2, "rank": 2}, ValueError, r"Invalid rank 2.*\[0, 1\]"),
    ({"num_replicas": 2, "rank": -1}, ValueError, "Invalid rank -1"),
    ({"num_replicas": 0, "rank": 0}, ValueError, "num_replicas"),
    ({"num_replicas": 2, "rank": 0, "shuffle": 1}, ValueError, "shuffle should be a boolean"),
    ({}, RuntimeError, "init_process_group"),
])
def test_mistakes(kwargs, error, message):
    with pytest.raises(error, match=message):
        DistributedSampler(range(4), **kwargs)
