"""Runs the benchmark suite: ndgrad beside hand-written NumPy and PyTorch, in one process.

    python benchmarks/run.py                   # every workload, 1 thread
    python benchmarks/run.py mlp tiny --repeats 30

Implementations run interleaved (A B C A B C ...) so machine noise hits them alike; the table
shows medians and the ratios ndgrad/NumPy and ndgrad/torch measured in this run. Thread counts
are pinned (1 by default) and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from the
environment before NumPy loads, so NumPy picks its own kernels.
"""
from __future__ import annotations

import argparse
import os
import sys

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _clean_environment(threads: int) -> None:
    """Re-executes this script with pinned threads and without the OpenBLAS overrides (both
    must be set before NumPy is imported)."""
    wanted = {name: str(threads) for name in _THREAD_VARIABLES}
    stale = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    if not stale and all(os.environ.get(k) == v for k, v in wanted.items()):
        return
    env = {k: v for k, v in os.environ.items() if k not in stale}
    env.update(wanted)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", help="mlp tiny overhead matmul cnn conv_lenet "
                        "conv_resnet conv_memory memory lstm transformer")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds per workload")
    args = parser.parse_args()
    _clean_environment(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks import suite
    suite.main(args.workloads, args.threads, args.repeats)


if __name__ == "__main__":
    main()
