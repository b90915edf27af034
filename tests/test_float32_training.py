"""float32 training stays float32: every activation, every gradient, every saved tensor, every
optimizer buffer and every parameter, through forward, backward, optimizer and scheduler steps.

In-place updates (`param -= lr * update`) cast a float64 temporary back to float32 without a
trace, so besides dtypes that can be read off the results, `_Float64Watch` looks inside ndgrad's
own frames for float64 arrays while a training step runs.
"""
import math
import os
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F
from ndgrad import nn
from ndgrad.optim import lr_scheduler

FLOAT32 = ndgrad.float32
STEPS = 3
PACKAGE_DIR = os.path.dirname(ndgrad.__file__) + os.sep


@dataclass
class Model:
    """A small float32 classifier: `build()` the module, `batch()` its (input, int64 labels)."""

    name: str
    build: Callable[[], nn.Module]
    batch: Callable[[], tuple]


def _image_batch() -> tuple:
    return ndgrad.randn(4, 1, 8, 8), ndgrad.randint(0, 3, (4,))


MODELS = [
    Model("mlp", lambda: nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3)),
          lambda: (ndgrad.randn(8, 6), ndgrad.randint(0, 3, (8,)))),
    Model("mlp_dropout",
          lambda: nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(0.25), nn.Linear(16, 3)),
          lambda: (ndgrad.randn(8, 6), ndgrad.randint(0, 3, (8,)))),
    Model("cnn",
          lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1), nn.GroupNorm(2, 4),
                                nn.SiLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 3)),
          _image_batch),
    Model("embedding",
          lambda: nn.Sequential(nn.Embedding(10, 8), nn.LayerNorm(8), nn.GELU(), nn.Flatten(),
                                nn.Linear(40, 3)),
          lambda: (ndgrad.randint(0, 10, (4, 5)), ndgrad.randint(0, 3, (4,)))),
]
MODELS_BY_NAME = {m.name: m for m in MODELS}


@dataclass
class Opt:
    """An optimizer configuration and the float buffers it must keep for every parameter."""

    name: str
    make: Callable
    buffers: tuple


OPTIMIZERS = [
    Opt("sgd_nesterov",
        lambda p: ndgrad.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2),
        ("momentum_buffer",)),
    Opt("sgd_dampening",
        lambda p: ndgrad.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, maximize=True),
        ("momentum_buffer",)),
    Opt("adam_amsgrad",
        lambda p: ndgrad.optim.Adam(p, lr=1e-2, weight_decay=1e-2, amsgrad=True),
        ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")),
    Opt("adamw", lambda p: ndgrad.optim.AdamW(p, lr=1e-2), ("exp_avg", "exp_avg_sq")),
    Opt("adamax", lambda p: ndgrad.optim.Adamax(p, weight_decay=1e-2), ("exp_avg", "exp_inf")),
    Opt("nadam", lambda p: ndgrad.optim.NAdam(p, weight_decay=1e-2, decoupled_weight_decay=True),
        ("exp_avg", "exp_avg_sq", "mu_product")),
    Opt("radam", lambda p: ndgrad.optim.RAdam(p, weight_decay=1e-2), ("exp_avg", "exp_avg_sq")),
    Opt("rmsprop_centered_momentum",
        lambda p: ndgrad.optim.RMSprop(p, centered=True, momentum=0.9, weight_decay=1e-2),
        ("square_avg", "grad_avg", "momentum_buffer")),
    Opt("adagrad",
        lambda p: ndgrad.optim.Adagrad(p, lr_decay=0.1, weight_decay=1e-2,
                                       initial_accumulator_value=0.1),
        ("sum",)),
    Opt("adadelta", lambda p: ndgrad.optim.Adadelta(p, weight_decay=1e-2),
        ("square_avg", "acc_delta")),
]

SCHEDULERS = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=1, gamma=0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, milestones=[1, 2]),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5),
    "CosineAnnealingWarmRestarts": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2),
    "LinearLR": lambda o: lr_scheduler.LinearLR(o),
    "ConstantLR": lambda o: lr_scheduler.ConstantLR(o),
    "PolynomialLR": lambda o: lr_scheduler.PolynomialLR(o, total_iters=5),
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.9 ** epoch),
    "MultiplicativeLR": lambda o: lr_scheduler.MultiplicativeLR(o, lambda epoch: 0.9),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10),
    "CyclicLR": lambda o: lr_scheduler.CyclicLR(o, base_lr=1e-3, max_lr=0.1, step_size_up=2),
    "ReduceLROnPlateau": lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=0),
}


def _is_float64(value) -> bool:
    """A float64 Tensor, or a float64 NumPy array with at least one dim (0-d float64 arrays are
    how Python numbers pass through tensor creation)."""
    if isinstance(value, ndgrad.Tensor):
        try:
            return value.dtype == ndgrad.float64
        except AttributeError:  # a Tensor still being built inside Tensor._make has no data
            return False
    return isinstance(value, np.ndarray) and value.ndim > 0 and value.dtype == np.float64


