"""Run on every rank (2 or 3): DistributedDataParallel against single-process training.

Each rank can rebuild the whole dataset and the initial model, so the single-process
reference is computed on every rank and compared with what DDP produced. A failed check
raises, which ends the job.
"""
import sys

import numpy as np

import ndgrad
import ndgrad.distributed as dist
from ndgrad import nn
from ndgrad.nn.parallel import DistributedDataParallel as DDP
from ndgrad.utils.data import DataLoader, DistributedSampler, TensorDataset

SAMPLES, GLOBAL_BATCH, EPOCHS, SEED = 36, 12, 2, 5


def model() -> nn.Module:
    ndgrad.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)).double()


def dataset() -> TensorDataset:
    rng = np.random.default_rng(1)
    return TensorDataset(ndgrad.tensor(rng.normal(size=(SAMPLES, 6))),
                         ndgrad.tensor(rng.integers(0, 3, size=SAMPLES)))


def assert_close(name: str, got: ndgrad.Tensor, expected: ndgrad.Tensor) -> None:
    difference = float((got - expected).abs().max())
    if difference > 1e-6:
        raise AssertionError(f"{name}: differs by {difference}")


def train_ddp(rank: int, size: int) -> nn.Module:
    """DDP with a DistributedSampler (shuffled per epoch), tiny buckets, momentum SGD."""
    ndgrad.manual_seed(100 + rank)  # a different init per rank: DDP must copy rank 0's
    local = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    if rank == 0:
        local.load_state_dict(model().state_dict())
    ddp = DDP(local, bucket_cap_mb=0.0005)  # about 500 bytes: several buckets
    assert len(ddp._buckets) > 1
    assert all(key.startswith("module.") for key in ddp.state_dict())
    optimizer = ndgrad.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    sampler = DistributedSampler(dataset(), shuffle=True, seed=SEED)
    loader = DataLoader(dataset(), batch_size=GLOBAL_BATCH // size, sampler=sampler)
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(ddp(x), y).backward()
            optimizer.step()
    return local


def train_single() -> nn.Module:
    """The same steps on one process: each step's global batch is one block of the epoch's
    permutation (the ranks' interleaved shares put together)."""
    reference = model()
    optimizer = ndgrad.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    x_all, y_all = dataset().tensors
    for epoch in range(EPOCHS):
        order = ndgrad.randperm(SAMPLES, generator=ndgrad.Generator().manual_seed(SEED + epoch))
        for start in range(0, SAMPLES, GLOBAL_BATCH):
            batch = order[start:start + GLOBAL_BATCH]
            optimizer.zero_grad()
            nn.functional.cross_entropy(reference(x_all[batch]), y_all[batch]).backward()
            optimizer.step()
    return reference


def check_training(rank: int, size: int) -> None:
    trained, reference = train_ddp(rank, size), train_single()
    for (name, p), q in zip(trained.named_parameters(), reference.parameters()):
        assert_close(f"DDP-trained {name} against single-process training", p, q)


def check_no_sync(rank: int, size: int) -> None:
    """Inside no_sync gradients stay local; the next backward averages the accumulated sum."""
    net = model()
    ddp = DDP(net)
    x_all, y_all = dataset().tensors
    micro = [(x_all[i * 2 * size + 2 * rank:][:2], y_all[i * 2 * size + 2 * rank:][:2])
             for i in range(2)]
    reference = model()
    with ddp.no_sync():
        nn.functional.cross_entropy(ddp(micro[0][0]), micro[0][1]).backward()
    nn.functional.cross_entropy(reference(micro[0][0]), micro[0][1]).backward()
    assert_close("a gradient inside no_sync", net[0].weight.grad, reference[0].weight.grad)
    nn.functional.cross_entropy(ddp(micro[1][0]), micro[1][1]).backward()
    expected = model()
    for i in range(2):
        for r in range(size):
            x, y = x_all[i * 2 * size + 2 * r:][:2], y_all[i * 2 * size + 2 * r:][:2]
            (nn.functional.cross_entropy(expected(x), y) / size).backward()
    for p, q in zip(net.parameters(), expected.parameters()):
        assert_close("the gradient accumulated over no_sync", p.grad, q.grad)


class Branchy(nn.Module):
    """`extra` is used only when asked; `never` is never used."""

    def __init__(self) -> None:
        super().__init__()
        ndgrad.manual_seed(0)
        self.body = nn.Linear(4, 2).double()
        self.extra = nn.Linear(4, 2).double()
        self.never = nn.Linear(4, 2).double()

    def forward(self, x, use_extra: bool = False, scale: float = 1.0):
        out = self.body(x) * scale
        return out + self.extra(x) if use_extra else out


def check_unused_parameters(rank: int, size: int) -> None:
    """`extra` is used on rank 0 only: every rank gets rank 0's gradient / size; `never`
    keeps no gradient; keyword arguments reach the module's forward."""
    net = Branchy()
    ddp = DDP(net, find_unused_parameters=True)
    x = ndgrad.ones(3, 4, dtype=ndgrad.float64) * (rank + 1)
    ddp(x, use_extra=rank == 0, scale=2.0).sum().backward()
    alone = Branchy()
    alone(ndgrad.ones(3, 4, dtype=ndgrad.float64), use_extra=True, scale=2.0).sum().backward()
    assert_close("a parameter used on rank 0 only", net.extra.weight.grad,
                 alone.extra.weight.grad / size)
    assert net.never.weight.grad is None, "a parameter no rank used got a gradient"
    # d(sum of 2 * body(x)) / d(weight) is 2 * (batch of 3) * (x = rank + 1) in every entry.
    body = sum(2.0 * 3 * (r + 1) for r in range(size)) / size
    assert_close("the body's averaged gradient", net.body.weight.grad,
                 ndgrad.full((2, 4), body, dtype=ndgrad.float64))


class WithBuffers(nn.Module):
    def __init__(self, rank: int) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.register_buffer("running", ndgrad.full((3,), float(rank)))
        self.register_buffer("steps", ndgrad.tensor([rank, 10 * rank]))

    def forward(self, x):
        return self.linear(x) + self.running[:2]


def check_buffers(rank: int, size: int) -> None:
    net = WithBuffers(rank)
    ddp = DDP(net)
    assert net.steps.tolist() == [0, 0] and net.running.tolist() == [0.0] * 3, \
        "construction did not broadcast the buffers (an integer one too)"
    net.running.fill_(float(rank))
    ddp(ndgrad.ones(1, 2))
    assert net.running.tolist() == [0.0] * 3, "forward did not broadcast the buffers"
    quiet = WithBuffers(rank)
    quiet_ddp = DDP(quiet, broadcast_buffers=False)  # PyTorch's: no buffer sync at all
    quiet_ddp(ndgrad.ones(1, 2))
    assert quiet.running.tolist() == [float(rank)] * 3, "broadcast_buffers=False broadcast"
    at_init = WithBuffers(rank)
    at_init_ddp = DDP(at_init, forward_sync_buffers=False)  # synced at construction only
    assert at_init.steps.tolist() == [0, 0], "forward_sync_buffers=False skipped the init sync"
    at_init.running.fill_(float(rank))
    at_init_ddp(ndgrad.ones(1, 2))
    assert at_init.running.tolist() == [float(rank)] * 3, "forward_sync_buffers=False synced"


def check_errors(rank: int, size: int) -> None:
    try:
        DDP(nn.Linear(2 + rank, 2))
    except RuntimeError as error:
        assert "differ between ranks" in str(error), error
    else:
        raise AssertionError("DDP accepted parameters of different shapes on the ranks")
    net = Branchy()
    ddp = DDP(net)  # find_unused_parameters=False, and `extra`/`never` stay unused
    ddp(ndgrad.ones(1, 4, dtype=ndgrad.float64)).sum().backward()
    try:
        ddp(ndgrad.ones(1, 4, dtype=ndgrad.float64))
    except RuntimeError as error:
        assert "find_unused_parameters=True" in str(error) and "never.weight" in str(error)
    else:
        raise AssertionError("a reduction left unfinished went unnoticed")


def main() -> None:
    dist.init_process_group("gloo")
    rank, size = dist.get_rank(), dist.get_world_size()
    for part in (check_training, check_no_sync, check_unused_parameters, check_buffers,
                 check_errors):
        part(rank, size)
    sys.stdout.write(f"ddp ok on rank {rank} of {size}\n")  # one write: ranks share a pipe
    sys.stdout.flush()


if __name__ == "__main__":
    main()
