"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd and hessian: PyTorch's torch.func transforms.

Each transform runs the function once on copies of the differentiated inputs that record a
graph, then differentiates that graph with ndgrad.autograd.grad. When the inputs are part of an
outer graph (they require grad, as inside another transform) the derivatives are computed with
create_graph=True, so transforms nest: hessian is jacfwd(jacrev(f)), grad(grad(f)) works.

Forward mode (jvp, jacfwd) uses the double-backward identity: u -> J^T u is linear in u, so
J t = d<J^T u, t>/du, two reverse passes with the second differentiating the first in u.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ndgrad import autograd
from ndgrad._creation import zeros_like
from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import enable_grad, is_grad_enabled
from ndgrad.func._tree import tree_flatten, tree_unflatten
from ndgrad.ops.shape import stack

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


class _Traced:
    """One run of a function on tracked inputs: its output, aux, the tracked input leaves per
    differentiated argument, and whether derivatives must themselves be differentiable."""

    def __init__(self, func: Callable, args: tuple, kwargs: dict, argnums, has_aux: bool,
                 name: str) -> None:
        self.argnums, self.single = _argnums_tuple(argnums, len(args), name)
        self.create_graph = is_grad_enabled() and any(
            isinstance(leaf, Tensor) and leaf.requires_grad for leaf in tree_flatten(args)[0])
        args = list(args)
        self.specs, self.leaves = [], []
        with enable_grad():
            for i in self.argnums:
                leaves, spec = tree_flatten(args[i])
                tracked = [_tracked(leaf, name) for leaf in leaves]
                args[i] = tree_unflatten(tracked, spec)
                self.specs.append((spec, len(tracked)))
                self.leaves.extend(tracked)
            result = func(*args, **kwargs)
        self.output, self.aux = _split_aux(result, has_aux, name)
        self.out_leaves, self.out_spec = tree_flatten(self.output)
        for leaf in self.out_leaves:
            if not isinstance(leaf, Tensor):
                raise RuntimeError(f"{name}: expected f(*args) to return only Tensors, got "
                                   f"{type(leaf).__name__}")

    def per_argument(self, flat: list):
        """`flat` (one value per tracked input leaf) in the structure of the inputs: one tree
        for a single argnum, a tuple of trees for several."""
        trees, start = [], 0
        for spec, count in self.specs:
            trees.append(tree_unflatten(flat[start:start + count], spec))
            start += count
        return trees[0] if self.single else tuple(trees)

    def detached(self, tree):
        """`tree` with its Tensors detached, unless derivatives stay in an outer graph."""
        if self.create_graph:
            return tree
        leaves, spec = tree_flatten(tree)
        return tree_unflatten([x.detach() if isinstance(x, Tensor) else x for x in leaves], spec)

    def finish(self, result):
        """(result, output[, aux]) in the order torch.func returns them."""
        output = self.detached(self.output)
        if self.aux is _NO_AUX:
            return result, output
        return result, (output, self.detached(self.aux))


_NO_AUX = object()


def _argnums_tuple(argnums, count: int, name: str) -> tuple[tuple, bool]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    if not nums or not all(isinstance(n, int) for n in nums):
        raise RuntimeError(f"{name}: argnums must be an int or a non-empty tuple of ints, got "
                           f"{argnums!r}")
    for n in nums:
        if not -count <= n < count:
            raise RuntimeError(f"{name}: Got argnums={n}, but only {count} positional inputs "
                               "were passed")
    nums = tuple(n % count for n in nums)
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"{name}: argnums {argnums!r} must be unique")
    return nums, single


def _tracked(leaf, name: str) -> Tensor:
    """A Tensor standing for `leaf` that records: a view in the outer graph when `leaf` is in
    one (so the derivative stays differentiable there), else a fresh leaf."""
    if not isinstance(leaf, Tensor):
        raise RuntimeError(f"{name}: expected the differentiated inputs to be Tensors, got "
                           f"{type(leaf).__name__}")
    if not leaf.is_floating_point():
        raise RuntimeError(f"{name}: only Tensors of floating point dtype can be "
                           f"differentiated, got {leaf.dtype}")
    return leaf[...] if leaf.requires_grad else leaf.detach().requires_grad_()


