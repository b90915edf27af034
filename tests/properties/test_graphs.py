"""Property tests: random expression graphs give torch's values and gradients.

Hypothesis draws 2-3 float64 inputs of mutually broadcastable shapes (scalars and size-1 dims
included) and a program of 3-8 steps, each an op from a table applied to earlier values, so
values are reused freely; some steps work in place on a clone. The same program runs on ndgrad
and on torch; every value no later step consumes goes into the loss (a weighted sum), so each
input gets a gradient. Gradients are compared after one backward, after several accumulating
in .grad (retain_graph, a second forward pass, retain_grad on an intermediate), and to second
order.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import ndgrad
from tests.properties._strategies import property_settings

TOLERANCE = {"rtol": 1e-6, "atol": 1e-8}


def _no_params(draw, *shapes):
    return {}


def _reduce_dim(draw, shape):
    if not shape:
        return None
    return {"dim": draw(st.integers(-len(shape), len(shape) - 1)), "keepdim": draw(st.booleans())}


def _swap_dims(draw, shape):
    if len(shape) < 2:
        return None
    dim0, dim1 = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=2, max_size=2,
                               unique_by=lambda d: d % len(shape)))
    return {"dim0": dim0, "dim1": dim1}


def _into_first(draw, shape, other):
    """In place into a clone of the first operand: the second must broadcast to its shape."""
    return {} if np.broadcast_shapes(shape, other) == shape else None


def _in_place(method: str, scale=None):
    """`a.clone().<method>(b)`, or through an unsqueezed view of the clone when `view`; the
    clone is then returned, so the graph continues from the modified tensor."""
    def fn(m, a, b, view=False):
        c = a.clone()
        target, operand = (c.unsqueeze(0), b.unsqueeze(0)) if view else (c, b)
        operand = operand if scale is None else scale(operand)
        getattr(target, method)(operand)
        return c
    return fn


def _new_shape(draw, shape):
    candidates = [(-1,), tuple(reversed(shape)), shape + (1,), (1,) + shape,
                  tuple(s for s in shape if s != 1)]
    if len(shape) >= 2:
        candidates.append(shape[:-2] + (-1,))
    return {"shape": draw(st.sampled_from(candidates))}


@dataclass(frozen=True)
class Op:
    """One row of the op table: `fn(module, *tensors, **params)`, written once for both APIs.

    `params(draw, *operand_shapes)` draws the op's parameters, or returns None where the op
    does not apply to operands of those shapes.
    """

    name: str
    arity: int
    fn: Callable
    params: Callable = _no_params

    def __repr__(self) -> str:
        return self.name


OPS = [
    Op("add", 2, lambda m, a, b: a + b),
    Op("sub", 2, lambda m, a, b: m.sub(a, b)),
    Op("mul", 2, lambda m, a, b: a * b),
    Op("div", 2, lambda m, a, b: a / (1 + b * b)),
    Op("maximum", 2, lambda m, a, b: m.maximum(a, b)),
    Op("where", 2, lambda m, a, b: m.where(a > b, a, b)),
    Op("affine", 1, lambda m, a: 1.5 - 0.5 * a),  # reflected operators with Python scalars
    Op("tanh", 1, lambda m, a: a.tanh()),
    Op("sigmoid", 1, lambda m, a: m.sigmoid(a)),
    Op("exp_tanh", 1, lambda m, a: m.exp(m.tanh(a))),
    Op("sin", 1, lambda m, a: m.sin(a)),
    Op("square", 1, lambda m, a: a.square()),
    Op("sum", 1, lambda m, a, dim, keepdim: a.sum(dim, keepdim=keepdim), _reduce_dim),
    Op("mean", 1, lambda m, a: a.mean()),
    Op("mean_dim", 1, lambda m, a, dim, keepdim: m.mean(a, dim, keepdim=keepdim), _reduce_dim),
    Op("transpose", 1, lambda m, a, dim0, dim1: a.transpose(dim0, dim1), _swap_dims),
    Op("reshape", 1, lambda m, a, shape: a.reshape(shape), _new_shape),
    Op("add_", 2, _in_place("add_"), _into_first),
    Op("sub_", 2, _in_place("sub_"), _into_first),
    Op("mul_", 2, _in_place("mul_"), _into_first),
    Op("div_", 2, _in_place("div_", lambda b: 1 + b * b), _into_first),
    Op("copy_", 2, _in_place("copy_"), _into_first),
    Op("mul_view", 2, lambda m, a, b: _in_place("mul_")(m, a, b, view=True), _into_first),
    Op("clamp_", 1, lambda m, a: a.clone().clamp_(-1.0, 1.0)),
    Op("tanh_", 1, lambda m, a: a.clone().tanh_()),
    Op("relu", 1, lambda m, a: m.relu(a)),  # kinks at the drawn zeros
    Op("abs", 1, lambda m, a: a.abs()),
    Op("clamp", 1, lambda m, a: m.clamp(a, min=-1.0, max=1.0)),  # ties at the bounds
    Op("amax", 1, lambda m, a, dim, keepdim: a.amax(dim, keepdim), _reduce_dim),  # ties share
    Op("max_dim", 1, lambda m, a, dim, keepdim: a.max(dim, keepdim)[0], _reduce_dim),
    Op("cumsum", 1, lambda m, a, dim, keepdim: a.cumsum(dim), _reduce_dim),
    Op("logsumexp", 1, lambda m, a, dim, keepdim: m.logsumexp(a, dim, keepdim), _reduce_dim),
    Op("softmax", 1, lambda m, a, dim, keepdim: m.softmax(a, dim), _reduce_dim),
    Op("flip_t", 1, lambda m, a: a.flip(0).t() if a.ndim <= 2 else a.flip(-1),
       lambda draw, shape: {} if shape else None),
    Op("expand", 1, lambda m, a: a.unsqueeze(0).expand(2, *a.shape)),
]

# Second derivatives: the smooth ops, plus the shape-only ones that route gradients.
SECOND_ORDER_OPS = [op for op in OPS if op.name in {
    "add", "mul", "div", "tanh", "sigmoid", "exp_tanh", "sin", "square", "sum", "mean",
    "transpose", "add_", "mul_", "mul_view", "logsumexp", "softmax", "cumsum", "expand"}]


@dataclass(frozen=True)
class Step:
    """Value number `len(inputs) + k` is `op` applied to the values numbered `args`."""

    op: Op
    args: tuple
    params: dict

    def __repr__(self) -> str:
        operands = ", ".join(f"v{i}" for i in self.args)
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"{self.op.name}({operands}{extra})"


class Program:
    """Inputs of `shapes` drawn from `seed`, then `steps`; the loss sums every unused value.

    A plain class, not a dataclass, so that Hypothesis reports it with `__repr__`.
    """

    def __init__(self, shapes: tuple, seed: int, steps: tuple) -> None:
        self.shapes = shapes
        self.seed = seed
        self.steps = steps

    def arrays(self) -> list:
        """Uniform values in [-2, 2], half of them replaced by -1, 0 or 1.

        The repeated values make exact ties across inputs possible, exercising the tie rules
        of maximum (the gradient is split evenly) and where(a > b, ...) (b gets it).
        """
        rng = np.random.default_rng(self.seed)
        arrays = []
        for shape in self.shapes:
            values = rng.uniform(-2.0, 2.0, size=shape)
            tied = rng.random(size=shape) < 0.5
            arrays.append(np.where(tied, rng.integers(-1, 2, size=shape), values))
        return arrays

    def sinks(self) -> list:
        used = {i for step in self.steps for i in step.args}
        return [i for i in range(len(self.shapes) + len(self.steps)) if i not in used]

    def values(self, module, inputs: list) -> list:
        """Every value of the program, in order, using `module`'s ops."""
        values = list(inputs)
        for step in self.steps:
            values.append(step.op.fn(module, *(values[i] for i in step.args), **step.params))
        return values

    def run(self, module, inputs: list):
        """Every value of the program and the loss."""
        values = self.values(module, inputs)
        # A weighted sum: each element gets its own upstream gradient, and no two leaves get
        # views of one gradient buffer (torch would then accumulate a 0-d leaf's .grad into
        # another's in a second backward).
        rng = np.random.default_rng(self.seed + 3)
        loss = 0
        for i in self.sinks():
            weights = module.tensor(rng.standard_normal(tuple(values[i].shape)))
            loss = loss + (values[i] * weights).sum()
        return values, loss

    def __repr__(self) -> str:
        lines = [f"v{i}: input of shape {shape}" for i, shape in enumerate(self.shapes)]
        lines += [f"v{len(self.shapes) + k} = {step!r}" for k, step in enumerate(self.steps)]
        sinks = ", ".join(f"v{i}" for i in self.sinks())
        lines.append(f"loss = weighted sum of {sinks}; seed {self.seed}")
        return "\n".join(lines)


