"""Property tests: gather, scatter (also with reduce), scatter_add, index_select, index_add,
index_put, index_fill, index_copy, put, take, take_along_dim, masked_fill, masked_scatter and
masked_select against torch.

Hypothesis draws an input shape (0-3 dims, sizes 0-4), a dim (negative too), indices or masks
that fit it and a dtype; ops with an in-place twin run either way (in place on y = x.clone()).
Compared: the value, its dtype, shape and contiguity, and the gradient of every float input
from the backward of a random weighted sum (or first gradients kept in the graph and their
own gradients). Where a scatter writes different values, the indices along `dim` are distinct:
torch leaves which write wins undefined.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ndgrad

PROPERTY_SETTINGS = settings(max_examples=600, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])
SIZES = st.sampled_from((1, 2, 3, 4) * 3 + (0,))
EXACT = {"rtol": 1e-12, "atol": 1e-12}
# Gradients of repeated indices are sums, which may round apart in float32.
TOLERANCES = {"float32": {"rtol": 1e-5, "atol": 1e-6}}
DTYPES = st.sampled_from(("float64",) * 5 + ("float32", "int64", "int32", "bool"))


class OpCase:
    """One call `call(module, **inputs)`: inputs of `shapes` (differentiated where float) and
    the arrays in `constants` (indices, masks, a source not differentiated), shown as `text`."""

    def __init__(self, text: str, call, shapes: dict, constants: dict, seed: int, *,
                 float_only: bool = False, differentiable: bool = True) -> None:
        self.text, self.call, self.shapes, self.constants = text, call, shapes, constants
        self.seed, self.float_only, self.differentiable = seed, float_only, differentiable

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v.tolist()}" for k, v in self.constants.items())
        return f"{self.text} with {self.shapes}, {shown}, seed {self.seed}"

    def run(self, module, dtype: str, second: bool = False) -> list:
        """The output and the gradients of the inputs, made in `dtype` (floats differentiated);
        with `second`, also the first gradients of sum(out**2 * weight), whose weighted sum is
        then differentiated again."""
        rng = np.random.default_rng(self.seed)
        differentiable = self.differentiable and dtype.startswith("float")
        inputs = {name: module.tensor((rng.standard_normal(shape) * 3).astype(dtype),
                                      requires_grad=differentiable)
                  for name, shape in self.shapes.items()}
        constants = {k: module.tensor(v.astype(dtype) if v.dtype.kind == "f" else v)
                     for k, v in self.constants.items()}  # a float source takes x's dtype
        out = self.call(module, **inputs, **constants)
        if not differentiable:
            return [out] + [None] * len(inputs)
        weight = module.tensor(rng.standard_normal(tuple(out.shape)).astype(dtype))
        if not second:
            (out * weight).sum().backward()
            return [out] + [inputs[name].grad for name in self.shapes]
        firsts = module.autograd.grad((out * out * weight).sum(), list(inputs.values()),
                                      create_graph=True, allow_unused=True)
        used = [g for g in firsts if g is not None and g.requires_grad]
        if used:
            sum((g * module.tensor(rng.standard_normal(tuple(g.shape)).astype(dtype))).sum()
                for g in used).backward()
        return [out, *firsts] + [inputs[name].grad for name in self.shapes]


def _shape(draw, min_dims: int = 0) -> tuple:
    ndim = draw(st.sampled_from(tuple(n for n in (0, 1, 2, 2, 3, 3) if n >= min_dims)))
    return tuple(draw(st.lists(SIZES, min_size=ndim, max_size=ndim)))


def _dim(draw, ndim: int) -> tuple:
    """A dim as the caller writes it (maybe negative) and as an index into the shape."""
    bound = max(ndim, 1)
    dim = draw(st.integers(-bound, bound - 1))
    return dim, dim % bound


def _integers(draw, shape: tuple, low: int, high: int) -> np.ndarray:
    """An int64 array of `shape` with values in [low, high) (an empty range: no values)."""
    assert high > low or 0 in shape, "no values to draw from"
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.integers(low, max(high, low + 1), size=shape, dtype=np.int64)


def _count(draw, size: int, most: int = 4) -> int:
    """How many indices into a dim of `size` (none into an empty dim)."""
    return draw(st.integers(0, most)) if size else 0


def _flat_index_shape(draw, size: int) -> tuple:
    """The index shape of take and flattened take_along_dim: any, empty for an empty input."""
    return _shape(draw) if size else (0,)


def _index_like(draw, shape: tuple, d: int, along: int) -> tuple:
    """gather/scatter's index shape: `along` at d, at most the input's size elsewhere; for a
    0-d input, () or (along,)."""
    if not shape:
        return draw(st.sampled_from(((), (along,))))
    if len(shape) == 1 and along == 1 and draw(st.booleans()):
        return ()  # a 0-d index into a 1-D input
    return tuple(along if i == d else draw(st.integers(0, n)) for i, n in enumerate(shape))


def _distinct(draw, shape: tuple, d: int, size: int) -> np.ndarray:
    """An index of `shape` whose entries along dim d are distinct values in [0, size)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if not shape or 0 in shape:
        return np.zeros(shape, dtype=np.int64)
    lines = np.moveaxis(np.zeros(shape, dtype=np.int64), d, -1)
    flat = lines.reshape(-1, shape[d])
    for row in flat:
        row[:] = rng.permutation(size)[:shape[d]]
    return np.moveaxis(flat.reshape(lines.shape), -1, d)


