"""What every rank started by `ndgrad.distributed.run` executes before the user's script.

It starts MPI at once, so that a rank failing anywhere (also before init_process_group) can
end the whole job with MPI_Abort instead of leaving the other ranks waiting; sets torchrun's
variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT); and runs
the script as `__main__`, as `python script.py` would.
"""
from __future__ import annotations

import os
import runpy
import sys
import traceback

from ndgrad.distributed import _mpi


def _set_rank_environment(MPI) -> None:
    world = MPI.COMM_WORLD
    local = world.Split_type(MPI.COMM_TYPE_SHARED)  # the ranks on this machine
    os.environ.update(RANK=str(world.Get_rank()), WORLD_SIZE=str(world.Get_size()),
                      LOCAL_RANK=str(local.Get_rank()), LOCAL_WORLD_SIZE=str(local.Get_size()),
                      GROUP_RANK=str(world.Get_rank() // local.Get_size()))
    local.Free()
    # PyTorch programs may read these; MPI itself needs neither.
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")


def _run_program(argv: list[str], torch_aliases: bool) -> int:
    """Runs the program and returns its exit status."""
    if torch_aliases:
        from ndgrad import run
        return run.main(argv)
    if argv[0] == "-m":
        sys.argv = argv[1:]
        sys.path[0] = os.getcwd()
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
    runpy.run_path(argv[0], run_name="__main__")
    return 0


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") prints the message and fails
    return 1


def main(argv: list[str]) -> None:
    torch_aliases = argv[:1] == ["--torch-aliases"]
    argv = argv[1:] if torch_aliases else argv
    MPI = _mpi.initialize()
    _set_rank_environment(MPI)
    try:
        status = _run_program(argv, torch_aliases)
    except SystemExit as stop:
        status = _exit_status(stop.code)
    except BaseException:  # noqa: BLE001 - any failure of a rank must end the job
        traceback.print_exc()
        status = 1
    if status:
        sys.stdout.flush()
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(status)


if __name__ == "__main__":
    main(sys.argv[1:])
