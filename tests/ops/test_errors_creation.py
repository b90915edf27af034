"""Factories (tensor, zeros, full, arange, rand*, randperm, *_like) given bad sizes, steps or
inputs raise PyTorch's exception with a clear message."""
from __future__ import annotations

import pytest

from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake

NEGATIVE = "Trying to create tensor with negative dimension {}: \\[{}\\]"


def _x(m):
    return (m.ones(2, 3),)


MISTAKES = [
    Mistake("tensor_ragged", lambda m: m.tensor([[1, 2], [3]]), ValueError,
            "expected sequence of length 2 at dim 1 \\(got 1\\)"),
    Mistake("ones_negative", lambda m: m.ones(2, -3), RuntimeError, NEGATIVE.format(-3, "2, -3")),
    Mistake("full_negative", lambda m: m.full((-1,), 1.0), RuntimeError,
            NEGATIVE.format(-1, "-1")),
    Mistake("rand_negative", lambda m: m.rand(-1), RuntimeError, NEGATIVE.format(-1, "-1")),
    Mistake("randn_negative", lambda m: m.randn(2, -1), RuntimeError,
            NEGATIVE.format(-1, "2, -1")),
    Mistake("randint_negative", lambda m: m.randint(0, 5, (-1,)), RuntimeError,
            NEGATIVE.format(-1, "-1")),
    Mistake("randperm_negative", lambda m: m.randperm(-1), RuntimeError,
            NEGATIVE.format(-1, "-1")),
    Mistake("randperm_float", lambda m: m.randperm(2.5), TypeError,
            "randperm\\(\\): argument 'n' \\(position 1\\) must be int, not float"),
    Mistake("zeros_float_size", lambda m: m.zeros(2.5), TypeError,
            "size must be a sequence of ints, but got float"),
    Mistake("full_tensor_fill", lambda m, x: m.full((2,), x), TypeError,
            "full\\(\\): argument 'fill_value' \\(position 2\\) must be Number, not a Tensor of "
            "shape \\[2, 3\\]", inputs=_x),
    Mistake("eye_str", lambda m: m.eye("3"), TypeError,
            "eye\\(\\): argument 'n' \\(position 1\\) must be int, not str"),
    Mistake("arange_zero_step", lambda m: m.arange(0, 5, 0), RuntimeError,
            "step must be nonzero"),
    Mistake("arange_wrong_sign", lambda m: m.arange(0, 5, -1), RuntimeError,
            "upper bound and lower bound inconsistent with step sign"),
    Mistake("linspace_negative_steps", lambda m: m.linspace(0, 1, -1), RuntimeError,
            "number of steps must be non-negative"),
    Mistake("eye_negative", lambda m: m.eye(-1), RuntimeError,
            "n must be greater or equal to 0, got -1"),
    Mistake("randint_empty_range", lambda m: m.randint(5, 2, (3,)), RuntimeError,
            "random_ expects 'from' to be less than 'to', but got from=5 >= to=2"),
    Mistake("normal_negative_std", lambda m: m.normal(0.0, -1.0, size=(2,)), RuntimeError,
            "normal expects std >= 0.0"),
    Mistake("full_str_fill", lambda m: m.full((2,), "a"), TypeError,
            "full\\(\\): argument 'fill_value' \\(position 2\\) must be Number, not str"),
    Mistake("normal_shapes", lambda m: m.normal(m.zeros(2), m.ones(3)), RuntimeError,
            "normal: mean of shape \\[2\\] and std of shape \\[3\\] do not broadcast"),
    Mistake("zeros_like_list", lambda m: m.zeros_like([1.0]), TypeError,
            "zeros_like\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"),
    Mistake("rand_like_list", lambda m: m.rand_like([1.0]), TypeError,
            "rand_like\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"),
    Mistake("linspace_str_end", lambda m: m.linspace(0, "a", 3), TypeError,
            "linspace\\(\\): argument 'end' \\(position 2\\) must be Number, not str"),
    Mistake("arange_list_start", lambda m: m.arange([1]), TypeError,
            "arange\\(\\): argument 'start' \\(position 1\\) must be Number, not list"),
    Mistake("randint_int_size", lambda m: m.randint(0, 5, 3), TypeError,
            "randint\\(\\): argument 'size' must be tuple of ints, not int"),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
