"""Grad mode: no_grad, enable_grad, set_grad_enabled, is_grad_enabled, as with-blocks and
decorators, nested, restored on exceptions, per thread."""
import threading

import pytest

import ndgrad


def _records(lib) -> bool:
    """Whether an op on a tensor that requires grad builds a graph right now."""
    return (lib.ones(1, requires_grad=True) * 2).requires_grad


def test_no_grad_context_stops_recording():
    x = ndgrad.ones(2, requires_grad=True)
    with ndgrad.no_grad():
        assert not ndgrad.is_grad_enabled()
        y = x * 2
    assert ndgrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert (x * 2).requires_grad


def test_nested_modes():
    with ndgrad.no_grad():
        with ndgrad.enable_grad():
            assert ndgrad.is_grad_enabled() and _records(ndgrad)
            with ndgrad.set_grad_enabled(False):
                assert not _records(ndgrad)
            assert _records(ndgrad)
        assert not ndgrad.is_grad_enabled() and not _records(ndgrad)
        with ndgrad.no_grad():
            assert not ndgrad.is_grad_enabled()
        assert not ndgrad.is_grad_enabled()
    assert ndgrad.is_grad_enabled()


def test_one_instance_reused_and_nested():
    off = ndgrad.no_grad()
    with off:
        with ndgrad.enable_grad():
            with off:
                assert not ndgrad.is_grad_enabled()
            assert ndgrad.is_grad_enabled()
        assert not ndgrad.is_grad_enabled()
    assert ndgrad.is_grad_enabled()


def test_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with ndgrad.no_grad():
            raise ValueError
    assert ndgrad.is_grad_enabled()
    with ndgrad.no_grad():
        with pytest.raises(ValueError):
            with ndgrad.enable_grad():
                raise ValueError
        assert not ndgrad.is_grad_enabled()


def test_set_grad_enabled_as_plain_call():
    try:
        ndgrad.set_grad_enabled(False)
        assert not ndgrad.is_grad_enabled() and not _records(ndgrad)
    finally:
        ndgrad.set_grad_enabled(True)
    assert ndgrad.is_grad_enabled()


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_context(mode):
    with ndgrad.no_grad():
        with ndgrad.set_grad_enabled(mode):
            assert ndgrad.is_grad_enabled() is mode
        assert not ndgrad.is_grad_enabled()


def test_set_grad_enabled_object_reused_matches_torch(torch):
    def run(lib):
        seen = []
        switch = lib.set_grad_enabled(False)
        seen.append(lib.is_grad_enabled())
        for _ in range(2):
            with switch:
                seen.append(lib.is_grad_enabled())
            seen.append(lib.is_grad_enabled())
        return seen

    assert run(ndgrad) == run(torch) == [False, False, True, False, True]


def _decorated(lib):
    """Functions decorated each supported way; each returns the mode inside it."""

    @lib.no_grad()
    def off():
        return lib.is_grad_enabled()

    @lib.no_grad
    def off_bare():
        return lib.is_grad_enabled()

    @lib.enable_grad()
    def on():
        return lib.is_grad_enabled()

    @lib.enable_grad
    def on_bare():
        return lib.is_grad_enabled()

    @lib.set_grad_enabled(False)
    def set_off():
        return lib.is_grad_enabled()

    return [off, off_bare, on, on_bare, set_off]


def test_decorators_match_torch(torch):
    def run(lib):
        functions = _decorated(lib)
        after_decorating = lib.is_grad_enabled()
        outside = [f() for f in functions]
        with lib.no_grad():
            inside_no_grad = [f() for f in functions]
        return after_decorating, outside, inside_no_grad, lib.is_grad_enabled()

    ours = run(ndgrad)
    assert ours == run(torch)
    assert ours == (True, [False, False, True, True, False],
                    [False, False, True, True, False], True)


def test_decorator_keeps_name_and_arguments():
    @ndgrad.no_grad()
    def scaled(x, *, factor=2):
        """Doc."""
        return x * factor

    assert scaled.__name__ == "scaled" and scaled.__doc__ == "Doc."
    out = scaled(ndgrad.ones(2, requires_grad=True), factor=3)
    assert out.tolist() == [3.0, 3.0] and not out.requires_grad


def test_decorated_generator_runs_under_the_mode(torch):
    def run(lib):
        @lib.no_grad()
        def steps(n):
            for _ in range(n):
                received = yield lib.is_grad_enabled()
                assert received is None
            return "done"

        seen = []
        for enabled in steps(3):
            seen.append((enabled, lib.is_grad_enabled()))
        return seen

    assert run(ndgrad) == run(torch) == [(False, True)] * 3


def test_decorated_recursive_function_restores_each_level():
    @ndgrad.enable_grad()
    def depth(n):
        if n == 0:
            return ndgrad.is_grad_enabled()
        with ndgrad.no_grad():
            return depth(n - 1)

    with ndgrad.no_grad():
        assert depth(3)
        assert not ndgrad.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with ndgrad.no_grad():
        worker = threading.Thread(target=lambda: seen.append(ndgrad.is_grad_enabled()))
        worker.start()
        worker.join()
        assert not ndgrad.is_grad_enabled()
    assert seen == [True]


def test_autograd_namespace_reexports_the_same_objects():
    assert ndgrad.autograd.no_grad is ndgrad.no_grad
    assert ndgrad.autograd.enable_grad is ndgrad.enable_grad
    assert ndgrad.autograd.set_grad_enabled is ndgrad.set_grad_enabled
    assert ndgrad.autograd.is_grad_enabled is ndgrad.is_grad_enabled


def test_backward_runs_without_recording_unless_create_graph():
    x = ndgrad.tensor([2.0], requires_grad=True)
    (g,) = ndgrad.autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad
    (g,) = ndgrad.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    y = (x ** 3).sum()
    with ndgrad.no_grad():
        y.backward()  # a graph built earlier can be differentiated under no_grad
    assert x.grad.tolist() == [12.0]
    assert ndgrad.is_grad_enabled()
