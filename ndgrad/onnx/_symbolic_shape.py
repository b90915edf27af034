"""Translations of shape and indexing ops: reshape, expand, permute, cat, x[key], pad, ..."""
from __future__ import annotations

import numpy as np

from ndgrad.onnx._context import _INT64_MAX
from ndgrad.onnx._registry import call, op, unsupported
from ndgrad.ops import hooks, indexing, rearrange, shape, sorting

_INT64_MIN = np.iinfo(np.int64).min


@op(shape.Reshape)
def _reshape(node):
    target = node.ints(node.arg("shape"), node.twin_arg("shape"), "the target shape")
    return node.add("Reshape", [node.input(0), target])


@op(shape.BroadcastTo)
def _broadcast_to(node):
    target = node.ints(node.arg("shape"), node.twin_arg("shape"), "the target shape")
    return node.add("Expand", [node.input(0), target])


@op(shape.Permute)
def _permute(node):
    return node.add("Transpose", [node.input(0)], perm=[int(d) for d in node.option("dims")])


@op(shape.Cat)
def _cat(node):
    dtype = node.result_dtype
    ndim = node.record.result.ndim
    # Cat skips 1-D empty inputs (PyTorch's legacy rule), so does the translation.
    count = sum(1 for key in node.record.args if isinstance(key, int))
    parts = [node.input(i, dtype) for i in range(count)
             if not (node.arg(i).ndim == 1 and node.arg(i).shape[0] == 0 and ndim != 1)]
    return node.add("Concat", parts, axis=int(node.option("dim")))


@op(rearrange.Repeat)
def _repeat(node):
    x = node.input(0)
    reps_a, reps_b = node.arg("reps"), node.twin_arg("reps")
    extra = len(reps_a) - node.arg(0).ndim
    if extra > 0:  # NumPy's tile prepends dims of size 1 first
        x = node.add("Unsqueeze", [x, node.ctx.ints(range(extra))])
    return node.add("Tile", [x, node.ints(reps_a, reps_b, "the repeats")])


@op(rearrange.ConstantPad)
def _constant_pad(node):
    widths_a, widths_b = node.arg("widths"), node.twin_arg("widths")
    pads_a = [w[0] for w in widths_a] + [w[1] for w in widths_a]
    pads_b = [w[0] for w in widths_b] + [w[1] for w in widths_b]
    value = node.ctx.constant(node.option("value"), node.result_dtype)
    return node.add("Pad", [node.input(0), node.ints(pads_a, pads_b, "the padding"), value],
                    mode="constant")


@op(rearrange.Flip)
def _flip(node):
    dims = [int(d) for d in node.option("dims")]
    ctx = node.ctx
    n = len(dims)
    return node.add("Slice", [node.input(0), ctx.ints([-1] * n), ctx.ints([_INT64_MIN] * n),
                              ctx.ints(dims), ctx.ints([-1] * n)])


@op(hooks.Tap)
def _tap(node):
    """The identity that carries module backward hooks: nothing to do in a forward graph."""
    count = sum(1 for key in node.record.args if isinstance(key, int))
    return [node.add("Identity", [node.input(i)]) for i in range(count)]


@op(indexing.Gather)
def _gather(node):
    index = node.input(1, np.int64)
    return node.add("GatherElements", [node.input(0), index], axis=int(node.option("dim")))


# ---- x[key]


