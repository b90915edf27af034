"""Tensor collectives and point-to-point messages (torch.distributed's), over MPI.

Each operation starts MPI's non-blocking counterpart and returns a Work; the synchronous form
(`async_op=False`) waits for it and returns None, so both share one code path. Results are
written into the caller's tensors in place and keep their dtypes. Data that is only moved
travels as bytes; a reduction runs on the typed data, with bool as 0/1 bytes (SUM/MAX are
OR, PRODUCT/MIN are AND) and float16 widened to float32 for the sum.
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.distributed import _mpi
from ndgrad.distributed.distributed_c10d import ProcessGroup, ReduceOp, _resolve

_LOGICAL = {ReduceOp.SUM: "LOR", ReduceOp.MAX: "LOR", ReduceOp.BOR: "LOR",
            ReduceOp.PRODUCT: "LAND", ReduceOp.MIN: "LAND", ReduceOp.BAND: "LAND",
            ReduceOp.BXOR: "LXOR"}
_ARITHMETIC = {ReduceOp.SUM: "SUM", ReduceOp.AVG: "SUM", ReduceOp.PRODUCT: "PROD",
               ReduceOp.MIN: "MIN", ReduceOp.MAX: "MAX", ReduceOp.BAND: "BAND",
               ReduceOp.BOR: "BOR", ReduceOp.BXOR: "BXOR"}


class Work:
    """A started operation: `wait()` completes it and fills the output tensors."""

    def __init__(self, requests: list, finish=None, outputs: tuple = (), keep: tuple = (),
                 group: ProcessGroup | None = None) -> None:
        self._requests = requests
        self._finish = finish
        self._outputs = outputs
        self._keep = keep  # the buffers MPI reads or writes until the requests complete
        self._group = group
        self._statuses = [_mpi.load().Status() for _ in requests]
        self._done = False

    def wait(self, timeout=None) -> bool:
        """Blocks until the operation is complete; the outputs then hold the result."""
        if not self._done:
            _mpi.wait_all(self._requests, self._statuses)
            self._complete()
        return True

    def is_completed(self) -> bool:
        """True once the operation has finished (then its outputs hold the result)."""
        if not self._done and _mpi.load().Request.Testall(self._requests, self._statuses):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self._done

    def exception(self):
        return None

    def result(self) -> list:
        """The output tensors of the operation."""
        self.wait()
        return list(self._outputs)

    def source_rank(self) -> int:
        """For a receive: the global rank of the sender."""
        self.wait()
        return self._group._ranks[self._statuses[0].Get_source()]

    def _complete(self) -> None:
        self._done = True
        self._keep = ()
        if self._finish is not None:
            self._finish()


class _Reduction:
    """A tensor's data in the type an MPI reduction needs, and the way back to its dtype."""

    def __init__(self, array: np.ndarray, op: ReduceOp, size: int, caller: str) -> None:
        MPI = _mpi.load()
        if not isinstance(op, ReduceOp):
            raise TypeError(f"{caller}: op must be a ReduceOp, got {op!r}")
        kind = array.dtype.kind
        if op is ReduceOp.AVG and kind != "f":
            raise ValueError(f"{caller}: ReduceOp.AVG needs a floating point tensor, got "
                             f"{array.dtype}")
        if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind == "f":
            raise ValueError(f"{caller}: {op} needs an integer or bool tensor, got "
                             f"{array.dtype}")
        self.dtype = array.dtype
        self.divisor = size if op is ReduceOp.AVG else 1
        wide = np.float32 if array.dtype == np.float16 else array.dtype
        reusable = array.dtype == wide and array.flags.c_contiguous and array.flags.writeable
        # The tensor's own array where possible: DDP's buckets reduce without a copy.
        self.buffer = array if reusable else np.array(array, dtype=wide, order="C")
        if kind == "b":
            self.buffer = self.buffer.view(np.uint8)
            self.op = getattr(MPI, _LOGICAL[op])
        else:
            self.op = getattr(MPI, _ARITHMETIC[op])

    def result(self, buffer: np.ndarray) -> np.ndarray:
        if self.divisor != 1:
            buffer /= self.divisor
        return buffer.view(np.bool_) if self.dtype == np.bool_ else buffer.astype(self.dtype,
                                                                                  copy=False)


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False):
    """Reduces `tensor` over all ranks of the group; every rank receives the result."""
    pg = _member(group, "all_reduce", tensor)
    if pg is None:
        return None
    red = _Reduction(tensor._data, op, pg.size(), "all_reduce")
    request = pg._comm.Iallreduce(_mpi.load().IN_PLACE, red.buffer, red.op)
    return _run(Work([request], lambda: _store(tensor, red.result(red.buffer)), (tensor,),
                     (red.buffer,)), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
              async_op: bool = False, group_src: int | None = None):
    """Copies `tensor` from global rank `src` to every rank of the group."""
    pg = _member(group, "broadcast", tensor)
    if pg is None:
        return None
    root = _group_rank(pg, src, group_src, "broadcast", "src", required=True)
    buffer = _writable(tensor)
    request = pg._comm.Ibcast(_mpi.byte_view(buffer), root)
    return _run(Work([request], lambda: _store(tensor, buffer), (tensor,), (buffer,)), async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: ReduceOp = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None):
    """Reduces `tensor` over the group into the tensor of global rank `dst` only."""
    pg = _member(group, "reduce", tensor)
    if pg is None:
        return None
    root = _group_rank(pg, dst, group_dst, "reduce", "dst", required=True)
    red = _Reduction(tensor._data, op, pg.size(), "reduce")
    if pg.rank() != root:
        return _run(Work([pg._comm.Ireduce(red.buffer, None, red.op, root)], keep=(red.buffer,)),
                    async_op)
    request = pg._comm.Ireduce(_mpi.load().IN_PLACE, red.buffer, red.op, root)
    return _run(Work([request], lambda: _store(tensor, red.result(red.buffer)), (tensor,),
                     (red.buffer,)), async_op)


