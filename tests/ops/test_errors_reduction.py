"""Reductions, softmax and sorting given a non-tensor, a dtype they do not take, or bad dims
raise PyTorch's exception with a clear message, and change nothing."""
from __future__ import annotations

import pytest

from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import DIM_RANGE, Mistake


def must_be_tensor(op: str, got: str) -> str:
    return f"{op}\\(\\): argument 'input' \\(position 1\\) must be Tensor, not {got}"


def _x(m):
    return (m.arange(6.0).reshape(2, 3),)


def _ints(m):
    return (m.tensor([1, 2, 4]),)


MISTAKES = [
    # ---- not a tensor
    Mistake("sum_list", lambda m: m.sum([1.0, 2.0]), TypeError, must_be_tensor("sum", "list")),
    Mistake("mean_list", lambda m: m.mean([1.0, 2.0]), TypeError,
            must_be_tensor("mean", "list")),
    Mistake("max_list", lambda m: m.max([1.0, 2.0]), TypeError, must_be_tensor("max", "list")),
    Mistake("cumsum_list", lambda m: m.cumsum([1.0], 0), TypeError,
            must_be_tensor("cumsum", "list")),
    Mistake("softmax_list", lambda m: m.softmax([1.0, 2.0], 0), TypeError,
            must_be_tensor("softmax", "list")),
    Mistake("sort_list", lambda m: m.sort([2, 1]), TypeError, must_be_tensor("sort", "list")),
    # ---- dtypes: torch's NotImplementedError for softmax is a RuntimeError
    Mistake("softmax_int", lambda m, x: m.softmax(x, 0), RuntimeError,
            "softmax\\(\\): expected a floating point input .* got int64", inputs=_ints),
    Mistake("log_softmax_int", lambda m, x: x.log_softmax(0), RuntimeError,
            "log_softmax\\(\\): expected a floating point input .* got int64", inputs=_ints),
    Mistake("var_int", lambda m, x: x.var(), RuntimeError,
            "std and var only support floating point and complex dtypes, got int64",
            inputs=_ints),
    Mistake("std_int", lambda m, x: m.std(x, 0), RuntimeError,
            "std and var only support floating point and complex dtypes, got int64",
            inputs=_ints),
    Mistake("mean_dtype_int", lambda m, x: x.mean(dtype=m.int32), RuntimeError,
            "mean\\(\\): could not infer output dtype.*Got: int32", inputs=_x),
    # ---- dims
    Mistake("sum_float_dim", lambda m, x: x.sum(1.0), TypeError,
            "dim must be an int or a tuple of ints, but got float", inputs=_x),
    Mistake("sum_str_dim", lambda m, x: x.sum("a"), TypeError,
            "dim must be an int or a tuple of ints, but got str", inputs=_x),
    Mistake("mean_float_in_dims", lambda m, x: x.mean((0, 1.5)), TypeError,
            "dim must be an int or a tuple of ints, but got float", inputs=_x),
    Mistake("cumsum_float_dim", lambda m, x: x.cumsum(0.0), TypeError,
            "dim must be an int or a tuple of ints, but got float", inputs=_x),
    Mistake("softmax_float_dim", lambda m, x: x.softmax(1.0), TypeError,
            "dim must be an int or a tuple of ints, but got float", inputs=_x),
    Mistake("argmax_float_dim", lambda m, x: x.argmax(1.0), TypeError,
            "dim must be an int or a tuple of ints, but got float", inputs=_x),
    Mistake("amax_repeated_dim", lambda m, x: x.amax((1, -1)), RuntimeError,
            "dim 1 appears multiple times in the list of dims", inputs=_x),
    Mistake("var_repeated_dim", lambda m, x: x.var((0, 0)), RuntimeError,
            "dim 0 appears multiple times in the list of dims", inputs=_x),
    Mistake("softmax_dim", lambda m, x: x.softmax(2), IndexError, DIM_RANGE.format(-2, 1, 2),
            inputs=_x),
    Mistake("sort_dim", lambda m, x: x.sort(2), IndexError, DIM_RANGE.format(-2, 1, 2),
            inputs=_x),
    Mistake("unique_dim", lambda m, x: m.unique(x, dim=2), IndexError,
            DIM_RANGE.format(-2, 1, 2), inputs=_x),
    Mistake("topk_too_many", lambda m, x: x.topk(4), RuntimeError,
            "selected index k out of range", inputs=_x),
    Mistake("topk_bool", lambda m, x: x.topk(True), TypeError,
            "topk\\(\\): argument 'k' \\(position 1\\) must be int, not bool", inputs=_x),
    Mistake("kthvalue_float", lambda m, x: x.kthvalue(1.5), TypeError,
            "kthvalue\\(\\): argument 'k' \\(position 1\\) must be int, not float", inputs=_x),
    Mistake("max_empty", lambda m: m.ones(0).max(), RuntimeError,
            "max\\(\\): Expected reduction dim to be specified for input.numel\\(\\) == 0"),
    Mistake("std_unbiased_str", lambda m, x: x.std(unbiased="x"), TypeError,
            "var\\(\\): argument 'unbiased' must be bool, not str", inputs=_x),
    Mistake("unique_sorted_str", lambda m, x: x.unique(sorted="x"), TypeError,
            "unique\\(\\): argument 'sorted' must be bool, not str", inputs=_x),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
