"""Mistakes with optimizers and learning-rate schedulers raise PyTorch's exception class with a
message naming the argument, and leave the optimizer (param_groups, state), the scheduler and
the parameters as they were."""
from __future__ import annotations

import pytest

import ndgrad
from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake


def params(m):
    return [m.nn.Parameter(m.ones(2)), m.nn.Parameter(m.zeros(3))]


def stepped(m, optimizer: str = "Adam", **options):
    """An optimizer over two parameters that has taken one step (so it holds state)."""
    weights = params(m)
    optimizer = getattr(m.optim, optimizer)(weights, **options)
    sum(w.sum() for w in weights).backward()
    optimizer.step()
    return optimizer


def one_cycle(m):
    """A OneCycleLR of total_steps=2 that has taken both its steps."""
    optimizer = stepped(m, "SGD", lr=0.1, momentum=0.9)
    scheduler = m.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=2)
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    return scheduler


def sgd(m):
    return m.optim.SGD(params(m), lr=0.1)


def group_sizes(optimizer) -> dict:
    """optimizer's state_dict with its first group cut to one parameter."""
    state = optimizer.state_dict()
    state["param_groups"][0]["params"] = state["param_groups"][0]["params"][:1]
    return state


HYPER_PARAMETERS = [
    Mistake("SGD_lr", lambda m: m.optim.SGD(params(m), lr=-0.1), ValueError,
            "Invalid learning rate: -0.1"),
    Mistake("SGD_momentum", lambda m: m.optim.SGD(params(m), lr=0.1, momentum=-1), ValueError,
            "Invalid momentum value: -1"),
    Mistake("SGD_weight_decay", lambda m: m.optim.SGD(params(m), lr=0.1, weight_decay=-1),
            ValueError, "Invalid weight_decay value: -1"),
    Mistake("SGD_nesterov", lambda m: m.optim.SGD(params(m), lr=0.1, nesterov=True),
            ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    Mistake("SGD_lr_tensor", lambda m: m.optim.SGD(params(m), lr=m.tensor([0.1, 0.2])),
            ValueError, "Tensor lr must be 1-element"),
    # torch's TypeError is Python's own ("'<' not supported between ..."); ndgrad names lr.
    Mistake("SGD_lr_string", lambda m: m.optim.SGD(params(m), lr="0.1"), TypeError,
            "optimizer argument lr must be a number, got str"),
    Mistake("Adam_beta1", lambda m: m.optim.Adam(params(m), betas=(1.0, 0.999)), ValueError,
            "Invalid beta parameter at index 0: 1.0"),
    Mistake("Adam_beta2", lambda m: m.optim.Adam(params(m), betas=(0.9, -0.1)), ValueError,
            "Invalid beta parameter at index 1: -0.1"),
    # torch fails inside with IndexError indexing betas[1].
    Mistake("Adam_one_beta", lambda m: m.optim.Adam(params(m), betas=(0.9,)), ValueError,
            "betas must be a pair of numbers, got \\(0.9,\\)", torch_error=IndexError),
    Mistake("Adam_eps", lambda m: m.optim.Adam(params(m), eps=-1e-8), ValueError,
            "Invalid epsilon value: -1e-08"),
    Mistake("AdamW_weight_decay", lambda m: m.optim.AdamW(params(m), weight_decay=-0.1),
            ValueError, "Invalid weight_decay value: -0.1"),
    Mistake("RMSprop_alpha", lambda m: m.optim.RMSprop(params(m), alpha=-1), ValueError,
            "Invalid alpha value: -1"),
    Mistake("Adagrad_lr_decay", lambda m: m.optim.Adagrad(params(m), lr_decay=-1), ValueError,
            "Invalid lr_decay value: -1"),
    Mistake("Adagrad_lr_decay_string", lambda m: m.optim.Adagrad(params(m), lr_decay="0"),
            TypeError, "optimizer argument lr_decay must be a number, got str"),
    Mistake("NAdam_momentum_decay", lambda m: m.optim.NAdam(params(m), momentum_decay=-1),
            ValueError, "Invalid momentum_decay value: -1"),
    Mistake("Adadelta_rho", lambda m: m.optim.Adadelta(params(m), rho=1.5), ValueError,
            "Invalid rho value: 1.5"),
    Mistake("LBFGS_groups",
            lambda m: m.optim.LBFGS([{"params": params(m)}, {"params": params(m)}]),
            ValueError, "LBFGS doesn't support per-parameter options"),
]

PARAMETERS = [
    Mistake("params_tensor", lambda m, p: m.optim.SGD(p, lr=0.1), TypeError,
            "params argument given to the optimizer should be an iterable of Tensors or dicts",
            inputs=lambda m: (m.nn.Parameter(m.ones(2)),)),
    Mistake("params_int", lambda m: m.optim.SGD(3, lr=0.1), TypeError,
            "'int' object is not iterable"),
    Mistake("params_empty", lambda m: m.optim.SGD([], lr=0.1), ValueError,
            "optimizer got an empty parameter list"),
    Mistake("params_non_leaf", lambda m, p: m.optim.SGD([p * 2], lr=0.1), ValueError,
            "can't optimize a non-leaf Tensor", inputs=lambda m: (m.nn.Parameter(m.ones(2)),)),
    Mistake("params_number", lambda m: m.optim.SGD([3.0], lr=0.1), TypeError,
            "optimizer can only optimize Tensors, but one of the params is float"),
    Mistake("params_in_two_groups",
            lambda m, p: m.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1), ValueError,
            "some parameters appear in more than one parameter group",
            inputs=lambda m: (m.nn.Parameter(m.ones(2)),)),
    Mistake("add_param_group_again",
            lambda m, opt: opt.add_param_group({"params": opt.param_groups[0]["params"][:1]}),
            ValueError, "some parameters appear in more than one parameter group",
            inputs=lambda m: (stepped(m),)),
    Mistake("add_param_group_list",
            lambda m, opt: opt.add_param_group([m.nn.Parameter(m.ones(1))]), TypeError,
            "param_group must be a dict", inputs=lambda m: (stepped(m),)),
]

