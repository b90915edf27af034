"""Distributed training on MPI with PyTorch's torch.distributed API.

Importing this package is cheap and does not import mpi4py: MPI starts in
`init_process_group`. Start the ranks with `python -m ndgrad.distributed.run
--nproc-per-node N script.py` (or `mpiexec -n N python script.py`). The backends "mpi" and
"gloo" both run on MPI, so PyTorch CPU programs run unchanged.
"""
from ndgrad.distributed.collectives import (Work, all_gather, all_gather_into_tensor,
                                            all_reduce, all_to_all, all_to_all_single, barrier,
                                            broadcast, gather, irecv, isend, recv, reduce,
                                            reduce_scatter, reduce_scatter_tensor, scatter,
                                            send)
from ndgrad.distributed.distributed_c10d import (ProcessGroup, ReduceOp, destroy_process_group,
                                                 get_backend, get_global_rank, get_group_rank,
                                                 get_process_group_ranks, get_rank,
                                                 get_world_size, group, init_process_group,
                                                 is_available, is_gloo_available,
                                                 is_initialized, is_mpi_available, new_group)
from ndgrad.distributed.object_collectives import (all_gather_object, broadcast_object_list,
                                                   gather_object, scatter_object_list)

__all__ = ["ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
           "all_gather_object", "all_reduce", "all_to_all", "all_to_all_single", "barrier",
           "broadcast", "broadcast_object_list", "destroy_process_group", "gather",
           "gather_object", "get_backend", "get_global_rank", "get_group_rank",
           "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_gloo_available",
           "is_initialized", "is_mpi_available", "isend", "new_group", "recv", "reduce",
           "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send"]
