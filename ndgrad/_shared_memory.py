"""Arrays in memory that other processes map: the storage of Tensor.share_memory_().

A shared array lives in a Segment: a MAP_SHARED mapping of an anonymous file (memfd on Linux,
an unlinked file in /dev/shm elsewhere) whose descriptor the Segment keeps open. A forked
child inherits the mapping; a spawned child or a queue's reader receives a duplicate of the
descriptor (see ndgrad.multiprocessing.reductions) and maps the same file, so a write in any
process is seen by all. The file disappears when the last process closes its mapping.
"""
from __future__ import annotations

import mmap
import os
import tempfile
import weakref

import numpy as np


class Segment(mmap.mmap):
    """A shared mapping of `size` bytes of the anonymous file open as descriptor `fd`; owns
    the descriptor (closed when the Segment is collected)."""

    @classmethod
    def attach(cls, fd: int, size: int) -> Segment:
        """Maps the file `fd` (taking ownership of the descriptor)."""
        segment = cls(fd, max(size, 1))
        segment.fd, segment.size = fd, size
        # The address of byte 0, to locate arrays inside the mapping.
        segment.address = np.frombuffer(segment, dtype=np.uint8).ctypes.data
        weakref.finalize(segment, os.close, fd)
        return segment


def _anonymous_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("ndgrad-shared-tensor")
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryFile(dir=folder) as handle:  # unlinked on creation
        return os.dup(handle.fileno())


def segment_of(array) -> Segment | None:
    """The Segment an array's memory lies in, or None if it is private to this process."""
    while isinstance(array, np.ndarray):
        array = array.base
    if isinstance(array, memoryview):
        array = array.obj
    return array if isinstance(array, Segment) else None


def copy_to_shared(array: np.ndarray) -> np.ndarray:
    """A copy of `array` (same shape and dtype, C order) in a new Segment."""
    fd = _anonymous_file()
    try:
        os.ftruncate(fd, max(array.nbytes, 1))
        segment = Segment.attach(fd, array.nbytes)
    except BaseException:
        os.close(fd)
        raise
    shared = np.ndarray(array.shape, dtype=array.dtype, buffer=segment)
    shared[...] = array
    return shared


def location(array: np.ndarray, segment: Segment) -> tuple:
    """(offset, shape, strides, dtype string) of `array` inside `segment`."""
    return (array.ctypes.data - segment.address, array.shape, array.strides, array.dtype.str)


def array_at(segment: Segment, offset: int, shape: tuple, strides: tuple,
             dtype: str) -> np.ndarray:
    """The array that `location` described, in this process's mapping of the segment."""
    return np.ndarray(shape, dtype=np.dtype(dtype), buffer=segment, offset=offset,
                      strides=strides)