class _Key:
    """x[key] split into ONNX steps: one Slice (ints too, as one-element slices), a Squeeze
    of the int axes, an Unsqueeze of the new (None) axes, then at most one Gather (an integer
    index tensor) or GatherND (a boolean mask over the leading dims)."""

    def __init__(self, key: tuple, ndim: int, node) -> None:
        self.starts, self.ends, self.axes, self.steps = [], [], [], []
        self.squeeze, self.unsqueeze = [], []
        self.gather = None  # (output axis, index array)
        parts = _expand_ellipsis(key, ndim, node)
        axis = out = 0
        for part in parts:
            if part is None or isinstance(part, (bool, np.bool_)):
                self.unsqueeze.append(out)
                out += 1
            elif isinstance(part, slice):
                self._slice(part, axis)
                axis += 1
                out += 1
            elif isinstance(part, (int, np.integer)):
                part = int(part)
                self._range(axis, part, part + 1 if part != -1 else _INT64_MAX, 1)
                self.squeeze.append(axis)
                axis += 1
            elif self.gather is None and part.dtype.kind in "iu":
                self.gather = (out, part)
                axis += 1
                out += part.ndim
            elif self.gather is None and part.dtype == np.bool_ and axis == 0:
                self.gather = (None, part)  # a mask over the leading dims: GatherND
                axis += part.ndim
                out += 1
            else:
                unsupported(node, "indexing with a boolean mask after other dims, or with "
                                  "several index tensors")
        if self.gather is not None and (self.squeeze or self.unsqueeze):
            unsupported(node, "indexing with integers or None next to an index tensor")

    def _slice(self, part: slice, axis: int) -> None:
        step = 1 if part.step is None else int(part.step)
        if part.start is None and part.stop is None and step == 1:
            return
        forward = step > 0
        start = (0 if forward else _INT64_MAX) if part.start is None else int(part.start)
        stop = (_INT64_MAX if forward else _INT64_MIN) if part.stop is None else int(part.stop)
        self._range(axis, start, stop, step)

    def _range(self, axis: int, start: int, stop: int, step: int) -> None:
        self.axes.append(axis)
        self.starts.append(start)
        self.ends.append(stop)
        self.steps.append(step)


def _width(part) -> int:
    """How many dims of x an index part consumes."""
    if part is None or part is Ellipsis or isinstance(part, (bool, np.bool_)):
        return 0
    return part.ndim if isinstance(part, np.ndarray) and part.dtype == np.bool_ else 1


def _expand_ellipsis(key: tuple, ndim: int, node) -> list:
    if sum(1 for p in key if p is Ellipsis) > 1:
        unsupported(node, "indexing with two ellipses")
    consumed = sum(_width(p) for p in key)
    parts = []
    for part in key:
        if part is Ellipsis:
            parts.extend([slice(None)] * (ndim - consumed))
        else:
            parts.append(part)
    return parts


def _gather_index(node, x: str, gather: tuple, index_b) -> str:
    """x indexed by one integer tensor at output axis `axis` (Gather), or by a boolean mask
    over its leading dims (axis None: GatherND at the mask's nonzero positions)."""
    axis, index = gather
    ctx = node.ctx
    name = ctx.lookup(index)
    if name is None:
        dtype = np.bool_ if axis is None else np.int64
        name = ctx.constant_value(index.astype(dtype), index_b.astype(dtype),
                                  f"the index of {node.name}")
    if axis is None:
        positions = node.add("Transpose", [node.add("NonZero", [name])], perm=[1, 0])
        return node.add("GatherND", [x, positions])
    if index.dtype != np.int64:
        name = ctx.cast(name, np.int64)
    return node.add("Gather", [x, name], axis=axis)


@op(indexing.GetItem)
def _getitem_op(node):
    """GetItem applied directly, with a NumPy key."""
    return _index(node, node.input(0), node.arg(0).ndim, node.arg("key"), node.twin_arg("key"))


@call("getitem", indexing.getitem)
def _getitem(node):
    """x[key] written whole: ndgrad rewrites boolean masks into new index arrays inside, so
    the key is read as given, where a mask is still the traced tensor's data."""
    key_a = indexing.normalize_key(node.arg("key"))
    key_b = indexing.normalize_key(node.twin_arg("key"))
    return _index(node, node.input("input"), node.arg("input").ndim, key_a, key_b)


