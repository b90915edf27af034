"""spawn / start_processes: run fn(i, *args) in nprocs new processes and report their failures."""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import signal
import sys
import traceback
from collections.abc import Callable

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "spawn", "start_processes"]


class ProcessException(Exception):
    """A process started by spawn failed; `error_index` is its i, `error_pid` its pid."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """The process's function raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """The process ended with a non-zero exit code or a signal, without a Python error."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                            self.signal_name)


def _entry(fn: Callable, index: int, args: tuple, errors) -> None:
    """Runs in the child: fn(index, *args); an exception's traceback goes to the parent."""
    try:
        fn(index, *args)
    except KeyboardInterrupt:
        pass  # the parent is being interrupted too
    except Exception:  # noqa: BLE001 - reported to the parent, which raises it
        errors.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes started by start_processes(join=False); join() waits for them."""

    def __init__(self, processes: list, error_queues: list) -> None:
        self.processes, self.error_queues = processes, error_queues

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Waits up to `timeout` seconds; True once every process has ended successfully.

        When one fails, the others are terminated and its error is raised here.
        """
        multiprocessing.connection.wait([p.sentinel for p in self.processes], timeout=timeout)
        # Read each exit code once: a process can end between two reads.
        codes = [process.exitcode for process in self.processes]
        failed = next((i for i, code in enumerate(codes) if code not in (None, 0)), None)
        if failed is None:
            if None in codes:
                return False
            for process in self.processes:
                process.join()
            return True
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join(grace_period)
        self._raise(failed)

    def _raise(self, index: int):
        process, errors = self.processes[index], self.error_queues[index]
        if not errors.empty():
            message = f"\n\n-- Process {index} terminated with the following error:\n"
            raise ProcessRaisedException(message + errors.get(), index, process.pid)
        code = process.exitcode
        if code < 0:
            name = signal.Signals(-code).name
            raise ProcessExitedException(f"process {index} terminated with signal {name}",
                                         index, process.pid, code, name)
        raise ProcessExitedException(f"process {index} terminated with exit code {code}",
                                     index, process.pid, code)


def start_processes(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True,
                    daemon: bool = False, start_method: str = "spawn"):
    """Starts nprocs processes running fn(i, *args) for i in range(nprocs), with the given
    start method. join=True waits for all of them and raises the first failure as
    ProcessRaisedException/ProcessExitedException; join=False returns a ProcessContext."""
    context = multiprocessing.get_context(start_method)
    processes, error_queues = [], []
    for index in range(nprocs):
        errors = context.SimpleQueue()
        process = context.Process(target=_entry, args=(fn, index, args, errors), daemon=daemon)
        process.start()
        processes.append(process)
        error_queues.append(errors)
    processes_context = ProcessContext(processes, error_queues)
    if not join:
        return processes_context
    while not processes_context.join():
        pass
    return None


def spawn(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True,
          daemon: bool = False, start_method: str = "spawn"):
    """start_processes with the 'spawn' start method by default (PyTorch's spawn)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
