"""Property tests: random index expressions on random shapes index as torch's do.

Hypothesis draws a shape (0-4 dims, sizes 0-5) and a key mixing ints (also as 0-d tensors and
arrays), slices (positive steps: torch refuses negative ones; bounds past the ends, maybe 0-d
tensors), None, True and False (also as 0-d tensors), at most one Ellipsis, boolean masks and
integer index arrays. The dims each part consumes are tracked so every key is valid; the index
arrays, the masks' true counts and the bools' [0] or [] broadcast together. Arrays come as
NumPy arrays, lists or tensors (int64, int32, bool, byte) of the library under test.
Compared with torch: `x[key]` in value, dtype, contiguity, first and second derivatives;
writing in place through `y[key]` (a view or a copy, as torch's); `y[key] = v`, `+= v` and
`*= v` with broadcast tensors or Python scalars into plain tensors, non-leaves and transposed
views, with the gradients of both y and v (and second derivatives).
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ndgrad

# Gradients of broadcast or repeated values are sums, which may round apart in float32.
TOLERANCES = {"float32": {"rtol": 1e-5, "atol": 1e-6}}
EXACT = {"rtol": 1e-12, "atol": 1e-12}


def _settings(examples: int):
    # The torch fixture is function-scoped; it only hands over the module, so sharing it
    # across examples is safe.
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


SIZES = st.sampled_from((1, 2, 3, 4, 5) * 3 + (0,))  # an empty dim one time in 16
ADVANCED_SIZES = st.sampled_from((1, 2, 3) * 3 + (0,))
KINDS = st.sampled_from(("index", "slice", "int", "mask") * 2 + ("index",))
INT_FORMS = st.sampled_from((None, None, "numpy", "npint", "tensor"))
# Parts that insert a dim: None, True and False (False leaves the dim empty).
INSERTED = st.sampled_from((("none", None, None),) * 3 + (
    ("bool", True, None), ("bool", True, "tensor"), ("bool", False, None),
    ("bool", False, "tensor")))
DTYPES = st.sampled_from(("float64",) * 4 + ("float32", "int64", "int32", "uint8", "bool"))


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
    if kind == "slice" and form == "tensor":
        return slice(*(None if b is None else module.tensor(b)
                       for b in (payload.start, payload.stop, payload.step)))
    if form == "list":
        return payload.tolist()
    if form == "tensor":
        return module.tensor(payload)
    if form == "int32":
        return payload.astype(np.int32)
    if form == "tensor32":
        return module.tensor(payload.astype(np.int32))
    if form == "npint":
        return np.int64(payload)
    if form == "uint8":
        return module.tensor(payload.astype(np.uint8))  # a byte mask (deprecated in torch)
    if form == "numpy":
        return np.asarray(payload)
    return payload


def _show_part(kind, payload, form) -> str:
    if kind == "ellipsis":
        return "..."
    if form is None or form == "list":
        return repr(_build_part(None, kind, payload, form))
    if kind == "slice":
        return f"tensor-bounded {payload!r}"
    text = np.array2string(np.asarray(payload), separator=", ")
    return {"numpy": f"np.array({text})", "int32": f"np.array({text}, dtype=np.int32)",
            "tensor": f"tensor({text})", "uint8": f"tensor({text}, dtype=uint8)",
            "tensor32": f"tensor({text}, dtype=int32)", "npint": f"np.int64({text})"}[form]


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
        return "int", draw(st.integers(-size, size - 1)), draw(INT_FORMS)
    if kind == "slice":
        bound = st.none() | st.integers(-size - 2, size + 2)
        step = st.none() | st.integers(1, 3)
        form = draw(st.sampled_from((None,) * 7 + ("tensor",)))
        return "slice", slice(draw(bound), draw(bound), draw(step)), form
    if kind == "index":
        shape = _broadcast_part(draw, advanced)
        values = draw(st.lists(st.integers(-size, size - 1), min_size=math.prod(shape),
                               max_size=math.prod(shape)))
        # A list of an empty array loses the dims before its first empty one: [] for (0, 3).
        forms = ("numpy", "int32", "tensor", "tensor32", "list")[:4 if 0 in shape[:-1] else 5]
        array = np.array(values, dtype=np.int64).reshape(shape)
        return "index", array, draw(st.sampled_from(forms))
    capacity = math.prod(covered)
    count = 1 if capacity and draw(st.booleans()) else advanced[-1]
    mask = np.zeros(capacity, dtype=bool)
    mask[list(draw(st.permutations(range(capacity)))[:count])] = True
    # An empty list reads as an empty integer index, covering one dim only.
    form = draw(st.sampled_from(("tensor", "uint8", "numpy", "list")[:4 if capacity else 3]))
    if len(covered) > 1 and has_ellipsis:
        # torch 2.13 counts a NumPy or list mask as one dim when it spells out an Ellipsis
        # (x[..., np_mask_2d] fails); ndgrad counts the mask's dims, as NumPy does.
        form = form if form in ("tensor", "uint8") else "tensor"
    return "mask", mask.reshape(covered), form


@st.composite
def cases(draw) -> Case:
    ndim = draw(st.sampled_from((0, 1, 2, 2, 3, 3, 4)))
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
    # A bool indexes its new dim with [0] or [], which broadcasts with the other index arrays.
    arrays = any(kind in ("index", "mask") for kind, _ in consumers)
    false_fits = not arrays or not advanced or advanced[-1] < 2
    for _ in range(draw(st.integers(0, 2))):
        part = draw(INSERTED)
        if part[1] is False and not false_fits:
            part = ("none", None, None)
        parts.insert(draw(st.integers(0, len(parts))), part)
    return Case(shape, Key(parts), draw(st.integers(0, 2**32 - 1)))


def _numpy(t):
    return None if t is None else np.asarray(t.detach().numpy())


def _compare(ours: tuple, theirs: tuple, names: tuple, tolerance=None) -> None:
    """Arrays (or None for a missing gradient) equal in shape, dtype and value (within
    `tolerance`, by default the one of their dtype)."""
    for name, a, b in zip(names, ours, theirs):
        assert (a is None) == (b is None), f"{name}: {a} vs {b}"
        if a is not None:
            assert a.shape == b.shape, f"{name}: shape {a.shape} vs {b.shape}"
            assert a.dtype == b.dtype, f"{name}: dtype {a.dtype} vs {b.dtype}"
            np.testing.assert_allclose(a, b, err_msg=name,
                                       **(tolerance or TOLERANCES.get(a.dtype.name, EXACT)))


def _indexed_shape(torch, case: Case) -> tuple:
    return tuple(torch.zeros(case.shape)[case.key.build(torch)].shape)


def _getitem(module, case: Case, x: np.ndarray, w: np.ndarray):
    differentiable = x.dtype.kind == "f"
    leaf = module.tensor(x, requires_grad=differentiable)
    out = leaf[case.key.build(module)]
    if differentiable:
        (out * module.tensor(w)).sum().backward()
    return _numpy(out), _numpy(leaf.grad), out.is_contiguous()


@_settings(500)
@given(data=st.data())
def test_getitem_matches_torch(torch, data):
    case, dtype = data.draw(cases()), data.draw(DTYPES)
    rng = np.random.default_rng(case.seed)
    x = (rng.standard_normal(case.shape) * 4).astype(dtype)
    w = rng.standard_normal(_indexed_shape(torch, case)).astype(dtype)
    *ours, contiguous = _getitem(ndgrad, case, x, w)
    *theirs, torch_contiguous = _getitem(torch, case, x, w)
    _compare(ours, theirs, ("value", "gradient"))
    assert contiguous == torch_contiguous, "is_contiguous()"


# What is written into: a tensor outside the graph, x * 1 for a leaf x, or a transposed view
# of x * 1 (the write goes to its base).
TARGETS = st.sampled_from(("product",) * 3 + ("plain", "view"))


def _target(module, kind: str, array: np.ndarray) -> tuple:
    """(x, y): the leaf and the tensor of array's values to assign into."""
    if kind == "plain":
        x = module.tensor(array)
        return x, x
    if kind == "product":
        x = module.tensor(array, requires_grad=array.dtype.kind == "f")
        return x, x * 1
    x = module.tensor(array.T.copy(), requires_grad=array.dtype.kind == "f")
    return x, (x * 1).permute(tuple(reversed(range(array.ndim))))


