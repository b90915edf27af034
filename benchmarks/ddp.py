"""DistributedDataParallel overhead on this machine, and all-reduce time against message size.

    python benchmarks/ddp.py            # starts itself on 2 ranks with mpiexec

1. A training step of the benchmark MLP (784-256-128-10, ReLU, cross entropy, SGD momentum,
   global batch 128): one process on the whole batch, one process on half the batch (the
   compute a rank of two does), and DDP on two processes with half the batch each (one bucket,
   and 0.1 MB buckets: two). The gap between DDP and the half batch is what communication and
   DDP's bookkeeping cost; the ratio to the full batch is the speed-up.
2. ndgrad.distributed.all_reduce of float32 tensors from 4 KB to 16 MB between the two ranks
   (and mpi4py's blocking Allreduce, for the wrapper's cost), fitted to time = a + bytes / b:
   for two ranks the ring model 2(N-1)/N * bytes / bandwidth + 2(N-1) * latency gives
   bandwidth = b and latency = a / 2.
Timings are medians; the machine is shared, so expect noise of 10-20%.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ndgrad  # noqa: E402
import ndgrad.distributed as dist  # noqa: E402
from ndgrad import nn  # noqa: E402
from ndgrad.nn.parallel import DistributedDataParallel  # noqa: E402

BATCH, STEPS, ROUNDS = 128, 5, 7
SIZES = [2 ** k for k in range(12, 25, 2)]  # bytes: 4 KB ... 16 MB


def mlp() -> nn.Module:
    ndgrad.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def training_step(model: nn.Module, batch: int):
    """One SGD step of `model` on a fixed random batch of `batch` samples."""
    rng = np.random.default_rng(dist.get_rank())
    x = ndgrad.tensor(rng.standard_normal((batch, 784)).astype(np.float32))
    y = ndgrad.tensor(rng.integers(0, 10, batch))
    optimizer = ndgrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    step()
    return step


def ms_per_step(step) -> float:
    start = time.perf_counter()
    for _ in range(STEPS):
        step()
    return (time.perf_counter() - start) / STEPS * 1e3


def all_reduce_us(nbytes: int, use_mpi4py: bool) -> float:
    """Median time of one all-reduce of `nbytes` of float32, in microseconds."""
    from mpi4py import MPI
    tensor = ndgrad.zeros(nbytes // 4)
    array = tensor.numpy()
    repeats = max(5, min(200, 2 ** 22 // nbytes))
    times = []
    for _ in range(ROUNDS):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(repeats):
            if use_mpi4py:
                MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, array)
            else:
                dist.all_reduce(tensor)
        times.append((time.perf_counter() - start) / repeats * 1e6)
    return statistics.median(times)


def worker() -> None:
    dist.init_process_group("gloo")
    rank, size = dist.get_rank(), dist.get_world_size()
    report = []
    half = BATCH // size
    alone = {"full": training_step(mlp(), BATCH), "half": training_step(mlp(), half)}
    models = {cap: DistributedDataParallel(mlp(), bucket_cap_mb=cap) for cap in (25, 0.1)}
    together = {cap: training_step(model, half) for cap, model in models.items()}
    samples = {name: [] for name in [*alone, *together]}
    for _ in range(ROUNDS):  # in turns, so that the shared machine's load hits all alike
        if rank == 0:  # the other rank waits in the barrier, which sleeps rather than spins
            for name, step in alone.items():
                samples[name].append(ms_per_step(step))
        dist.barrier()
        for cap, step in together.items():
            samples[cap].append(ms_per_step(step))
    ms = {name: statistics.median(values) for name, values in samples.items() if values}
    gradient_mb = sum(p.numel() for p in mlp().parameters()) * 4 / 2 ** 20
    if rank == 0:
        report.append(f"1 process, batch {BATCH}: {ms['full']:.2f} ms/step")
        report.append(f"1 process, batch {half}: {ms['half']:.2f} ms/step")
        for cap, model in models.items():
            report.append(f"DDP, {size} processes x batch {half}, {len(model._buckets)} "
                          f"bucket(s) for {gradient_mb:.2f} MB of gradients: {ms[cap]:.2f} "
                          f"ms/step = {ms[cap] / ms['full']:.2f}x the 1-process step, "
                          f"{ms[cap] / ms['half']:.2f}x its half batch")
    fit = []
    for nbytes in SIZES:
        ours, raw = all_reduce_us(nbytes, False), all_reduce_us(nbytes, True)
        fit.append((nbytes, ours))
        if rank == 0:
            report.append(f"all_reduce {nbytes / 1024:8.0f} KB: ndgrad {ours:9.1f} us, "
                          f"mpi4py Allreduce {raw:9.1f} us, {nbytes / ours / 1e3:6.2f} GB/s")
    slope, intercept = np.polyfit([b for b, _ in fit], [t for _, t in fit], 1)
    if rank == 0:
        report.append(f"fit time = {intercept:.1f} us + bytes / ({1 / slope / 1e3:.2f} GB/s): "
                      f"ring model with {size} ranks -> bandwidth {1 / slope / 1e3:.2f} GB/s, "
                      f"latency {intercept / (2 * (size - 1)):.1f} us")
        print("\n".join(report), flush=True)
    dist.destroy_process_group()


def main() -> None:
    line = [sys.executable, "-m", "ndgrad.distributed.run", "--nproc-per-node", "2",
            os.path.abspath(__file__), "--worker"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.exit(subprocess.run(line, cwd=root, timeout=600, check=False).returncode)


if __name__ == "__main__":
    worker() if sys.argv[1:] == ["--worker"] else main()