def all_gather(tensor_list: list, tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False):
    """Fills `tensor_list[i]` with the `tensor` of group rank i, on every rank."""
    pg = _member(group, "all_gather", tensor)
    if pg is None:
        return None
    _check_parts("all_gather", "tensor_list", tensor_list, pg.size(), tensor)
    send = np.ascontiguousarray(tensor._data)
    received = np.empty((pg.size(),) + send.shape, send.dtype)
    request = pg._comm.Iallgather(_mpi.byte_view(send), _mpi.byte_view(received))
    return _run(Work([request], lambda: _store_parts(tensor_list, received),
                     tuple(tensor_list), (send, received)), async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor,
                           group: ProcessGroup | None = None, async_op: bool = False):
    """Gathers every rank's `input_tensor` into `output_tensor`, concatenated along dim 0 (or
    stacked, when `output_tensor` has shape (world_size, *input.shape))."""
    pg = _member(group, "all_gather_into_tensor", input_tensor)
    if pg is None:
        return None
    _check_total("all_gather_into_tensor", output_tensor, input_tensor, pg.size())
    send = np.ascontiguousarray(input_tensor._data)
    received = _writable(output_tensor)
    request = pg._comm.Iallgather(_mpi.byte_view(send), _mpi.byte_view(received))
    return _run(Work([request], lambda: _store(output_tensor, received), (output_tensor,),
                     (send, received)), async_op)


def reduce_scatter(output: Tensor, input_list: list, op: ReduceOp = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False):
    """Reduces `input_list[i]` over the group into `output` of group rank i."""
    pg = _member(group, "reduce_scatter", output)
    if pg is None:
        return None
    _check_parts("reduce_scatter", "input_list", input_list, pg.size(), output)
    stacked = np.stack([np.asarray(t._data) for t in input_list]) if input_list else None
    return _reduce_scatter(pg, output, stacked, op, "reduce_scatter", async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM,
                          group: ProcessGroup | None = None, async_op: bool = False):
    """Reduces `input` over the group and gives group rank i its i-th block along dim 0."""
    pg = _member(group, "reduce_scatter_tensor", output)
    if pg is None:
        return None
    _check_total("reduce_scatter_tensor", input, output, pg.size())
    return _reduce_scatter(pg, output, input._data, op, "reduce_scatter_tensor", async_op)