def _second_derivative(module, case: Case, arrays: list):
    """The gradient of sum(x[key]**2 * w) with its graph, and the gradient of sum(g * u)."""
    x, w, u = (module.tensor(a, requires_grad=i == 0) for i, a in enumerate(arrays))
    (g,) = module.autograd.grad((x[case.key.build(module)] ** 2 * w).sum(), x,
                                create_graph=True)
    (g * u).sum().backward()
    return _numpy(g), _numpy(x.grad)


@_settings(150)
@given(data=st.data())
def test_second_derivative_of_getitem_matches_torch(torch, data):
    """Indexing's backward (an index-add) is differentiable again, repeated indices too."""
    case = data.draw(cases())
    rng = np.random.default_rng(case.seed)
    shapes = (case.shape, _indexed_shape(torch, case), case.shape)
    arrays = [rng.standard_normal(s) for s in shapes]
    _compare(_second_derivative(ndgrad, case, arrays), _second_derivative(torch, case, arrays),
             ("gradient", "second derivative"))


def _write_through(module, case: Case, target: str, arrays: list):
    """y[key] *= s in place: the product reaches y where y[key] is a view."""
    x, y = _target(module, target, arrays[0])
    s, w = (module.tensor(a, requires_grad=i == 0) for i, a in enumerate(arrays[1:]))
    part = y[case.key.build(module)]
    part.mul_(s)
    (y * w).sum().backward()
    return _numpy(y), _numpy(part), _numpy(x.grad), _numpy(s.grad)


