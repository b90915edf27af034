"""How tensors travel to other processes: shared tensors by their memory, others by value.

Registered with multiprocessing's ForkingPickler, which pickles a Process's arguments for
spawn and forkserver children and everything put on a multiprocessing Queue or Pipe. A tensor
whose data is in shared memory (Tensor.share_memory_) sends a duplicate of its segment's file
descriptor and its place in the segment, and the receiver maps the same memory: in-place
updates in either process are seen by both (Hogwild training). Any other tensor is copied.
As in PyTorch, a tensor's .grad does not travel, and a non-leaf tensor that requires grad is
refused. A GPU tensor arrives as a copy on the same device.
"""
from __future__ import annotations

from multiprocessing import reduction

from ndgrad import _backend, _shared_memory
from ndgrad._tensor import Tensor
from ndgrad.nn.parameter import Buffer, Parameter

__all__ = ["init_reductions"]


def _wrap(kind: type, array, requires_grad: bool, persistent: bool) -> Tensor:
    """The tensor of class `kind` around `array` (Parameter and Buffer keep their class)."""
    if kind is Parameter:
        return Parameter(Tensor._make(array), requires_grad)
    if kind is Buffer:
        return Buffer(Tensor._make(array), persistent=persistent)
    return Tensor._make(array, requires_grad=requires_grad)


def rebuild_tensor(kind: type, array, requires_grad: bool, persistent: bool,
                   device: str = "cpu") -> Tensor:
    """A received copy of a tensor, on the device it was sent from."""
    return _wrap(kind, _backend.move_to(array, _backend.device(device)), requires_grad,
                 persistent)


def rebuild_shared_tensor(kind: type, fd, size: int, where: tuple, requires_grad: bool,
                          persistent: bool) -> Tensor:
    """A received shared tensor: this process's mapping of the sender's memory."""
    segment = _shared_memory.Segment.attach(fd.detach(), size)
    return _wrap(kind, _shared_memory.array_at(segment, *where), requires_grad, persistent)


def reduce_tensor(tensor: Tensor):
    """ForkingPickler's reducer for Tensor, Parameter and Buffer."""
    if tensor.requires_grad and not tensor.is_leaf:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, "
                           "since autograd does not support crossing process boundaries. If "
                           "you just want to transfer the data, call detach() on the tensor "
                           "before serializing (e.g., putting it on the queue).")
    array = tensor._data
    persistent = getattr(tensor, "persistent", True)
    segment = _shared_memory.segment_of(array)
    if segment is None:  # GPU arrays travel through the host
        return rebuild_tensor, (type(tensor), _backend.to_host(array), tensor.requires_grad,
                                persistent, str(tensor.device))
    where = _shared_memory.location(array, segment)
    return rebuild_shared_tensor, (type(tensor), reduction.DupFd(segment.fd), segment.size,
                                   where, tensor.requires_grad, persistent)


def init_reductions() -> None:
    """Makes multiprocessing send ndgrad tensors as above (done on import)."""
    for kind in (Tensor, Parameter, Buffer):
        reduction.ForkingPickler.register(kind, reduce_tensor)


init_reductions()
