"""User mistakes raise a clear error of PyTorch's type, naming the shapes, dims or dtypes."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import BROADCAST, DIM_RANGE, NEGATIVE_POWER, Mistake, leaf

MISTAKES = [
    # ---- shapes that do not broadcast
    Mistake("add", lambda m: m.ones(2, 3) + m.ones(2, 4), RuntimeError, BROADCAST.format(3, 4, 1)),
    Mistake("sub", lambda m: m.ones(3) - m.ones(4), RuntimeError, BROADCAST.format(3, 4, 0)),
    Mistake("mul", lambda m: m.ones(5, 3, 1) * m.ones(4, 2), RuntimeError,
            BROADCAST.format(3, 4, 1)),
    Mistake("div", lambda m: m.ones(2, 3) / m.ones(3, 2), RuntimeError,
            BROADCAST.format(3, 2, 1)),
    Mistake("maximum", lambda m: m.maximum(m.ones(2, 3), m.ones(4, 3)), RuntimeError,
            BROADCAST.format(2, 4, 0)),
    Mistake("where_values", lambda m: m.where(m.ones(3) > 0, m.ones(3), m.ones(4)),
            RuntimeError, BROADCAST.format(3, 4, 0)),
    Mistake("where_condition", lambda m: m.where(m.ones(4) > 0, m.ones(3), 0.0),
            RuntimeError, BROADCAST.format(4, 3, 0)),
    Mistake("iadd_larger", lambda m, x: x.add_(m.ones(2, 3)), RuntimeError,
            "output with shape \\[3\\] doesn't match the broadcast shape \\[2, 3\\]",
            inputs=lambda m: (m.ones(3),)),
    # ---- reshape
    Mistake("reshape", lambda m: m.arange(10).reshape(4, 3), RuntimeError,
            "shape '\\[4, 3\\]' is invalid for input of size 10"),
    Mistake("view_inferred", lambda m: m.arange(10).view(-1, 3), RuntimeError,
            "shape '\\[-1, 3\\]' is invalid for input of size 10"),
    Mistake("reshape_two_inferred", lambda m: m.arange(12).reshape(-1, -1), RuntimeError,
            "only one dimension can be inferred"),
    # ---- dims out of range
    Mistake("sum", lambda m: m.ones(2, 3).sum(2), IndexError, DIM_RANGE.format(-2, 1, 2)),
    Mistake("sum_dims", lambda m: m.ones(2, 3).sum((0, -3)), IndexError,
            DIM_RANGE.format(-2, 1, -3)),
    Mistake("sum_repeated_dim", lambda m: m.ones(2, 3).sum((1, 0, -1)), RuntimeError,
            "dim 1 appears multiple times in the list of dims"),
    Mistake("sum_scalar", lambda m: m.tensor(1.0).sum(1), IndexError,
            DIM_RANGE.format(-1, 0, 1)),
    Mistake("mean", lambda m: m.ones(2, 3).mean(dim=-3), IndexError,
            DIM_RANGE.format(-2, 1, -3)),
    Mistake("amax", lambda m: m.ones(2, 3).amax(2), IndexError, DIM_RANGE.format(-2, 1, 2)),
    Mistake("max_dim", lambda m: m.ones(2, 3).max(dim=2), IndexError,
            DIM_RANGE.format(-2, 1, 2)),
    Mistake("argmax", lambda m: m.ones(2, 3).argmax(dim=2), IndexError,
            DIM_RANGE.format(-2, 1, 2)),
    Mistake("prod", lambda m: m.ones(2, 3).prod(2), IndexError, DIM_RANGE.format(-2, 1, 2)),
    Mistake("cumsum", lambda m: m.ones(2, 3).cumsum(-3), IndexError,
            DIM_RANGE.format(-2, 1, -3)),
    Mistake("logsumexp", lambda m: m.ones(2, 3).logsumexp(2), IndexError,
            DIM_RANGE.format(-2, 1, 2)),
    Mistake("var", lambda m: m.ones(2, 3).var(2), IndexError, DIM_RANGE.format(-2, 1, 2)),
    Mistake("squeeze", lambda m: m.ones(2, 1).squeeze(2), IndexError,
            DIM_RANGE.format(-2, 1, 2)),
    Mistake("unsqueeze", lambda m: m.ones(2, 3).unsqueeze(3), IndexError,
            DIM_RANGE.format(-3, 2, 3)),
    Mistake("unsqueeze_negative", lambda m: m.ones(2, 3).unsqueeze(-4), IndexError,
            DIM_RANGE.format(-3, 2, -4)),
    Mistake("transpose", lambda m: m.ones(2, 3).transpose(0, 2), IndexError,
            DIM_RANGE.format(-2, 1, 2)),
    Mistake("flatten", lambda m: m.ones(2, 3).flatten(0, 2), IndexError,
            DIM_RANGE.format(-2, 1, 2)),
    # ---- dtypes an op does not take
    Mistake("mean_int", lambda m: m.tensor([1, 2, 3]).mean(), RuntimeError,
            "mean\\(\\): could not infer output dtype. Input dtype must be either a floating "
            "point or complex dtype. Got: int64"),
    Mistake("mean_bool", lambda m: m.tensor([True, False]).mean(), RuntimeError,
            "mean\\(\\): could not infer output dtype.*Got: bool"),
    # torch raises NotImplementedError, a subclass of RuntimeError.
    Mistake("and_float", lambda m: m.ones(3) & m.ones(3), RuntimeError,
            "bitwise_and is only supported for integer and bool tensors, got float32"),
    Mistake("or_float", lambda m: m.ones(3) | m.tensor([1, 0, 1]), RuntimeError,
            "bitwise_or is only supported for integer and bool tensors, got float32"),
    Mistake("xor_float", lambda m: m.bitwise_xor(m.ones(3, dtype=m.float64), 1), RuntimeError,
            "bitwise_xor is only supported for integer and bool tensors, got float64"),
    Mistake("bitwise_not_float", lambda m: m.bitwise_not(m.ones(3)), RuntimeError,
            "bitwise_not is only supported for integer and bool tensors, got float32"),
    # torch's `~` operator checks the dtype itself and raises TypeError before reaching
    # bitwise_not, which raises NotImplementedError; ndgrad's `~` is bitwise_not.
    Mistake("invert_float", lambda m: ~m.ones(3), RuntimeError,
            "bitwise_not is only supported for integer and bool tensors, got float32",
            torch_error=TypeError),
    Mistake("neg_bool", lambda m: -m.tensor([True, False]), RuntimeError,
            "Negation, the `-` operator, on a bool tensor is not supported"),
    Mistake("sub_bool", lambda m: m.tensor([True]) - m.tensor([False]), RuntimeError,
            "Subtraction, the `-` operator, with two bool tensors is not supported"),
    Mistake("where_float_condition", lambda m: m.where(m.ones(3), m.ones(3), m.zeros(3)),
            RuntimeError, "where expected condition to be a boolean tensor, but got a tensor "
            "with dtype float32"),
    Mistake("where_int_condition", lambda m: m.where(m.tensor([1, 0]), 1.0, 0.0),
            RuntimeError, "where expected condition to be a boolean tensor, but got a tensor "
            "with dtype int64"),
    Mistake("int_negative_power", lambda m: m.tensor([1, 2, 3]) ** -1, RuntimeError,
            NEGATIVE_POWER),
    Mistake("uint8_negative_power", lambda m: m.pow(m.tensor([2, 3], dtype=m.uint8), -2),
            RuntimeError, NEGATIVE_POWER),
    # ---- indexing
    Mistake("index", lambda m: m.ones(3)[10], IndexError,
            "index 10 is out of bounds for dimension 0 with size 3"),
    Mistake("index_negative", lambda m: m.ones(3)[-4], IndexError,
            "index -4 is out of bounds for dimension 0 with size 3"),
    Mistake("index_second_dim", lambda m: m.ones(3, 4)[1, 10], IndexError,
            "index 10 is out of bounds for dimension 1 with size 4"),
    Mistake("index_tensor", lambda m: m.ones(3)[m.tensor([0, 5])], IndexError,
            "index 5 is out of bounds for dimension 0 with size 3"),
    Mistake("index_too_many", lambda m: m.ones(3)[0, 0], IndexError, "too many indices"),
    Mistake("index_float_tensor", lambda m: m.ones(3)[m.tensor([0.0, 1.0])], IndexError,
            "tensors used as indices must be long, int, byte or bool tensors"),
    Mistake("setitem_index", lambda m, x: x.__setitem__(10, 1.0), IndexError,
            "index 10 is out of bounds for dimension 0 with size 3", inputs=lambda m: (m.ones(3),)),
    # ---- autograd state
    Mistake("numpy_requires_grad", lambda m, x: x.numpy(),
            RuntimeError, "Can't call numpy\\(\\) on Tensor that requires grad. Use "
            "tensor.detach\\(\\).numpy\\(\\) instead.", inputs=lambda m: (leaf(m, 3),)),
    Mistake("backward_non_scalar", lambda m, x: (x * 2).backward(), RuntimeError,
            "grad can be implicitly created only for scalar outputs",
            inputs=lambda m: (leaf(m, 3),)),
    Mistake("grad_of_other_shape", lambda m, x: setattr(x, "grad", m.ones(2)), RuntimeError,
            "attempting to assign a gradient of size '\\[2\\]' to a tensor of size '\\[3\\]'",
            inputs=lambda m: (leaf(m, 3),)),
    # ---- conversions
    Mistake("item_of_many", lambda m, x: x.item(), RuntimeError,
            "a Tensor with 3 elements cannot be converted to Scalar",
            inputs=lambda m: (leaf(m, 3),)),
    Mistake("int_of_many", lambda m: int(m.ones(3)), ValueError,
            "only one element tensors can be converted to Python scalars"),
    Mistake("bool_of_many", lambda m: bool(m.ones(3)), RuntimeError,
            "Boolean value of Tensor with more than one value is ambiguous"),
    Mistake("len_of_scalar", lambda m: len(m.tensor(1.0)), TypeError, "len\\(\\) of a 0-d tensor"),
    Mistake("to_unknown_device", lambda m, x: x.to("tpu"), RuntimeError,
            "Expected one of cpu, cuda.* device type at start of device string: tpu",
            inputs=lambda m: (m.ones(2),)),
    Mistake("to_list", lambda m, x: x.to([1]), TypeError, "\\[1\\] is not a supported dtype",
            inputs=lambda m: (m.ones(2),)),
    Mistake("type_unknown_name", lambda m, x: x.type("foo"), ValueError, "invalid type: 'foo'",
            inputs=lambda m: (m.ones(2),)),
    Mistake("requires_grad_str", lambda m: m.ones(2, requires_grad="yes"), TypeError,
            "argument 'requires_grad' .* must be bool, not str"),
    Mistake("requires_grad_int", lambda m, x: x.requires_grad_(1), TypeError,
            "requires_grad_\\(\\): argument 'requires_grad' \\(position 1\\) must be bool, not "
            "int", inputs=lambda m: (m.ones(2),)),
    Mistake("requires_grad_set_int", lambda m, x: setattr(x, "requires_grad", 1), RuntimeError,
            "requires_grad must be a bool", inputs=lambda m: (m.ones(2),)),
    Mistake("requires_grad_non_leaf",
            lambda m: (m.ones(3, requires_grad=True) * 2).requires_grad_(False), RuntimeError,
            "you can only change requires_grad flags of leaf variables"),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)


def test_requires_grad_attribute_on_non_leaf(torch):
    for module in (ndgrad, torch):
        y = module.ones(3, requires_grad=True) * 2
        with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
            y.requires_grad = False


def test_requires_grad_true_on_non_leaf_is_allowed(torch):
    for module in (ndgrad, torch):
        y = module.ones(3, requires_grad=True) * 2
        assert y.requires_grad_(True) is y


@pytest.mark.parametrize("call", [
    lambda m: m.tensor([0, 1, -1, 2, -2, 3, -1]) ** m.tensor([-1, -3, -3, -1, -2, 0, -2]),
    lambda m: 2 ** m.tensor([-1, 2]),
    lambda m: m.tensor([2, 3], dtype=m.int32) ** m.tensor(-1, dtype=m.int32),
], ids=["tensor_exponent", "scalar_base", "zero_dim_exponent"])
def test_integer_tensor_to_negative_tensor_power_is_not_an_error(call, torch):
    # Only a negative Python-number exponent is refused; tensors of exponents give
    # 1 / a ** -b rounded toward zero, as in PyTorch.
    ours, theirs = call(ndgrad), call(torch)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
