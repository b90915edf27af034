"""LBFGS against torch.optim.LBFGS: trajectories over several step(closure) calls on three
problems, with and without the strong-Wolfe line search; returned losses, state and its
counters, early exits, history truncation, max_eval, errors, dtypes and state round trips."""
from dataclasses import dataclass

import numpy as np
import pytest

import ndgrad
from ndgrad.optim.lbfgs import _cubic_interpolate

STEPS = 4
RTOL = 1e-8
# The state holds differences of nearby gradients and dot products of them (y, ro, al), which
# keep fewer correct digits than the parameters do when BLAS sums in another order.
STATE_RTOL = 1e-6


class Rosenbrock:
    """(1 - x)^2 + 100 (y - x^2)^2 in 2-D, from (-1.5, 2)."""

    def __init__(self, lib, dtype, start=(-1.5, 2.0)):
        self.x = lib.tensor(list(start), dtype=dtype, requires_grad=True)

    def parameters(self) -> list:
        return [self.x]

    def loss(self):
        x, y = self.x[0], self.x[1]
        return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


class RosenbrockAtMinimum(Rosenbrock):
    """Rosenbrock started at its minimum (1, 1), where the gradient is exactly zero."""

    def __init__(self, lib, dtype):
        super().__init__(lib, dtype, start=(1.0, 1.0))


class LeastSquares:
    """Mean squared error of a Linear(4, 2) layer on fixed noisy linear data."""

    def __init__(self, lib, dtype):
        rng = np.random.default_rng(0)
        inputs = rng.standard_normal((20, 4))
        targets = inputs @ rng.standard_normal((4, 2)) + 0.1 * rng.standard_normal((20, 2))
        self.inputs = lib.tensor(inputs, dtype=dtype)
        self.targets = lib.tensor(targets, dtype=dtype)
        self.layer = lib.nn.Linear(4, 2, dtype=dtype)
        _fill(lib, self.layer, rng)
        self.lib = lib

    def parameters(self) -> list:
        return list(self.layer.parameters())

    def loss(self):
        return self.lib.nn.functional.mse_loss(self.layer(self.inputs), self.targets)


class TanhMLP:
    """A 3-5-1 tanh MLP regressing a fixed smooth target."""

    def __init__(self, lib, dtype):
        rng = np.random.default_rng(1)
        inputs = rng.standard_normal((16, 3))
        targets = np.sin(inputs.sum(axis=1, keepdims=True))
        self.inputs = lib.tensor(inputs, dtype=dtype)
        self.targets = lib.tensor(targets, dtype=dtype)
        self.hidden = lib.nn.Linear(3, 5, dtype=dtype)
        self.out = lib.nn.Linear(5, 1, dtype=dtype)
        _fill(lib, self.hidden, rng)
        _fill(lib, self.out, rng)
        self.lib = lib

    def parameters(self) -> list:
        return list(self.hidden.parameters()) + list(self.out.parameters())

    def loss(self):
        prediction = self.out(self.lib.tanh(self.hidden(self.inputs)))
        return self.lib.nn.functional.mse_loss(prediction, self.targets)


def _fill(lib, layer, rng) -> None:
    """Gives a layer's parameters the same fixed values in both libraries."""
    with lib.no_grad():
        for p in layer.parameters():
            p.copy_(lib.tensor(0.5 * rng.standard_normal(tuple(p.shape)), dtype=p.dtype))


@dataclass
class Case:
    problem: type
    kwargs: dict

    @property
    def id(self) -> str:
        options = "-".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.problem.__name__}-{options}"


WOLFE = dict(line_search_fn="strong_wolfe")
# Rows are chosen so that torch against itself, started 1e-15 apart, still agrees to 1e-10
# after STEPS steps: some settings (history_size=3 on Rosenbrock with the line search, or on
# the MLP for 80 iterations) amplify rounding to 1e-8 and cannot be compared this tightly.
CASES = [
    Case(Rosenbrock, dict(lr=0.1)),
    Case(Rosenbrock, dict(WOLFE)),
    Case(Rosenbrock, dict(WOLFE, max_iter=7, max_eval=9)),
    Case(LeastSquares, dict(lr=0.5)),
    Case(LeastSquares, dict(WOLFE)),
    Case(LeastSquares, dict(WOLFE, history_size=3)),
    Case(TanhMLP, dict(lr=0.2, history_size=3, max_iter=10)),
    Case(TanhMLP, dict(WOLFE, max_iter=10)),
    Case(TanhMLP, dict(WOLFE, history_size=3, max_iter=10)),
    Case(TanhMLP, dict(WOLFE, tolerance_change=1e-4)),
    Case(TanhMLP, dict(WOLFE, max_iter=1)),  # torch's quirk: max_eval=1 leaves no line search
]