@call("masked_select", indexing.masked_select)
def _masked_select(node):
    """The elements where the mask is true, both broadcast to one shape, as GatherND."""
    result_shape = np.broadcast_shapes(node.arg("input").shape, node.arg("mask").shape)
    twin_shape = np.broadcast_shapes(node.twin_arg("input").shape,
                                     node.twin_arg("mask").shape)
    shape = node.ints(result_shape, twin_shape, "the broadcast shape")
    x = node.add("Expand", [node.input("input"), shape])
    mask = node.add("Expand", [node.input("mask"), shape])
    positions = node.add("Transpose", [node.add("NonZero", [mask])], perm=[1, 0])
    return node.add("GatherND", [x, positions])


def _index(node, x: str, ndim: int, key_a: tuple, key_b: tuple) -> str:
    """x[key] for an x of `ndim` dims: Slice, Squeeze, Unsqueeze, then Gather or GatherND."""
    key_a, key_b = _Key(key_a, ndim, node), _Key(key_b, ndim, node)
    ctx = node.ctx
    source = x
    if key_a.axes:
        starts = node.ints(key_a.starts, key_b.starts, "the slice starts")
        ends = node.ints(key_a.ends, key_b.ends, "the slice ends")
        ctx.same(key_a.steps, key_b.steps, f"the slice steps of {node.name}")
        x = node.add("Slice", [x, starts, ends, ctx.ints(key_a.axes), ctx.ints(key_a.steps)])
    if key_a.squeeze:
        x = node.add("Squeeze", [x, ctx.ints(key_a.squeeze)])
    if key_a.unsqueeze:
        x = node.add("Unsqueeze", [x, ctx.ints(key_a.unsqueeze)])
    if key_a.gather is not None:
        x = _gather_index(node, x, key_a.gather, key_b.gather[1])
    return node.add("Identity", [x]) if x == source else x
# ---- padding, sorting: translated whole (they index with positions computed outside)

_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}


@call("pad", rearrange.pad)
def _pad(node):
    """F.pad: torch's pairs run from the last dim backwards, ONNX's are all befores then all
    afters; negative widths crop in both."""
    mode = node.option("mode", "constant")
    if mode not in _PAD_MODES or (mode == "circular" and node.ctx.opset < 19):
        unsupported(node, f"padding mode '{mode}' at opset {node.ctx.opset}")
    ndim = node.arg("input").ndim
    pad = [int(p) for p in node.option("pad")]
    before, after = [0] * ndim, [0] * ndim
    for i in range(len(pad) // 2):
        before[ndim - 1 - i], after[ndim - 1 - i] = pad[2 * i], pad[2 * i + 1]
    inputs = [node.input("input"), node.ctx.ints(before + after)]
    if mode == "constant":
        value = node.option("value", None)
        inputs.append(node.ctx.constant(0 if value is None else value, node.result_dtype))
    return node.add("Pad", inputs, mode=_PAD_MODES[mode])


def _top_k(node, k_a: int, k_b: int, dim: int, largest: bool) -> list:
    k = node.ints([k_a], [k_b], "k")
    return node.add("TopK", [node.input("input"), k], 2, axis=dim, largest=int(bool(largest)),
                    sorted=1)


@call("topk", sorting.topk)
def _topk(node):
    dim = int(node.option("dim", -1)) % max(node.arg("input").ndim, 1)
    return _top_k(node, int(node.arg("k")), int(node.twin_arg("k")), dim,
                  node.option("largest", True))


def _sort(node) -> list:
    """sort as a TopK over the whole dim (ties keep their order, as in a stable sort)."""
    x, twin = node.arg("input"), node.twin_arg("input")
    dim = int(node.option("dim", -1)) % max(x.ndim, 1)
    return _top_k(node, x.shape[dim], twin.shape[dim], dim, node.option("descending", False))


call("sort", sorting.sort)(_sort)


@call("argsort", sorting.argsort)
def _argsort(node):
    return _sort(node)[1]
