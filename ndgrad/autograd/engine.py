"""The backward engine: iterative topological traversal of the graph of Function nodes.

A plain backward (create_graph=False) records nothing, so it passes raw arrays between nodes
and runs each op that declares `_backward_on_arrays` on arrays directly: its formula is the
same text as for Tensors, but each step is one NumPy call instead of a Tensor op. Other nodes
get their gradients wrapped as Tensors. With create_graph=True every value is a Tensor and
every formula records, so higher-order gradients hold.
"""
from __future__ import annotations

import heapq

import numpy as np

from ndgrad._backend import quiet_numpy, restore_numpy
from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import _state


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool,
                 inputs=None, allow_unused: bool = False, accumulate: bool = False):
    """Propagates `root_grads` from `roots` back through the graph.

    With `inputs=None` gradients accumulate into the `.grad` of leaves (Tensor.backward);
    otherwise the gradients of `inputs` are returned and no `.grad` is touched (autograd.grad),
    or, with `accumulate`, they accumulate into the `.grad` of `inputs` only
    (Tensor.backward(inputs=...)).
    """
    previous, _state.grad_enabled = _state.grad_enabled, create_graph
    on_arrays = not create_graph
    values = [g._data for g in root_grads] if on_arrays else root_grads
    quiet = quiet_numpy()  # backward formulas on arrays warn as ops would (see _backend.py)
    try:
        buffers, leaf_grads = _seed(roots, values)
        shared = _ids(values, on_arrays)
        early = None
        if inputs is None and Tensor._post_accumulate_hooks_live:
            early = _EarlyLeaves(buffers, leaf_grads, shared, on_arrays)
        captured = _propagate(buffers, leaf_grads, retain_graph, inputs, on_arrays, early)
        if inputs is None:
            _accumulate_into_leaves(leaf_grads, shared, on_arrays)
            return None
        results = _collect(inputs, captured, leaf_grads, allow_unused, on_arrays)
        if not accumulate:
            return results
        for t, grad in zip(inputs, results):
            if grad is not None:
                _accumulate(t, grad, shared)
                _run_post_accumulate_hooks(t)
        return None
    finally:
        restore_numpy(quiet)
        _state.grad_enabled = previous


def _seed(roots, root_grads):
    buffers: dict = {}
    leaf_grads: dict = {}
    for root, grad in zip(roots, root_grads):
        node = root.grad_fn  # the property: a view refreshes its history from its base
        if node is None:
            _add_leaf_grad(leaf_grads, root, grad)
        else:
            slot = buffers.setdefault(node, [None] * len(node._output_meta))
            slot[root._output_nr] = grad if slot[root._output_nr] is None else \
                slot[root._output_nr] + grad
    return buffers, leaf_grads


def _propagate(buffers, leaf_grads, retain_graph, inputs, on_arrays, early=None) -> dict:
    """Runs the backward of every node that receives a gradient, each once, after all of its
    gradients have arrived, and hands each input gradient on, checked, to where it goes.

    A node's inputs existed before it, so nodes in decreasing creation order (`_sequence_nr`)
    is a topological order: popping the latest-created node from a heap of the nodes that have
    gradients means every node that feeds it has already run. A node that would be popped
    next anyway (created after every node waiting in the heap) skips the heap: in a chain,
    every node does. `early` (see _EarlyLeaves) finishes a hooked leaf once its last
    gradient has arrived.
    """
    wanted = None if inputs is None else {(t.grad_fn, t._output_nr) for t in inputs
                                          if t.grad_fn is not None}
    captured: dict = {}
    heap = [(-node._sequence_nr, node) for node in buffers]
    heapq.heapify(heap)
    checks_inline = on_arrays and not _state.anomaly_enabled
    following = None
    while following is not None or heap:
        node = following if following is not None else heapq.heappop(heap)[1]
        following = None
        grads = buffers.pop(node)
        if node._output_hooks:
            _run_output_hooks(node, grads, on_arrays)
        if wanted:
            for nr, grad in enumerate(grads):
                if (node, nr) in wanted:
                    captured[(node, nr)] = grad
        if len(grads) == 1 and node._backward_on_arrays:
            # The common case, _call_backward written out: one output (so its gradient is
            # there), a formula that runs on arrays as on Tensors.
            node._unpack_arrays = on_arrays
            input_grads = node.backward(node, grads[0])
            if not isinstance(input_grads, tuple) or len(input_grads) != len(node._edges):
                input_grads = _checked_count(node, input_grads)
        else:
            input_grads = None
            for grad in grads:
                if grad is not None:
                    input_grads = _call_backward(node, grads, on_arrays)
                    break
        if not retain_graph:
            node._saved = None  # frees what forward saved (see Function.saved_tensors)
        elif node._unpack_arrays:
            node._unpack_arrays = False  # outside backward, saved_tensors gives Tensors again
        if input_grads is None:
            continue
        # An array passes the inline check only from an op that runs on arrays: any other
        # backward must return Tensors (a user's Function returning an array is refused).
        inline = checks_inline and node._backward_on_arrays
        edges = node._edges
        for i in range(len(edges)):  # indexing: enumerate(zip(...)) costs more per node
            grad = input_grads[i]
            if grad is None or edges[i] is None:
                continue
            child, output_nr, leaf = edges[i]
            shape, dtype = (leaf._data.shape, leaf._data.dtype) if child is None else \
                child._output_meta[output_nr]
            if not (inline and type(grad) is np.ndarray and grad.shape == shape
                    and grad.dtype is dtype):
                grad = _validate(node, i, shape, dtype, grad, on_arrays)
            if child is None:
                _add_leaf_grad(leaf_grads, leaf, grad)
                if early is not None:
                    early.arrived(leaf)
                continue
            slot = buffers.get(child)
            if slot is not None:
                total = slot[output_nr]
                slot[output_nr] = grad if total is None else total + grad
                continue
            slot = buffers[child] = [None] * len(child._output_meta)
            slot[output_nr] = grad
            order = child._sequence_nr
            if following is None:
                if not heap or order > -heap[0][0]:
                    following = child
                    continue
            elif order > following._sequence_nr:
                child, following = following, child  # the later one runs next
            heapq.heappush(heap, (-child._sequence_nr, child))
    return captured