def _in_place(draw) -> bool:
    return draw(st.booleans())


@st.composite
def gathers(draw) -> OpCase:
    shape = _shape(draw)
    dim, d = _dim(draw, len(shape))
    size = shape[d] if shape else 1
    index_shape = _index_like(draw, shape, d, _count(draw, size))
    index = _integers(draw, index_shape, 0, size)
    return OpCase(f"gather(x, {dim}, index)", lambda m, x, index: m.gather(x, dim, index),
                  {"x": shape}, {"index": index}, draw(st.integers(0, 2**32 - 1)))


@st.composite
def take_along_dims(draw) -> OpCase:
    shape = _shape(draw, min_dims=1)
    if draw(st.booleans()):
        size = math.prod(shape)
        # torch refuses negative indices here (not with a dim)
        index = _integers(draw, _flat_index_shape(draw, size), 0, size)
        return OpCase("take_along_dim(x, index)", lambda m, x, index: m.take_along_dim(x, index),
                      {"x": shape}, {"index": index}, draw(st.integers(0, 2**32 - 1)))
    dim, d = _dim(draw, len(shape))
    # The other dims broadcast: the index takes x's size or 1, or any size where x has 1.
    index_shape = tuple(_count(draw, n) if i == d else
                        draw(st.integers(0, 4)) if n == 1 else draw(st.sampled_from((n, 1)))
                        for i, n in enumerate(shape))
    index = _integers(draw, index_shape, -shape[d], shape[d])
    return OpCase(f"take_along_dim(x, index, {dim})",
                  lambda m, x, index: m.take_along_dim(x, index, dim),
                  {"x": shape}, {"index": index}, draw(st.integers(0, 2**32 - 1)))


def _vector_index(draw, size: int, scalar_input: bool) -> np.ndarray:
    """index_select/index_add's index: 1-D, or 0-d; one element for a 0-d input."""
    count = 1 if scalar_input else _count(draw, size)
    index = _integers(draw, (count,), 0, size)
    return index.reshape(()) if index.size == 1 and draw(st.booleans()) else index


@st.composite
def index_selects(draw) -> OpCase:
    shape = _shape(draw)
    dim, d = _dim(draw, len(shape))
    index = _vector_index(draw, shape[d] if shape else 1, not shape)
    return OpCase(f"index_select(x, {dim}, index)",
                  lambda m, x, index: m.index_select(x, dim, index),
                  {"x": shape}, {"index": index}, draw(st.integers(0, 2**32 - 1)))


@st.composite
def index_adds(draw) -> OpCase:
    shape = _shape(draw)
    dim, d = _dim(draw, len(shape))
    index = _vector_index(draw, shape[d] if shape else 1, not shape)
    source = shape[:d] + (index.size,) + shape[d + 1:] if shape else ()
    alpha = draw(st.sampled_from((1, -2, -2.5)))
    if _in_place(draw):
        def call(m, x, source, index):
            return x.clone().index_add_(dim, index, source, alpha=alpha)
    else:
        def call(m, x, source, index):
            return m.index_add(x, dim, index, source, alpha=alpha)
    return OpCase(f"index_add(x, {dim}, index, source, alpha={alpha})", call,
                  {"x": shape, "source": source}, {"index": index},
                  draw(st.integers(0, 2**32 - 1)), float_only=isinstance(alpha, float))