def _reduce_scatter(pg: ProcessGroup, output: Tensor, data: np.ndarray, op: ReduceOp,
                    caller: str, async_op: bool):
    red = _Reduction(data, op, pg.size(), caller)
    received = np.empty(output.shape, red.buffer.dtype)
    request = pg._comm.Ireduce_scatter_block(red.buffer, received, red.op)
    return _run(Work([request], lambda: _store(output, red.result(received)), (output,),
                     (red.buffer, received)), async_op)


def gather(tensor: Tensor, gather_list: list | None = None, dst: int | None = None,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None):
    """Fills `gather_list[i]` on global rank `dst` (default 0) with group rank i's tensor."""
    pg = _member(group, "gather", tensor)
    if pg is None:
        return None
    root = _group_rank(pg, dst, group_dst, "gather", "dst")
    send = np.ascontiguousarray(tensor._data)
    if pg.rank() != root:
        _refuse_list_off_root("gather", "gather_list", gather_list)
        return _run(Work([pg._comm.Igather(_mpi.byte_view(send), None, root)], keep=(send,)),
                    async_op)
    _check_parts("gather", "gather_list", gather_list, pg.size(), tensor)
    received = np.empty((pg.size(),) + send.shape, send.dtype)
    request = pg._comm.Igather(_mpi.byte_view(send), _mpi.byte_view(received), root)
    return _run(Work([request], lambda: _store_parts(gather_list, received), tuple(gather_list),
                     (send, received)), async_op)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int | None = None,
            group: ProcessGroup | None = None, async_op: bool = False,
            group_src: int | None = None):
    """Copies `scatter_list[i]` of global rank `src` (default 0) into group rank i's tensor."""
    pg = _member(group, "scatter", tensor)
    if pg is None:
        return None
    root = _group_rank(pg, src, group_src, "scatter", "src")
    received = _writable(tensor)
    send = None
    if pg.rank() == root:
        _check_parts("scatter", "scatter_list", scatter_list, pg.size(), tensor)
        send = np.stack([np.asarray(t._data) for t in scatter_list])
    else:
        _refuse_list_off_root("scatter", "scatter_list", scatter_list)
    request = pg._comm.Iscatter(None if send is None else _mpi.byte_view(send),
                                _mpi.byte_view(received), root)
    return _run(Work([request], lambda: _store(tensor, received), (tensor,), (send, received)),
                async_op)


def all_to_all(output_tensor_list: list, input_tensor_list: list,
               group: ProcessGroup | None = None, async_op: bool = False):
    """Sends `input_tensor_list[i]` to group rank i, which receives it into its
    `output_tensor_list[j]` (j = this rank); the tensors may differ in size."""
    pg = _member(group, "all_to_all")
    if pg is None:
        return None
    for name, tensors in (("output_tensor_list", output_tensor_list),
                          ("input_tensor_list", input_tensor_list)):
        if len(tensors) != pg.size():
            raise ValueError(f"all_to_all: {name} has {len(tensors)} tensors for a group of "
                             f"{pg.size()} ranks")
    send = np.concatenate([_mpi.byte_view(np.ascontiguousarray(t._data))
                           for t in input_tensor_list])
    parts = [np.empty(t.shape, t._data.dtype) for t in output_tensor_list]
    received = np.empty(sum(p.nbytes for p in parts), np.uint8)
    request = _alltoallv(pg, send, [t._data.nbytes for t in input_tensor_list], received,
                         [p.nbytes for p in parts])
    return _run(Work([request], lambda: _store_bytes(output_tensor_list, parts, received),
                     tuple(output_tensor_list), (send, received)), async_op)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: list | None = None,
                      input_split_sizes: list | None = None, group: ProcessGroup | None = None,
                      async_op: bool = False):
    """Splits `input` along dim 0 (evenly, or by `input_split_sizes`), sends part i to group
    rank i, and concatenates what arrives into `output` (split by `output_split_sizes`)."""
    pg = _member(group, "all_to_all_single", input)
    if pg is None:
        return None
    if output._data.dtype != input._data.dtype:
        raise TypeError(f"all_to_all_single: output dtype {output.dtype} differs from input "
                        f"dtype {input.dtype}")
    send = np.ascontiguousarray(input._data)
    received = _writable(output)
    send_counts = _split_bytes(input, input_split_sizes, pg.size(), "input")
    recv_counts = _split_bytes(output, output_split_sizes, pg.size(), "output")
    request = _alltoallv(pg, _mpi.byte_view(send), send_counts, _mpi.byte_view(received),
                         recv_counts)
    return _run(Work([request], lambda: _store(output, received), (output,), (send, received)),
                async_op)


