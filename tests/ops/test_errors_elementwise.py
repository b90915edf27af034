"""Elementwise ops given what is not a tensor (or not a number where one may stand) raise
PyTorch's TypeError naming the op and the argument, and change nothing."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake


def must_be_tensor(op: str, got: str, name: str = "input", position: int = 1) -> str:
    return f"{op}\\(\\): argument '{name}' \\(position {position}\\) must be Tensor, not {got}"


def must_be_operand(op: str, got: str, name: str = "other", position: int = 2) -> str:
    return (f"{op}\\(\\): argument '{name}' \\(position {position}\\) must be Tensor or a "
            f"number, not {got}")


def _x(m):
    return (m.tensor([1.0, 2.0]),)


MISTAKES = [
    # ---- unary ops take tensors only
    Mistake("exp_list", lambda m: m.exp([1.0]), TypeError, must_be_tensor("exp", "list")),
    Mistake("exp_float", lambda m: m.exp(1.0), TypeError, must_be_tensor("exp", "float")),
    Mistake("log_int_list", lambda m: m.log([1, 2]), TypeError, must_be_tensor("log", "list")),
    Mistake("sigmoid_ndarray", lambda m: m.sigmoid(np.ones(2)), TypeError,
            must_be_tensor("sigmoid", "numpy.ndarray")),
    Mistake("relu_list", lambda m: m.relu([1.0, -1.0]), TypeError,
            must_be_tensor("relu", "list")),
    Mistake("abs_str", lambda m: m.abs("a"), TypeError, must_be_tensor("abs", "str")),
    Mistake("sqrt_none", lambda m: m.sqrt(None), TypeError, must_be_tensor("sqrt", "NoneType")),
    Mistake("floor_list", lambda m: m.floor([1.5]), TypeError, must_be_tensor("floor", "list")),
    Mistake("isnan_list", lambda m: m.isnan([1.0]), TypeError, must_be_tensor("isnan", "list")),
    Mistake("logical_not_list", lambda m: m.logical_not([True]), TypeError,
            must_be_tensor("logical_not", "list")),
    # ---- binary ops take tensors and numbers
    Mistake("add_lists", lambda m: m.add([1.0], [2.0]), TypeError,
            must_be_operand("add", "list", "input", 1)),
    Mistake("add_none", lambda m, x: x + None, TypeError, must_be_operand("add", "NoneType"),
            inputs=_x),
    Mistake("mul_list", lambda m, x: x * [1.0, 2.0], TypeError, must_be_operand("mul", "list"),
            inputs=_x),
    Mistake("pow_list", lambda m, x: x ** [2.0], TypeError, must_be_operand("pow", "list"),
            inputs=_x),
    Mistake("div_str", lambda m, x: m.div(x, "2"), TypeError, must_be_operand("div", "str"),
            inputs=_x),
    Mistake("sub_list", lambda m, x: x - [1.0, 2.0], TypeError, must_be_operand("sub", "list"),
            inputs=_x),
    Mistake("truediv_list", lambda m, x: x / [1.0, 2.0], TypeError,
            must_be_operand("div", "list"), inputs=_x),
    Mistake("eq_list", lambda m, x: m.eq([1.0, 2.0], x), TypeError,
            must_be_operand("equal", "list", "input", 1), inputs=_x),
    Mistake("where_list", lambda m, x: m.where(x > 1, [1.0, 2.0], 0.0), TypeError,
            must_be_operand("where", "list", "input", 1), inputs=_x),
    Mistake("clamp_list_bound", lambda m, x: m.clamp(x, [0.0]), TypeError,
            must_be_operand("clamp", "list", "min", 2), inputs=_x),
    Mistake("maximum_number", lambda m, x: m.maximum(x, 1.0), TypeError,
            must_be_tensor("maximum", "float", "other", 2), inputs=_x),
    Mistake("logical_and_list", lambda m, x: m.logical_and(x, [True, False]), TypeError,
            must_be_tensor("logical_and", "list", "other", 2), inputs=_x),
    Mistake("equal_list", lambda m, x: m.equal([1.0, 2.0], x), TypeError,
            must_be_tensor("equal", "list"), inputs=_x),
    Mistake("div_rounding_mode", lambda m, x: m.div(x, 2, rounding_mode="down"), RuntimeError,
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'down'",
            inputs=_x),
    Mistake("clone_list", lambda m: m.clone([1.0]), TypeError, must_be_tensor("clone", "list")),
    Mistake("numel_list", lambda m: m.numel([1.0]), TypeError, must_be_tensor("numel", "list")),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)


@pytest.mark.parametrize("other", [None, "a"], ids=["none", "str"])
def test_equality_with_a_non_operand_is_python_identity(other, torch):
    # Not a mistake: == and != fall back to identity (False, True), as PyTorch's do, while
    # eq()/ne() and the other operators refuse the operand.
    for module in (ndgrad, torch):
        x = module.tensor([1.0, 2.0])
        assert (x == other) is False and (x != other) is True
        with pytest.raises(TypeError):
            module.eq(x, other)


def test_equality_with_a_list_is_elementwise():
    # The seed articles' `z.data == [9]`; PyTorch would compare identities and give False.
    x = ndgrad.tensor([1.0, 2.0])
    assert (x == [1.0, 3.0]).tolist() == [True, False]
    assert (x != (1.0, 3.0)).tolist() == [False, True]
