"""vmap: a function mapped over a batch dimension of its inputs."""
from __future__ import annotations

from collections.abc import Callable

from ndgrad._backend import array_module
from ndgrad._tensor import Tensor
from ndgrad.func._tree import broadcast_prefix, tree_flatten, tree_unflatten
from ndgrad.ops.shape import stack

__all__ = ["vmap"]


def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size=None) -> Callable:
    """A function that maps `func` over dim `in_dims` of its inputs and stacks the results
    along `out_dims`.

    Strategy: ndgrad has no batching rules, so vmap runs `func` once per batch element (a
    Python loop over the slices) and stacks the outputs. That is exact for every op, Python
    control flow and the other transforms (vmap(grad(f)) gives per-sample gradients, vmap
    nests), but it is no faster than a loop. in_dims and out_dims are an int or None per
    argument/output, or nested trees of them, as in torch.func. Random ops draw different
    values per sample (randomness='different'); chunk_size is accepted and has no effect.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    def wrapper(*args, **kwargs):
        leaves, spec = tree_flatten(args)
        dims = _in_dims(in_dims, args, leaves)
        size = _batch_size(leaves, dims)
        results = []
        for b in range(size):
            sliced = [x if d is None else x.select(d, b) for x, d in zip(leaves, dims)]
            results.append(func(*tree_unflatten(sliced, spec), **kwargs))
        return _stack_outputs(results, out_dims)
    return wrapper


def _in_dims(in_dims, args: tuple, leaves: list) -> list:
    if not isinstance(in_dims, (int, tuple, list, dict)) and in_dims is not None:
        raise ValueError(f"vmap(f, in_dims={in_dims!r}, ...): expected in_dims to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs")
    dims = broadcast_prefix(in_dims, args, "vmap in_dims")
    normalized = []
    for x, d in zip(leaves, dims):
        if d is None:
            normalized.append(None)
            continue
        if not isinstance(d, int):
            raise ValueError(f"vmap: in_dims must be ints or None, got {d!r}")
        if not isinstance(x, Tensor):
            raise ValueError(f"vmap(f, in_dims={in_dims!r}, ...): Got in_dim={d} for an input "
                             f"but the input is of type {type(x).__name__}. We cannot vmap "
                             "over non-Tensor arguments, please use None as the respective "
                             "in_dim")
        if not -x.ndim <= d < max(x.ndim, 1) or x.ndim == 0:
            raise ValueError(f"vmap(f, in_dims={in_dims!r}, ...): Got in_dim={d} for some "
                             f"input, but that input is a Tensor of dimensionality {x.ndim} so "
                             f"expected in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}.")
        normalized.append(d % x.ndim)
    return normalized


def _batch_size(leaves: list, dims: list) -> int:
    sizes = [x.shape[d] for x, d in zip(leaves, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap(f, in_dims=...)(<inputs>): at least one input must be mapped "
                         "over, got in_dim=None for every input")
    if len(set(sizes)) != 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    if sizes[0] == 0:
        raise ValueError("vmap: cannot map over a batch of size 0 (ndgrad's vmap runs the "
                         "function once per sample)")
    return sizes[0]


def _stack_outputs(results: list, out_dims):
    leaves_per_sample = []
    spec = None
    for result in results:
        leaves, spec = tree_flatten(result)
        leaves_per_sample.append(leaves)
    dims = broadcast_prefix(out_dims, results[0], "vmap out_dims")
    stacked = []
    for i, d in enumerate(dims):
        column = [leaves[i] for leaves in leaves_per_sample]
        if not isinstance(column[0], Tensor):
            raise ValueError(f"vmap: `f` must only return Tensors, got type "
                             f"{type(column[0]).__name__}")
        stacked.append(_unmapped(column, i) if d is None else _stacked(column, d))
    return tree_unflatten(stacked, spec)


def _stacked(column: list, d: int) -> Tensor:
    if not isinstance(d, int):
        raise ValueError(f"vmap: out_dims must be ints or None, got {d!r}")
    ndim = column[0].ndim + 1
    if not -ndim <= d < ndim:
        raise ValueError(f"vmap: out_dim={d} is out of range for an output of "
                         f"dimensionality {ndim} (with the batch dim)")
    if any(t.requires_grad for t in column):
        return stack(column, d)
    # Nothing to record: one array stack instead of an unsqueeze and a cat per sample.
    arrays = [t._data for t in column]
    return Tensor._make(array_module(*arrays).stack(arrays, axis=d))


def _unmapped(column: list, i: int) -> Tensor:
    """The output for out_dims=None: it must be the same for every sample."""
    first = column[0]._data
    if any(t.shape != column[0].shape or not bool((t._data == first).all()) for t in column):
        raise ValueError(f"vmap: out_dims=None for output {i}, but that output differs "
                         "between samples; it can only be returned with an out_dim")
    return column[0]