def _call_backward(node, grads: list, on_arrays: bool) -> tuple:
    """Runs one node's backward: one gradient (or None) per input."""
    # Only a node with several outputs can miss some of their gradients: it runs once any
    # gradient arrives.
    if len(grads) > 1 and node._materialize_grads:
        for g in grads:
            if g is None:
                grads = [_zeros(meta, on_arrays) if g is None else g
                         for g, meta in zip(grads, node._output_meta)]
                break
    if node._backward_on_arrays:
        node._unpack_arrays = on_arrays
        result = node.backward(node, *grads)
    elif on_arrays:
        result = node.backward(node, *[None if g is None else Tensor._make(g) for g in grads])
    else:
        result = node.backward(node, *grads)
    return _checked_count(node, result)


def _checked_count(node, result) -> tuple:
    """A backward's result as a tuple of one gradient per input (extra Nones are allowed)."""
    if not isinstance(result, tuple):
        result = (result,)
    count = len(node._edges)
    if len(result) != count:
        if len(result) < count or any(r is not None for r in result[count:]):
            raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                               f"gradients (expected {count}, got {len(result)})")
    return result


def _validate(node, index: int, shape: tuple, dtype, grad, on_arrays: bool):
    """Checks one gradient from backward: a Tensor (or, run on arrays, an array) of the input's
    shape, cast to its dtype."""
    is_tensor = isinstance(grad, Tensor)
    if not (is_tensor or (on_arrays and node._backward_on_arrays and hasattr(grad, "dtype"))):
        raise TypeError(f"function {node.name()} returned a gradient of type "
                        f"{type(grad).__name__} at index {index}; expected a Tensor or None")
    data = grad._data if is_tensor else grad
    if data.shape != shape:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {index} "
                           f"- got {list(data.shape)} but expected shape compatible with "
                           f"{list(shape)}")
    if on_arrays:
        grad = np.asarray(data).astype(dtype, copy=False)  # NumPy scalars become 0-d arrays
    elif data.dtype != dtype:
        grad = grad.to(dtype)
    if _state.anomaly_enabled:
        _check_anomaly(node, index, grad if on_arrays else grad._data)
    return grad


def _check_anomaly(node, index: int, data) -> None:
    for name, bad in (("nan", np.isnan(data)), ("inf", np.isinf(data))):
        if bad.any():
            stack = "".join(getattr(node, "_forward_stack", ["(no forward traceback recorded)\n"]))
            raise RuntimeError(f"Function '{node.name()}' returned {name} values in its "
                               f"{index}th output.\nTraceback of the forward call that created "
                               f"this node:\n{stack}")


def _run_output_hooks(node, grads: list, on_arrays: bool) -> None:
    """Applies tensor hooks and retain_grad of the node's outputs to their total gradients."""
    for nr, (tensor_ref, callbacks) in node._output_hooks.items():
        if grads[nr] is None:
            continue
        grad = Tensor._make(grads[nr]) if on_arrays else grads[nr]
        for hook in callbacks:
            grad = _apply_hook(hook, grad)
        tensor = tensor_ref()
        if tensor is not None and tensor._retains_grad:
            # A copy: the gradient itself flows on and may become a leaf's .grad or be a view.
            retained = Tensor._make(grad._data.copy())
            tensor.grad = retained if tensor.grad is None else tensor.grad + retained
        grads[nr] = grad._data if on_arrays else grad


def _apply_hook(hook, grad: Tensor) -> Tensor:
    result = hook(grad)
    if result is None:
        return grad
    if not isinstance(result, Tensor) or result.shape != grad.shape:
        name = getattr(hook, "__name__", type(hook).__name__)
        got = list(result.shape) if isinstance(result, Tensor) else type(result).__name__
        raise RuntimeError(f"hook '{name}' has changed the size of value: it returned {got} "
                           f"for a gradient of shape {list(grad.shape)}")
    return result


