"""Starts MPI jobs for the tests: through the launcher or plain mpiexec, always bounded by a
timeout, and checks that none of the job's processes outlives it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TIMEOUT = 120  # seconds for any job; a healthy one takes a few


def need_mpi() -> None:
    pytest.importorskip("mpi4py")
    if shutil.which("mpiexec") is None and not Path(sys.executable).with_name("mpiexec").exists():
        pytest.skip("mpiexec is not installed")


def launch(via: str, processes: int, program: list[str], cwd: Path | None = None,
           extra_env: dict | None = None, launcher_options: tuple = ()):
    """Runs `program` (a script and its arguments) on `processes` ranks; returns the finished
    process and the seconds it took. `via` is "launcher" or "mpiexec"."""
    need_mpi()
    marker = uuid.uuid4().hex
    env = dict(os.environ, PYTHONPATH=str(ROOT), NDGRAD_TEST_JOB=marker, **(extra_env or {}))
    if via == "launcher":
        line = [sys.executable, "-m", "ndgrad.distributed.run", *launcher_options,
                f"--nproc-per-node={processes}", *program]
    else:
        line = ["mpiexec", "-n", str(processes), sys.executable, *program]
    start = time.perf_counter()
    job = subprocess.Popen(line, cwd=cwd or ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = job.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(job.pid, 9)
        job.communicate()
        pytest.fail(f"{line} did not finish within {TIMEOUT} s")
    elapsed = time.perf_counter() - start
    assert_nothing_left(marker)
    return subprocess.CompletedProcess(line, job.returncode, out, err), elapsed


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours
            continue
        if f"NDGRAD_TEST_JOB={marker}".encode() in environ:
            found.append(int(entry.name))
    return found


def assert_nothing_left(marker: str) -> None:
    """No process of the job (ranks, mpiexec's helpers) is alive a few seconds after it."""
    if not Path("/proc/self/environ").exists():
        return  # not Linux: nothing to look at
    deadline = time.monotonic() + 5
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _processes_with(marker)
    for pid in left:
        os.kill(pid, 9)
    assert not left, f"processes {left} outlived their MPI job"
