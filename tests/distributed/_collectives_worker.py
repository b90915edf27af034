"""Run on every rank (2 or 3): each collective of ndgrad.distributed against NumPy.

Every rank can compute every rank's data (seeded by rank), so each result is checked against
a NumPy computation of what all ranks held. A failed check raises, which ends the job.
"""
import sys

import numpy as np

import ndgrad
import ndgrad.distributed as dist
from ndgrad.distributed import ReduceOp

REDUCERS = {ReduceOp.SUM: np.sum, ReduceOp.PRODUCT: np.prod, ReduceOp.MIN: np.min,
            ReduceOp.MAX: np.max, ReduceOp.AVG: np.mean}
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def data(rank: int, shape=(2, 3), dtype="float64") -> np.ndarray:
    """What rank `rank` holds: small values, so products and float16 sums are exact."""
    values = np.random.default_rng(rank).integers(1, 4, size=shape)
    if dtype == "bool":
        return values == 2
    return values.astype(dtype)


def check(name: str, got, expected) -> None:
    got_array = got.numpy() if isinstance(got, ndgrad.Tensor) else np.asarray(got)
    expected = np.asarray(expected)
    if got_array.dtype != expected.dtype or got_array.shape != expected.shape or \
            not np.allclose(got_array.astype(float), expected.astype(float), atol=1e-6):
        raise AssertionError(f"{name}: got {got_array!r}, expected {expected!r}")


def check_raises(name: str, error: type, call) -> None:
    try:
        call()
    except error:
        return
    raise AssertionError(f"{name}: expected {error.__name__}")


def reductions(rank: int, size: int) -> None:
    for dtype in DTYPES:
        everyone = np.stack([data(r, dtype=dtype) for r in range(size)])
        for op, reducer in REDUCERS.items():
            if op is ReduceOp.AVG and dtype[0] != "f":
                continue
            tensor = ndgrad.tensor(data(rank, dtype=dtype))
            dist.all_reduce(tensor, op=op)
            expected = reducer(everyone, axis=0)
            if dtype == "bool":
                expected = everyone.any(0) if op in (ReduceOp.SUM, ReduceOp.MAX) \
                    else everyone.all(0)
            check(f"all_reduce {op} {dtype}", tensor, expected.astype(dtype))
    # In place through a non-contiguous view, a 0-d tensor, an async handle.
    base = ndgrad.tensor(data(rank, (3, 2)))
    view = base.t()
    assert dist.all_reduce(view) is None
    check("all_reduce of a transposed view", base,
          sum(data(r, (3, 2)) for r in range(size)))
    scalar = ndgrad.tensor(float(rank))
    work = dist.all_reduce(scalar, op=ReduceOp.MAX, async_op=True)
    assert work.wait() and work.is_completed()
    check("async all_reduce of a 0-d tensor", scalar, np.float32(size - 1))
    tensor = ndgrad.tensor(data(rank))
    dist.reduce(tensor, dst=1, op=ReduceOp.SUM)
    expected = sum(data(r) for r in range(size)) if rank == 1 else data(rank)
    check("reduce to rank 1", tensor, expected)
    check_raises("AVG of integers", ValueError,
                 lambda: dist.all_reduce(ndgrad.tensor([1, 2]), op=ReduceOp.AVG))