def _add_leaf_grad(leaf_grads: dict, t: Tensor, grad) -> None:
    key = id(t)
    entry = leaf_grads.get(key)
    leaf_grads[key] = (t, grad if entry is None else entry[1] + grad)


def _accumulate_into_leaves(leaf_grads: dict, shared: set, on_arrays: bool) -> None:
    for t, grad in leaf_grads.values():
        _finish_leaf(t, grad, shared, on_arrays)


class _EarlyLeaves:
    """Accumulates the gradient of a leaf with post-accumulate-grad hooks as soon as the last
    node that feeds it has run, and calls the hooks then, rather than after the whole backward.

    DistributedDataParallel starts communicating a bucket of gradients from these hooks, so
    the sooner they run, the more communication overlaps the rest of backward. Which nodes
    feed a leaf is counted once before backward, over the nodes that will run (as PyTorch's
    engine counts dependencies); it is done only while such hooks exist. A node that ends up
    passing no gradient leaves its leaves to the end of backward, as before.
    """

    def __init__(self, buffers: dict, leaf_grads: dict, shared: set, on_arrays: bool) -> None:
        self.leaf_grads = leaf_grads
        self.shared = shared
        self.on_arrays = on_arrays
        self.pending = {key: count for key, (leaf, count) in leaf_uses(buffers).items()
                        if leaf._post_accumulate_hooks}

    def arrived(self, leaf: Tensor) -> None:
        key = id(leaf)
        count = self.pending.get(key)
        if count is None:
            return
        if count > 1:
            self.pending[key] = count - 1
            return
        del self.pending[key]
        _finish_leaf(*self.leaf_grads.pop(key), self.shared, self.on_arrays)


def leaf_uses(nodes) -> dict:
    """{id(leaf): (leaf, how many edges lead to it)} over the graph reachable from `nodes`."""
    uses: dict = {}
    seen = set(nodes)
    stack = list(nodes)
    while stack:
        for edge in stack.pop()._edges:
            if edge is None:
                continue
            child, _, leaf = edge
            if child is None:
                entry = uses.get(id(leaf))
                uses[id(leaf)] = (leaf, 1 if entry is None else entry[1] + 1)
            elif child not in seen:
                seen.add(child)
                stack.append(child)
    return uses


def _finish_leaf(t: Tensor, grad, shared: set, on_arrays: bool) -> None:
    """Runs a leaf's hooks on its total gradient, accumulates it, runs the post hooks."""
    if on_arrays:
        grad = Tensor._make(grad)
    for hook in t._hooks or ():
        grad = _apply_hook(hook, grad)
    _accumulate(t, grad, shared)
    _run_post_accumulate_hooks(t)


def _run_post_accumulate_hooks(t: Tensor) -> None:
    for hook in t._post_accumulate_hooks or ():
        hook(t)


def _ids(root_grads, on_arrays: bool) -> set:
    """The ids of the arrays of the gradients handed to backward (the caller's own)."""
    return {id(g if on_arrays else g._data) for g in root_grads}


def _accumulate(t: Tensor, grad: Tensor, shared: set) -> None:
    """Adds `grad` into `t.grad`, as PyTorch's AccumulateGrad does.

    A gradient may be shared: Add passes one array to both inputs, reshape returns a view, and
    a root gradient belongs to the caller. A .grad must own its storage, since optimizers and
    zero_() change it in place, so a shared one is copied (`shared` collects the ids handed
    out). An existing .grad takes the sum in place when no graph is recorded: no new array per
    backward, and a reference to .grad sees the sum.
    """
    if t._grad is None:
        if id(grad._data) in shared or grad._data.base is not None:
            grad = grad.clone() if _state.grad_enabled else Tensor._make(grad._data.copy())
        shared.add(id(grad._data))
        t._grad = grad  # checked by construction: the engine validated its shape
    elif not _state.grad_enabled and not t._grad._requires_grad \
            and t._grad._data.flags.writeable:
        np.add(t._grad._data, grad._data, out=t._grad._data)
        t._grad._vc[0] += 1
    else:
        t.grad = t._grad + grad


def _collect(inputs, captured: dict, leaf_grads: dict, allow_unused: bool,
             on_arrays: bool) -> tuple:
    results = []
    for t in inputs:
        if t.grad_fn is None:
            entry = leaf_grads.get(id(t))
            grad = None
            if entry is not None:
                grad = Tensor._make(entry[1]) if on_arrays else entry[1]
                for hook in t._hooks or ():
                    grad = _apply_hook(hook, grad)
        else:
            grad = captured.get((t.grad_fn, t._output_nr))
            if grad is not None and on_arrays:
                grad = Tensor._make(grad)
        if grad is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                               "in the graph. Set allow_unused=True if this is the desired "
                               "behavior.")
        results.append(grad)
    return tuple(results)


def _zeros(meta, on_arrays: bool):
    shape, dtype = meta
    zeros = np.zeros(shape, dtype=dtype)
    return zeros if on_arrays else Tensor._make(zeros)
