"""Grad mode and anomaly mode: thread-local switches, usable as context managers and decorators."""
from __future__ import annotations

import functools
import inspect
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
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._arguments()):
                return func(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, func):
        # As in PyTorch, the mode holds while the generator runs, not while its caller does.
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            generator = func(*args, **kwargs)
            sent = None
            while True:
                with self.__class__(*self._arguments()):
                    try:
                        value = generator.send(sent)
                    except StopIteration as stop:
                        return stop.value
                try:
                    sent = yield value
                except GeneratorExit:
                    generator.close()
                    raise
        return wrapper

    def _arguments(self) -> tuple:
        return (self.mode,)


class _SwitchNow(_Switch):
    """A switch that takes effect when created, so that it also works as a plain call."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self._before_call = getattr(_state, self._flag)
        setattr(_state, self._flag, mode)

    def __enter__(self) -> None:
        # The first `with` restores the mode from before creation; a reused switch, the current.
        if self._before_call is None:
            super().__enter__()
            return
        self._previous.append(self._before_call)
        self._before_call = None
        setattr(_state, self._flag, self.mode)

    def __call__(self, func):
        # Used as a decorator, the mode applies inside `func` only, not from decoration on.
        if self._before_call is not None:
            setattr(_state, self._flag, self._before_call)
            self._before_call = None
        return super().__call__(func)


class set_grad_enabled(_SwitchNow):
    """Turns graph recording on or off; as a plain call it sets the mode at once."""

    _flag = "grad_enabled"


class _FixedSwitch(_Switch):
    """A switch with a fixed mode, usable as `with s():`, `@s()` and bare `@s`, as in PyTorch."""

    _mode = False

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        return cls()(func)

    def __init__(self, func=None) -> None:
        super().__init__(self._mode)

    def _arguments(self) -> tuple:
        return ()


class no_grad(_FixedSwitch):
    """Context manager and decorator that disables graph recording."""

    _flag = "grad_enabled"
    _mode = False


class enable_grad(_FixedSwitch):
    """Context manager and decorator that enables graph recording."""

    _flag = "grad_enabled"
    _mode = True


class detect_anomaly(_Switch):
    """Within it, NaN or inf in a backward result raises, naming the op and its forward call."""

    _flag = "anomaly_enabled"

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(check_nan)


class set_detect_anomaly(_SwitchNow):
    """Turns anomaly detection on or off; as a plain call it sets the mode at once."""

    _flag = "anomaly_enabled"

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(mode and check_nan)