def movement(rank: int, size: int) -> None:
    tensor = ndgrad.tensor(data(rank, dtype="int16"))
    work = dist.broadcast(tensor, src=size - 1, async_op=True)
    work.wait()
    check("async broadcast from the last rank", tensor, data(size - 1, dtype="int16"))
    check_raises("broadcast without src", ValueError, lambda: dist.broadcast(tensor))
    outputs = [ndgrad.zeros(2, 3, dtype=ndgrad.float16) for _ in range(size)]
    dist.all_gather(outputs, ndgrad.tensor(data(rank, dtype="float16")))
    for r, out in enumerate(outputs):
        check("all_gather", out, data(r, dtype="float16"))
    check_raises("all_gather with a short list", ValueError,
                 lambda: dist.all_gather(outputs[:1], ndgrad.ones(2, 3)))
    concatenated = ndgrad.zeros(2 * size, 3, dtype=ndgrad.bool)
    dist.all_gather_into_tensor(concatenated, ndgrad.tensor(data(rank, dtype="bool")))
    check("all_gather_into_tensor", concatenated,
          np.concatenate([data(r, dtype="bool") for r in range(size)]))
    stacked = ndgrad.zeros(size, 2, 3, dtype=ndgrad.float64)
    dist.all_gather_into_tensor(stacked, ndgrad.tensor(data(rank)))
    check("all_gather_into_tensor stacked", stacked, np.stack([data(r) for r in range(size)]))
    gathered = [ndgrad.zeros(2, 3, dtype=ndgrad.int64) for _ in range(size)] if rank == 0 \
        else None
    dist.gather(ndgrad.tensor(data(rank, dtype="int64")), gathered)
    if rank == 0:
        for r, out in enumerate(gathered):
            check("gather to rank 0", out, data(r, dtype="int64"))
    received = ndgrad.zeros(2, 3, dtype=ndgrad.float64)
    parts = [ndgrad.tensor(data(10 + r)) for r in range(size)] if rank == 1 else None
    dist.scatter(received, parts, src=1)
    check("scatter from rank 1", received, data(10 + rank))


def reduce_scatters(rank: int, size: int) -> None:
    inputs = [ndgrad.tensor(data(rank * size + i)) for i in range(size)]
    output = ndgrad.zeros(2, 3, dtype=ndgrad.float64)
    dist.reduce_scatter(output, inputs, op=ReduceOp.MAX)
    check("reduce_scatter", output, np.max([data(r * size + rank) for r in range(size)], 0))
    whole = ndgrad.tensor(data(rank, (2 * size, 3), "int32"))
    block = ndgrad.zeros(2, 3, dtype=ndgrad.int32)
    dist.reduce_scatter_tensor(block, whole)
    total = sum(data(r, (2 * size, 3), "int32") for r in range(size))
    check("reduce_scatter_tensor", block, total[2 * rank:2 * rank + 2])


def all_to_alls(rank: int, size: int) -> None:
    # Rank r sends (r + 1) * (j + 1) elements, all equal to 10 * r + j, to rank j.
    inputs = [ndgrad.full(((rank + 1) * (j + 1),), float(10 * rank + j)) for j in range(size)]
    outputs = [ndgrad.zeros((i + 1) * (rank + 1)) for i in range(size)]
    dist.all_to_all(outputs, inputs)
    for i, out in enumerate(outputs):
        check("all_to_all", out, np.full((i + 1) * (rank + 1), 10 * i + rank, np.float32))
    # Uneven rows: rank r sends j + 1 rows to rank j, so it receives rank + 1 rows from each.
    rows = sum(range(1, size + 1))
    source = ndgrad.tensor(np.arange(rows * 2).reshape(rows, 2) + 100 * rank)
    target = ndgrad.zeros(size * (rank + 1), 2, dtype=ndgrad.int64)
    dist.all_to_all_single(target, source, output_split_sizes=[rank + 1] * size,
                           input_split_sizes=list(range(1, size + 1)))
    start = sum(range(1, rank + 1))
    expected = np.concatenate([np.arange(rows * 2).reshape(rows, 2)[start:start + rank + 1]
                               + 100 * r for r in range(size)])
    check("all_to_all_single with uneven splits", target, expected)
    even = ndgrad.tensor(np.arange(size * 2) + 10 * rank)
    got = ndgrad.zeros(size * 2, dtype=ndgrad.int64)
    dist.all_to_all_single(got, even)
    check("all_to_all_single even", got,
          np.concatenate([np.arange(2 * rank, 2 * rank + 2) + 10 * r for r in range(size)]))


