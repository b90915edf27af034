"""The one place that imports mpi4py: lazily, and without letting the import start MPI.

`import ndgrad` and `import ndgrad.distributed` never touch mpi4py; MPI starts in
`init_process_group` (or in the launcher's rank bootstrap), and mpi4py finalizes it at exit.
"""
from __future__ import annotations

import importlib.util
import sys
import time

import numpy as np

EXTRA_HINT = "pip install 'ndgrad[distributed]'"
# A wait first polls this long, then sleeps between polls: MPICH's blocking waits spin on a
# core, and with more ranks than cores (a laptop, CI) the spinning rank starves the one it
# waits for (on 2 busy cores a 16 MB all-reduce took 300 ms with mpi4py's blocking Allreduce,
# 39 ms with this wait: python benchmarks/ddp.py).
_SPIN_SECONDS = 2e-4
_MAX_SLEEP = 5e-4


def is_available() -> bool:
    """True if mpi4py can be imported (it is not imported here)."""
    return importlib.util.find_spec("mpi4py") is not None


def load():
    """mpi4py's MPI module, imported with automatic initialisation turned off."""
    try:
        import mpi4py
    except ImportError as error:
        raise ImportError(f"ndgrad.distributed needs mpi4py and an MPI library: {EXTRA_HINT}"
                          ) from error
    if "mpi4py.MPI" not in sys.modules:
        mpi4py.rc.initialize = False
        mpi4py.rc.finalize = True  # mpi4py calls MPI_Finalize at exit once MPI is up
    from mpi4py import MPI
    return MPI


def initialize():
    """Starts MPI if nothing has yet (idempotent) and returns the MPI module."""
    MPI = load()
    if MPI.Is_finalized():
        raise RuntimeError("MPI has been finalized in this process; it cannot start again")
    if not MPI.Is_initialized():
        MPI.Init_thread(MPI.THREAD_SERIALIZED)
    return MPI


def wait_all(requests: list, statuses: list | None = None) -> None:
    """Completes MPI requests, yielding the CPU while they are slow (see _SPIN_SECONDS)."""
    MPI = load()
    test = MPI.Request.Testall
    start = time.perf_counter()
    delay = 2e-5
    while not test(requests, statuses):
        if time.perf_counter() - start > _SPIN_SECONDS:
            time.sleep(delay)
            delay = min(2 * delay, _MAX_SLEEP)


def byte_view(array: np.ndarray) -> np.ndarray:
    """A contiguous array's bytes: data movement needs no MPI type (bool, float16 included)."""
    return array.reshape(-1).view(np.uint8)