def _split_aux(result, has_aux: bool, name: str):
    if not has_aux:
        return result, _NO_AUX
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise RuntimeError(f"{name}(f)(*args): output of function f should be a tuple: "
                           "(output, aux) if has_aux is True")
    return result[0], result[1]


def _zeros(like: Tensor) -> Tensor:
    return zeros_like(like)


def _grads(outputs: list, inputs: list, grad_outputs: list, create_graph: bool) -> list:
    """d<outputs, grad_outputs>/d inputs, one Tensor per input (zeros where unconnected)."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs or not inputs:
        return [_zeros(x) for x in inputs]
    found = autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                          retain_graph=True, create_graph=create_graph, allow_unused=True)
    return [_zeros(x) if g is None else g for x, g in zip(inputs, found)]


def _basis(like: Tensor, k: int) -> Tensor:
    """The k-th standard basis vector, shaped like `like`."""
    data = np.zeros(like._data.size, like._data.dtype)
    data[k] = 1
    return Tensor._make(data.reshape(like._data.shape))


def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """A function returning (gradient of `func`'s scalar output w.r.t. its `argnums` inputs,
    the output) -- with has_aux, (gradient, (output, aux))."""
    def wrapper(*args, **kwargs):
        traced = _Traced(func, args, kwargs, argnums, has_aux, "grad_and_value")
        output = traced.output
        if not isinstance(output, Tensor):
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                               f"got {type(output).__name__}")
        if output.ndim != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                               f"Tensor, got tensor with {output.ndim} dims. Maybe you wanted "
                               "to use the vjp or jacrev APIs instead?")
        ones = Tensor._make(np.ones((), output._data.dtype))
        grads = _grads([output], traced.leaves, [ones], traced.create_graph)
        return traced.finish(traced.per_argument(grads))
    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of `func`'s scalar output w.r.t. its `argnums`
    inputs (with has_aux, (gradient, aux))."""
    with_value = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        gradients, value = with_value(*args, **kwargs)
        return (gradients, value[1]) if has_aux else gradients
    return wrapper


def _matching(tree, refs: list, fn: str, what: str, ref_what: str) -> list:
    """The leaves of `tree`, checked to be Tensors shaped as `refs`, one each."""
    leaves, spec = tree_flatten(tree)
    if spec.count != len(refs):
        raise RuntimeError(f"{fn}: expected {len(refs)} {what}s (the structure of the "
                           f"{ref_what}s), got {spec.count}")
    for i, (ref, leaf) in enumerate(zip(refs, leaves)):
        if not isinstance(leaf, Tensor) or leaf.shape != ref.shape:
            shape = list(leaf.shape) if isinstance(leaf, Tensor) else type(leaf).__name__
            raise RuntimeError(f"{fn}: {what} {i} has shape {shape} but its {ref_what} has "
                               f"shape {list(ref.shape)}")
    return leaves


def vjp(func: Callable, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn[, aux]) where vjp_fn(cotangents) is the tuple of
    vector-Jacobian products, one per primal; vjp_fn may be called more than once."""
    traced = _Traced(func, primals, {}, tuple(range(len(primals))), has_aux, "vjp")
    traced.single = False

    def vjp_fn(cotangents):
        leaves = _matching(cotangents, traced.out_leaves, "vjp", "cotangent", "output")
        grads = _grads(traced.out_leaves, traced.leaves, leaves, traced.create_graph)
        return traced.per_argument(grads)

    output = traced.detached(traced.output)
    if not has_aux:
        return output, vjp_fn
    return output, vjp_fn, traced.detached(traced.aux)


class _DoubleBackward:
    """The first pass of the double-backward identity, done once per traced run: the
    vector-Jacobian products J^T u for a recorded seed u per output (see the module docstring)."""

    def __init__(self, traced: _Traced) -> None:
        self.traced = traced
        self.outputs = [o for o in traced.out_leaves if o.requires_grad]
        with enable_grad():
            self.seeds = [_zeros(o).requires_grad_() for o in self.outputs]
        self.vjps = [None] * len(traced.leaves)
        if self.outputs and traced.leaves:
            self.vjps = autograd.grad(self.outputs, traced.leaves, self.seeds,
                                      create_graph=True, allow_unused=True)

    def products(self, tangents: list) -> list:
        """J t for each output leaf: the second pass, d<J^T u, t>/du."""
        pairs = [(g, t) for g, t in zip(self.vjps, tangents) if g is not None and g.requires_grad]
        found = [None] * len(self.seeds)
        if pairs:
            found = autograd.grad([g for g, _ in pairs], self.seeds, [t for _, t in pairs],
                                  retain_graph=True, create_graph=self.traced.create_graph,
                                  allow_unused=True)
        by_output = dict(zip(map(id, self.outputs), found))
        return [_zeros(o) if by_output.get(id(o)) is None else by_output[id(o)]
                for o in self.traced.out_leaves]


def jvp(func: Callable, primals: tuple, tangents: tuple, *, strict: bool = False,
        has_aux: bool = False):
    """(func(*primals), the Jacobian-vector product J tangents[, aux])."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                           f"tuples, got {type(primals).__name__} and {type(tangents).__name__}")
    traced = _Traced(func, primals, {}, tuple(range(len(primals))), has_aux, "jvp")
    given = _matching(tangents, traced.leaves, "jvp(f, primals, tangents)", "tangent", "primal")
    products = tree_unflatten(_DoubleBackward(traced).products(given), traced.out_spec)
    output = traced.detached(traced.output)
    if not has_aux:
        return output, products
    return output, products, traced.detached(traced.aux)