def point_to_point(rank: int, size: int) -> None:
    after, before = (rank + 1) % size, (rank - 1) % size
    message = ndgrad.tensor(data(rank, dtype="uint8"))
    received = ndgrad.zeros(2, 3, dtype=ndgrad.uint8)
    if rank % 2 == 0:
        dist.send(message, dst=after)
        sender = dist.recv(received)
    else:
        sender = dist.recv(received)
        dist.send(message, dst=after)
    check("recv from any source", received, data(before, dtype="uint8"))
    assert sender == before, (sender, before)
    receiving = ndgrad.zeros(2, 3, dtype=ndgrad.float64)
    works = [dist.irecv(receiving, src=before, tag=7),
             dist.isend(ndgrad.tensor(data(rank)), dst=after, tag=7)]
    for work in works:
        work.wait()
    check("isend/irecv", receiving, data(before))
    assert works[0].source_rank() == before
    check_raises("send to itself", ValueError, lambda: dist.send(message, dst=rank))


def subgroups(rank: int, size: int) -> None:
    members = [0, 2] if size > 2 else [1]
    sub = dist.new_group(members)
    assert dist.get_process_group_ranks(sub) == members
    # Every rank makes every group. With sort_ranks=False the given order holds.
    given_order = dist.new_group([size - 1, 0], sort_ranks=False)
    assert dist.get_rank(given_order) == {size - 1: 0, 0: 1}.get(rank, -1)
    if rank not in members:
        assert dist.get_rank(sub) == -1 and dist.get_world_size(sub) == -1
        untouched = ndgrad.ones(2)
        assert dist.all_reduce(untouched, group=sub) is None
        check("all_reduce outside the group", untouched, np.ones(2, np.float32))
        return
    assert dist.get_rank(sub) == members.index(rank)
    assert dist.get_world_size(sub) == len(members)
    tensor = ndgrad.tensor(data(rank))
    dist.all_reduce(tensor, group=sub)
    check("all_reduce in a subgroup", tensor, sum(data(r) for r in members))
    tensor = ndgrad.tensor(data(rank))
    dist.broadcast(tensor, src=members[-1], group=sub)  # a global rank, as in PyTorch
    check("broadcast from a global rank in a subgroup", tensor, data(members[-1]))
    check_raises("src outside the group", ValueError,
                 lambda: dist.broadcast(tensor, src=size, group=sub))


def objects(rank: int, size: int) -> None:
    items = [{"rank": 0, "list": [1, 2]}, "text", None] if rank == 0 else [None, None, None]
    dist.broadcast_object_list(items)
    assert items == [{"rank": 0, "list": [1, 2]}, "text", None], items
    everyone = [None] * size
    dist.all_gather_object(everyone, ("rank", rank))
    assert everyone == [("rank", r) for r in range(size)], everyone
    gathered = [None] * size if rank == 1 else None
    dist.gather_object({rank}, gathered, dst=1)
    if rank == 1:
        assert gathered == [{r} for r in range(size)], gathered
    out = [None]
    dist.scatter_object_list(out, [f"for {r}" for r in range(size)] if rank == 0 else None)
    assert out == [f"for {rank}"], out


def main() -> None:
    dist.init_process_group(backend="gloo", init_method="env://")
    rank, size = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "gloo"
    assert dist.group.WORLD is not None and dist.get_rank(dist.group.WORLD) == rank
    for part in (reductions, movement, reduce_scatters, all_to_alls, point_to_point,
                 subgroups, objects):
        part(rank, size)
    dist.barrier()
    dist.destroy_process_group()
    assert not dist.is_initialized()
    check_raises("a collective after destroy_process_group", RuntimeError,
                 lambda: dist.all_reduce(ndgrad.ones(1)))
    sys.stdout.write(f"collectives ok on rank {rank} of {size}\n")  # one write: ranks share a pipe
    sys.stdout.flush()


if __name__ == "__main__":
    main()
