"""DistributedDataParallel: data-parallel training over the ranks of a process group.

Every rank holds the same model and runs it on its own share of the batch. Backward then
averages the gradients over the ranks, so every rank takes the same optimizer step. The
gradients travel in buckets of about `bucket_cap_mb`, in reverse order of
`module.parameters()` (roughly the order backward produces them); a bucket's non-blocking
all-reduce starts from the post-accumulate-grad hook of its last parameter, while backward
goes on computing the gradients of earlier layers.
"""
from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from ndgrad import distributed as dist
from ndgrad._creation import from_numpy
from ndgrad._tensor import Tensor
from ndgrad.autograd.engine import leaf_uses
from ndgrad.autograd.grad_mode import is_grad_enabled
from ndgrad.nn.modules.module import Module

_DEFAULT_BUCKET_MB = 25


class _Bucket:
    """Gradients of some parameters of one dtype, averaged as one flat array."""

    def __init__(self, params: list) -> None:
        self.params = params
        sizes = [p.numel() for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.flat = np.zeros(self.offsets[-1], dtype=params[0]._data.dtype)
        self.tensor = from_numpy(self.flat)
        self.ready: set = set()
        self.work = None

    def slot(self, index: int) -> np.ndarray:
        return self.flat[self.offsets[index]:self.offsets[index + 1]]


class DistributedDataParallel(Module):
    """Wraps `module` so that backward averages its gradients over the process group.

    At construction (unless `init_sync=False`) the parameters and buffers (integer ones too)
    of group rank 0 are copied to every rank; before each forward the buffers are again,
    unless `broadcast_buffers=False` (which, as in PyTorch, also skips them at construction)
    or `forward_sync_buffers=False`.
    Inside `no_sync()` gradients only accumulate locally; the first backward after it
    averages the accumulated sums. With `find_unused_parameters=True`, parameters that the
    forward's output does not depend on are found in the graph and count as ready (a
    parameter unused on every rank keeps its .grad). `device_ids`, `output_device`, `dim`,
    `gradient_as_bucket_view`, `static_graph` and the other tuning arguments are accepted for
    PyTorch compatibility and change nothing here.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool | None = None, init_sync: bool = True,
                 process_group=None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params: bool = False, bucket_cap_mb_list=None,
                 batched_grad_copy: bool = False,
                 forward_sync_buffers: bool | None = None) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel needs the default process group: call "
                               "ndgrad.distributed.init_process_group() first")
        self.module = module
        self.process_group = process_group
        # PyTorch's rule: broadcast_buffers (deprecated) decides both syncs of the buffers;
        # forward_sync_buffers decides the forward one, and the buffers are synced at init.
        if forward_sync_buffers is not None:
            self.broadcast_buffers, sync_buffers = forward_sync_buffers, True
        else:
            sync_buffers = broadcast_buffers is None or bool(broadcast_buffers)
            self.broadcast_buffers = sync_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        cap_mb = _DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap_mb * 1024 * 1024)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self._names = {id(p): n for n, p in named}
        self._params = [p for _, p in named]
        self._src = dist.get_process_group_ranks(self._group)[0]
        if init_sync:
            self._check_same_shapes(named)
            synced = list(module.parameters()) + (list(module.buffers()) if sync_buffers else [])
            _broadcast_coalesced(synced, self._src, process_group)
        self._buckets = _make_buckets(self._params, self.bucket_bytes_cap)
        position = {id(p): i for i, p in enumerate(self._params)}
        # id -> (its bucket, its place there, its place in self._params)
        self._slots = {id(p): (bucket, i, position[id(p)]) for bucket in self._buckets
                       for i, p in enumerate(bucket.params)}
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._on_gradient)
                              for p in self._params]
        self._reducing = False
        self._next_bucket = 0
        self._local_used = None
        self._used_work = None

    @property
    def _group(self):
        return dist.group.WORLD if self.process_group is None else self.process_group

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        self._check_previous_reduction()
        if self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_coalesced(buffers, self._src, self.process_group)
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(output)
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Within this context, backward accumulates gradients locally without averaging."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _prepare_for_backward(self, output: Any) -> None:
        for bucket in self._buckets:
            bucket.ready = set()
            bucket.work = None
        self._next_bucket = 0
        self._reducing = True
        if not self.find_unused_parameters:
            return
        reached = _reached_leaves(output)
        used = [id(p) in reached for p in self._params]
        self._local_used = np.array(used, dtype=np.int32)
        self._used_work = dist.all_reduce(from_numpy(self._local_used.copy()),
                                          group=self.process_group, async_op=True)
        for p, is_used in zip(self._params, used):
            if not is_used:
                self._mark_ready(p)

    def _on_gradient(self, param: Tensor) -> None:
        if self._reducing:
            self._mark_ready(param)

    def _mark_ready(self, param: Tensor) -> None:
        bucket, index, _ = self._slots[id(param)]
        if index in bucket.ready:
            raise RuntimeError(f"DistributedDataParallel: parameter '{self._names[id(param)]}' "
                               "received its gradient twice in one backward; DDP averages one "
                               "backward per forward")
        bucket.ready.add(index)
        if param.grad is None:
            bucket.slot(index)[...] = 0
        else:
            bucket.slot(index)[...] = param.grad._data.reshape(-1)
        # MPI moves data only inside MPI calls (there is no progress thread): testing the
        # buckets already started lets their all-reduces advance while backward goes on.
        for started in self._buckets[:self._next_bucket]:
            started.work.is_completed()
        # Buckets start in order on every rank: MPI matches collectives by their order.
        while (self._next_bucket < len(self._buckets)
               and len(self._buckets[self._next_bucket].ready)
               == len(self._buckets[self._next_bucket].params)):
            bucket = self._buckets[self._next_bucket]
            bucket.work = dist.all_reduce(bucket.tensor, group=self.process_group,
                                          async_op=True)
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._finish_reduction()

    def _finish_reduction(self) -> None:
        """Waits for the buckets and writes the averaged gradients into the .grad fields."""
        self._reducing = False
        size = dist.get_world_size(self._group)
        used_anywhere = None
        if self._used_work is not None:
            used_anywhere = self._used_work.result()[0]._data > 0
            self._used_work = None
        for bucket in self._buckets:
            bucket.work.wait()
            bucket.flat /= size
            for index, p in enumerate(bucket.params):
                _store_gradient(p, bucket.slot(index), self._use_of(p, used_anywhere))

    def _use_of(self, param: Tensor, used_anywhere) -> str:
        """'local' (this rank made a .grad), 'remote' (only other ranks did) or 'none'."""
        if used_anywhere is None:
            return "local"
        index = self._slots[id(param)][2]
        if self._local_used[index]:
            return "local"
        return "remote" if used_anywhere[index] else "none"

    def _check_previous_reduction(self) -> None:
        started = [p for b in self._buckets for i, p in enumerate(b.params) if i in b.ready]
        if self._reducing and started:
            missing = [self._names[id(p)] for b in self._buckets
                       for i, p in enumerate(b.params) if i not in b.ready]
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. Parameters that did not receive a gradient: "
                f"{', '.join(missing)}. If the forward does not use every parameter, pass "
                "find_unused_parameters=True to DistributedDataParallel.")

    def _check_same_shapes(self, named: list) -> None:
        shapes = [(n, tuple(p.shape), str(p.dtype)) for n, p in named]
        everyone: list = [None] * dist.get_world_size(self._group)
        dist.all_gather_object(everyone, shapes, group=self.process_group)
        for rank, theirs in enumerate(everyone):
            if theirs != shapes:
                raise RuntimeError(f"DistributedDataParallel: the parameters differ between "
                                   f"ranks; this rank has {shapes}, group rank {rank} has "
                                   f"{theirs}")


def _store_gradient(param: Tensor, averaged: np.ndarray, use: str) -> None:
    if use == "none":
        return
    if use == "remote" or param.grad is None:
        param.grad = from_numpy(averaged.reshape(param.shape).copy())
        return
    param.grad._data[...] = averaged.reshape(param.grad._data.shape)
    param.grad._vc[0] += 1


def _make_buckets(params: list, cap_bytes: int) -> list:
    """Groups parameters, in reverse order, into buckets of one dtype of about cap_bytes."""
    buckets, current, size = [], [], 0
    for p in reversed(params):
        if current and (size >= cap_bytes or p._data.dtype != current[0]._data.dtype):
            buckets.append(_Bucket(current))
            current, size = [], 0
        current.append(p)
        size += p._data.nbytes
    buckets.append(_Bucket(current))
    return buckets


def _broadcast_coalesced(tensors: list, src: int, group) -> None:
    """Copies the tensors of global rank `src` to every rank, one broadcast per dtype."""
    by_dtype: dict = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for same in by_dtype.values():
        flat = np.concatenate([t._data.reshape(-1) for t in same])
        dist.broadcast(from_numpy(flat), src, group)
        start = 0
        for t in same:
            t._data[...] = flat[start:start + t._data.size].reshape(t._data.shape)
            start += t._data.size


def _reached_leaves(output: Any) -> set:
    """The ids of the leaf tensors that the tensors in `output` were computed from."""
    stack, tensors = [output], []
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            tensors.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    nodes = [t.grad_fn for t in tensors if t.grad_fn is not None]
    return {id(t) for t in tensors if t.grad_fn is None} | set(leaf_uses(nodes))