STATE_DICTS = [
    # torch fails inside, calling .copy() on the int (AttributeError).
    Mistake("load_state_dict_int", lambda m, opt: opt.load_state_dict(3), TypeError,
            "Expected state_dict to be dict-like, got <class 'int'>",
            torch_error=AttributeError, inputs=lambda m: (stepped(m),)),
    Mistake("load_state_dict_group_count",
            lambda m, opt, other: opt.load_state_dict(other.state_dict()), ValueError,
            "loaded state dict has a different number of parameter groups",
            inputs=lambda m: (stepped(m), m.optim.Adam([{"params": params(m)},
                                                        {"params": params(m)}]))),
    Mistake("load_state_dict_group_size",
            lambda m, opt, other: opt.load_state_dict(group_sizes(other)), ValueError,
            "parameter group that doesn't match the size of optimizer's group",
            inputs=lambda m: (stepped(m), stepped(m, lr=0.5))),
    Mistake("load_state_dict_without_state",
            lambda m, opt, other: opt.load_state_dict({"param_groups": other.state_dict()
                                                       ["param_groups"]}),
            KeyError, "state", inputs=lambda m: (stepped(m), stepped(m, lr=0.5))),
]

SCHEDULERS = [
    Mistake("StepLR_not_optimizer", lambda m: m.optim.lr_scheduler.StepLR(3, 2), TypeError,
            "int is not an Optimizer"),
    Mistake("LambdaLR_count",
            lambda m, opt: m.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0] * 2),
            ValueError, "Expected 1 lr_lambdas, but got 2", inputs=lambda m: (stepped(m),)),
    Mistake("StepLR_resume_without_initial_lr",
            lambda m, opt: m.optim.lr_scheduler.StepLR(opt, 2, last_epoch=5), KeyError,
            "param 'initial_lr' is not specified in param_groups\\[0\\]",
            inputs=lambda m: (stepped(m),)),
    Mistake("ReduceLROnPlateau_mode",
            lambda m, opt: m.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="maximum"),
            ValueError, "mode maximum is unknown!", inputs=lambda m: (stepped(m),)),
    Mistake("ReduceLROnPlateau_factor",
            lambda m, opt: m.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0),
            ValueError, "Factor should be < 1.0", inputs=lambda m: (stepped(m),)),
    Mistake("OneCycleLR_no_length",
            lambda m, opt: m.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1), ValueError,
            "You must define either total_steps OR \\(epochs AND steps_per_epoch\\)",
            inputs=lambda m: (stepped(m),)),
    Mistake("OneCycleLR_max_lr_per_group",
            lambda m, opt: m.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.2],
                                                           total_steps=10),
            ValueError, "max_lr must have the same length as optimizer.param_groups",
            inputs=lambda m: (stepped(m),)),
    # PyTorch counts the refused step in last_epoch; ndgrad leaves the scheduler as it was.
    Mistake("OneCycleLR_past_total_steps", lambda m, scheduler: scheduler.step(), ValueError,
            "Tried to step 3 times. The specified number of total steps is 2",
            inputs=lambda m: (one_cycle(m),)),
    Mistake("CosineAnnealingWarmRestarts_T_0",
            lambda m, opt: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0),
            ValueError, "Expected positive integer T_0, but got 0", inputs=lambda m: (sgd(m),)),
    Mistake("LinearLR_start_factor",
            lambda m, opt: m.optim.lr_scheduler.LinearLR(opt, start_factor=0), ValueError,
            "Starting multiplicative factor expected to be greater than 0",
            inputs=lambda m: (sgd(m),)),
    Mistake("SequentialLR_two_optimizers",
            lambda m, schedulers: m.optim.lr_scheduler.SequentialLR(
                schedulers[0].optimizer, schedulers, milestones=[1]),
            ValueError, "SequentialLR expects all schedulers to belong to the same optimizer",
            inputs=lambda m: ([m.optim.lr_scheduler.StepLR(sgd(m), 2) for _ in range(2)],)),
]

MISTAKES = HYPER_PARAMETERS + PARAMETERS + STATE_DICTS + SCHEDULERS


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)


def test_state_of_another_shape_is_refused_at_load(torch):
    # A deliberate difference (README): PyTorch loads it and fails at the next step.
    def other(m):
        weights = [m.nn.Parameter(m.ones(5)), m.nn.Parameter(m.ones(3))]
        optimizer = m.optim.Adam(weights)
        sum(w.sum() for w in weights).backward()
        optimizer.step()
        return optimizer

    check_ndgrad(Mistake("load_state_dict_state_shape",
                         lambda m, opt, state: opt.load_state_dict(state), ValueError,
                         "loaded state dict has 'exp_avg' of shape \\[5\\] for parameter 0 of "
                         "shape \\[2\\]", inputs=lambda m: (stepped(m), other(m).state_dict())))
    optimizer = stepped(torch)
    optimizer.load_state_dict(other(torch).state_dict())
    with pytest.raises(RuntimeError, match="must match the size"):
        optimizer.step()


def test_group_hyper_parameters_are_checked_too(torch):
    # A deliberate difference (README): PyTorch checks only the defaults' values.
    group = {"params": [ndgrad.nn.Parameter(ndgrad.ones(1))], "lr": -1.0}
    with pytest.raises(ValueError, match="Invalid learning rate: -1.0"):
        ndgrad.optim.SGD([group], lr=0.1)
    torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))], "lr": -1.0}], lr=0.1)
