"""Learning-rate schedulers against torch.optim.lr_scheduler: the rates (and cycled momenta)
of every step with a real optimizer stepping, state_dict layout and round trips, closed forms,
resuming with last_epoch, and the arguments both refuse."""
import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import ndgrad

STEPS = 60
TOLERANCE = dict(rtol=1e-12, atol=1e-12)


@dataclass
class Spec:
    """One scheduler configuration: `make(lib, optimizer)` builds it in ndgrad or torch."""

    name: str
    make: Callable
    optimizer: str = "sgd"


def _sched(lib):
    return lib.optim.lr_scheduler


SPECS = [
    Spec("LambdaLR", lambda lib, o: _sched(lib).LambdaLR(o, lambda e: 0.95 ** e)),
    Spec("LambdaLR-per-group", lambda lib, o: _sched(lib).LambdaLR(
        o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** (e // 3)])),
    Spec("MultiplicativeLR", lambda lib, o: _sched(lib).MultiplicativeLR(
        o, lambda e: 0.97 if e % 2 else 0.99)),
    Spec("StepLR", lambda lib, o: _sched(lib).StepLR(o, step_size=7, gamma=0.5)),
    Spec("MultiStepLR", lambda lib, o: _sched(lib).MultiStepLR(o, [5, 12, 12, 30], gamma=0.3)),
    Spec("ConstantLR", lambda lib, o: _sched(lib).ConstantLR(o, factor=0.25, total_iters=8)),
    Spec("LinearLR", lambda lib, o: _sched(lib).LinearLR(o)),
    Spec("LinearLR-decay", lambda lib, o: _sched(lib).LinearLR(
        o, start_factor=0.9, end_factor=0.05, total_iters=40), "adam"),
    Spec("ExponentialLR", lambda lib, o: _sched(lib).ExponentialLR(o, gamma=0.93)),
    Spec("PolynomialLR", lambda lib, o: _sched(lib).PolynomialLR(o, total_iters=30, power=2.0)),
    Spec("CosineAnnealingLR", lambda lib, o: _sched(lib).CosineAnnealingLR(
        o, T_max=10, eta_min=1e-3)),
    Spec("CosineAnnealingWarmRestarts", lambda lib, o: _sched(lib).CosineAnnealingWarmRestarts(
        o, T_0=7)),
    Spec("CosineAnnealingWarmRestarts-mult", lambda lib, o:
         _sched(lib).CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-4)),
    Spec("CyclicLR-triangular", lambda lib, o: _sched(lib).CyclicLR(
        o, base_lr=0.01, max_lr=[0.1, 0.05], step_size_up=4, step_size_down=6)),
    Spec("CyclicLR-triangular2", lambda lib, o: _sched(lib).CyclicLR(
        o, base_lr=[0.01, 0.001], max_lr=0.2, step_size_up=5, mode="triangular2",
        base_momentum=0.7, max_momentum=0.95)),
    Spec("CyclicLR-exp_range-adam", lambda lib, o: _sched(lib).CyclicLR(
        o, base_lr=0.001, max_lr=0.01, step_size_up=3, mode="exp_range", gamma=0.97), "adam"),
    Spec("CyclicLR-scale_fn-no-momentum", lambda lib, o: _sched(lib).CyclicLR(
        o, base_lr=0.001, max_lr=0.01, step_size_up=4, scale_fn=lambda x: 1 / (1 + 0.1 * x),
        scale_mode="iterations", cycle_momentum=False), "adam"),
    Spec("OneCycleLR-cos", lambda lib, o: _sched(lib).OneCycleLR(
        o, max_lr=[0.5, 0.05], total_steps=STEPS)),
    Spec("OneCycleLR-linear-three_phase-adam", lambda lib, o: _sched(lib).OneCycleLR(
        o, max_lr=0.01, epochs=6, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, div_factor=10.0, final_div_factor=100.0), "adam"),
    Spec("OneCycleLR-no-momentum", lambda lib, o: _sched(lib).OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS + 5, cycle_momentum=False)),
    Spec("SequentialLR", lambda lib, o: _sched(lib).SequentialLR(
        o, [_sched(lib).ConstantLR(o, factor=0.5, total_iters=4),
            _sched(lib).ExponentialLR(o, gamma=0.9)], milestones=[5])),
    Spec("SequentialLR-three", lambda lib, o: _sched(lib).SequentialLR(
        o, [_sched(lib).LinearLR(o, start_factor=0.1, total_iters=10),
            _sched(lib).StepLR(o, step_size=6, gamma=0.5),
            _sched(lib).CosineAnnealingLR(o, T_max=15)], milestones=[10, 30])),
    Spec("ChainedScheduler", lambda lib, o: _sched(lib).ChainedScheduler(
        [_sched(lib).ConstantLR(o, factor=0.1, total_iters=2),
         _sched(lib).ExponentialLR(o, gamma=0.9)])),
    Spec("ChainedScheduler-step-linear", lambda lib, o: _sched(lib).ChainedScheduler(
        [_sched(lib).StepLR(o, step_size=5, gamma=0.7),
         _sched(lib).LinearLR(o, start_factor=0.2, total_iters=12)], optimizer=o)),
]


def _optimizer(lib, kind: str, params=None):
    """Two groups (lr 0.1 and 0.02) over float64 parameters, with SGD+momentum or Adam."""
    if params is None:
        rng = np.random.default_rng(7)
        params = [lib.tensor(rng.standard_normal(shape), requires_grad=True)
                  for shape in [(4,), (3,)]]
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.02}]
    if kind == "adam":
        return lib.optim.Adam(groups)
    return lib.optim.SGD(groups, momentum=0.9)


