"""gradcheck and gradgradcheck: pass on correct gradients, raise on wrong ones."""
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck


def _input(shape, seed=0, low=0.5, high=1.5):
    array = np.random.default_rng(seed).uniform(low, high, size=shape)
    return ndgrad.tensor(array, requires_grad=True)


class Square(Function):
    """x * x with a correct backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x


class DoubledSquare(Function):
    """x * x whose backward returns twice the gradient."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * (grad * 2 * x)


class DetachedCube(Function):
    """x ** 3 whose backward reads x outside the graph: right first, wrong second derivative."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x.detach() ** 2


class WrongSecondInput(Function):
    """a * b whose gradient for b is wrong (it ignores a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad


# Functions with correct first and second derivatives: (name, function, input shapes).
CORRECT = [
    ("sin", lambda x: x.sin(), [(3, 2)]),
    ("mul_broadcast", lambda a, b: a * b, [(2, 3), (3,)]),
    ("exp_log_chain", lambda x: (x.exp() + 1).log() * x, [(4,)]),
    ("two_outputs", lambda a, b: (a * b, (a / b).sum()), [(3,), (3,)]),
    ("scalar", lambda x: x.tanh() * x, [()]),
    ("custom_square", Square.apply, [(2, 2)]),
]


@pytest.mark.parametrize("name, fn, shapes", CORRECT, ids=[c[0] for c in CORRECT])
def test_gradcheck_and_gradgradcheck_pass(name, fn, shapes):
    inputs = tuple(_input(s, seed=i) for i, s in enumerate(shapes))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_inputs_as_tensor_list_or_tuple_and_non_tensor_arguments():
    x = _input((3,))
    assert gradcheck(lambda t: t.sin(), x)
    assert gradcheck(lambda t: t.sin(), [x])
    assert gradcheck(lambda t, k, c: t * k + c, (x, 2.5, ndgrad.ones(3, dtype=ndgrad.float64)))


def test_gradcheck_raises_on_wrong_backward():
    with pytest.raises(GradcheckError, match="Jacobian mismatch.*input 0"):
        gradcheck(DoubledSquare.apply, (_input((3,)),))


def test_gradcheck_error_is_a_runtime_error():
    assert issubclass(GradcheckError, RuntimeError)
    with pytest.raises(RuntimeError):
        gradcheck(DoubledSquare.apply, (_input((2,)),))


def test_gradcheck_names_the_wrong_input():
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(WrongSecondInput.apply, (_input((3,)), _input((3,), seed=1)))


def test_gradcheck_returns_false_without_raising():
    assert gradcheck(DoubledSquare.apply, (_input((3,)),), raise_exception=False) is False
    assert gradcheck(Square.apply, (_input((3,)),), raise_exception=False) is True


def test_gradgradcheck_raises_on_wrong_second_derivative():
    x = _input((3,))
    assert gradcheck(DetachedCube.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(DetachedCube.apply, (x,))


def test_gradgradcheck_raises_on_wrong_backward():
    # The doubled gradient is wrong against the gradient of the first derivative w.r.t. x.
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda x: DoubledSquare.apply(x) * x, (_input((2,)),))


def test_gradgradcheck_with_given_grad_outputs():
    x = _input((3,))
    v = ndgrad.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    assert gradgradcheck(lambda t: t.exp() * t, (x,), (v,))


def test_gradcheck_warns_on_float32_inputs():
    x = ndgrad.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradcheck(lambda t: t * 2, (x,), eps=1e-3, atol=1e-3)
    assert any("not a float64 tensor" in str(w.message) for w in caught)


def test_gradcheck_leaves_inputs_unchanged():
    x = _input((4,))
    before = x.detach().numpy().copy()
    gradcheck(lambda t: t.sin(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None
