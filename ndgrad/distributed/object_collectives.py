"""Collectives on picklable Python objects (torch.distributed's *_object functions).

Objects travel pickled, through mpi4py's object messages. As in PyTorch, unpickling runs
code chosen by the sender: use these only between trusted ranks.
"""
from __future__ import annotations

from typing import Any

from ndgrad.distributed.collectives import _group_rank, _member
from ndgrad.distributed.distributed_c10d import ProcessGroup


def broadcast_object_list(object_list: list, src: int | None = None,
                          group: ProcessGroup | None = None, device=None,
                          group_src: int | None = None) -> None:
    """Replaces the items of `object_list` on every rank by those of global rank `src`
    (default 0); the lists must have the same length everywhere."""
    pg = _member(group, "broadcast_object_list")
    if pg is None:
        return
    root = _group_rank(pg, src, group_src, "broadcast_object_list", "src")
    sent = list(object_list) if pg.rank() == root else None
    received = pg._comm.bcast(sent, root)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: this rank's list has {len(object_list)} "
                         f"items, the source's has {len(received)}")
    object_list[:] = received


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    """Fills `object_list[i]` with the `obj` of group rank i, on every rank."""
    pg = _member(group, "all_gather_object")
    if pg is None:
        return
    _check_length("all_gather_object", "object_list", object_list, pg.size())
    object_list[:] = pg._comm.allgather(obj)


def gather_object(obj: Any, object_gather_list: list | None = None, dst: int | None = None,
                  group: ProcessGroup | None = None, group_dst: int | None = None) -> None:
    """Fills `object_gather_list[i]` on global rank `dst` (default 0) with rank i's `obj`;
    other ranks pass None."""
    pg = _member(group, "gather_object")
    if pg is None:
        return
    root = _group_rank(pg, dst, group_dst, "gather_object", "dst")
    if pg.rank() == root:
        _check_length("gather_object", "object_gather_list", object_gather_list, pg.size())
    elif object_gather_list is not None:
        raise ValueError("gather_object: object_gather_list must be None on ranks other than "
                         "the destination")
    gathered = pg._comm.gather(obj, root)
    if pg.rank() == root:
        object_gather_list[:] = gathered


def scatter_object_list(scatter_object_output_list: list,
                        scatter_object_input_list: list | None = None, src: int | None = None,
                        group: ProcessGroup | None = None, group_src: int | None = None) -> None:
    """Sets `scatter_object_output_list[0]` on group rank i to item i of global rank `src`'s
    (default 0) `scatter_object_input_list`."""
    pg = _member(group, "scatter_object_list")
    if pg is None:
        return
    root = _group_rank(pg, src, group_src, "scatter_object_list", "src")
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError("scatter_object_list: scatter_object_output_list must be a list with "
                         "at least one item")
    if pg.rank() == root:
        _check_length("scatter_object_list", "scatter_object_input_list",
                      scatter_object_input_list, pg.size())
    sent = list(scatter_object_input_list) if pg.rank() == root else None
    scatter_object_output_list[0] = pg._comm.scatter(sent, root)


def _check_length(caller: str, name: str, objects, size: int) -> None:
    if objects is None or len(objects) != size:
        got = "None" if objects is None else f"{len(objects)} items"
        raise ValueError(f"{caller}: {name} must hold one item per rank ({size}), got {got}")
