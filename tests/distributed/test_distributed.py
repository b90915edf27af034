"""ndgrad.distributed: collectives on 2 and 3 processes, the launcher, failing ranks, and what
works without MPI (imports, errors before init_process_group)."""
import subprocess
import sys

import pytest

import ndgrad
import ndgrad.distributed as dist
from tests.distributed._launch import HERE, ROOT, launch

NOT_INITIALIZED = [
    ("all_reduce", lambda: dist.all_reduce(ndgrad.ones(2))),
    ("broadcast", lambda: dist.broadcast(ndgrad.ones(2), src=0)),
    ("barrier", lambda: dist.barrier()),
    ("get_rank", lambda: dist.get_rank()),
    ("get_world_size", lambda: dist.get_world_size()),
    ("new_group", lambda: dist.new_group([0])),
    ("all_gather_object", lambda: dist.all_gather_object([None], 1)),
    ("send", lambda: dist.send(ndgrad.ones(1), dst=1)),
]


@pytest.mark.parametrize("name, call", NOT_INITIALIZED, ids=[n for n, _ in NOT_INITIALIZED])
def test_calls_before_init_name_init_process_group(name, call):
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        call()


def test_unknown_backend_is_refused_before_mpi_starts():
    with pytest.raises(ValueError, match="'nccl' is not available.*'mpi' and 'gloo'"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_import_does_not_start_mpi():
    code = ("import sys, ndgrad, ndgrad.distributed, ndgrad.nn.parallel, "
            "ndgrad.distributed.run; "
            "assert 'mpi4py' not in sys.modules, 'import ndgrad imported mpi4py'; "
            "print(ndgrad.distributed.is_available())")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("True", "False")


@pytest.mark.parametrize("via, processes", [("launcher", 2), ("mpiexec", 3)])
def test_collectives_against_numpy(via, processes):
    done, _ = launch(via, processes, [str(HERE / "_collectives_worker.py")])
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(line for line in done.stdout.splitlines() if "collectives ok" in line) == \
        [f"collectives ok on rank {r} of {processes}" for r in range(processes)]


def test_launcher_runs_a_pytorch_program_like_torchrun(tmp_path):
    """--torch-aliases: `import torch` gets ndgrad; each rank has torchrun's variables, the
    caller's environment, working directory and arguments, and runs as __main__."""
    done, _ = launch("launcher", 2, [str(HERE / "_torch_program.py"), "a", "b c"], cwd=tmp_path,
                     extra_env={"PASSED_THROUGH": "yes"}, launcher_options=("--torch-aliases",))
    assert done.returncode == 0, done.stderr[-3000:]
    lines = sorted(line for line in done.stdout.splitlines() if line.startswith("rank="))
    # The bias gradient of sum(Linear(ones(4, 2))) is 4 on each rank, so also on average.
    assert lines == [f"rank={r} local_rank={r} world=2 local_world=2 dist_rank={r} "
                     f"cwd={tmp_path} args=a|b c passed=yes name=__main__ total=3 grad=4"
                     for r in range(2)]


@pytest.mark.parametrize("via, processes, when", [("launcher", 3, "before"),
                                                  ("mpiexec", 2, "after")])
def test_a_failing_rank_ends_the_job(via, processes, when):
    """The other ranks sleep for a minute (before init) or wait in a barrier (after it): the
    failure must end them within seconds, report the error and leave no process behind."""
    done, elapsed = launch(via, processes, [str(HERE / "_fail_worker.py"), when])
    assert done.returncode != 0
    assert f"rank 1 fails {when} init_process_group" in done.stderr
    assert elapsed < 30, f"the job took {elapsed:.1f} s to end after a rank failed"


def test_launcher_reports_a_bad_process_count():
    from ndgrad.distributed import run
    with pytest.raises(SystemExit, match="--nproc-per-node must be a positive number"):
        run.command(["--nproc-per-node", "zero", "script.py"])
    with pytest.raises(SystemExit, match="--nnodes > 1 needs --hostfile"):
        run.command(["--nnodes", "2", "--nproc-per-node", "2", "script.py"])


def test_launcher_command_for_several_machines():
    from ndgrad.distributed import run
    line = run.command(["--nnodes=2", "--nproc_per_node=4", "--hostfile", "hosts",
                        "--mpiexec", "mpiexec", "train.py", "--lr", "0.1"])
    assert line == ["mpiexec", "-n", "8", "-f", "hosts", "-ppn", "4", sys.executable, "-m",
                    "ndgrad.distributed._bootstrap", "train.py", "--lr", "0.1"]
