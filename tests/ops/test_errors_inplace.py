"""In-place ops that PyTorch refuses: a result dtype that cannot be cast back, a leaf that
requires grad (or a view of one), a broadcast past the tensor's shape, a non-tensor source.
The refused call leaves values, version counter, requires_grad and grad untouched."""
from __future__ import annotations

import pytest

from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import LEAF_IN_PLACE, Mistake, leaf

CAST = "{}: result type {} can't be cast to the desired output type {}"


def _ints(m):
    return (m.tensor([1, 2]),)


def _floats(m):
    return (m.tensor([1.0, 2.0, 3.0]),)


def _leaf(m):
    return (leaf(m, 3),)


MISTAKES = [
    # ---- the result's dtype cannot be written back
    Mistake("add_float_into_int", lambda m, x: x.add_(1.5), RuntimeError,
            CAST.format("add_", "Float", "Long"), inputs=_ints),
    Mistake("mul_float_tensor_into_int", lambda m, x: x.mul_(m.ones(2)), RuntimeError,
            CAST.format("mul_", "Float", "Long"), inputs=_ints),
    Mistake("truediv_into_int", lambda m, x: x.__itruediv__(2), RuntimeError,
            CAST.format("div_", "Float", "Long"), inputs=_ints),
    Mistake("exp_into_int", lambda m, x: x.exp_(), RuntimeError,
            CAST.format("exp_", "Float", "Long"), inputs=_ints),
    Mistake("clamp_float_bounds_into_int", lambda m, x: x.clamp_(0.5, 1.5), RuntimeError,
            CAST.format("clamp_", "Float", "Long"), inputs=_ints),
    Mistake("pow_float_into_int", lambda m, x: x.pow_(0.5), RuntimeError,
            CAST.format("pow_", "Float", "Long"), inputs=_ints),
    Mistake("add_int_into_bool", lambda m, x: x.add_(1), RuntimeError,
            CAST.format("add_", "Long", "Bool"), inputs=lambda m: (m.tensor([True, False]),)),
    # torch's NotImplementedError is a RuntimeError
    Mistake("iand_float", lambda m, x: x.__iand__(m.ones(3)), RuntimeError,
            "bitwise_and is only supported for integer and bool tensors, got float32",
            inputs=_floats),
    # ---- a leaf that requires grad (it holds a grad, which must stay as it was)
    Mistake("add_leaf", lambda m, x: x.add_(1), RuntimeError, LEAF_IN_PLACE, inputs=_leaf),
    Mistake("iadd_leaf", lambda m, x: x.__iadd__(1), RuntimeError, LEAF_IN_PLACE, inputs=_leaf),
    Mistake("zero_leaf", lambda m, x: x.zero_(), RuntimeError, LEAF_IN_PLACE, inputs=_leaf),
    Mistake("fill_leaf", lambda m, x: x.fill_(2.0), RuntimeError, LEAF_IN_PLACE, inputs=_leaf),
    Mistake("copy_into_leaf", lambda m, x: x.copy_(m.zeros(3)), RuntimeError, LEAF_IN_PLACE,
            inputs=_leaf),
    Mistake("exp_leaf", lambda m, x: x.exp_(), RuntimeError, LEAF_IN_PLACE, inputs=_leaf),
    Mistake("clamp_leaf", lambda m, x: x.clamp_(0, 1), RuntimeError, LEAF_IN_PLACE,
            inputs=_leaf),
    Mistake("view_of_leaf", lambda m, x: x[0:2].mul_(2), RuntimeError,
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation", inputs=_leaf),
    # ---- refused while recording a graph: on a non-leaf, and through a view of one
    Mistake("mul_broadcast_recorded", lambda m, y: y.mul_(m.ones(2, 3)), RuntimeError,
            "output with shape \\[3\\] doesn't match the broadcast shape \\[2, 3\\]",
            inputs=lambda m: (leaf(m, 3) * 2,)),
    Mistake("add_broadcast_through_view", lambda m, y: y[0:2].add_(m.ones(2, 2)), RuntimeError,
            "output with shape \\[2\\] doesn't match the broadcast shape \\[2, 2\\]",
            inputs=lambda m: (leaf(m, 3) * 2,)),
    Mistake("setitem_recorded", lambda m, y: y.__setitem__(slice(0, 2), m.ones(3)),
            RuntimeError, "shape mismatch: value tensor of shape \\[3\\] cannot be broadcast to "
            "indexing result of shape \\[2\\]", inputs=lambda m: (leaf(m, 3) * 2,)),
    # ---- shapes and sources
    Mistake("mul_broadcast_past_shape", lambda m, x: x.mul_(m.ones(2, 3)), RuntimeError,
            "output with shape \\[3\\] doesn't match the broadcast shape \\[2, 3\\]",
            inputs=_floats),
    Mistake("add_grows_one", lambda m, x: x.add_(m.ones(3)), RuntimeError,
            "output with shape \\[1\\] doesn't match the broadcast shape \\[3\\]",
            inputs=lambda m: (m.ones(1),)),
    Mistake("copy_broadcast_past_shape", lambda m, x: x.copy_(m.ones(2, 3)), RuntimeError,
            "output with shape \\[3\\] doesn't match the broadcast shape \\[2, 3\\]",
            inputs=_floats),
    Mistake("copy_list", lambda m, x: x.copy_([1.0, 2.0, 3.0]), TypeError,
            "copy_\\(\\): argument 'src' \\(position 1\\) must be Tensor, not list",
            inputs=_floats),
    Mistake("add_list", lambda m, x: x.add_([1.0, 2.0, 3.0]), TypeError,
            "argument 'other' \\(position 2\\) must be Tensor or a number, not list",
            inputs=_floats),
    Mistake("add_none", lambda m, x: x.add_(None), TypeError,
            "argument 'other' \\(position 2\\) must be Tensor or a number, not NoneType",
            inputs=_floats),
    Mistake("fill_vector", lambda m, x: x.fill_(m.ones(2)), RuntimeError,
            "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions",
            inputs=_floats),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