class Run:
    """One problem and its LBFGS in `lib`, counting closure calls and keeping the losses."""

    def __init__(self, lib, case: Case, dtype_name: str = "float64"):
        self.model = case.problem(lib, getattr(lib, dtype_name))
        self.optimizer = lib.optim.LBFGS(self.model.parameters(), **case.kwargs)
        self.closure_losses = []

    def closure(self):
        self.optimizer.zero_grad()
        loss = self.model.loss()
        loss.backward()
        self.closure_losses.append(float(loss.detach()))
        return loss

    def step(self) -> float:
        calls = len(self.closure_losses)
        loss = float(self.optimizer.step(self.closure).detach())
        assert loss == self.closure_losses[calls], "step returns its first evaluation"
        return loss

    def values(self) -> list:
        return [np.array(p.detach().numpy()) for p in self.model.parameters()]


def _runs(case: Case, torch, dtype_name: str = "float64") -> tuple:
    return Run(ndgrad, case, dtype_name), Run(torch, case, dtype_name)


def _state_entries(ours: dict, theirs: dict):
    """(name, ours, torch's) for each state value, list items one by one; the keys (in order)
    and the list lengths must agree."""
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        mine = ours[name]
        if isinstance(value, list):
            assert len(mine) == len(value), name
            yield from ((name, a, b) for a, b in zip(mine, value))
        else:
            yield name, mine, value


def _assert_same_kind(name: str, a, b) -> None:
    """Both None, Python numbers of one type, or tensors of one dtype."""
    if b is None or isinstance(b, (int, float)):
        assert type(a) is type(b), name
    else:
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], name


def _numpy(value):
    """A tensor (ndgrad's or torch's) as an array; numbers and None as they are."""
    return value.numpy() if hasattr(value, "numpy") else value


def _assert_same_state(ours: dict, theirs: dict) -> None:
    for name, a, b in _state_entries(ours, theirs):
        _assert_same_kind(name, a, b)
        if b is not None:
            np.testing.assert_allclose(_numpy(a), _numpy(b), rtol=STATE_RTOL, atol=1e-12,
                                       err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_trajectory_losses_and_state_match_torch(case, torch):
    ours, theirs = _runs(case, torch)
    for _ in range(STEPS):
        np.testing.assert_allclose(ours.step(), theirs.step(), rtol=RTOL)
        for a, b in zip(ours.values(), theirs.values()):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12)
        state, torch_state = ours.optimizer.state_dict(), theirs.optimizer.state_dict()
        assert state["param_groups"] == torch_state["param_groups"]
        assert list(state["state"]) == list(torch_state["state"]) == [0]
        _assert_same_state(state["state"][0], torch_state["state"][0])
    assert len(ours.closure_losses) == len(theirs.closure_losses)


def test_history_is_truncated_to_history_size(torch):
    ours, _ = _runs(Case(TanhMLP, dict(history_size=3, lr=0.5)), torch)
    ours.step()
    state = ours.optimizer.state[ours.model.parameters()[0]]
    assert state["n_iter"] == 20
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) == 3
    assert len(state["al"]) == 3


@pytest.mark.parametrize("max_iter", [20, 7, 1])
def test_max_eval_defaults_to_five_quarters_of_max_iter(max_iter, torch):
    for lib in (ndgrad, torch):
        optimizer = lib.optim.LBFGS([lib.zeros(2, requires_grad=True)], max_iter=max_iter)
        assert optimizer.param_groups[0]["max_eval"] == max_iter * 5 // 4


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_zero_gradient_exits_after_one_evaluation(line_search_fn, torch):
    for run in _runs(Case(RosenbrockAtMinimum, dict(line_search_fn=line_search_fn)), torch):
        assert run.step() == 0.0
        assert run.closure_losses == [0.0]
        assert run.optimizer.state_dict()["state"] == {0: {"func_evals": 1, "n_iter": 0}}
        np.testing.assert_array_equal(run.values()[0], [1.0, 1.0])


@pytest.mark.parametrize("kwargs, n_iter", [
    (dict(tolerance_grad=1.0), 1),
    (dict(tolerance_grad=0.05), 12),
    (dict(tolerance_change=1e-2), 11),
    (dict(WOLFE, tolerance_grad=0.05), 11),
    (dict(WOLFE, tolerance_change=1e-2), 12),
], ids=str)
def test_tolerances_stop_early_as_torch(kwargs, n_iter, torch):
    ours, theirs = _runs(Case(TanhMLP, kwargs), torch)
    ours.step()
    theirs.step()
    state = ours.optimizer.state_dict()["state"][0]
    torch_state = theirs.optimizer.state_dict()["state"][0]
    assert state["n_iter"] == torch_state["n_iter"] == n_iter  # of max_iter=20
    assert state["func_evals"] == torch_state["func_evals"]
    for a, b in zip(ours.values(), theirs.values()):
        np.testing.assert_allclose(a, b, rtol=RTOL)


