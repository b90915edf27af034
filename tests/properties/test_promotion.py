"""Property tests: binary ops over every pair of dtypes and Python scalar kinds promote, compute
and differentiate as torch's do.

Hypothesis draws an op from the table, two operands (each a tensor of any of the nine dtypes, or
a Python bool, int or float where the op takes one), and broadcast-compatible shapes with 0-d,
size-0 and size-1 dims, 0-d tensors against dimensioned ones. Values stay where the result is
defined: small integers (no overflow), nonzero divisors, positive bases for pow. Result dtype,
shape and values must match torch's; where torch raises, ndgrad must raise the same exception
class; float results are differentiated for every float tensor operand.
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import ndgrad
from tests.properties._strategies import (
    DTYPES,
    FLOAT_DTYPES,
    assert_same_grads,
    assert_same_tensor,
    broadcast_shapes,
    dtype_name,
    forward_on_both,
    property_settings,
    sample,
    scalar,
)


@dataclass(frozen=True)
class Binary:
    """One op: `fn(module, a, b)`; `domains` bound each operand's values, `scalars` says on
    which side a Python number may stand, `grad` whether float results are differentiated.
    An op with a `third` operand is `fn(module, a, b, c)`."""

    name: str
    fn: Callable
    domains: tuple = ("any", "any")
    scalars: tuple = (True, True)
    grad: bool = True
    third: bool = False  # a third operand (a tensor of any dtype, or a Python number)

    def __repr__(self) -> str:
        return self.name


TENSORS_ONLY = (False, False)
LEFT_TENSOR = (False, True)


def _in_place(name: str):
    """`a.clone() <op>= b`: computed in the promoted dtype, then cast back into a's (torch
    refuses a result dtype that a's cannot hold)."""
    return lambda m, a, b: getattr(operator, name)(a.clone(), b)

