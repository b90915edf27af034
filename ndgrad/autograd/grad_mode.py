"""Grad mode and anomaly mode: thread-local switches, usable as context managers and decorators."""
from __future__ import annotations

import functools
import threading


class _State(threading.local):
    grad_enabled = True
    anomaly_enabled = False


_state = _State()


def is_grad_enabled() -> bool:
    """Returns True when operations record a graph for autograd."""
    return _state.grad_enabled


def is_anomaly_enabled() -> bool:
    """Returns True when backward checks every gradient for NaN and inf."""
    return _state.anomaly_enabled


class _Switch:
    """Base for a context manager that sets one flag and restores it; also a decorator."""

    _flag = ""

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(getattr(_state, self._flag))
        setattr(_state, self._flag, self.mode)

    def __exit__(self, *exc_info) -> None:
        setattr(_state, self._flag, self._previous.pop())

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._arguments()):
                return func(*args, **kwargs)
        return wrapper

    def _arguments(self) -> tuple:
        return (self.mode,)


class set_grad_enabled(_Switch):
    """Turns graph recording on or off; as a plain call it sets the mode at once."""

    _flag = "grad_enabled"

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self._before_call = _state.grad_enabled
        _state.grad_enabled = mode

    def __enter__(self) -> None:
        self._previous.append(self._before_call)

    def __exit__(self, *exc_info) -> None:
        _state.grad_enabled = self._previous.pop()
        self._before_call = _state.grad_enabled

    def __call__(self, func):
        # Used as a decorator, the mode applies inside `func` only, not from decoration on.
        _state.grad_enabled = self._before_call
        return super().__call__(func)


class no_grad(_Switch):
    """Context manager and decorator that disables graph recording."""

    _flag = "grad_enabled"

    def __init__(self) -> None:
        super().__init__(False)

    def _arguments(self) -> tuple:
        return ()


class enable_grad(_Switch):
    """Context manager and decorator that enables graph recording."""

    _flag = "grad_enabled"

    def __init__(self) -> None:
        super().__init__(True)

    def _arguments(self) -> tuple:
        return ()


class detect_anomaly(_Switch):
    """Within it, NaN or inf in a backward result raises, naming the op and its forward call."""

    _flag = "anomaly_enabled"

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(check_nan)


def set_detect_anomaly(mode: bool) -> None:
    """Turns anomaly detection on or off globally."""
    _state.anomaly_enabled = mode