@_settings(300)
@given(data=st.data())
def test_writing_through_an_index_result_matches_torch(torch, data):
    """Basic indexing gives views (writes reach the base, gradients flow back through them),
    advanced indexing gives copies, exactly where torch's do."""
    case = data.draw(cases())
    factor_shape = _broadcast_part(data.draw, _indexed_shape(torch, case))
    rng = np.random.default_rng(case.seed)
    arrays = [rng.standard_normal(s) for s in (case.shape, factor_shape, case.shape)]
    target = data.draw(st.sampled_from(("product", "product", "view")))
    _compare(_write_through(ndgrad, case, target, arrays),
             _write_through(torch, case, target, arrays),
             ("y", "y[key]", "gradient of x", "gradient of s"))


class Value:
    """What `y[key] = value` assigns: a Python scalar, or a tensor of `shape` and `dtype`."""

    def __init__(self, kind: str, shape: tuple, dtype: str, seed: int) -> None:
        self.kind, self.shape, self.dtype = kind, shape, dtype
        self.array = np.random.default_rng(seed).standard_normal(shape).astype(dtype)

    def build(self, module, differentiable: bool = True):
        if self.kind == "tensor":
            grad = differentiable and self.dtype.startswith("float")
            return module.tensor(self.array, requires_grad=grad)
        return {"float": -2.5, "int": 7, "bool": True}[self.kind]

    def __repr__(self) -> str:
        if self.kind == "tensor":
            return f"a {self.dtype} tensor of shape {self.shape}"
        return repr(self.build(None))


@st.composite
def values(draw, indexed: tuple) -> Value:
    kind = draw(st.sampled_from(("tensor",) * 5 + ("float", "int", "bool")))
    shape = _broadcast_part(draw, indexed)
    if draw(st.integers(0, 7)) == 0:
        shape = (1,) + shape  # leading 1-dims past the indexed shape are dropped
    dtype = draw(st.sampled_from(("float64",) * 4 + ("float32", "int64")))
    return Value(kind, shape, dtype, draw(st.integers(0, 2**32 - 1)))