def _momenta(optimizer) -> list:
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def _run(lib, optimizer, scheduler, start: int, stop: int) -> list:
    """Steps optimizer then scheduler; the rates and momenta after each step."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    history = []
    for step in range(start, stop):
        rng = np.random.default_rng(step)
        for p in params:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)) + p.detach().numpy())
        optimizer.step()
        scheduler.step()
        history.append(list(scheduler.get_last_lr()) + _momenta(optimizer))
    return history


def _build(lib, spec: Spec):
    optimizer = _optimizer(lib, spec.optimizer)
    return optimizer, spec.make(lib, optimizer)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_rates_match_torch(spec, torch):
    optimizer, scheduler = _build(ndgrad, spec)
    torch_optimizer, torch_scheduler = _build(torch, spec)
    np.testing.assert_allclose(scheduler.get_last_lr(), torch_scheduler.get_last_lr(),
                               **TOLERANCE)
    assert [g["initial_lr"] for g in optimizer.param_groups] == \
        [g["initial_lr"] for g in torch_optimizer.param_groups]
    ours = _run(ndgrad, optimizer, scheduler, 0, STEPS)
    theirs = _run(torch, torch_optimizer, torch_scheduler, 0, STEPS)
    np.testing.assert_allclose(ours, theirs, **TOLERANCE)
    assert getattr(scheduler, "last_epoch", None) == getattr(torch_scheduler, "last_epoch", None)
    for group, torch_group in zip(optimizer.param_groups, torch_optimizer.param_groups):
        np.testing.assert_allclose(group["params"][0].detach().numpy(),
                                   torch_group["params"][0].detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_state_dict_round_trip_through_save_load(spec, tmp_path):
    optimizer, scheduler = _build(ndgrad, spec)
    _run(ndgrad, optimizer, scheduler, 0, 20)
    ndgrad.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
                tmp_path / "checkpoint.safetensors")
    params = [ndgrad.tensor(p.detach().numpy().copy(), requires_grad=True)
              for group in optimizer.param_groups for p in group["params"]]
    resumed_optimizer = _optimizer(ndgrad, spec.optimizer, params)
    resumed = spec.make(ndgrad, resumed_optimizer)  # the usual recipe: build, then load
    checkpoint = ndgrad.load(tmp_path / "checkpoint.safetensors")
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert _run(ndgrad, resumed_optimizer, resumed, 20, STEPS) == \
        _run(ndgrad, optimizer, scheduler, 20, STEPS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_torch_state_dict_has_our_keys_and_loads(spec, torch):
    torch_optimizer, torch_scheduler = _build(torch, spec)
    _run(torch, torch_optimizer, torch_scheduler, 0, 20)
    optimizer, scheduler = _build(ndgrad, spec)
    theirs = torch_scheduler.state_dict()
    assert set(scheduler.state_dict()) == set(theirs)
    for mine, other in zip(scheduler.state_dict().get("_schedulers", []),
                           theirs.get("_schedulers", [])):
        assert set(mine) == set(other)
    optimizer_state = torch_optimizer.state_dict()
    optimizer_state["state"] = {i: {k: v.numpy() for k, v in entry.items()}
                                for i, entry in optimizer_state["state"].items()}
    optimizer.load_state_dict(optimizer_state)
    scheduler.load_state_dict(theirs)
    np.testing.assert_allclose(_run(ndgrad, optimizer, scheduler, 20, STEPS),
                               _run(torch, torch_optimizer, torch_scheduler, 20, STEPS),
                               **TOLERANCE)


PLATEAU_OPTIONS = [
    dict(),
    dict(mode="max", factor=0.5, patience=2),
    dict(patience=1, threshold=0.05, threshold_mode="abs", cooldown=3),
    dict(mode="max", patience=0, threshold=0.01, threshold_mode="abs", min_lr=[0.01, 0.001]),
    dict(factor=0.5, patience=2, threshold=0.1, cooldown=1, min_lr=1e-3, eps=1e-3),
]


def _metrics(mode: str) -> list:
    """A noisy loss that improves in bursts and stalls in between (negated for 'max')."""
    rng = np.random.default_rng(3)
    values = [1.0 / (1 + i // 9) + 0.02 * rng.standard_normal() for i in range(STEPS)]
    return [-v for v in values] if mode == "max" else values


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=str)
def test_reduce_lr_on_plateau_matches_torch(options, torch):
    rates = {}
    for lib in (ndgrad, torch):
        optimizer = _optimizer(lib, "sgd")
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **options)
        rates[lib.__name__] = [scheduler.get_last_lr()]
        for metric in _metrics(options.get("mode", "min")):
            optimizer.step()
            # ndgrad gets the metric as a 0-d tensor, which step() must accept
            scheduler.step(ndgrad.tensor(np.array(metric)) if lib is ndgrad else metric)
            rates[lib.__name__].append(scheduler.get_last_lr())
        rates[lib.__name__ + "-state"] = {k: v for k, v in scheduler.state_dict().items()
                                          if k not in ("_last_lr", "min_lrs")}
    np.testing.assert_allclose(rates["ndgrad"], rates["torch"], **TOLERANCE)
    assert rates["ndgrad"][-1] != rates["ndgrad"][0]
    assert rates["ndgrad-state"] == rates["torch-state"]


def test_reduce_lr_on_plateau_round_trip(tmp_path):
    optimizer = _optimizer(ndgrad, "sgd")
    scheduler = ndgrad.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1, cooldown=2)
    metrics = _metrics("min")
    for metric in metrics[:25]:
        scheduler.step(metric)
    ndgrad.save(scheduler.state_dict(), tmp_path / "plateau.safetensors")
    resumed = ndgrad.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(ndgrad, "sgd"))
    resumed.load_state_dict(ndgrad.load(tmp_path / "plateau.safetensors"))
    assert resumed.state_dict() == scheduler.state_dict()


CLOSED_FORMS = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 8, 8], gamma=0.5)),
    ("ConstantLR", dict(factor=0.5, total_iters=6)),
    ("LinearLR", dict(start_factor=0.2, total_iters=9)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("PolynomialLR", dict(total_iters=12, power=3.0)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
]


@pytest.mark.parametrize("name, kwargs", CLOSED_FORMS, ids=[n for n, _ in CLOSED_FORMS])
def test_step_with_epoch_uses_the_closed_form(name, kwargs, torch):
    rates = {}
    for lib in (ndgrad, torch):
        optimizer = _optimizer(lib, "sgd")
        scheduler = getattr(lib.optim.lr_scheduler, name)(optimizer, **kwargs)
        rates[lib.__name__] = []
        for epoch in [3, 10, 4, 25, 9, 6, 0]:
            optimizer.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                scheduler.step(epoch)
            rates[lib.__name__].append(scheduler.get_last_lr())
    np.testing.assert_allclose(rates["ndgrad"], rates["torch"], **TOLERANCE)


@pytest.mark.parametrize("T_mult", [1, 2])
def test_warm_restarts_with_fractional_epochs(T_mult, torch):
    rates = {}
    for lib in (ndgrad, torch):
        optimizer = _optimizer(lib, "sgd")
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, 4, T_mult)
        rates[lib.__name__] = []
        for epoch in range(12):
            for i in range(5):
                optimizer.step()
                scheduler.step(epoch + i / 5)
                rates[lib.__name__].append(scheduler.get_last_lr())
    np.testing.assert_allclose(rates["ndgrad"], rates["torch"], **TOLERANCE)


RESUMED = [
    ("StepLR", dict(step_size=5, gamma=0.5)),
    ("CosineAnnealingLR", dict(T_max=8, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", dict(T_0=6, T_mult=2)),
    ("ExponentialLR", dict(gamma=0.8)),
]


@pytest.mark.parametrize("name, kwargs", RESUMED, ids=[n for n, _ in RESUMED])
def test_last_epoch_resumes_like_torch(name, kwargs, torch):
    rates = {}
    for lib in (ndgrad, torch):
        optimizer = _optimizer(lib, "sgd")
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"] * 2
        scheduler = getattr(lib.optim.lr_scheduler, name)(optimizer, last_epoch=9, **kwargs)
        rates[lib.__name__] = ([scheduler.get_last_lr() + _momenta(optimizer)]
                               + _run(lib, optimizer, scheduler, 0, 20))
    np.testing.assert_allclose(rates["ndgrad"], rates["torch"], **TOLERANCE)


def test_last_epoch_without_initial_lr_raises(torch):
    for lib in (ndgrad, torch):
        with pytest.raises(KeyError, match="initial_lr"):
            lib.optim.lr_scheduler.StepLR(_optimizer(lib, "sgd"), 3, last_epoch=4)


def test_get_lr_outside_step_warns():
    scheduler = ndgrad.optim.lr_scheduler.StepLR(_optimizer(ndgrad, "sgd"), 3)
    with pytest.warns(UserWarning, match="get_last_lr"):
        scheduler.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


BAD_ARGUMENTS = [
    ("ConstantLR", dict(factor=1.5), ValueError),
    ("LinearLR", dict(start_factor=0.0), ValueError),
    ("LinearLR", dict(end_factor=1.5), ValueError),
    ("CosineAnnealingWarmRestarts", dict(T_0=0), ValueError),
    ("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=0), ValueError),
    ("CosineAnnealingWarmRestarts", dict(T_0=5.0), ValueError),
    ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, mode="bogus"), ValueError),
    ("CyclicLR", dict(base_lr=[0.1], max_lr=1.0), ValueError),
    ("OneCycleLR", dict(max_lr=0.1), ValueError),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0), ValueError),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-1), ValueError),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5), ValueError),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="cubic"), ValueError),
    ("ReduceLROnPlateau", dict(factor=1.0), ValueError),
    ("ReduceLROnPlateau", dict(mode="average"), ValueError),
    ("ReduceLROnPlateau", dict(threshold_mode="ratio"), ValueError),
    ("ReduceLROnPlateau", dict(min_lr=[0.1]), ValueError),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1.0]), ValueError),
    ("MultiplicativeLR", dict(lr_lambda=0.9), TypeError),
]


@pytest.mark.parametrize("name, kwargs, error", BAD_ARGUMENTS,
                         ids=[f"{i}-{n}-{sorted(k)}" for i, (n, k, _) in enumerate(BAD_ARGUMENTS)])
def test_bad_arguments_raise(name, kwargs, error, torch):
    for lib in (torch, ndgrad):
        with pytest.raises(error):
            getattr(lib.optim.lr_scheduler, name)(_optimizer(lib, "sgd"), **kwargs)


def test_bad_arguments_that_need_the_optimizer(torch):
    for lib in (torch, ndgrad):
        schedulers = lib.optim.lr_scheduler
        optimizer = _optimizer(lib, "sgd")
        adagrad = lib.optim.Adagrad([lib.zeros(2, requires_grad=True)])
        with pytest.raises(TypeError, match="is not an Optimizer"):
            schedulers.StepLR(object(), 3)
        with pytest.raises(ValueError, match="momentum"):
            schedulers.CyclicLR(adagrad, 0.01, 0.1)
        with pytest.raises(ValueError, match="momentum"):
            schedulers.OneCycleLR(adagrad, 0.1, total_steps=10)
        with pytest.raises(ValueError):
            schedulers.SequentialLR(optimizer, [schedulers.StepLR(optimizer, 3)], [2])
        with pytest.raises(ValueError):
            schedulers.ChainedScheduler([])
        plateau = schedulers.ReduceLROnPlateau(optimizer)
        with pytest.raises(ValueError, match="ReduceLROnPlateau"):
            schedulers.ChainedScheduler([schedulers.StepLR(optimizer, 3), plateau])
        other = schedulers.StepLR(_optimizer(lib, "sgd"), 3)
        with pytest.raises(ValueError, match="same optimizer"):
            schedulers.SequentialLR(optimizer, [schedulers.StepLR(optimizer, 3), other], [2])
        one_cycle = schedulers.OneCycleLR(optimizer, 0.1, total_steps=3)
        for _ in range(3):
            optimizer.step()
            one_cycle.step()
        with pytest.raises(ValueError, match="Tried to step 4 times"):
            one_cycle.step()


def test_cosine_annealing_reaches_eta_min_at_t_max():
    optimizer = _optimizer(ndgrad, "sgd")
    scheduler = ndgrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)
    rates = [scheduler.get_last_lr()] + _run(ndgrad, optimizer, scheduler, 0, 10)
    assert rates[0][:2] == [0.1, 0.02]
    assert math.isclose(rates[-1][0], 0.001) and math.isclose(rates[-1][1], 0.001)


class _Decay:
    """A callable object: its attributes travel in the scheduler's state dict."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, x: float) -> float:
        return self.rate ** x


def test_callable_objects_keep_their_attributes_in_state_dict():
    schedulers = ndgrad.optim.lr_scheduler
    lambda_lr = schedulers.LambdaLR(_optimizer(ndgrad, "sgd"), [_Decay(0.5), lambda e: 1.0])
    cyclic = schedulers.CyclicLR(_optimizer(ndgrad, "sgd"), 0.01, 0.1, scale_fn=_Decay(0.8))
    assert lambda_lr.state_dict()["lr_lambdas"] == [{"rate": 0.5}, None]
    assert cyclic.state_dict()["_scale_fn_custom"] == {"rate": 0.8}
    restored = schedulers.LambdaLR(_optimizer(ndgrad, "sgd"), [_Decay(0.9), lambda e: 1.0])
    restored.load_state_dict(lambda_lr.state_dict())
    assert restored.lr_lambdas[0].rate == 0.5
    restored = schedulers.CyclicLR(_optimizer(ndgrad, "sgd"), 0.01, 0.1, scale_fn=_Decay(0.1))
    restored.load_state_dict(cyclic.state_dict())
    assert restored.scale_fn(2) == 0.8 ** 2