class _Float64Watch:
    """Records where ndgrad code holds a float64 array in a local variable, or returns one,
    while the `with` block runs (a line tracer over frames of files under ndgrad/). A temporary
    that is never named nor returned (`param -= lr * grad`) escapes it."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def __enter__(self) -> "_Float64Watch":
        self._previous = sys.gettrace()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc_info) -> None:
        sys.settrace(self._previous)

    def _on_call(self, frame, event, arg):
        return self._on_event if frame.f_code.co_filename.startswith(PACKAGE_DIR) else None

    def _on_event(self, frame, event, arg):
        named = list(frame.f_locals.items())
        if event == "return":
            named.append(("<returned>", arg))
        for name, value in named:
            if _is_float64(value):
                where = os.path.relpath(frame.f_code.co_filename, PACKAGE_DIR)
                self.found.append(f"{where}:{frame.f_lineno} {frame.f_code.co_name}(): {name}")
        return self._on_event


def _graph_nodes(root: ndgrad.Tensor) -> list:
    """Every node of root's autograd graph, found through next_functions (iteratively)."""
    seen, nodes, stack = set(), [], [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return nodes


def _node_float_dtypes(node) -> list:
    """(what, dtype) of each floating-point value a node keeps: saved tensors and arrays."""
    kept = [(f"saved_tensors[{i}]", t.dtype) for i, t in enumerate(node.saved_tensors)
            if isinstance(t, ndgrad.Tensor) and t.is_floating_point()]
    kept += [(name, value.dtype) for name, value in vars(node).items()
             if isinstance(value, np.ndarray) and value.dtype.kind == "f"]
    return [(f"{node.name()}.{what}", dtype) for what, dtype in kept]


def _not_float32(named_dtypes) -> list:
    """The (name, dtype) pairs whose dtype (ndgrad's or NumPy's) is not float32."""
    return [(name, dtype) for name, dtype in named_dtypes
            if dtype not in (FLOAT32, np.dtype(np.float32))]


def _tensors_of(value) -> list:
    items = value if isinstance(value, (tuple, list)) else (value,)
    return [t for t in items if isinstance(t, ndgrad.Tensor)]


def _loss(model: nn.Module, batch: tuple) -> ndgrad.Tensor:
    inputs, labels = batch
    return F.cross_entropy(model(inputs), labels)


def _state_dtypes(optimizer) -> list:
    """(param index/state name, dtype) of every array-valued entry of optimizer.state."""
    index = {id(p): i for i, p in enumerate(optimizer.param_groups[0]["params"])}
    return [(f"param {index[id(p)]}: {name}", value.dtype)
            for p, state in optimizer.state.items() for name, value in state.items()
            if isinstance(value, (ndgrad.Tensor, np.ndarray))]


@pytest.mark.parametrize("spec", MODELS, ids=lambda m: m.name)
def test_forward_outputs_are_float32(spec):
    model = spec.build()
    seen = []
    for name, module in model.named_modules():
        module.register_forward_hook(
            lambda module, args, output, name=name: seen.extend(
                (name or "<model>", t.dtype) for t in _tensors_of(output)))
    loss = _loss(model, spec.batch())
    assert len(seen) == len(list(model.modules()))  # every module ran and was recorded
    assert _not_float32(seen) == []
    assert loss.dtype == FLOAT32


@pytest.mark.parametrize("spec", MODELS, ids=lambda m: m.name)
def test_gradients_flowing_backward_are_float32(spec):
    model = spec.build()
    seen = []

    def tap_output(module, args, output, name):
        for t in _tensors_of(output):
            t.register_hook(lambda grad: seen.append((f"{name} output grad", grad.dtype)))

    def on_backward(module, grad_input, grad_output, name):
        seen.extend((f"{name} grad_input", g.dtype) for g in _tensors_of(grad_input))
        seen.extend((f"{name} grad_output", g.dtype) for g in _tensors_of(grad_output))

    modules = [(name or "<model>", module) for name, module in model.named_modules()]
    for name, module in modules:
        module.register_forward_hook(
            lambda module, args, output, name=name: tap_output(module, args, output, name))
        module.register_full_backward_hook(
            lambda module, grad_input, grad_output, name=name:
                on_backward(module, grad_input, grad_output, name))
    loss = _loss(model, spec.batch())
    loss.register_hook(lambda grad: seen.append(("loss grad", grad.dtype)))
    loss.backward()
    grad_outputs = {name for name, _ in seen if name.endswith("grad_output")}
    assert grad_outputs == {f"{name} grad_output" for name, _ in modules}
    assert _not_float32(seen) == []
    assert [n for n, p in model.named_parameters() if p.grad is None] == []
    assert _not_float32((n, p.grad.dtype) for n, p in model.named_parameters()) == []


@pytest.mark.parametrize("spec", MODELS, ids=lambda m: m.name)
def test_graph_keeps_only_float32_values(spec):
    loss = _loss(spec.build(), spec.batch())
    nodes = _graph_nodes(loss)
    kept = [named for node in nodes for named in _node_float_dtypes(node)]
    assert len(nodes) > 3 and kept
    assert _not_float32(kept) == []


def _train_watched(model, batch, optimizer, scheduler=None) -> list:
    """Runs STEPS training steps under _Float64Watch; returns the float64 arrays it saw."""
    with _Float64Watch() as watch:
        for _ in range(STEPS):
            optimizer.zero_grad()
            _loss(model, batch).backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
    return watch.found


@pytest.mark.parametrize("spec", [
    MODELS_BY_NAME[name] for name in ("mlp", "cnn", "embedding", "mlp_dropout")
], ids=lambda m: m.name)
def test_training_step_holds_no_float64_array(spec):
    model = spec.build()
    optimizer = ndgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    assert _train_watched(model, spec.batch(), optimizer) == []


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: o.name)
def test_optimizer_state_and_parameters_stay_float32(opt):
    spec = MODELS_BY_NAME["cnn"]
    model = spec.build()
    optimizer = opt.make(model.parameters())
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    found = _train_watched(model, spec.batch(), optimizer, scheduler)
    params = list(model.parameters())
    assert all(set(opt.buffers) <= set(optimizer.state[p]) for p in params)
    # Every array in the state is float32, the 'step' counters included (as in PyTorch).
    assert _not_float32(_state_dtypes(optimizer)) == []
    assert _not_float32((n, p.dtype) for n, p in model.named_parameters()) == []
    assert _not_float32((n, p.grad.dtype) for n, p in model.named_parameters()) == []
    assert _not_float32((n, b.dtype) for n, b in model.named_buffers()
                        if b.is_floating_point()) == []
    assert model[1].num_batches_tracked.dtype == ndgrad.int64
    assert found == []


