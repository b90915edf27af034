"""Property tests: unary ops and activations over every dtype type, compute and differentiate as
torch's do.

Hypothesis draws an op from the table, a tensor of any of the nine dtypes and of 0-3 dims
(sizes 0 and 1 included), with values in the op's domain and many exact zeros and small
integers, so kinks (abs, relu, clamp at 0) and ties are hit. The result's dtype (integers
promoted to float by exp, kept by abs, ...), shape and values must match torch's; where torch
raises (no bool kernel, integer input to an activation), ndgrad must raise the same exception
class; float results are differentiated.
"""
from __future__ import annotations

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
    dtype_name,
    forward_on_both,
    property_settings,
    sample,
    shapes,
)


@dataclass(frozen=True)
class Unary:
    """`getattr(module, name)` (or of `module.nn.functional` when `functional`) applied to the
    input with `kwargs`, on values from `domain`."""

    name: str
    domain: str = "any"
    functional: bool = False
    kwargs: tuple = ()
    # torch computes hardsigmoid's gradient with a float32 1/6, also for float64 inputs.
    grad_precision: str | None = None

    def __call__(self, module, x):
        namespace = module.nn.functional if self.functional else module
        return getattr(namespace, self.name)(x, **dict(self.kwargs))

    def __repr__(self) -> str:
        return self.name + (f"{dict(self.kwargs)}" if self.kwargs else "")


UNARY_OPS = [Unary(name) for name in (
    "abs", "neg", "exp", "exp2", "expm1", "sin", "cos", "tan", "tanh", "sigmoid", "atan", "sinh",
    "cosh", "erf", "sign", "floor", "ceil", "round", "trunc", "frac", "square", "relu",
    "logical_not", "bitwise_not", "isnan", "isfinite", "clone")]
UNARY_OPS += [Unary(name, "positive") for name in (
    "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "asin", "acos")]
UNARY_OPS += [Unary("reciprocal", "nonzero"), Unary("round", kwargs=(("decimals", 1),)),
              Unary("clamp", kwargs=(("min", -1.5), ("max", 2))),
              Unary("clamp", kwargs=(("min", 0),)),
              Unary("pow", kwargs=(("exponent", 2),))]
UNARY_OPS += [Unary(name, functional=True) for name in (
    "relu", "relu6", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign",
    "leaky_relu", "hardtanh", "tanhshrink", "logsigmoid", "hardshrink", "softshrink")]
UNARY_OPS += [Unary(name, functional=True, grad_precision="float32")
              for name in ("hardsigmoid", "hardswish")]
UNARY_OPS += [Unary("softmax", functional=True, kwargs=(("dim", -1),)),
              Unary("log_softmax", functional=True, kwargs=(("dim", 0),)),
              Unary("gelu", functional=True, kwargs=(("approximate", "tanh"),)),
              Unary("leaky_relu", functional=True, kwargs=(("negative_slope", 0.2),)),
              Unary("threshold", functional=True, kwargs=(("threshold", 0.5), ("value", -1.0)))]


class Case:
    """`op(x)` for x of `dtype` and `shape`, values and the upstream gradient from `seed`."""

    def __init__(self, op: Unary, dtype: str, shape: tuple, seed: int) -> None:
        self.op, self.dtype, self.shape, self.seed = op, dtype, shape, seed

    def forward(self, module):
        values = sample(np.random.default_rng(self.seed), self.dtype, self.shape, self.op.domain)
        x = module.tensor(values, dtype=getattr(module, self.dtype))
        x.requires_grad_(self.dtype in FLOAT_DTYPES)
        return self.op(module, x), x

    def __repr__(self) -> str:
        return f"{self.op!r}(<{self.dtype} {self.shape}>), seed {self.seed}"


@st.composite
def cases(draw):
    op = draw(st.sampled_from(UNARY_OPS))
    # Floats (differentiated) half the time.
    dtype = draw(st.sampled_from(DTYPES + ("float32", "float64") * 3))
    return Case(op, dtype, draw(shapes(max_dims=3)), draw(st.integers(0, 2**31)))


@property_settings(1500)
@given(case=cases())
def test_unary_op_matches_torch(torch, case):
    if case.op.name.endswith("softmax") and case.dtype not in FLOAT_DTYPES \
            and 0 in case.shape:
        return  # torch skips its dtype check for an empty input
    results = forward_on_both(torch, case.forward)
    if results is None:
        return
    (result_ours, x_ours), (result_theirs, x_theirs) = results
    assert_same_tensor(result_ours, result_theirs, "result")
    assert result_ours.requires_grad == result_theirs.requires_grad, "requires_grad"
    if result_theirs.requires_grad:
        upstream = np.random.default_rng(case.seed + 1).standard_normal(
            tuple(result_theirs.shape)).astype(dtype_name(result_theirs.dtype))
        result_ours.backward(ndgrad.tensor(upstream))
        result_theirs.backward(torch.tensor(upstream))
        precision = case.op.grad_precision if case.dtype == "float64" else None
        assert_same_grads([x_ours], [x_theirs], "backward", precision)
