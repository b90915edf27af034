"""Property tests: random chains of shape ops give torch's values, contiguity, refusals and
gradients.

Hypothesis draws a float64 input of 0-4 dims (sizes 0 and 1 included) and a chain of 1-6 shape
ops (reshape and view with -1, permute, transpose, squeeze/unsqueeze, expand, flatten/unflatten,
movedim, narrow, split/chunk/unbind, cat/stack, flip, roll, repeat, tile, tril/triu, diagonal,
...), each applied to the previous value with parameters drawn for its shape, which is tracked
on torch meta tensors. A step torch refuses (a view of a non-contiguous tensor, a bad -1) ends
the chain: ndgrad must refuse it with the same exception class. Every value of the chain (and
its contiguity, where torch's is contiguous) and the input's gradient of a weighted sum of the
last value must match torch's.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import ndgrad
from tests.properties._strategies import (
    assert_same_tensor,
    numpy,
    property_settings,
    sample,
    shapes,
)

MAX_NUMEL = 256  # repeat, tile, expand and cat grow tensors; larger ones are not drawn


def _dim(draw, ndim: int, extra: int = 0) -> int:
    """A dim of a tensor of `ndim` dims (`extra` more for unsqueeze-like ops), negative ones
    included."""
    n = ndim + extra
    return draw(st.integers(-max(n, 1), max(n, 1) - 1))


def _factor(draw, size: int) -> tuple:
    """`size` split in two factors, one of them possibly written -1."""
    divisors = [d for d in range(1, size + 1) if size % d == 0] or [1]
    first = draw(st.sampled_from(divisors))
    pair = [first, size // first if size else draw(st.integers(0, 2))]
    if size and draw(st.booleans()):
        pair[draw(st.integers(0, 1))] = -1
    return tuple(pair)


def _new_shape(draw, shape):
    """A shape with the same number of elements: merged, split, reversed or with a -1."""
    n = len(shape)
    candidates = [(-1,), tuple(reversed(shape)), shape + (1,), (1,) + shape]
    if n >= 2:
        i = draw(st.integers(0, n - 2))
        candidates.append(shape[:i] + (shape[i] * shape[i + 1],) + shape[i + 2:])
        candidates.append(shape[:i] + (-1,) + shape[i + 2:])
    if n >= 1:
        i = draw(st.integers(0, n - 1))
        candidates.append(shape[:i] + _factor(draw, shape[i]) + shape[i + 1:])
        candidates.append(shape[:i] + (-1,) + shape[i + 1:])
    return {"shape": draw(st.sampled_from(candidates))}


def _permutation(draw, shape):
    order = draw(st.permutations(range(len(shape))))
    return {"dims": tuple(d - len(shape) if draw(st.booleans()) else d for d in order)}


def _two_dims(draw, shape):
    return {"dim0": _dim(draw, len(shape)), "dim1": _dim(draw, len(shape))}


def _squeeze(draw, shape):
    kind = draw(st.sampled_from(("all", "one", "tuple")))
    if kind == "all":
        return {}
    if kind == "one" or not shape:
        return {"dim": _dim(draw, len(shape))}
    picked = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    return {"dim": tuple(picked)}


def _unsqueeze(draw, shape):
    return {"dim": _dim(draw, len(shape), extra=1)}


def _expand(draw, shape):
    sizes = [draw(st.sampled_from((-1, s))) if s != 1 else draw(st.sampled_from((-1, 1, 2, 3)))
             for s in shape]
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    return {"sizes": tuple(lead + sizes)}


def _flatten(draw, shape):
    start, end = sorted((_dim(draw, len(shape)) % max(len(shape), 1),
                         _dim(draw, len(shape)) % max(len(shape), 1)))
    return {"start_dim": start, "end_dim": end - max(len(shape), 1) * draw(st.booleans())}


def _unflatten(draw, shape):
    if not shape:
        return None
    dim = _dim(draw, len(shape))
    return {"dim": dim, "sizes": _factor(draw, shape[dim])}


def _movedim(draw, shape):
    if draw(st.booleans()) or len(shape) < 2:
        return {"source": _dim(draw, len(shape)), "destination": _dim(draw, len(shape))}
    count = draw(st.integers(1, len(shape)))
    source = draw(st.permutations(range(len(shape))))[:count]
    destination = draw(st.permutations(range(len(shape))))[:count]
    return {"source": tuple(source), "destination": tuple(destination)}


def _narrow(draw, shape):
    if not shape:
        return None
    dim = _dim(draw, len(shape))
    start = draw(st.integers(-shape[dim], shape[dim])) if shape[dim] else 0
    length = draw(st.integers(0, shape[dim] - start % max(shape[dim], 1)))
    return {"dim": dim, "start": start, "length": length}


def _piece(draw, shape):
    """A split size or list of sections, or a chunk count, along a dim, and which piece."""
    if not shape:
        return None
    dim = _dim(draw, len(shape))
    size = shape[dim]
    if draw(st.booleans()):  # sections that add up to the dim's size
        bounds = [0] + sorted(draw(st.lists(st.integers(0, size), max_size=2))) + [size]
        how = [end - start for start, end in itertools.pairwise(bounds)]
    else:
        how = draw(st.integers(1, max(size, 1) + 1))
    return {"how": how, "dim": dim, "index": draw(st.integers(0, 5))}


def _split(m, x, how, dim, index):
    pieces = x.split(how, dim)
    return pieces[index % len(pieces)]


def _chunk(m, x, how, dim, index):
    pieces = m.chunk(x, how if isinstance(how, int) else len(how), dim)
    return pieces[index % len(pieces)]


def _join(draw, shape):
    """cat along an existing dim, or stack along a new one, of x and 2 * x."""
    if draw(st.booleans()) and shape:
        return {"stack": False, "dim": _dim(draw, len(shape))}
    return {"stack": True, "dim": _dim(draw, len(shape), extra=1)}


def _cat_or_stack(m, x, stack, dim):
    return (m.stack if stack else m.cat)([x, 2 * x], dim)


def _flip(draw, shape):
    if not shape:
        return {"dims": ()}
    picked = draw(st.lists(st.integers(0, len(shape) - 1), min_size=0, unique=True))
    return {"dims": tuple(d - len(shape) if draw(st.booleans()) else d for d in picked)}


def _roll(draw, shape):
    if not shape or draw(st.booleans()):
        return {"shifts": draw(st.integers(-5, 5)), "dims": None}
    picked = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    return {"shifts": tuple(draw(st.integers(-5, 5)) for _ in picked), "dims": tuple(picked)}


def _repeats(draw, shape):
    return {"sizes": tuple(draw(st.lists(st.integers(0, 2), min_size=len(shape),
                                         max_size=len(shape) + 1)))}


def _tile(draw, shape):
    return {"dims": tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=len(shape) + 1)))}


def _triangle(draw, shape):
    return {"diagonal": draw(st.integers(-3, 3))} if len(shape) >= 2 else None


def _diagonal(draw, shape):
    if len(shape) < 2:
        return None
    dims = draw(st.permutations(range(len(shape))))[:2]
    return {"offset": draw(st.integers(-2, 2)), "dim1": dims[0], "dim2": dims[1] - len(shape)}


def _select(draw, shape):
    """A dim of nonzero size and an index into it (negative ones included)."""
    if not shape:
        return None
    dim = _dim(draw, len(shape))
    if shape[dim] == 0:
        return None
    return {"dim": dim, "index": draw(st.integers(-shape[dim], shape[dim] - 1))}


@dataclass(frozen=True)
class ShapeOp:
    """One row: `fn(module, x, **params)`, params drawn by `params(draw, shape)` (None where the
    op does not apply to that shape)."""

    name: str
    fn: Callable
    params: Callable

    def __repr__(self) -> str:
        return self.name


SHAPE_OPS = [
    ShapeOp("reshape", lambda m, x, shape: x.reshape(shape), _new_shape),
    ShapeOp("view", lambda m, x, shape: x.view(shape), _new_shape),
    ShapeOp("permute", lambda m, x, dims: x.permute(dims), _permutation),
    ShapeOp("transpose", lambda m, x, dim0, dim1: m.transpose(x, dim0, dim1), _two_dims),
    ShapeOp("swapaxes", lambda m, x, dim0, dim1: x.swapaxes(dim0, dim1), _two_dims),
    ShapeOp("t", lambda m, x: x.t(), lambda draw, shape: {} if len(shape) <= 2 else None),
    ShapeOp("mT", lambda m, x: x.mT, lambda draw, shape: {} if len(shape) >= 2 else None),
    ShapeOp("squeeze", lambda m, x, **p: x.squeeze(**p), _squeeze),
    ShapeOp("unsqueeze", lambda m, x, dim: m.unsqueeze(x, dim), _unsqueeze),
    ShapeOp("expand", lambda m, x, sizes: x.expand(sizes), _expand),
    ShapeOp("flatten", lambda m, x, **p: m.flatten(x, **p), _flatten),
    ShapeOp("unflatten", lambda m, x, dim, sizes: x.unflatten(dim, sizes), _unflatten),
    ShapeOp("movedim", lambda m, x, **p: m.movedim(x, **p), _movedim),
    ShapeOp("narrow", lambda m, x, **p: x.narrow(**p), _narrow),
    ShapeOp("split", _split, _piece),
    ShapeOp("chunk", _chunk, _piece),
    ShapeOp("unbind", lambda m, x, dim, index: m.unbind(x, dim)[index], _select),
    ShapeOp("select", lambda m, x, dim, index: x.select(dim, index), _select),
    ShapeOp("cat_stack", _cat_or_stack, _join),
    ShapeOp("flip", lambda m, x, dims: m.flip(x, dims), _flip),
    ShapeOp("roll", lambda m, x, shifts, dims: x.roll(shifts, dims), _roll),
    ShapeOp("repeat", lambda m, x, sizes: x.repeat(sizes), _repeats),
    ShapeOp("tile", lambda m, x, dims: m.tile(x, dims), _tile),
    ShapeOp("tril", lambda m, x, diagonal: x.tril(diagonal), _triangle),
    ShapeOp("triu", lambda m, x, diagonal: m.triu(x, diagonal), _triangle),
    ShapeOp("diagonal", lambda m, x, **p: x.diagonal(**p), _diagonal),
    ShapeOp("contiguous", lambda m, x: x.contiguous(), lambda draw, shape: {}),
]


@dataclass(frozen=True)
class Step:
    op: ShapeOp
    params: dict

    def __call__(self, module, x):
        return self.op.fn(module, x, **self.params)

    def __repr__(self) -> str:
        return f"{self.op.name}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"


class Chain:
    """`steps` applied in turn to an input of `shape`; the last one raises in torch when
    `refused`."""

    def __init__(self, shape: tuple, steps: list, refused: bool, seed: int) -> None:
        self.shape, self.steps, self.refused, self.seed = shape, steps, refused, seed

    def run(self, module):
        """The leaf and every value of the chain (the refused step is not run)."""
        x = module.tensor(sample(np.random.default_rng(self.seed), "float64", self.shape),
                          requires_grad=True)
        values = [x]
        for step in self.steps[:len(self.steps) - self.refused]:
            values.append(step(module, values[-1]))
        return x, values

    def __repr__(self) -> str:
        refused = " (refused by torch)" if self.refused else ""
        return f"input {self.shape} -> " + " -> ".join(map(repr, self.steps)) + refused


@st.composite
def chains(draw, torch):
    shape = draw(shapes(max_dims=4))
    value = torch.empty(shape, dtype=torch.float64, device="meta")
    steps, refused = [], False
    length = draw(st.integers(1, 6))
    for _ in range(3 * length):  # ops that do not apply to the shape, or grow it, are skipped
        if len(steps) == length:
            break
        op = draw(st.sampled_from(SHAPE_OPS))
        params = op.params(draw, tuple(value.shape))
        if params is None:
            continue
        step = Step(op, params)
        try:
            result = step(torch, value)
        except (RuntimeError, IndexError, ValueError, TypeError):
            steps.append(step)
            refused = True
            break
        if math.prod(result.shape) > MAX_NUMEL:
            continue
        steps.append(step)
        value = result
    return Chain(shape, steps, refused, draw(st.integers(0, 2**31)))


@property_settings(600)
@given(data=st.data())
def test_shape_chain_matches_torch(torch, data):
    check_chain(torch, data.draw(chains(torch)))


def check_chain(torch, chain: Chain) -> None:
    """Every value, the refusal of a refused step, and the input's gradient, against torch."""
    x_ours, values_ours = chain.run(ndgrad)
    x_theirs, values_theirs = chain.run(torch)
    for i, (ours, theirs) in enumerate(zip(values_ours, values_theirs)):
        assert_same_tensor(ours, theirs, f"value after step {i}")
        # A later view() works on a contiguous result. ndgrad's flip and clone of a
        # non-contiguous tensor are contiguous where torch's keep the layout (README).
        assert ours.is_contiguous() or not theirs.is_contiguous(), f"contiguity after step {i}"
    if chain.refused:
        last = chain.steps[-1]
        try:
            last(torch, values_theirs[-1])
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            their_error = error
        try:
            last(ndgrad, values_ours[-1])
        except Exception as error:  # noqa: BLE001
            assert isinstance(error, type(their_error)), f"ndgrad raises {error!r}, torch " \
                                                          f"{their_error!r}"
        else:
            raise AssertionError(f"torch raises {their_error!r} at {last!r}, ndgrad does not")
    weights = np.random.default_rng(chain.seed + 1).standard_normal(
        tuple(values_theirs[-1].shape))
    for module, value in ((ndgrad, values_ours[-1]), (torch, values_theirs[-1])):
        (value * module.tensor(weights)).sum().backward()
    np.testing.assert_allclose(numpy(x_ours.grad), numpy(x_theirs.grad), rtol=1e-12,
                               atol=1e-12, err_msg="gradient of the input")