@pytest.mark.parametrize("name", SCHEDULERS)
def test_lr_scheduler_keeps_hyperparameters_python_floats(name):
    # A NumPy float64 lr would promote every update temporary to float64 (NEP 50), which the
    # in-place update then hides by casting back; PyTorch keeps Python floats here too.
    model = MODELS_BY_NAME["mlp"].build()
    optimizer = ndgrad.optim.Adam(model.parameters(), lr=0.01)
    scheduler = SCHEDULERS[name](optimizer)
    batch = MODELS_BY_NAME["mlp"].batch()
    with _Float64Watch() as watch:
        for _ in range(STEPS):
            optimizer.zero_grad()
            loss = _loss(model, batch)
            loss.backward()
            optimizer.step()
            if name == "ReduceLROnPlateau":
                scheduler.step(loss.detach())
            else:
                scheduler.step()
    group = optimizer.param_groups[0]
    numbers = {key: value for key, value in group.items() if key != "params"}
    numbers.update({f"betas[{i}]": beta for i, beta in enumerate(group["betas"])})
    del numbers["betas"]
    assert {k: type(v) for k, v in numbers.items() if type(v) not in (float, int, bool)} == {}
    assert all(type(lr) is float for lr in scheduler.get_last_lr())
    assert _not_float32(_state_dtypes(optimizer)) == []
    assert _not_float32((n, p.dtype) for n, p in model.named_parameters()) == []
    assert watch.found == []


@pytest.mark.parametrize("scale", [
    pytest.param(0.25, id="python_float"),
    pytest.param(4, id="python_int"),
    pytest.param(1 / math.sqrt(16), id="math_sqrt"),
    pytest.param(np.float32(0.25), id="numpy_float32"),
    pytest.param(np.float64(0.25), id="numpy_float64"),
    pytest.param(1 / np.sqrt(16), id="numpy_sqrt"),
    pytest.param(np.int64(4), id="numpy_int64"),
])
def test_scaling_logits_by_a_number_keeps_float32(scale):
    # Attention-style scaling (`scores / sqrt(d)`): the loss and every gradient stay float32.
    model = MODELS_BY_NAME["mlp"].build()
    inputs, labels = MODELS_BY_NAME["mlp"].batch()
    logits = model(inputs) * scale
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    assert (logits.dtype, loss.dtype) == (FLOAT32, FLOAT32)
    assert _not_float32((n, p.grad.dtype) for n, p in model.named_parameters()) == []


@pytest.mark.parametrize("op", [
    pytest.param(lambda t: t.max(), id="max"),
    pytest.param(lambda t: t.max(axis=1), id="max_axis"),
    pytest.param(lambda t: t.amin(1), id="amin"),
    pytest.param(lambda t: ndgrad.maximum(t, t * 0.5), id="maximum"),
    pytest.param(lambda t: t.clamp(min=ndgrad.zeros(5)), id="clamp_tensor"),
    pytest.param(lambda t: t.norm(float("inf")), id="norm_inf"),
])
def test_extreme_ops_keep_no_float64_in_the_graph(op):
    x = ndgrad.randn(4, 5, requires_grad=True)
    out = op(x)
    assert _not_float32(_node_float_dtypes(out.grad_fn)) == []
    out.sum().backward()
    assert x.grad.dtype == FLOAT32