def barrier(group: ProcessGroup | None = None, async_op: bool = False, device_ids=None,
            timeout=None):
    """Returns once every rank of the group has entered the barrier."""
    pg = _member(group, "barrier")
    if pg is None:
        return None
    return _run(Work([pg._comm.Ibarrier()]), async_op)


def isend(tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0, group_dst: int | None = None) -> Work:
    """Starts sending `tensor` to global rank `dst`; returns a Work to wait on."""
    pg = _member(group, "isend", tensor)
    if pg is None:
        return None
    peer = _group_rank(pg, dst, group_dst, "isend", "dst", required=True)
    send = np.ascontiguousarray(tensor._data)
    return Work([pg._comm.Isend(_mpi.byte_view(send), peer, tag)], keep=(send,), group=pg)


def irecv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0, group_src: int | None = None) -> Work:
    """Starts receiving into `tensor` from global rank `src` (any rank if None)."""
    pg = _member(group, "irecv", tensor)
    if pg is None:
        return None
    MPI = _mpi.load()
    peer = MPI.ANY_SOURCE
    if src is not None or group_src is not None:
        peer = _group_rank(pg, src, group_src, "irecv", "src")
    received = _writable(tensor)
    request = pg._comm.Irecv(_mpi.byte_view(received), peer, tag)
    return Work([request], lambda: _store(tensor, received), (tensor,), (received,), pg)


def send(tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0, group_dst: int | None = None) -> None:
    """Sends `tensor` to global rank `dst` and waits until it may be reused."""
    pg = _resolve(group, "send")
    peer = _group_rank(pg, dst, group_dst, "send", "dst", required=True)
    if peer == pg.rank():
        raise ValueError("send: dst rank should not be the same as the rank of the current "
                         "process")
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0, group_src: int | None = None) -> int:
    """Receives into `tensor` from global rank `src` (any rank if None); returns the sender's
    global rank (-1 outside the group)."""
    work = irecv(tensor, src, group, tag, group_src)
    return -1 if work is None else work.source_rank()


def _member(group: ProcessGroup | None, caller: str, tensor=None) -> ProcessGroup | None:
    """The group to run on, or None where this rank is not in it (then the call does nothing,
    as in PyTorch)."""
    pg = _resolve(group, caller)
    if tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{caller}: expected a Tensor, got {type(tensor).__name__}")
    return None if pg._comm is None else pg