BINARY_OPS = [
    Binary("add", lambda m, a, b: a + b),
    Binary("sub", lambda m, a, b: a - b),
    Binary("mul", lambda m, a, b: a * b),
    Binary("truediv", lambda m, a, b: a / b, ("any", "nonzero")),
    Binary("floordiv", lambda m, a, b: a // b, ("any", "nonzero"), grad=False),
    Binary("mod", lambda m, a, b: a % b, ("any", "nonzero")),
    Binary("pow", lambda m, a, b: a ** b, ("positive", "exponent")),
    Binary("add_alpha", lambda m, a, b: m.add(a, b, alpha=2), scalars=LEFT_TENSOR),
    Binary("div_trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc"), ("any", "nonzero"),
           LEFT_TENSOR, grad=False),
    Binary("div_floor", lambda m, a, b: m.div(a, b, rounding_mode="floor"), ("any", "nonzero"),
           LEFT_TENSOR, grad=False),
    Binary("remainder", lambda m, a, b: m.remainder(a, b), ("any", "nonzero"), LEFT_TENSOR),
    Binary("fmod", lambda m, a, b: m.fmod(a, b), ("any", "nonzero"), LEFT_TENSOR),
    Binary("float_power", lambda m, a, b: m.float_power(a, b), ("positive", "exponent"),
           LEFT_TENSOR),
    Binary("atan2", lambda m, a, b: m.atan2(a, b), scalars=TENSORS_ONLY),
    Binary("maximum", lambda m, a, b: m.maximum(a, b), scalars=TENSORS_ONLY),
    Binary("minimum", lambda m, a, b: m.minimum(a, b), scalars=TENSORS_ONLY),
    Binary("where", lambda m, a, b, condition: m.where(condition, a, b)),
    Binary("eq", lambda m, a, b: a == b, grad=False),
    Binary("ne", lambda m, a, b: a != b, grad=False),
    Binary("lt", lambda m, a, b: a < b, grad=False),
    Binary("le", lambda m, a, b: a <= b, grad=False),
    Binary("gt", lambda m, a, b: a > b, grad=False),
    Binary("ge", lambda m, a, b: a >= b, grad=False),
    Binary("bitwise_and", lambda m, a, b: a & b, grad=False),
    Binary("bitwise_or", lambda m, a, b: a | b, grad=False),
    Binary("bitwise_xor", lambda m, a, b: a ^ b, grad=False),
    Binary("logical_and", lambda m, a, b: m.logical_and(a, b), scalars=TENSORS_ONLY, grad=False),
    Binary("logical_or", lambda m, a, b: m.logical_or(a, b), scalars=TENSORS_ONLY, grad=False),
    Binary("logical_xor", lambda m, a, b: m.logical_xor(a, b), scalars=TENSORS_ONLY, grad=False),
    Binary("clamp_min", lambda m, a, b: m.clamp(a, min=b), scalars=LEFT_TENSOR),
    Binary("clamp_max", lambda m, a, b: a.clamp(max=b), scalars=LEFT_TENSOR),
    Binary("iadd", _in_place("iadd"), scalars=LEFT_TENSOR),
    Binary("isub", _in_place("isub"), scalars=LEFT_TENSOR),
    Binary("imul", _in_place("imul"), scalars=LEFT_TENSOR),
    Binary("itruediv", _in_place("itruediv"), ("any", "nonzero"), LEFT_TENSOR),
    Binary("ifloordiv", _in_place("ifloordiv"), ("any", "nonzero"), LEFT_TENSOR, grad=False),
    Binary("imod", _in_place("imod"), ("any", "nonzero"), LEFT_TENSOR),
    Binary("ipow", _in_place("ipow"), ("positive", "exponent"), LEFT_TENSOR),
    Binary("iand", _in_place("iand"), scalars=LEFT_TENSOR, grad=False),
    Binary("ior", _in_place("ior"), scalars=LEFT_TENSOR, grad=False),
    Binary("ixor", _in_place("ixor"), scalars=LEFT_TENSOR, grad=False),
    # Tensor bounds only: torch refuses a tensor bound beside a number bound when a tensor
    # requires grad (and takes it otherwise); ndgrad always takes it.
    Binary("clamp_both", lambda m, a, b, c: m.clamp(a, b, c), scalars=TENSORS_ONLY, third=True),
    Binary("lerp", lambda m, a, b, c: m.lerp(a, b, c), scalars=TENSORS_ONLY, third=True),
]


class Operand:
    """A tensor of `dtype` and `shape`, or a Python number of `kind`, with fixed values."""

    def __init__(self, is_tensor: bool, kind: str, value) -> None:
        self.is_tensor = is_tensor
        self.kind = kind  # a dtype name for a tensor, else "bool", "int" or "float"
        self.value = value

    def build(self, module, requires_grad: bool):
        if not self.is_tensor:
            return self.value
        t = module.tensor(self.value.copy(), dtype=getattr(module, self.kind))
        return t.requires_grad_(requires_grad and self.kind in FLOAT_DTYPES)

    def __repr__(self) -> str:
        if self.is_tensor:
            return f"tensor({self.value.tolist()}, dtype={self.kind})"
        return repr(self.value)


class Case:
    """`op(left, right)`, or `op(left, right, third)`, with `condition` for where and the
    upstream gradient's seed."""

    def __init__(self, op: Binary, left: Operand, right: Operand, condition, seed: int,
                 third: Operand | None = None) -> None:
        self.op, self.left, self.right, self.third = op, left, right, third
        self.condition, self.seed = condition, seed

    @property
    def operands(self) -> list:
        return [o for o in (self.left, self.right, self.third) if o is not None]

    def forward(self, module):
        """The result and the operands that require grad."""
        operands = [o.build(module, self.op.grad) for o in self.operands]
        extra = {}
        if self.op.name == "where":
            extra["condition"] = module.tensor(self.condition.copy())
        result = self.op.fn(module, *operands, **extra)
        return result, [x for x in operands if getattr(x, "requires_grad", False)]

    def backward(self, module, result) -> None:
        upstream = np.random.default_rng(self.seed).standard_normal(tuple(result.shape))
        result.backward(module.tensor(upstream.astype(dtype_name(result.dtype))))

    def __repr__(self) -> str:
        condition = "" if self.condition is None else f", condition={self.condition.tolist()}"
        operands = ", ".join(map(repr, self.operands))
        return f"{self.op.name}({operands}{condition})"


