"""Property tests: matmul over random ranks multiplies, broadcasts and differentiates as torch's.

Hypothesis draws the ranks of both operands (1-4 each), the sizes m, k, n (0 and 1 included)
and broadcast-compatible batch dims, a dtype (the other operand's dtype differs one time in
eight) and a spelling: `@`, `matmul`, or `mm`/`bmm`/`mv`/`dot`/`inner`/`outer` where the ranks
fit. Result dtype, shape and values must match torch's; where torch raises (mixed dtypes, bool),
ndgrad must raise the same exception class; float results are differentiated for both operands.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

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
)

# name -> (fn, the ranks it takes); None takes any ranks.
SPELLINGS = {
    "@": (lambda m, a, b: a @ b, None),
    "matmul": (lambda m, a, b: m.matmul(a, b), None),
    "mm": (lambda m, a, b: m.mm(a, b), (2, 2)),
    "bmm": (lambda m, a, b: a.bmm(b), (3, 3)),
    "mv": (lambda m, a, b: m.mv(a, b), (2, 1)),
    "dot": (lambda m, a, b: a.dot(b), (1, 1)),
    "inner": (lambda m, a, b: m.inner(a, b), (1, 1)),
    "outer": (lambda m, a, b: m.outer(a, b), (1, 1)),
}


class Case:
    """`spelling(a, b)` for a and b of the given dtypes and shapes, values from `seed`."""

    def __init__(self, spelling: str, dtypes: tuple, shapes: tuple, seed: int) -> None:
        self.spelling, self.dtypes, self.shapes, self.seed = spelling, dtypes, shapes, seed

    def forward(self, module):
        rng = np.random.default_rng(self.seed)
        leaves = []
        for dtype, shape in zip(self.dtypes, self.shapes):
            # Integers in [-1, 1], so that no sum of products overflows int8.
            values = sample(rng, dtype, shape, "any" if dtype in FLOAT_DTYPES else "unit")
            t = module.tensor(values, dtype=getattr(module, dtype))
            leaves.append(t.requires_grad_(dtype in FLOAT_DTYPES))
        return SPELLINGS[self.spelling][0](module, *leaves), leaves

    def __repr__(self) -> str:
        operands = ", ".join(f"<{d} {s}>" for d, s in zip(self.dtypes, self.shapes))
        return f"{self.spelling}({operands}), seed {self.seed}"


def _shapes(draw, ranks: tuple) -> tuple:
    """Operand shapes of `ranks` whose matrix dims fit and whose batch dims broadcast."""
    m, k, n = (draw(st.sampled_from((0, 1, 2, 3, 3, 4))) for _ in range(3))
    batch_ranks = [max(r - 2, 0) for r in ranks]
    batches = draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=max(batch_ranks),
                                                 max_dims=max(batch_ranks), min_side=0,
                                                 max_side=3)).input_shapes
    if ranks == (3, 3) and draw(st.booleans()):
        batches = (batches[0], batches[0])  # bmm needs equal batches; broadcast ones are refused
    a = batches[0][len(batches[0]) - batch_ranks[0]:] + ((m, k) if ranks[0] > 1 else (k,))
    b = batches[1][len(batches[1]) - batch_ranks[1]:] + ((k, n) if ranks[1] > 1 else (k,))
    if draw(st.integers(0, 9)) == 0:  # sizes that do not fit: torch's error
        b = b[:-2] + (k + 1,) + b[-1:] if ranks[1] > 1 else (k + 1,)
    return a, b


@st.composite
def cases(draw):
    spelling = draw(st.sampled_from(tuple(SPELLINGS) + ("@", "matmul") * 3))
    ranks = SPELLINGS[spelling][1] or (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    # Floats (differentiated) most of the time; both operands of one dtype seven times in eight.
    dtype = draw(st.sampled_from(DTYPES + ("float32", "float64") * 4))
    other = draw(st.sampled_from(DTYPES)) if draw(st.integers(0, 7)) == 0 else dtype
    return Case(spelling, (dtype, other), _shapes(draw, ranks), draw(st.integers(0, 2**31)))


@property_settings(800)
@given(case=cases())
def test_matmul_matches_torch(torch, case):
    if _empty_with_mixed_dtypes(case):
        return  # torch skips its dtype check when an operand has no elements
    results = forward_on_both(torch, case.forward)
    if results is None:
        return
    (result_ours, leaves_ours), (result_theirs, leaves_theirs) = results
    assert_same_tensor(result_ours, result_theirs, "result")
    if result_theirs.requires_grad:
        upstream = np.random.default_rng(case.seed + 1).standard_normal(
            tuple(result_theirs.shape)).astype(dtype_name(result_theirs.dtype))
        result_ours.backward(ndgrad.tensor(upstream))
        result_theirs.backward(torch.tensor(upstream))
        assert_same_grads(leaves_ours, leaves_theirs, "backward")


def _empty_with_mixed_dtypes(case: Case) -> bool:
    return case.dtypes[0] != case.dtypes[1] and 0 in case.shapes[0] + case.shapes[1]
