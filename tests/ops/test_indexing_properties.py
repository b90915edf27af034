"""Property tests: random index expressions on random shapes index as torch's do.

Hypothesis draws a shape (1-4 dims, sizes 0-5) and a key mixing ints, slices (positive steps:
torch refuses negative ones), None, at most one Ellipsis, boolean masks and integer index
arrays. The dims each part consumes are tracked so every key is valid; the index arrays and
the masks' true counts broadcast together. Arrays come as NumPy arrays, lists or tensors of
the library under test. Both `x[key]` and `y[key] = v` are compared with torch in value and
gradient (float64).
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ndgrad

TOLERANCE = {"rtol": 1e-12, "atol": 1e-12}
# The torch fixture is function-scoped; it only hands over the module, so sharing it across
# examples is safe.
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])

SIZES = st.sampled_from((1, 2, 3, 4, 5) * 3 + (0,))  # an empty dim one time in 16
ADVANCED_SIZES = st.sampled_from((1, 2, 3) * 3 + (0,))
KINDS = st.sampled_from(("index", "slice", "int", "mask") * 2 + ("index",))


class Key:
    """An index expression written once, built for ndgrad or torch with `build(module)`.

    `parts` holds (kind, payload, form): ints, slices, None and Ellipsis as themselves, masks and
    index arrays as NumPy arrays turned into the `form` asked for.
    """

    def __init__(self, parts: list) -> None:
        self.parts = parts

    def build(self, module):
        built = tuple(_build_part(module, *part) for part in self.parts)
        # A list alone is left in a tuple: torch 2.13 still reads x[[[0], [1]]] as x[[0], [1]].
        if len(self.parts) == 1 and self.parts[0][2] != "list":
            return built[0]
        return built

    def __repr__(self) -> str:
        shown = [_show_part(*part) for part in self.parts]
        if len(shown) == 1 and self.parts[0][2] != "list":
            return shown[0]
        return f"({', '.join(shown)}{',' if len(shown) == 1 else ''})"


def _build_part(module, kind, payload, form):
    if form == "list":
        return payload.tolist()
    if form == "tensor":
        return module.tensor(payload)
    if form == "int32":
        return payload.astype(np.int32)
    return payload


def _show_part(kind, payload, form) -> str:
    if kind == "ellipsis":
        return "..."
    if form is None or form == "list":
        return repr(_build_part(None, kind, payload, form))
    text = np.array2string(payload, separator=", ")
    return {"numpy": f"np.array({text})", "int32": f"np.array({text}, dtype=np.int32)",
            "tensor": f"tensor({text})"}[form]


class Case:
    """An input shape, a key valid for it, and a seed for the values."""

    def __init__(self, shape: tuple, key: Key, seed: int) -> None:
        self.shape, self.key, self.seed = shape, key, seed

    def __repr__(self) -> str:
        return f"x of shape {self.shape}, x[{self.key!r}], seed {self.seed}"


def _consumers(draw, shape: tuple) -> list:
    """[kind, width] for the parts that consume dims, at most len(shape) dims in all."""
    # Most keys cover every dim (sampled_from draws evenly; integers() favours its bounds).
    budget = max(len(shape) - draw(st.sampled_from((0, 0, 0, 1, 1, 2, 3))), 0)
    consumers, used = [], 0
    while used < budget:
        kind = draw(KINDS)
        width = draw(st.integers(1, budget - used)) if kind == "mask" else 1
        consumers.append([kind, width])
        used += width
    return consumers


def _first_dims(consumers: list, ellipsis_at, ndim: int) -> list:
    """The first dim each consumer indexes: those after the Ellipsis index the last dims."""
    split = len(consumers) if ellipsis_at is None else ellipsis_at
    widths = [width for _, width in consumers]
    before = [sum(widths[:i]) for i in range(split)]
    return before + [ndim - sum(widths[i:]) for i in range(split, len(widths))]


def _broadcast_part(draw, shape: tuple) -> tuple:
    """A shape that broadcasts to `shape`: leading dims dropped, others maybe 1."""
    kept = shape[draw(st.integers(0, len(shape))):]
    return tuple(s if draw(st.booleans()) else 1 for s in kept)


def _part(draw, kind: str, covered: tuple, advanced: tuple, has_ellipsis: bool) -> tuple:
    """(kind, payload, form) for a part indexing the dims of sizes `covered`; index arrays and
    masks broadcast to the advanced shape `advanced`."""
    size = covered[0]
    if kind == "int":
        return "int", draw(st.integers(-size, size - 1)), None
    if kind == "slice":
        bound = st.none() | st.integers(-size - 2, size + 2)
        step = st.none() | st.integers(1, 3)
        return "slice", slice(draw(bound), draw(bound), draw(step)), None
    if kind == "index":
        shape = _broadcast_part(draw, advanced)
        values = draw(st.lists(st.integers(-size, size - 1), min_size=math.prod(shape),
                               max_size=math.prod(shape)))
        # A list of an empty array loses the dims before its first empty one: [] for (0, 3).
        forms = ("numpy", "int32", "tensor", "list")[:3 if 0 in shape[:-1] else 4]
        return "index", np.array(values, dtype=np.int64).reshape(shape), draw(st.sampled_from(forms))
    capacity = math.prod(covered)
    count = 1 if capacity and draw(st.booleans()) else advanced[-1]
    mask = np.zeros(capacity, dtype=bool)
    mask[list(draw(st.permutations(range(capacity)))[:count])] = True
    # An empty list reads as an empty integer index, covering one dim only.
    form = draw(st.sampled_from(("numpy", "tensor", "list")[:3 if capacity else 2]))
    if len(covered) > 1 and has_ellipsis:
        # torch 2.13 counts a NumPy or list mask as one dim when it spells out an Ellipsis
        # (x[..., np_mask_2d] fails); ndgrad counts the mask's dims, as NumPy does.
        form = "tensor"
    return "mask", mask.reshape(covered), form


@st.composite
def cases(draw) -> Case:
    ndim = draw(st.sampled_from((1, 2, 2, 3, 3, 4)))
    shape = tuple(draw(st.lists(SIZES, min_size=ndim, max_size=ndim)))
    consumers = _consumers(draw, shape)
    ellipsis_at = draw(st.none() | st.integers(0, len(consumers)))
    starts = _first_dims(consumers, ellipsis_at, len(shape))
    for consumer, start in zip(consumers, starts):
        if consumer[0] in ("int", "index") and shape[start] == 0:
            consumer[0] = "slice"  # nothing to pick in an empty dim
    capacities = [math.prod(shape[start:start + width])
                  for (kind, width), start in zip(consumers, starts) if kind == "mask"]
    advanced_dims = draw(st.integers(1 if capacities else 0, 2))
    advanced = tuple(draw(st.lists(ADVANCED_SIZES, min_size=advanced_dims,
                                   max_size=advanced_dims)))
    if capacities:  # a mask with n true elements acts as an index array of shape (n,)
        advanced = advanced[:-1] + (draw(st.integers(0, min(3, *capacities))),)
    parts = [_part(draw, kind, shape[start:start + width], advanced, ellipsis_at is not None)
             for (kind, width), start in zip(consumers, starts)]
    if ellipsis_at is not None:
        parts.insert(ellipsis_at, ("ellipsis", Ellipsis, None))
    for _ in range(draw(st.integers(0, 2))):
        parts.insert(draw(st.integers(0, len(parts))), ("none", None, None))
    return Case(shape, Key(parts), draw(st.integers(0, 2**32 - 1)))


def _numpy(t) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _getitem(module, case: Case, x: np.ndarray, w: np.ndarray):
    leaf = module.tensor(x, requires_grad=True)
    out = leaf[case.key.build(module)]
    (out * module.tensor(w)).sum().backward()
    return _numpy(out), _numpy(leaf.grad)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_getitem_matches_torch(torch, data):
    case = data.draw(cases())
    rng = np.random.default_rng(case.seed)
    x = rng.standard_normal(case.shape)
    w = rng.standard_normal(tuple(torch.tensor(x)[case.key.build(torch)].shape))
    out_ours, grad_ours = _getitem(ndgrad, case, x, w)
    out_theirs, grad_theirs = _getitem(torch, case, x, w)
    assert out_ours.shape == out_theirs.shape
    np.testing.assert_allclose(out_ours, out_theirs, err_msg="value", **TOLERANCE)
    np.testing.assert_allclose(grad_ours, grad_theirs, err_msg="gradient of x", **TOLERANCE)


def _setitem(module, case: Case, arrays: list):
    x, v, w = (module.tensor(a, requires_grad=i < 2) for i, a in enumerate(arrays))
    y = x * 1
    y[case.key.build(module)] = v
    (y * w).sum().backward()
    return _numpy(y), _numpy(x.grad), _numpy(v.grad)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_setitem_matches_torch(torch, data):
    case = data.draw(cases())
    positions = torch.arange(math.prod(case.shape)).reshape(case.shape)[case.key.build(torch)]
    # Writing twice to one element leaves torch's result undefined.
    assume(positions.unique().numel() == positions.numel())
    value_shape = _broadcast_part(data.draw, tuple(positions.shape))
    if data.draw(st.integers(0, 7)) == 0:
        value_shape = (1,) + value_shape  # leading 1-dims past the indexed shape are dropped
    rng = np.random.default_rng(case.seed)
    arrays = [rng.standard_normal(s) for s in (case.shape, value_shape, case.shape)]
    ours, theirs = _setitem(ndgrad, case, arrays), _setitem(torch, case, arrays)
    for name, a, b in zip(("y", "gradient of x", "gradient of v"), ours, theirs):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, err_msg=name, **TOLERANCE)
