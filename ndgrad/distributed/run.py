"""`python -m ndgrad.distributed.run [options] script.py [args...]`: torchrun on mpiexec.

Starts `--nproc-per-node` copies of the script through MPI's `mpiexec` (MPICH's hydra, from
the mpich wheel, or the cluster's own), each with RANK, LOCAL_RANK, WORLD_SIZE and
LOCAL_WORLD_SIZE set, the caller's environment and working directory, and its output
forwarded. If any rank fails, the job ends at once with a non-zero status. `--hostfile`
(one host per line) spreads `--nnodes` x `--nproc-per-node` ranks over several machines.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys

# torchrun's rendezvous options: MPI's launcher has already placed the ranks, so these are
# accepted (PyTorch command lines work unchanged) and not needed.
_IGNORED = ("--master-addr", "--master-port", "--node-rank", "--rdzv-backend",
            "--rdzv-endpoint", "--rdzv-id", "--max-restarts", "--monitor-interval")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ndgrad.distributed.run",
        description="Run a training script on several processes with MPI, like torchrun.")
    parser.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc_per_node",
                        default="1", help="processes per machine: a number, 'cpu' or 'auto'")
    parser.add_argument("--nnodes", default="1",
                        help="machines (with --hostfile); 'MIN:MAX' uses MAX")
    parser.add_argument("--hostfile", default=None,
                        help="file naming the machines, one per line (passed to mpiexec)")
    parser.add_argument("--standalone", action="store_true",
                        help="accepted for torchrun compatibility: one machine")
    parser.add_argument("--torch-aliases", action="store_true",
                        help="run the script with torch mapped to ndgrad (ndgrad.run)")
    parser.add_argument("-m", "--module", action="store_true",
                        help="the program is a module name, run as python -m would")
    parser.add_argument("--mpiexec", default=None, help="the mpiexec to use")
    for option in _IGNORED:
        parser.add_argument(option, option.replace("-", "_").replace("__", "--"),
                            default=None, help=argparse.SUPPRESS)
    parser.add_argument("program", help="the script (or module, with -m)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the program's arguments")
    return parser


def _count(value: str, name: str) -> int:
    if value in ("cpu", "auto"):
        return os.cpu_count() or 1
    count = value.split(":")[-1]
    if not count.isdigit() or int(count) < 1:
        raise SystemExit(f"ndgrad.distributed.run: {name} must be a positive number, got "
                         f"{value!r}")
    return int(count)


def _find_mpiexec(given: str | None) -> str:
    """The mpiexec to use: the given one, the one beside this Python, or the one on PATH."""
    if given is not None:
        return given
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("ndgrad.distributed.run: mpiexec was not found; install MPI: "
                         "pip install 'ndgrad[distributed]'")
    return found


def command(argv: list[str]) -> list[str]:
    """The mpiexec command line that runs the launcher's arguments `argv`."""
    options = _parser().parse_args(argv)
    per_node = _count(options.nproc_per_node, "--nproc-per-node")
    nodes = _count(options.nnodes, "--nnodes")
    if nodes > 1 and options.hostfile is None:
        raise SystemExit("ndgrad.distributed.run: --nnodes > 1 needs --hostfile naming the "
                         "machines")
    line = [_find_mpiexec(options.mpiexec), "-n", str(nodes * per_node)]
    if options.hostfile is not None:
        line += ["-f", options.hostfile, "-ppn", str(per_node)]
    line += [sys.executable, "-m", "ndgrad.distributed._bootstrap"]
    if options.torch_aliases:
        line.append("--torch-aliases")
    if options.module:
        line.append("-m")
    return line + [options.program, *options.args]


def _environment() -> dict:
    """The caller's environment, with ndgrad importable by the ranks wherever it lives."""
    import ndgrad
    environment = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(ndgrad.__file__)))
    paths = [root] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return environment


def main(argv: list[str] | None = None) -> int:
    """Runs the job and returns its exit status (non-zero if any rank failed)."""
    line = command(sys.argv[1:] if argv is None else argv)
    job = subprocess.Popen(line, env=_environment())
    try:
        return job.wait()
    except KeyboardInterrupt:
        job.send_signal(signal.SIGINT)  # mpiexec passes it on to the ranks
        try:
            return job.wait(timeout=5)
        except subprocess.TimeoutExpired:
            job.kill()
            return job.wait()


if __name__ == "__main__":
    sys.exit(main())