@st.composite
def scatters(draw) -> OpCase:
    """scatter of a source (distinct indices along dim) or of a scalar value, scatter_add."""
    shape = _shape(draw)
    dim, d = _dim(draw, len(shape))
    size = shape[d] if shape else 1
    kind = draw(st.sampled_from(("scatter", "scatter_value", "scatter_add")))
    along = _count(draw, size, size if kind == "scatter" else 4)
    index_shape = _index_like(draw, shape, d, along)
    if kind == "scatter":
        index = _distinct(draw, index_shape, d, size)
    else:
        index = _integers(draw, index_shape, 0, size)
    index_shape = index.shape
    src = tuple(n + draw(st.sampled_from((0, 0, 0, 1))) for n in index_shape)
    name = kind.replace("_value", "") + ("_" if _in_place(draw) else "")

    def call(m, x, index, src=None):
        y = x.clone() if name.endswith("_") else x
        args = (dim, index) + ((src,) if src is not None else ())
        kwargs = {"value": -1.5} if kind == "scatter_value" else {}
        return getattr(y, name)(*args, **kwargs)
    seed = draw(st.integers(0, 2**32 - 1))
    if kind == "scatter_value":
        return OpCase(f"x.{name}({dim}, index, value=-1.5)", call, {"x": shape},
                      {"index": index}, seed)
    if src != index_shape:
        # torch cannot differentiate a source larger than the index (its backward gives the
        # index's shape), so that source is a constant.
        source = np.random.default_rng(seed).standard_normal(src)
        return OpCase(f"x.{name}({dim}, index, src)", call, {"x": shape},
                      {"index": index, "src": source}, seed)
    return OpCase(f"x.{name}({dim}, index, src)", call, {"x": shape, "src": src},
                  {"index": index}, seed)


@st.composite
def scatter_reduces(draw) -> OpCase:
    """scatter with reduce="add" or "multiply" of a source or a value: repeats accumulate.
    torch defines no derivative for it: values only."""
    shape = _shape(draw)
    dim, d = _dim(draw, len(shape))
    size = shape[d] if shape else 1
    index = _integers(draw, _index_like(draw, shape, d, _count(draw, size)), 0, size)
    reduce = draw(st.sampled_from(("add", "multiply")))
    name = "scatter_" if _in_place(draw) else "scatter"
    seed = draw(st.integers(0, 2**32 - 1))
    if draw(st.booleans()):
        def call(m, x, index):
            return getattr(x.clone(), name)(dim, index, value=-1.5, reduce=reduce)
        constants = {"index": index}
    else:
        def call(m, x, index, src):
            return getattr(x.clone(), name)(dim, index, src, reduce=reduce)
        src = tuple(n + draw(st.sampled_from((0, 0, 1))) for n in index.shape)
        constants = {"index": index, "src": np.random.default_rng(seed).standard_normal(src)}
    return OpCase(f"x.{name}({dim}, index, ..., reduce={reduce!r})", call, {"x": shape},
                  constants, seed, differentiable=False)