@st.composite
def cases(draw):
    op = draw(st.sampled_from(BINARY_OPS))
    tensor_kinds = [draw(st.sampled_from(DTYPES)) for _ in range(2)]
    # Each side a Python scalar one time in four where the op takes one, never both.
    as_scalar = [allowed and draw(st.integers(0, 3)) == 0 for allowed in op.scalars]
    if all(as_scalar):
        as_scalar[draw(st.integers(0, 1))] = False
    scalar_kinds = [draw(st.sampled_from(("bool", "int", "float"))) for _ in range(2)]
    shapes = list(draw(broadcast_shapes(3)))
    for i in range(2):  # 0-d against dimensioned tensors one time in three per side
        if draw(st.integers(0, 2)) == 0:
            shapes[i] = ()
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    operands = []
    for side in range(2):
        domain = op.domains[side]
        if scalar_kinds[side] == "int" and tensor_kinds[1 - side] == "uint8":
            # A negative Python int is out of uint8's range: ndgrad raises NumPy's
            # OverflowError where torch wraps it around (README, deviations).
            domain = "positive"
        if as_scalar[side]:
            operands.append(Operand(False, scalar_kinds[side],
                                    scalar(rng, scalar_kinds[side], domain)))
        else:
            operands.append(Operand(True, tensor_kinds[side],
                                    sample(rng, tensor_kinds[side], shapes[side], domain)))
    condition = third = None
    if op.name == "where":
        condition = rng.random(shapes[2]) < 0.5
    if op.third:
        if draw(st.booleans()) or op.name == "clamp_both":  # a tensor
            kind = draw(st.sampled_from(DTYPES))
            third = Operand(True, kind, sample(rng, kind, shapes[2]))
        else:
            kind = draw(st.sampled_from(("bool", "int", "float")))
            third = Operand(False, kind, scalar(rng, kind))
    return Case(op, *operands, condition, int(rng.integers(2**31)), third)


@property_settings(2500)
@given(case=cases())
def test_binary_op_promotes_computes_and_differentiates_as_torch(torch, case):
    results = forward_on_both(torch, case.forward)
    if results is None:
        return
    (result_ours, leaves_ours), (result_theirs, leaves_theirs) = results
    assert_same_tensor(result_ours, result_theirs, "result")
    assert result_ours.requires_grad == result_theirs.requires_grad, "requires_grad"
    if not result_theirs.requires_grad:
        return
    try:
        case.backward(torch, result_theirs)
    except RuntimeError:
        # torch cannot differentiate some mixes: remainder(Python number, tensor) has no
        # derivative, atan2's backward negates a bool operand. ndgrad's gradient there is
        # checked by the cases torch can do.
        return
    if case.op.name == "atan2" and "uint8" in (case.left.kind, case.right.kind):
        return  # torch's atan2 backward negates the uint8 operand in uint8, wrapping it
    case.backward(ndgrad, result_ours)
    assert_same_grads(leaves_ours, leaves_theirs, "backward", _lowest_precision(case))


def _lowest_precision(case: Case) -> str:
    """The least precise float dtype among the tensor operands: torch computes some mixed
    gradients in it (atan2's denominator in float16 for a float16 operand)."""
    kinds = [o.kind for o in case.operands if o.is_tensor and o.kind in FLOAT_DTYPES]
    return min(kinds, key=FLOAT_DTYPES.index, default="float64")
