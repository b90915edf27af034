"""Anomaly mode: NaN or inf from a backward function raises, naming it and its forward call."""
import inspect
import os
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly


def _line() -> int:
    """The caller's line number, to find the forward call in the error message."""
    return inspect.currentframe().f_back.f_lineno


def _log_at_zero(x):
    y, line = x.log(), _line()
    return y.sum(), "LogBackward", line


def _sqrt_at_zero(x):
    y, line = x.sqrt(), _line()
    return y.sum(), "SqrtBackward", line


def _log_at_zero_given_zero_gradient(x):
    # The gradient reaching log at 0 is 0, so LogBackward computes 0 / 0: nan, not inf.
    y, line = x.log(), _line()
    return (y * ndgrad.tensor([0.0, 1.0])).sum(), "LogBackward", line


CASES = [
    ("log", _log_at_zero, "inf"),
    ("sqrt", _sqrt_at_zero, "inf"),
    ("log_nan", _log_at_zero_given_zero_gradient, "nan"),
]


@pytest.mark.parametrize("name, build, kind", CASES, ids=[c[0] for c in CASES])
def test_anomaly_names_backward_and_forward_traceback(name, build, kind):
    x = ndgrad.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with detect_anomaly():
            loss, node, line = build(x)
            with pytest.raises(RuntimeError, match=rf"Function '{node}' returned {kind} "
                                                   "values") as error:
                loss.backward()
    message = str(error.value)
    assert f'{os.path.basename(__file__)}", line {line}' in message, message
    assert "Traceback of the forward call" in message


def test_set_detect_anomaly_globally_and_restores():
    x = ndgrad.tensor([0.0, 4.0], requires_grad=True)
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            y, line = x.sqrt(), _line()
            with pytest.raises(RuntimeError, match="SqrtBackward") as error:
                y.sum().backward()
        assert f"line {line}" in str(error.value)
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()


def test_set_detect_anomaly_as_context_manager():
    with set_detect_anomaly(True):
        assert is_anomaly_enabled()
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()


def test_without_anomaly_mode_no_error_and_inf_gradient():
    x = ndgrad.tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0.25


def test_anomaly_mode_passes_finite_gradients():
    x = ndgrad.tensor([1.0, 4.0], requires_grad=True)
    with detect_anomaly():
        (x.sqrt() * x.log()).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_anomaly_in_custom_function_backward():
    class Bad(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    x = ndgrad.ones(2, requires_grad=True)
    with detect_anomaly():
        y, line = Bad.apply(x), _line()
        with pytest.raises(RuntimeError, match="Function 'BadBackward' returned nan values"
                                               ) as error:
            y.sum().backward()
    assert f"line {line}" in str(error.value)


def test_detect_anomaly_is_off_after_an_exception():
    with pytest.raises(ValueError):
        with detect_anomaly():
            raise ValueError
    assert not is_anomaly_enabled()
