"""Process groups on MPI: init_process_group, new_group, ranks, ReduceOp (torch.distributed's).

The world group is a duplicate of MPI_COMM_WORLD and every `new_group` is an MPI
communicator split from it, so ndgrad's traffic never mixes with other MPI users' in the
same program. `src`/`dst` arguments are global ranks, as in PyTorch.
"""
from __future__ import annotations

import enum
import os
import sys
from datetime import timedelta

from ndgrad.distributed import _mpi

_BACKENDS = ("mpi", "gloo")


class ReduceOp(enum.Enum):
    """How a reducing collective combines the ranks' tensors."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


class ProcessGroup:
    """A set of ranks that run collectives together, backed by one MPI communicator.

    A process outside the group holds a ProcessGroup too (as every rank must call new_group),
    with no communicator: its `rank()` and `size()` are -1.
    """

    def __init__(self, comm, ranks: list[int], backend: str) -> None:
        self._comm = comm
        self._ranks = ranks
        self._backend = backend

    def rank(self) -> int:
        return -1 if self._comm is None else self._comm.Get_rank()

    def size(self) -> int:
        return -1 if self._comm is None else len(self._ranks)

    def name(self) -> str:
        return self._backend

    def __repr__(self) -> str:
        return f"ProcessGroup(ranks={self._ranks}, backend={self._backend!r})"


class group:
    """Holds `WORLD`, the default group, once init_process_group has run."""

    WORLD: ProcessGroup | None = None


class _World:
    """The default group, the groups made from it, and the excepthook that was replaced."""

    default: ProcessGroup | None = None
    groups: tuple = ()
    previous_excepthook = None


def is_available() -> bool:
    """True if the MPI bindings (mpi4py) are installed."""
    return _mpi.is_available()


def is_mpi_available() -> bool:
    """True if the MPI bindings (mpi4py) are installed."""
    return _mpi.is_available()


def is_gloo_available() -> bool:
    """True where backend="gloo" works: ndgrad runs it on MPI."""
    return _mpi.is_available()


def is_initialized() -> bool:
    """True between init_process_group and destroy_process_group."""
    return _World.default is not None


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Joins this process to the world of ranks started by mpiexec (or the launcher).

    MPI has already agreed on ranks when the processes start, so `init_method` (env://,
    tcp://, file://) and `store` need no MASTER_ADDR and are accepted as given; `rank` and
    `world_size`, where given (or set in RANK/WORLD_SIZE), must match MPI's. `timeout` is
    accepted but MPI collectives have none.
    """
    if _World.default is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = _backend_name(backend)
    MPI = _mpi.initialize()
    world = MPI.COMM_WORLD
    _check_matches("rank", rank, os.environ.get("RANK"), world.Get_rank())
    _check_matches("world_size", world_size, os.environ.get("WORLD_SIZE"), world.Get_size())
    _World.default = ProcessGroup(world.Dup(), list(range(world.Get_size())), name)
    _publish_world(_World.default)
    if world.Get_size() > 1:
        _World.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Frees a group's communicator; without `group`, every group and the default one."""
    if group is not None and group is not _World.default:
        _free(group)
        return
    _require_init("destroy_process_group")
    for made in (*_World.groups, _World.default):
        _free(made)
    _World.groups = ()
    _World.default = None
    _publish_world(None)
    if _World.previous_excepthook is not None:
        sys.excepthook = _World.previous_excepthook
        _World.previous_excepthook = None


def new_group(ranks: list[int] | None = None, timeout: timedelta | None = None,
              backend: str | None = None, pg_options=None,
              use_local_synchronization: bool = False, group_desc: str | None = None,
              device_id=None, sort_ranks: bool = True) -> ProcessGroup:
    """Makes a group of the given global ranks (all ranks if None); every rank must call it.
    Group ranks follow the sorted global ranks, or the given order with sort_ranks=False."""
    world = _require_init("new_group")
    size = world.size()
    members = list(range(size)) if ranks is None else [int(r) for r in ranks]
    if len(set(members)) != len(members):
        raise ValueError(f"new_group: ranks {members} contain duplicates")
    if sort_ranks:
        members.sort()
    outside = [r for r in members if not 0 <= r < size]
    if outside:
        raise ValueError(f"new_group: ranks {outside} are not in the world of {size} ranks")
    me = world.rank()
    MPI = _mpi.load()
    color = 0 if me in members else MPI.UNDEFINED
    comm = world._comm.Split(color, members.index(me) if me in members else 0)
    made = ProcessGroup(None if comm == MPI.COMM_NULL else comm, members,
                        backend or world._backend)
    _World.groups += (made,)
    return made


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in `group` (the world by default); -1 if it is not a member."""
    return _resolve(group, "get_rank").rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of ranks in `group` (the world by default); -1 outside the group."""
    return _resolve(group, "get_world_size").size()


def get_backend(group: ProcessGroup | None = None) -> str:
    """The backend name the group was made with ("mpi" or "gloo"; both run on MPI)."""
    return _resolve(group, "get_backend")._backend


def get_process_group_ranks(group: ProcessGroup) -> list[int]:
    """The global ranks of the group's members, in group-rank order."""
    return list(_resolve(group, "get_process_group_ranks")._ranks)


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    """The global rank of the member with rank `group_rank` in `group`."""
    ranks = _resolve(group, "get_global_rank")._ranks
    if not 0 <= group_rank < len(ranks):
        raise ValueError(f"group rank {group_rank} is not in a group of {len(ranks)} ranks")
    return ranks[group_rank]


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    """The rank in `group` of the process with global rank `global_rank`."""
    ranks = _resolve(group, "get_group_rank")._ranks
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {ranks}")
    return ranks.index(global_rank)


def _resolve(group: ProcessGroup | None, caller: str) -> ProcessGroup:
    world = _require_init(caller)
    return world if group is None else group


def _require_init(caller: str) -> ProcessGroup:
    if _World.default is None:
        raise RuntimeError(f"{caller}: the default process group has not been initialized; "
                           "call ndgrad.distributed.init_process_group() first")
    return _World.default


def _backend_name(backend) -> str:
    name = "mpi" if backend is None else str(getattr(backend, "value", backend)).lower()
    name = name.split(":")[-1]  # "cpu:gloo" names a backend per device
    if name not in _BACKENDS:
        raise ValueError(f"init_process_group: backend {backend!r} is not available; ndgrad "
                         f"runs {' and '.join(repr(b) for b in _BACKENDS)} on MPI (CPU)")
    return name


def _check_matches(name: str, given: int, from_env: str | None, actual: int) -> None:
    for value, source in ((given, f"init_process_group({name}={given})"),
                          (from_env, f"{name.upper()}={from_env} in the environment")):
        if value is None or int(value) < 0:
            continue
        if int(value) != actual:
            raise ValueError(f"{source} does not match MPI's {name} {actual}: start the "
                             "processes with `python -m ndgrad.distributed.run` or mpiexec")


def _publish_world(world: ProcessGroup | None) -> None:
    group.WORLD = world


def _free(made: ProcessGroup) -> None:
    if made._comm is not None:
        made._comm.Free()
        made._comm = None


def _abort_on_uncaught_exception(exc_type, exc, tb) -> None:
    """Prints the traceback, then ends every rank: the others would wait forever in the next
    collective for this one."""
    (_World.previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    sys.stderr.flush()
    sys.stdout.flush()
    _mpi.load().COMM_WORLD.Abort(1)
