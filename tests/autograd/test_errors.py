"""backward() and grad() given what is not a tensor raise PyTorch's exception, naming what they
got, and leave every .grad as it was."""
from __future__ import annotations

import pytest

from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake, leaf


def _x(m):
    return (leaf(m, 2),)


MISTAKES = [
    Mistake("grad_output_str", lambda m, x: m.autograd.grad("a", x), TypeError,
            "all outputs have to be Tensors, but got str", torch_error=AssertionError, inputs=_x),
    Mistake("backward_output_str", lambda m, x: m.autograd.backward(["a"]), TypeError,
            "all outputs have to be Tensors, but got str", torch_error=AssertionError, inputs=_x),
    Mistake("grad_input_str", lambda m, x: m.autograd.grad((x * 2).sum(), "a"), RuntimeError,
            "all inputs have to be Tensors, but got str", inputs=_x),
    Mistake("grad_input_int", lambda m, x: m.autograd.grad((x * 2).sum(), [x, 3]), RuntimeError,
            "all inputs have to be Tensors, but got int", inputs=_x),
    Mistake("backward_inputs_int", lambda m, x: (x * 2).sum().backward(inputs=[3]), RuntimeError,
            "all inputs have to be Tensors, but got int", inputs=_x),
    Mistake("backward_gradient_shape", lambda m, x: (x * 2).backward(m.ones(3)), RuntimeError,
            "Mismatch in shape: grad_output\\[0\\] has a shape of", inputs=_x),
    Mistake("backward_non_scalar", lambda m, x: (x * 2).backward(), RuntimeError,
            "grad can be implicitly created only for scalar outputs", inputs=_x),
    Mistake("grad_no_requires_grad", lambda m, x: m.autograd.grad(x.sum(), m.ones(2)),
            RuntimeError, "One of the differentiated Tensors does not require grad", inputs=_x),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