def _broadcasts(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


@st.composite
def programs(draw, torch, ops: list, min_steps: int = 3, max_steps: int = 8) -> Program:
    """A random program over `ops`; shapes are tracked by running it on torch meta tensors."""
    count = draw(st.integers(2, 3))
    shapes = draw(mutually_broadcastable_shapes(num_shapes=count, min_dims=0, max_dims=3,
                                                max_side=4)).input_shapes
    meta = [torch.empty(shape, dtype=torch.float64, device="meta") for shape in shapes]
    steps = []
    n_steps = draw(st.integers(min_steps, max_steps))
    while len(steps) < n_steps:
        op = draw(st.sampled_from(ops))
        first = draw(st.integers(0, len(meta) - 1))
        args = (first,)
        if op.arity == 2:
            partners = [j for j in range(len(meta))
                        if _broadcasts(tuple(meta[first].shape), tuple(meta[j].shape))]
            args += (draw(st.sampled_from(partners)),)
        params = op.params(draw, *(tuple(meta[i].shape) for i in args))
        if params is None:
            continue
        steps.append(Step(op, args, params))
        meta.append(op.fn(torch, *(meta[i] for i in args), **params))
    return Program(tuple(shapes), draw(st.integers(0, 2**32 - 1)), tuple(steps))


def _leaves(module, arrays: list) -> list:
    return [module.tensor(a.copy(), requires_grad=True) for a in arrays]


def _numpy(t) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _first_order(module, program: Program):
    inputs = _leaves(module, program.arrays())
    values, loss = program.run(module, inputs)
    loss.backward()
    return [_numpy(v) for v in values], [_numpy(x.grad) for x in inputs]


@property_settings(300)
@given(data=st.data())
def test_random_graph_matches_torch(torch, data):
    program = data.draw(programs(torch, OPS))
    values_ours, grads_ours = _first_order(ndgrad, program)
    values_theirs, grads_theirs = _first_order(torch, program)
    for i, (ours, theirs) in enumerate(zip(values_ours, values_theirs)):
        assert ours.shape == theirs.shape, f"shape of v{i}"
        np.testing.assert_allclose(ours, theirs, err_msg=f"value of v{i}", **TOLERANCE)
    for i, (ours, theirs) in enumerate(zip(grads_ours, grads_theirs)):
        np.testing.assert_allclose(ours, theirs, err_msg=f"gradient of v{i}", **TOLERANCE)


def _retained_and_accumulated(module, program: Program, pick: int, weights: np.ndarray):
    """The inputs' .grad after three backward calls accumulate in it: the loss with
    retain_graph=True, a weighted sum of value `pick` through the same graph, and the loss of a
    second forward pass; and value `pick`'s own .grad, kept by retain_grad()."""
    inputs = _leaves(module, program.arrays())
    values, loss = program.run(module, inputs)
    kept = values[pick]
    kept.retain_grad()
    loss.backward(retain_graph=True)
    (kept * module.tensor(weights)).sum().backward()
    program.run(module, inputs)[1].backward()
    # ndgrad's reshape to the same shape returns its input (README, deviations): then value
    # `pick` is an earlier value too, whose .grad also has what reached that value directly.
    aliased = any(value is kept for value in values[:pick])
    return [_numpy(x.grad) for x in inputs], None if aliased else _numpy(kept.grad)


@property_settings(200)
@given(data=st.data())
def test_random_graph_retained_and_accumulated_gradients_match_torch(torch, data):
    program = data.draw(programs(torch, OPS, max_steps=6))
    pick = data.draw(st.integers(0, len(program.shapes) + len(program.steps) - 1))
    meta = [torch.empty(shape, dtype=torch.float64, device="meta") for shape in program.shapes]
    shape = tuple(program.values(torch, meta)[pick].shape)
    weights = np.random.default_rng(program.seed + 2).standard_normal(shape)
    grads_ours, kept_ours = _retained_and_accumulated(ndgrad, program, pick, weights)
    grads_theirs, kept_theirs = _retained_and_accumulated(torch, program, pick, weights)
    if kept_ours is not None:
        np.testing.assert_allclose(kept_ours, kept_theirs,
                                   err_msg=f"gradient kept on v{pick}", **TOLERANCE)
    for i, (ours, theirs) in enumerate(zip(grads_ours, grads_theirs)):
        np.testing.assert_allclose(ours, theirs, err_msg=f"accumulated gradient of v{i}",
                                   **TOLERANCE)


def _second_order(module, program: Program, directions: list):
    """The gradient, and the gradient of sum(gradient * direction), of the program's loss."""
    inputs = _leaves(module, program.arrays())
    _, loss = program.run(module, inputs)
    grads = module.autograd.grad(loss, inputs, create_graph=True)
    total = (grads[0] * module.tensor(directions[0])).sum()
    for g, v in zip(grads[1:], directions[1:]):
        total = total + (g * module.tensor(v)).sum()
    if not total.requires_grad:  # a program linear in every input
        return [_numpy(g) for g in grads], [np.zeros(shape) for shape in program.shapes]
    second = module.autograd.grad(total, inputs, allow_unused=True)
    return ([_numpy(g) for g in grads],
            [np.zeros(shape) if s is None else _numpy(s) for s, shape in zip(second,
                                                                              program.shapes)])


@property_settings(150)
@given(data=st.data())
def test_random_graph_second_derivative_matches_torch(torch, data):
    program = data.draw(programs(torch, SECOND_ORDER_OPS, max_steps=6))
    rng = np.random.default_rng(program.seed + 1)
    directions = [rng.standard_normal(shape) for shape in program.shapes]
    grads_ours, second_ours = _second_order(ndgrad, program, directions)
    grads_theirs, second_theirs = _second_order(torch, program, directions)
    for i, (ours, theirs) in enumerate(zip(grads_ours, grads_theirs)):
        np.testing.assert_allclose(ours, theirs, err_msg=f"gradient of v{i}", **TOLERANCE)
    for i, (ours, theirs) in enumerate(zip(second_ours, second_theirs)):
        np.testing.assert_allclose(ours, theirs, err_msg=f"second derivative of v{i}",
                                   **TOLERANCE)
