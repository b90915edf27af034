"""torch.multiprocessing: Python's multiprocessing, with ndgrad tensors sent by shared memory.

Everything in the standard module is here under the same name. Importing this package (which
`import ndgrad` does) registers how tensors are pickled between processes (see reductions.py):
a tensor in shared memory (Tensor.share_memory_, Module.share_memory) reaches a spawned child
or a queue's reader as the same memory, so several processes can train one model in place
(Hogwild). spawn() runs fn(i, *args) in new processes and raises their errors in the parent.
"""
from __future__ import annotations

from multiprocessing import (Array, AuthenticationError, Barrier, BoundedSemaphore,
                             BufferTooShort, Condition, Event, JoinableQueue, Lock, Manager, Pipe,
                             Pool, Process, ProcessError, Queue, RawArray, RawValue, RLock,
                             Semaphore, SimpleQueue, TimeoutError, Value, active_children,
                             allow_connection_pickling, cpu_count, current_process,
                             freeze_support, get_all_start_methods, get_context, get_logger,
                             get_start_method, log_to_stderr, parent_process, reducer,
                             set_executable, set_forkserver_preload, set_start_method)

from ndgrad.multiprocessing.reductions import init_reductions
from ndgrad.multiprocessing.spawn import (ProcessContext, ProcessExitedException,
                                          ProcessRaisedException, spawn, start_processes)

__all__ = ["Array", "AuthenticationError", "Barrier", "BoundedSemaphore", "BufferTooShort",
           "Condition", "Event", "JoinableQueue", "Lock", "Manager", "Pipe", "Pool", "Process",
           "ProcessContext", "ProcessError", "ProcessExitedException", "ProcessRaisedException",
           "Queue", "RLock", "RawArray", "RawValue", "Semaphore", "SimpleQueue", "TimeoutError",
           "Value", "active_children", "allow_connection_pickling", "cpu_count",
           "current_process", "freeze_support", "get_all_sharing_strategies",
           "get_all_start_methods", "get_context", "get_logger", "get_sharing_strategy",
           "get_start_method", "init_reductions", "log_to_stderr", "parent_process", "reducer",
           "set_executable", "set_forkserver_preload", "set_sharing_strategy",
           "set_start_method", "spawn", "start_processes"]

# Both of PyTorch's names are accepted; ndgrad always shares a tensor by passing a descriptor of
# its memory file, which is PyTorch's 'file_descriptor' strategy.
_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy: str) -> None:
    """Records PyTorch's sharing strategy; both share memory the same way in ndgrad."""
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"sharing strategy must be one of {sorted(_STRATEGIES)}, got "
                         f"{new_strategy!r}")
    _strategy = new_strategy


def get_sharing_strategy() -> str:
    """The strategy last set (default 'file_descriptor')."""
    return _strategy


def get_all_sharing_strategies() -> set[str]:
    """{'file_descriptor', 'file_system'}, as on Linux in PyTorch."""
    return set(_STRATEGIES)