def _jacobian_tree(traced: _Traced, blocks: list):
    """blocks[i][j], the Jacobian of output leaf i w.r.t. input leaf j, in torch.func's
    structure: the output's tree, each leaf holding the inputs' structure."""
    per_output = [traced.per_argument(row) for row in blocks]
    return tree_unflatten(per_output, traced.out_spec)


def _block(parts: list, out: Tensor, x: Tensor, dim: int) -> Tensor:
    """The Jacobian of `out` w.r.t. `x`, shaped out.shape + x.shape, from its rows (dim=0,
    one per element of out) or columns (dim=-1, one per element of x)."""
    shape = tuple(out.shape) + tuple(x.shape)
    if not parts:
        return Tensor._make(np.zeros(shape, out._data.dtype))
    return stack(parts, dim).reshape(shape)


def jacrev(func: Callable, argnums=0, *, has_aux: bool = False, chunk_size=None) -> Callable:
    """A function returning the Jacobian of `func` w.r.t. its `argnums` inputs, one reverse
    pass per output element (chunk_size is accepted and has no effect)."""
    def wrapper(*args, **kwargs):
        traced = _Traced(func, args, kwargs, argnums, has_aux, "jacrev")
        blocks = []
        for out in traced.out_leaves:
            rows = [_grads([out], traced.leaves, [_basis(out, k)], traced.create_graph)
                    for k in range(out.numel())]
            blocks.append([_block([r[j] for r in rows], out, x, 0)
                           for j, x in enumerate(traced.leaves)])
        return _jacobian_result(traced, _jacobian_tree(traced, blocks))
    return wrapper


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *, randomness: str = "error"
           ) -> Callable:
    """A function returning the Jacobian of `func` w.r.t. its `argnums` inputs, one
    Jacobian-vector product per input element (see the module docstring)."""
    def wrapper(*args, **kwargs):
        traced = _Traced(func, args, kwargs, argnums, has_aux, "jacfwd")
        first = _DoubleBackward(traced)
        columns = [[] for _ in traced.leaves]  # columns[j][k]: J e_k per output leaf
        for j, x in enumerate(traced.leaves):
            for k in range(x.numel()):
                tangents = [_basis(x, k) if i == j else _zeros(leaf)
                            for i, leaf in enumerate(traced.leaves)]
                columns[j].append(first.products(tangents))
        blocks = [[_block([c[i] for c in columns[j]], out, x, -1)
                   for j, x in enumerate(traced.leaves)]
                  for i, out in enumerate(traced.out_leaves)]
        return _jacobian_result(traced, _jacobian_tree(traced, blocks))
    return wrapper


def _jacobian_result(traced: _Traced, jacobian):
    if traced.aux is _NO_AUX:
        return jacobian
    return jacobian, traced.detached(traced.aux)


def hessian(func: Callable, argnums=0) -> Callable:
    """A function returning the Hessian of `func` w.r.t. its `argnums` inputs, computed as
    jacfwd(jacrev(func)) as in torch.func."""
    return jacfwd(jacrev(func, argnums), argnums)