def _setitem(module, case: Case, value: Value, target: str, operator: str, arrays: list):
    """y[key] = v, or y[key] += v (y[key] *= v): Python reads y[key], updates that in place
    (a view or a copy) and assigns it back."""
    x, y = _target(module, target, arrays[0])
    # A value into an integer target gets no gradient (torch then says an empty write through
    # an advanced index makes the integer target require grad).
    v = value.build(module, arrays[0].dtype.kind == "f")
    key = case.key.build(module)
    if operator == "=":
        y[key] = v
    elif operator == "+=":
        y[key] += v
    else:
        y[key] *= v
    if y.requires_grad:
        (y * module.tensor(arrays[1])).sum().backward()
    return _numpy(y), _numpy(x.grad), _numpy(getattr(v, "grad", None))


@_settings(400)
@given(data=st.data())
def test_setitem_matches_torch(torch, data):
    case = data.draw(cases())
    positions = torch.arange(math.prod(case.shape)).reshape(case.shape)[case.key.build(torch)]
    value = data.draw(values(tuple(positions.shape)))
    # Writing different values twice to one element leaves torch's result undefined; one
    # value written to repeated positions is well defined.
    assume(math.prod(value.shape) == 1 or positions.unique().numel() == positions.numel())
    dtype = data.draw(st.sampled_from(("float64",) * 5 + ("float32", "int64")))
    target = data.draw(TARGETS)
    operator = data.draw(st.sampled_from(("=", "=", "+=", "*=")))
    if dtype == "int64" or len(value.shape) > positions.ndim:
        # In place, an integer refuses a float and y[key] keeps its shape, as torch says.
        operator = "="
    rng = np.random.default_rng(case.seed)
    arrays = [rng.standard_normal(case.shape).astype(dtype) for _ in range(2)]
    try:
        theirs = _setitem(torch, case, value, target, operator, arrays)
    except RuntimeError as error:
        # torch's index_put_ refuses a value of another dtype, and assignment a byte mask
        # (README: ndgrad casts the value, and takes the mask as in reading).
        assume("dtypes match" not in str(error) and "boolean masks" not in str(error))
        raise
    # A gradient is summed and cast (torch casts first): float32 rounding shows in float64.
    tolerance = TOLERANCES["float32"] if "float32" in (dtype, value.dtype) else None
    _compare(_setitem(ndgrad, case, value, target, operator, arrays), theirs,
             ("y", "gradient of x", "gradient of value"), tolerance)


def _setitem_second_derivative(module, case: Case, arrays: list):
    """y = x**2 with y[key] = v**2: the gradients of sum(y * w) with their graph, and the
    gradients of their weighted sum."""
    x, v, w, u, t = (module.tensor(a, requires_grad=i < 2) for i, a in enumerate(arrays))
    y = x ** 2
    y[case.key.build(module)] = v ** 2
    # A bare False writes nothing: v is then unused.
    grads = module.autograd.grad((y * w).sum(), (x, v), create_graph=True, allow_unused=True)
    sum((g * weight).sum() for g, weight in zip(grads, (u, t)) if g is not None).backward()
    return (*(_numpy(g) for g in grads), _numpy(x.grad), _numpy(v.grad))


@_settings(150)
@given(data=st.data())
def test_second_derivative_of_setitem_matches_torch(torch, data):
    case = data.draw(cases())
    assume(not any(form == "uint8" for _, _, form in case.key.parts))  # torch refuses them
    positions = torch.arange(math.prod(case.shape)).reshape(case.shape)[case.key.build(torch)]
    value_shape = _broadcast_part(data.draw, tuple(positions.shape))
    assume(math.prod(value_shape) == 1 or positions.unique().numel() == positions.numel())
    rng = np.random.default_rng(case.seed)
    shapes = (case.shape, value_shape, case.shape, case.shape, value_shape)
    arrays = [rng.standard_normal(s) for s in shapes]
    _compare(_setitem_second_derivative(ndgrad, case, arrays),
             _setitem_second_derivative(torch, case, arrays),
             ("gradient of x", "gradient of v", "second derivative of x", "second of v"))