@st.composite
def index_puts(draw) -> OpCase:
    """index_put(_) with index tensors for the leading dims; without accumulate, each position
    is written once (torch leaves repeated writes undefined)."""
    shape = _shape(draw, min_dims=1)
    covered = draw(st.integers(1, len(shape)))
    accumulate = draw(st.booleans())
    capacity = math.prod(shape[:covered])
    count = _count(draw, capacity, 4 if accumulate else min(capacity, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    flat = rng.integers(0, capacity, count) if accumulate else rng.permutation(capacity)[:count]
    positions = np.unravel_index(flat, shape[:covered]) if capacity else [flat] * covered
    constants = {f"i{k}": p.astype(np.int64) for k, p in enumerate(positions)}
    values = _broadcasting(draw, (count,) + shape[covered:])
    method = "index_put_" if _in_place(draw) else "index_put"

    def call(m, x, values, **indices):
        return getattr(x.clone(), method)(tuple(indices.values()), values, accumulate)
    return OpCase(f"x.{method}(indices, values, accumulate={accumulate})", call,
                  {"x": shape, "values": values}, constants, draw(st.integers(0, 2**32 - 1)))


@st.composite
def index_fills_and_copies(draw) -> OpCase:
    """index_fill(_) with a number or 0-d tensor (repeated indices too), index_copy(_) with
    distinct indices."""
    shape = _shape(draw)
    dim, d = _dim(draw, len(shape))
    size = shape[d] if shape else 1
    kind = draw(st.sampled_from(("fill_number", "fill_tensor", "copy")))
    if kind == "copy":
        index = _distinct(draw, (_count(draw, size, size) if shape else 1,), 0, size)
    else:
        index = _vector_index(draw, size, not shape)
    method = ("index_copy" if kind == "copy" else "index_fill") + ("_" if _in_place(draw) else "")

    def call(m, x, index, value=2.5):
        return getattr(x.clone(), method)(dim, index, value)
    seed = draw(st.integers(0, 2**32 - 1))
    if kind == "fill_number":
        return OpCase(f"x.{method}({dim}, index, 2.5)", call, {"x": shape}, {"index": index},
                      seed)
    source = () if kind == "fill_tensor" or not shape else \
        shape[:d] + (index.size,) + shape[d + 1:]
    return OpCase(f"x.{method}({dim}, index, value)", call, {"x": shape, "value": source},
                  {"index": index}, seed)


@st.composite
def masked_scatters(draw) -> OpCase:
    """masked_scatter(_) with a mask that broadcasts to x, a source with at least as many
    elements as the mask has True."""
    shape = _shape(draw)
    mask_shape = _broadcasting(draw, shape)
    mask = _integers(draw, mask_shape, 0, 2).astype(bool) if math.prod(mask_shape) else \
        np.zeros(mask_shape, dtype=bool)
    needed = int(np.broadcast_to(mask, shape).sum())
    source = draw(st.sampled_from(((needed + draw(st.integers(0, 2)),), (1, needed, 1))))
    method = "masked_scatter_" if _in_place(draw) else "masked_scatter"

    def call(m, x, source, mask):
        return getattr(x.clone(), method)(mask, source)
    return OpCase(f"x.{method}(mask, source)", call, {"x": shape, "source": source},
                  {"mask": mask}, draw(st.integers(0, 2**32 - 1)))


@st.composite
def puts(draw) -> OpCase:
    """put(_) at flat positions, negative ones too; without accumulate, each written once."""
    shape = _shape(draw)
    size = math.prod(shape)
    accumulate = draw(st.booleans())
    count = _count(draw, size, 4 if accumulate else min(size, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    flat = rng.integers(0, size, count) if accumulate else rng.permutation(size)[:count]
    index = np.where(rng.random(count) < 0.5, flat - size, flat).astype(np.int64)
    method = "put_" if _in_place(draw) else "put"

    def call(m, x, source, index):
        return getattr(x.clone(), method)(index, source, accumulate)
    source = draw(st.sampled_from(((count,), (1, count))))
    return OpCase(f"x.{method}(index, source, accumulate={accumulate})", call,
                  {"x": shape, "source": source}, {"index": index},
                  draw(st.integers(0, 2**32 - 1)))


def _broadcasting(draw, shape: tuple) -> tuple:
    """A shape that broadcasts to `shape`: leading dims dropped, others maybe 1."""
    kept = shape[draw(st.integers(0, len(shape))):]
    return tuple(n if draw(st.booleans()) else 1 for n in kept)


@st.composite
def masked(draw) -> OpCase:
    """masked_fill with a number or a 0-d tensor, or masked_select, with a broadcast mask."""
    shape = _shape(draw)
    mask_shape = _broadcasting(draw, shape)
    mask = _integers(draw, mask_shape, 0, 2).astype(bool) if math.prod(mask_shape) else \
        np.zeros(mask_shape, dtype=bool)
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(("number", "tensor", "select")))
    if kind == "select":
        return OpCase("masked_select(x, mask)", lambda m, x, mask: m.masked_select(x, mask),
                      {"x": shape}, {"mask": mask}, seed)
    method = "masked_fill_" if _in_place(draw) else "masked_fill"

    def call(m, x, mask, value=2.5):
        return getattr(x.clone() if method.endswith("_") else x, method)(mask, value)
    shapes = {"x": shape, "value": ()} if kind == "tensor" else {"x": shape}
    return OpCase(f"x.{method}(mask, {kind})", call, shapes, {"mask": mask}, seed)


@st.composite
def takes(draw) -> OpCase:
    shape = _shape(draw)
    size = math.prod(shape)
    index = _integers(draw, _flat_index_shape(draw, size), -size, size)
    return OpCase("take(x, index)", lambda m, x, index: m.take(x, index), {"x": shape},
                  {"index": index}, draw(st.integers(0, 2**32 - 1)))


def _numpy(t):
    return None if t is None else np.asarray(t.detach().numpy())


@PROPERTY_SETTINGS
@given(case=st.one_of(gathers(), take_along_dims(), index_selects(), index_adds(), scatters(),
                      scatter_reduces(), index_puts(), index_fills_and_copies(),
                      masked_scatters(), puts(), masked(), takes()), dtype=DTYPES,
       second=st.sampled_from((False, False, True)))
def test_index_ops_match_torch(torch, case, dtype, second):
    """Values and gradients, or (`second`) first gradients kept in the graph and the gradients
    of their random weighted sum."""
    assume(dtype.startswith("float") or not case.float_only)  # torch: no float alpha for ints
    ours, theirs = case.run(ndgrad, dtype, second), case.run(torch, dtype, second)
    assert ours[0].is_contiguous() == theirs[0].is_contiguous(), "is_contiguous()"
    names = [f"gradient of {k}" for k in case.shapes]
    if second:
        names = [f"first {name}" for name in names] + [f"second {name}" for name in names]
    for name, a, b in zip(["value"] + names, ours, theirs):
        a, b = _numpy(a), _numpy(b)
        assert (a is None) == (b is None), f"{name}: {a} vs {b}"
        if a is not None:
            assert (a.shape, a.dtype) == (b.shape, b.dtype), name
            np.testing.assert_allclose(a, b, err_msg=name, **TOLERANCES.get(dtype, EXACT))