def _group_rank(pg: ProcessGroup, rank: int | None, group_rank: int | None, caller: str,
                name: str, required: bool = False) -> int:
    """The group rank of a peer given by global rank or by group rank (PyTorch's rules);
    global rank 0 when neither is given and the argument is optional."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"{caller}: give {name} or group_{name}, not both")
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"{caller}: group_{name}={group_rank} is not in a group of "
                             f"{pg.size()} ranks")
        return group_rank
    if rank is None:
        if required:
            raise ValueError(f"{caller}: {name} (a global rank) or group_{name} is required")
        rank = 0
    if rank not in pg._ranks:
        raise ValueError(f"{caller}: {name}={rank} is not part of the group {pg._ranks}")
    return pg._ranks.index(rank)


def _run(work: Work, async_op: bool):
    if async_op:
        return work
    work.wait()
    return None


def _writable(tensor: Tensor) -> np.ndarray:
    """The tensor's own array if MPI can write it directly, else a contiguous copy."""
    array = tensor._data
    if array.flags.c_contiguous and array.flags.writeable:
        return array
    return np.ascontiguousarray(array)


def _store(tensor: Tensor, values: np.ndarray) -> None:
    """Writes a result into the tensor in place (where it is not already there)."""
    if values is not tensor._data:
        tensor._data[...] = values.reshape(tensor._data.shape)
    tensor._vc[0] += 1


def _store_parts(tensors: list, stacked: np.ndarray) -> None:
    for tensor, part in zip(tensors, stacked):
        _store(tensor, part)


def _store_bytes(tensors: list, parts: list, received: np.ndarray) -> None:
    start = 0
    for tensor, part in zip(tensors, parts):
        _mpi.byte_view(part)[...] = received[start:start + part.nbytes]
        start += part.nbytes
        _store(tensor, part)


def _check_parts(caller: str, name: str, tensors, size: int, like: Tensor) -> None:
    """A list of one tensor per rank, each of `like`'s shape and dtype."""
    if tensors is None or len(tensors) != size:
        got = "None" if tensors is None else f"{len(tensors)} tensors"
        raise ValueError(f"{caller}: {name} must hold one tensor per rank ({size}), got {got}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor) or t.shape != like.shape or t.dtype != like.dtype:
            got = (f"{tuple(t.shape)} {t.dtype}" if isinstance(t, Tensor)
                   else type(t).__name__)
            raise ValueError(f"{caller}: {name}[{i}] is {got}; expected "
                             f"{tuple(like.shape)} {like.dtype}")


def _check_total(caller: str, whole: Tensor, part: Tensor, size: int) -> None:
    """`whole` holds `size` times `part`'s elements, of the same dtype."""
    if whole.dtype != part.dtype or whole.numel() != size * part.numel():
        raise ValueError(f"{caller}: a tensor of {tuple(whole.shape)} {whole.dtype} must hold "
                         f"{size} x {tuple(part.shape)} {part.dtype}")


def _refuse_list_off_root(caller: str, name: str, tensors) -> None:
    if tensors:
        raise ValueError(f"{caller}: {name} must not be given on ranks other than the root")


def _split_bytes(tensor: Tensor, sizes: list | None, size: int, name: str) -> list[int]:
    rows = tensor.shape[0] if tensor.dim() else 1
    row_bytes = tensor._data.nbytes // rows if rows else 0
    if sizes is None or len(sizes) == 0:
        if rows % size:
            raise ValueError(f"all_to_all_single: the {name}'s {rows} rows do not split "
                             f"evenly over {size} ranks; give {name}_split_sizes")
        return [rows // size * row_bytes] * size
    if len(sizes) != size or sum(sizes) != rows:
        raise ValueError(f"all_to_all_single: {name}_split_sizes {list(sizes)} must give one "
                         f"count per rank ({size}) summing to the {name}'s {rows} rows")
    return [int(s) * row_bytes for s in sizes]


def _alltoallv(pg: ProcessGroup, send: np.ndarray, send_counts: list, received: np.ndarray,
               recv_counts: list):
    MPI = _mpi.load()
    send_displs = np.concatenate([[0], np.cumsum(send_counts)[:-1]]).astype(int).tolist()
    recv_displs = np.concatenate([[0], np.cumsum(recv_counts)[:-1]]).astype(int).tolist()
    return pg._comm.Ialltoallv([send, (send_counts, send_displs), MPI.BYTE],
                               [received, (recv_counts, recv_displs), MPI.BYTE])