def test_float32_parameters_keep_float32_state(torch):
    # float32 gradients differ from torch's in the last bits, and 20 quasi-Newton iterations
    # grow that to ~1e-5: close, not equal.
    ours, theirs = _runs(Case(TanhMLP, dict(WOLFE)), torch, "float32")
    np.testing.assert_allclose(ours.step(), theirs.step(), rtol=1e-6)
    for a, b in zip(ours.values(), theirs.values()):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    state = ours.optimizer.state_dict()["state"][0]
    for name, a, b in _state_entries(state, theirs.optimizer.state_dict()["state"][0]):
        _assert_same_kind(name, a, b)
        assert not isinstance(a, ndgrad.Tensor) or a.dtype == ndgrad.float32, name
    assert isinstance(state["H_diag"], ndgrad.Tensor)


def test_save_load_round_trip_continues_identically(tmp_path, torch):
    case = Case(TanhMLP, dict(WOLFE, history_size=5))
    first, _ = _runs(case, torch)
    first.step()
    ndgrad.save(first.optimizer.state_dict(), tmp_path / "lbfgs.safetensors")
    second, _ = _runs(case, torch)
    with ndgrad.no_grad():
        for p, value in zip(second.model.parameters(), first.values()):
            p.copy_(ndgrad.tensor(value))
    second.optimizer.load_state_dict(ndgrad.load(tmp_path / "lbfgs.safetensors"))
    first.step()
    second.step()
    for a, b in zip(second.values(), first.values()):
        np.testing.assert_array_equal(a, b)


def test_loading_torch_state_dict_continues_like_torch(torch):
    case = Case(LeastSquares, dict(WOLFE, max_iter=3))
    ours, theirs = _runs(case, torch)
    theirs.step()
    with ndgrad.no_grad():
        for p, value in zip(ours.model.parameters(), theirs.values()):
            p.copy_(ndgrad.tensor(value))
    # As a torch user would hand it over: tensors as NumPy arrays, lists of them kept.
    torch_state_dict = theirs.optimizer.state_dict()
    state = {name: [_numpy(v) for v in value] if isinstance(value, list) else _numpy(value)
             for name, value in torch_state_dict["state"][0].items()}
    ours.optimizer.load_state_dict(dict(torch_state_dict, state={0: state}))
    np.testing.assert_allclose(ours.step(), theirs.step(), rtol=RTOL)
    for a, b in zip(ours.values(), theirs.values()):
        np.testing.assert_allclose(a, b, rtol=RTOL)


def test_negative_lr_raises_value_error(torch):
    for lib in (torch, ndgrad):
        with pytest.raises(ValueError, match="learning rate"):
            lib.optim.LBFGS([lib.zeros(2, requires_grad=True)], lr=-1.0)


def test_several_parameter_groups_raise_value_error(torch):
    for lib in (torch, ndgrad):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
        with pytest.raises(ValueError, match="parameter groups"):
            lib.optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    with pytest.raises(ValueError, match="parameter groups"):
        ndgrad.optim.LBFGS([a]).add_param_group({"params": [b]})


@pytest.mark.parametrize("args", [(), (None,)], ids=["no-closure", "None"])
def test_step_without_closure_raises_type_error(args, torch):
    for lib in (torch, ndgrad):
        optimizer = lib.optim.LBFGS([lib.zeros(2, requires_grad=True)])
        with pytest.raises(TypeError):
            optimizer.step(*args)


def test_unknown_line_search_raises_runtime_error_at_step(torch):
    for run in _runs(Case(Rosenbrock, dict(line_search_fn="backtracking")), torch):
        with pytest.raises(RuntimeError, match="strong_wolfe"):
            run.step()


CUBIC_POINTS = [
    (0.0, 1.0, -2.0, 1.0, 0.5, 1.0, None),     # minimum inside [0, 1]
    (1.0, 0.5, 1.0, 0.0, 1.0, -2.0, None),     # same points, reversed
    (0.0, 1.0, -1.0, 0.5, 0.2, -0.5, (0.505, 5.0)),  # extrapolation with bounds
    (0.0, 0.0, 1.0, 1.0, 0.0, 1.0, None),      # no real minimum: the midpoint
    (0.2, 1.0, -1.0, 0.8, 2.0, 3.0, (0.3, 0.4)),     # clamped to the bounds
]


@pytest.mark.parametrize("x1, f1, g1, x2, f2, g2, bounds", CUBIC_POINTS)
def test_cubic_interpolate_matches_torch(x1, f1, g1, x2, f2, g2, bounds, torch):
    from torch.optim.lbfgs import _cubic_interpolate as torch_cubic_interpolate

    slopes = [torch.tensor(g1, dtype=torch.float64), torch.tensor(g2, dtype=torch.float64)]
    expected = torch_cubic_interpolate(x1, f1, slopes[0], x2, f2, slopes[1], bounds=bounds)
    actual = _cubic_interpolate(x1, f1, np.float64(g1), x2, f2, np.float64(g2), bounds=bounds)
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-15)
