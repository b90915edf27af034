"""Optimizers against torch.optim: 50-step trajectories, state_dict layout and round trips,
zero_grad, closures, and the hyper-parameters both refuse."""
import copy
from dataclasses import dataclass, field

import numpy as np
import pytest

import ndgrad

STEPS = 50
SHAPES = [(3, 4), (5,), ()]
# Keys torch keeps in param groups that only choose its implementation: ndgrad's groups may
# lack them.
TORCH_ONLY_GROUP_KEYS = {"foreach", "fused", "capturable", "differentiable"}


@dataclass
class Case:
    """One optimizer configuration; `groups` splits the parameters [0:2] and [2:] into two
    groups with these per-group overrides."""

    name: str
    kwargs: dict
    groups: list = field(default_factory=list)

    @property
    def id(self) -> str:
        options = "-".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.name}-{options}" + ("-groups" if self.groups else "")


CASES = [
    Case("SGD", dict(lr=0.1)),
    Case("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    Case("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True)),
    Case("SGD", dict(lr=0.05, momentum=0.9), groups=[dict(lr=0.1), dict(momentum=0.5)]),
    Case("Adam", dict(lr=0.01)),
    Case("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    Case("Adam", dict(lr=0.01), groups=[dict(lr=0.02), dict(lr=0.005, betas=(0.8, 0.99))]),
    Case("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    Case("AdamW", dict(lr=0.01)),
    Case("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, eps=1e-6)),
    Case("Adamax", dict(lr=0.01, weight_decay=0.05)),
    Case("NAdam", dict(lr=0.01, weight_decay=0.05)),
    Case("NAdam", dict(lr=0.01, weight_decay=0.05, momentum_decay=0.01,
                       decoupled_weight_decay=True)),
    Case("RAdam", dict(lr=0.01, weight_decay=0.05)),
    Case("RAdam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)),
    Case("RMSprop", dict(lr=0.01)),
    Case("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9, centered=True, weight_decay=0.05)),
    Case("Adagrad", dict(lr=0.1)),
    Case("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1,
                         weight_decay=0.05, maximize=True)),
    Case("Adadelta", dict(lr=1.0)),
    Case("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.05)),
]


def _initial_arrays() -> list:
    rng = np.random.default_rng(1234)
    return [rng.standard_normal(shape) for shape in SHAPES]


def _build(lib, case: Case, arrays: list):
    """Float64 leaf parameters from `arrays` and the case's optimizer over them in `lib`."""
    params = [lib.tensor(np.array(a), requires_grad=True) for a in arrays]
    spec = params
    if case.groups:
        spec = [dict(case.groups[0], params=params[:2]), dict(case.groups[1], params=params[2:])]
    return params, getattr(lib.optim, case.name)(spec, **case.kwargs)


def _train(lib, params, optimizer, start: int, stop: int) -> None:
    """Steps `start..stop-1`: the gradient of a quadratic plus fixed noise per step; the
    scalar parameter gets no gradient every third step (it must then be left alone)."""
    for step in range(start, stop):
        rng = np.random.default_rng(step)
        for i, p in enumerate(params):
            value = np.array(p.detach().numpy())
            grad = rng.standard_normal(value.shape) + 0.5 * value
            p.grad = None if (i == 2 and step % 3 == 1) else lib.tensor(grad)
        optimizer.step()


def _values(params) -> list:
    return [np.array(p.detach().numpy()) for p in params]


def _assert_close(actual, expected) -> None:
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


def _torch_state_dict_as_numpy(state_dict: dict) -> dict:
    state = {index: {name: value.numpy() if hasattr(value, "numpy") else value
                     for name, value in entry.items()}
             for index, entry in state_dict["state"].items()}
    return {"state": state, "param_groups": copy.deepcopy(state_dict["param_groups"])}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_trajectory_and_state_match_torch(case, torch):
    arrays = _initial_arrays()
    params, optimizer = _build(ndgrad, case, arrays)
    torch_params, torch_optimizer = _build(torch, case, arrays)
    _train(ndgrad, params, optimizer, 0, STEPS)
    _train(torch, torch_params, torch_optimizer, 0, STEPS)
    _assert_close(_values(params), _values(torch_params))

    ours, theirs = optimizer.state_dict(), torch_optimizer.state_dict()
    assert set(ours) == set(theirs) == {"state", "param_groups"}
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, entry in theirs["state"].items():
        assert list(ours["state"][index]) == list(entry), f"state names of param {index}"
        for name, value in entry.items():
            mine = ours["state"][index][name]
            assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1], name
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-10, atol=1e-12)
    assert len(ours["param_groups"]) == len(theirs["param_groups"])
    for mine, other in zip(ours["param_groups"], theirs["param_groups"]):
        assert mine["params"] == other["params"]
        assert set(mine) <= set(other)
        assert set(other) - set(mine) <= TORCH_ONLY_GROUP_KEYS
        assert {k: v for k, v in other.items() if k in mine} == mine


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_save_load_round_trip_continues_identically(case, tmp_path):
    arrays = _initial_arrays()
    params, optimizer = _build(ndgrad, case, arrays)
    _train(ndgrad, params, optimizer, 0, STEPS // 2)
    ndgrad.save(optimizer.state_dict(), tmp_path / "optimizer.safetensors")
    resumed_params, resumed = _build(ndgrad, case, _values(params))
    resumed.load_state_dict(ndgrad.load(tmp_path / "optimizer.safetensors"))
    assert resumed.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    _train(ndgrad, params, optimizer, STEPS // 2, STEPS)
    _train(ndgrad, resumed_params, resumed, STEPS // 2, STEPS)
    # NAdam's float32 mu_product comes back in the parameter's dtype, as torch loads it, so
    # the resumed run may differ in the last bit.
    rtol = 1e-14 if case.name == "NAdam" else 0
    for a, b in zip(_values(resumed_params), _values(params)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_loading_torch_state_dict_continues_like_torch(case, torch):
    arrays = _initial_arrays()
    torch_params, torch_optimizer = _build(torch, case, arrays)
    _train(torch, torch_params, torch_optimizer, 0, STEPS // 2)
    params, optimizer = _build(ndgrad, case, _values(torch_params))
    optimizer.load_state_dict(_torch_state_dict_as_numpy(torch_optimizer.state_dict()))
    _train(torch, torch_params, torch_optimizer, STEPS // 2, STEPS)
    _train(ndgrad, params, optimizer, STEPS // 2, STEPS)
    _assert_close(_values(params), _values(torch_params))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    params, optimizer = _build(ndgrad, CASES[1], _initial_arrays())
    _train(ndgrad, params, optimizer, 0, 1)
    grads = [p.grad for p in params]
    optimizer.zero_grad(set_to_none=set_to_none)
    for p, grad in zip(params, grads):
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad is grad  # zeroed in place, as torch does
            assert not p.grad.numpy().any()


def test_zero_grad_default_sets_to_none():
    params, optimizer = _build(ndgrad, CASES[0], _initial_arrays())
    _train(ndgrad, params, optimizer, 0, 1)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


@pytest.mark.parametrize("case", [CASES[2], CASES[5], CASES[15]], ids=lambda c: c.id)
def test_step_with_closure(case, torch):
    arrays = _initial_arrays()
    losses = {}
    for lib in (ndgrad, torch):
        params, optimizer = _build(lib, case, arrays)

        def closure():
            optimizer.zero_grad()
            loss = sum(((p - 1.0) ** 2).sum() for p in params)
            loss.backward()
            return loss

        losses[lib.__name__] = [float(optimizer.step(closure).detach()) for _ in range(10)]
        losses[lib.__name__ + "_params"] = _values(params)
    np.testing.assert_allclose(losses["ndgrad"], losses["torch"], rtol=1e-10)
    _assert_close(losses["ndgrad_params"], losses["torch_params"])


BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-0.1)),
    ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1.0)),
    ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1e-3)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(eps=-1e-8)),
    ("AdamW", dict(weight_decay=-0.1)),
    ("Adamax", dict(betas=(0.9, 1.5))),
    ("NAdam", dict(momentum_decay=-0.1)),
    ("RAdam", dict(betas=(-0.1, 0.999))),
    ("RMSprop", dict(alpha=-0.5)),
    ("RMSprop", dict(momentum=-0.5)),
    ("Adagrad", dict(lr_decay=-0.1)),
    ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adadelta", dict(rho=1.5)),
]


@pytest.mark.parametrize("name, kwargs", BAD_HYPERPARAMETERS,
                         ids=[f"{n}-{k}" for n, k in BAD_HYPERPARAMETERS])
def test_bad_hyperparameters_raise_value_error(name, kwargs, torch):
    for lib in (torch, ndgrad):
        param = lib.zeros(3, requires_grad=True)
        with pytest.raises(ValueError):
            getattr(lib.optim, name)([param], **kwargs)


def test_bad_parameter_lists(torch):
    for lib in (torch, ndgrad):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
        with pytest.raises(ValueError):
            lib.optim.SGD([], lr=0.1)
        with pytest.raises(ValueError):
            lib.optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
        with pytest.raises(TypeError):
            lib.optim.Adam(a)
        optimizer = lib.optim.SGD([a], lr=0.1)
        with pytest.raises(ValueError):
            optimizer.add_param_group({"params": [b, a]})


def test_duplicate_parameter_in_a_group_raises():
    # torch only warns ("in future, this will cause an error"); ndgrad already refuses.
    a = ndgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="duplicate"):
        ndgrad.optim.Adam([a, a])


def test_adagrad_state_exists_before_the_first_step(torch):
    arrays = _initial_arrays()
    case = Case("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5))
    ours = _build(ndgrad, case, arrays)[1].state_dict()["state"]
    theirs = _build(torch, case, arrays)[1].state_dict()["state"]
    assert sorted(ours) == sorted(theirs)
    for index, entry in theirs.items():
        assert list(ours[index]) == list(entry)
        for name, value in entry.items():
            np.testing.assert_array_equal(ours[index][name].numpy(), value.numpy())


def test_adamw_stays_decoupled_after_loading_an_adam_state_dict():
    arrays = _initial_arrays()
    source = _build(ndgrad, Case("Adam", dict(lr=0.01)), arrays)[1]
    target = _build(ndgrad, Case("AdamW", dict(lr=0.01)), arrays)[1]
    target.load_state_dict(source.state_dict())
    assert target.param_groups[0]["decoupled_weight_decay"] is True


def test_add_param_group_fills_defaults():
    a, b = ndgrad.zeros(2, requires_grad=True), ndgrad.zeros(3, requires_grad=True)
    optimizer = ndgrad.optim.Adam([a], lr=0.01, betas=(0.8, 0.9))
    optimizer.add_param_group({"params": b, "lr": 0.1})
    assert optimizer.param_groups[1]["lr"] == 0.1
    assert optimizer.param_groups[1]["betas"] == (0.8, 0.9)
    assert optimizer.param_groups[1]["params"] == [b]
