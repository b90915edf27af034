"""The engine's two modes: a plain backward on raw arrays, create_graph=True on Tensors.

A plain backward passes NumPy arrays between nodes and runs the formulas of ops marked
`_backward_on_arrays` on arrays; every other node (custom Functions, unmarked ops), every hook
and every `.grad` still sees Tensors. The table below has one row per marked op, so marking a
new op without a row fails `test_table_covers_every_marked_op`.
"""
import importlib
import pkgutil
import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F
import ndgrad.ops
from ndgrad.autograd import detect_anomaly, set_detect_anomaly
from ndgrad.autograd.function import ArrayFunction
from tests._oracle import Spec, assert_close, sample

MODES = [False, True]
MODE_IDS = ["arrays", "create_graph"]
# The two modes run one formula text, so they agree to rounding (identical in practice).
MODE_TOLERANCES = {"float64": dict(rtol=1e-12, atol=1e-15),
                   "float32": dict(rtol=1e-6, atol=1e-7)}
# Fused ops whose create_graph backward differentiates the composed ops instead of running
# the closed form (see ops/_dual.composed_backward): two formulas, so float32 rounding shows.
COMPOSED_BACKWARD = {"LSTMLayer", "GRULayer", "LayerNorm"}
COMPOSED_TOLERANCES = {**MODE_TOLERANCES, "float32": {"rtol": 1e-5, "atol": 1e-6}}


def _target(*values):
    return ndgrad.tensor(values)


# (marked op, spec): `spec.fn` must build a graph holding a node of that op.
def _recurrent(kind: str, x, *args, **options):
    """A recurrent layer of x's dtype applied to x, its weights drawn from a fixed seed."""
    ndgrad.manual_seed(0)
    return getattr(ndgrad.nn, kind)(*args, **options, dtype=x.dtype)(x)


MARKED = [
    ("Add", Spec("add", lambda a, b: a + b, shapes=[(3, 4), (3, 4)])),
    ("Add", Spec("add_broadcast", lambda a, b: a + b, shapes=[(3, 1), (1, 4)])),
    ("Add", Spec("add_scalar_tensor", lambda a, b: a + b, shapes=[(), (2, 3)])),
    ("Add", Spec("add_python_scalar", lambda a: a + 1.5, shapes=[(4,)])),
    ("Sub", Spec("sub_broadcast", lambda a, b: a - b, shapes=[(2, 3, 1), (3, 4)])),
    ("Sub", Spec("rsub_python_scalar", lambda a: 2.0 - a, shapes=[(4,)])),
    ("Mul", Spec("mul_broadcast", lambda a, b: a * b, shapes=[(3, 1), (1, 4)])),
    ("Mul", Spec("mul_same_input", lambda a: a * a, shapes=[(5,)])),
    ("Mul", Spec("mul_0d", lambda a, b: a * b, shapes=[(), ()])),
    ("Div", Spec("div_broadcast", lambda a, b: a / b, shapes=[(4, 3), (3,)], min_abs=0.5)),
    ("Div", Spec("rdiv_python_scalar", lambda a: 1 / a, shapes=[(4,)], min_abs=0.5)),
    ("Atan2", Spec("atan2", ndgrad.atan2, shapes=[(3, 1), (4,)], min_abs=0.2)),
    ("Atan2", Spec("atan2_python_scalar", lambda a: ndgrad.atan2(a, 2.0), shapes=[(4,)])),
    ("Neg", Spec("neg", lambda x: -x, shapes=[(3, 4)])),
    ("Abs", Spec("abs", lambda x: x.abs(), shapes=[(3, 4)], min_abs=0.1)),
    ("Exp", Spec("exp", ndgrad.exp, shapes=[(3, 4)])),
    ("Exp", Spec("exp_0d", lambda x: x.exp(), shapes=[()])),
    ("Exp2", Spec("exp2", ndgrad.exp2, shapes=[(5,)])),
    ("Expm1", Spec("expm1", ndgrad.expm1, shapes=[(5,)])),
    ("Log", Spec("log", lambda x: x.log(), shapes=[(3, 4)], low=0.2, high=3.0)),
    ("Log2", Spec("log2", ndgrad.log2, shapes=[(5,)], low=0.2, high=3.0)),
    ("Log10", Spec("log10", ndgrad.log10, shapes=[(5,)], low=0.2, high=3.0)),
    ("Log1p", Spec("log1p", ndgrad.log1p, shapes=[(5,)], low=-0.5, high=2.0)),
    ("Sqrt", Spec("sqrt", lambda x: x.sqrt(), shapes=[(3, 4)], low=0.2, high=3.0)),
    ("Sqrt", Spec("sqrt_0d", lambda x: x.sqrt(), shapes=[()], low=0.2, high=3.0)),
    ("Rsqrt", Spec("rsqrt", ndgrad.rsqrt, shapes=[(5,)], low=0.2, high=3.0)),
    ("Reciprocal", Spec("reciprocal", lambda x: x.reciprocal(), shapes=[(5,)], min_abs=0.5)),
    ("Tan", Spec("tan", lambda x: x.tan(), shapes=[(5,)], low=-1.0, high=1.0)),
    ("Atan", Spec("atan", lambda x: x.atan(), shapes=[(5,)])),
    ("Tanh", Spec("tanh", ndgrad.tanh, shapes=[(3, 4)])),
    ("Tanh", Spec("tanh_0d", lambda x: x.tanh(), shapes=[()])),
    ("Sigmoid", Spec("sigmoid", lambda x: x.sigmoid(), shapes=[(3, 4)], low=-6.0, high=6.0)),
    ("Relu", Spec("relu", F.relu, shapes=[(3, 4)], min_abs=0.1)),
    ("Linear", Spec("linear", F.linear, shapes=[(4, 3), (5, 3), (5,)])),
    ("Linear", Spec("linear_3d_input", F.linear, shapes=[(2, 4, 3), (5, 3), (5,)])),
    ("Linear", Spec("linear_no_bias", F.linear, shapes=[(4, 3), (5, 3)])),
    ("Linear", Spec("linear_1d_input", F.linear, shapes=[(3,), (5, 3), (5,)])),
    ("LogSoftmax", Spec("log_softmax", lambda x: F.log_softmax(x, 1), shapes=[(4, 5)])),
    ("LogSoftmax", Spec("log_softmax_dim0_3d", lambda x: F.log_softmax(x, 0),
                        shapes=[(3, 2, 4)])),
    ("Softmax", Spec("softmax", lambda x: F.softmax(x, 1), shapes=[(4, 5)])),
    ("Softmax", Spec("softmax_last", lambda x: x.softmax(-1), shapes=[(2, 3, 4)])),
    ("CrossEntropy", Spec("cross_entropy", lambda x: F.cross_entropy(x, _target(0, 2, 1, 2)),
                          shapes=[(4, 3)])),
    ("CrossEntropy", Spec("cross_entropy_none", lambda x: F.cross_entropy(
        x, _target(0, 2, 1, 2), reduction="none"), shapes=[(4, 3)])),
    ("CrossEntropy", Spec("cross_entropy_sum_weight_ignore",
                     lambda x: F.cross_entropy(x, _target(0, 2, 1, 2), reduction="sum",
                                               weight=ndgrad.tensor([1.0, 2.0, 0.5],
                                                                    dtype=x.dtype),
                                               ignore_index=1),
                     shapes=[(4, 3)])),
    ("NllLoss", Spec("cross_entropy_spatial",
                     lambda x: F.cross_entropy(x, ndgrad.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])),
                     shapes=[(2, 3, 4)])),
    ("NllLoss", Spec("nll_loss_none",
                     lambda x: F.nll_loss(F.log_softmax(x, 1), _target(1, 0, 2), reduction="none"),
                     shapes=[(3, 4)])),
    ("LayerNorm", Spec("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
                       shapes=[(2, 3, 4), (4,), (4,)])),
    ("LayerNorm", Spec("layer_norm_2d_no_affine", lambda x: F.layer_norm(x, (3, 4)),
                       shapes=[(2, 3, 4)])),
    ("LSTMLayer", Spec("lstm_two_layers", lambda x: _recurrent("LSTM", x, 3, 2, num_layers=2)[0],
                       shapes=[(4, 2, 3)])),
    ("LSTMLayer", Spec("lstm_projection_bidirectional", lambda x: _recurrent(
        "LSTM", x, 3, 3, proj_size=2, bidirectional=True)[1][1], shapes=[(4, 2, 3)])),
    ("GRULayer", Spec("gru_two_layers", lambda x: _recurrent("GRU", x, 3, 2, num_layers=2)[0],
                      shapes=[(4, 2, 3)])),
    ("GRULayer", Spec("gru_bidirectional_no_bias", lambda x: _recurrent(
        "GRU", x, 3, 2, bidirectional=True, bias=False)[1], shapes=[(4, 2, 3)])),
    ("MatMul", Spec("matmul", lambda a, b: a @ b, shapes=[(3, 4), (4, 2)])),
    ("MatMul", Spec("matmul_batch_broadcast", ndgrad.matmul, shapes=[(2, 1, 3, 4), (5, 4, 2)])),
    ("MatMul", Spec("matmul_vector_matrix", ndgrad.matmul, shapes=[(4,), (4, 2)])),
    ("MatMul", Spec("matmul_matrix_vector", ndgrad.matmul, shapes=[(3, 4), (4,)])),
    ("Sum", Spec("sum_all", lambda x: x.sum(), shapes=[(3, 4)])),
    ("Sum", Spec("sum_dim0", lambda x: x.sum(0), shapes=[(3, 4)])),
    ("Sum", Spec("sum_dims_keepdim", lambda x: x.sum((0, 2), keepdim=True), shapes=[(2, 3, 4)])),
    ("Sum", Spec("sum_0d", lambda x: x.sum(), shapes=[()])),
    ("Mean", Spec("mean_all", lambda x: x.mean(), shapes=[(3, 4)])),
    ("Mean", Spec("mean_dim_keepdim", lambda x: x.mean(1, keepdim=True), shapes=[(3, 4, 2)])),
    ("SumTo", Spec("sum_to_size", lambda x: x.sum_to_size(1, 4), shapes=[(3, 4)])),
    ("BroadcastTo", Spec("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), shapes=[(3, 1)])),
    ("BroadcastTo", Spec("expand_0d", lambda x: x.expand(2, 3), shapes=[()])),
    ("Reshape", Spec("reshape", lambda x: x.reshape(4, 3), shapes=[(3, 4)])),
    ("Reshape", Spec("view_flat", lambda x: x.view(-1), shapes=[(2, 3, 2)])),
    ("Reshape", Spec("reshape_0d", lambda x: x.reshape(1, 1), shapes=[()])),
]


def _marked_ops() -> dict:
    """Every op class in ndgrad/ops that runs its backward on arrays, by name."""
    for module in pkgutil.iter_modules(ndgrad.ops.__path__):
        importlib.import_module(f"ndgrad.ops.{module.name}")
    classes, stack = set(), [ArrayFunction]
    while stack:
        for cls in stack.pop().__subclasses__():
            if cls not in classes:
                classes.add(cls)
                stack.append(cls)
    marked: dict = {}
    for cls in classes:
        if cls._backward_on_arrays and cls.__module__.startswith("ndgrad.ops."):
            marked.setdefault(cls.__name__, []).append(cls)
    return marked


def _node_names(output) -> set:
    """The class names of the nodes in the graph of `output`."""
    names, seen = set(), set()
    stack = [output.grad_fn] if output.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        stack.extend(child for child, _ in node.next_functions if child is not None)
    return names


def _leaves(arrays: list, spec: Spec) -> list:
    return [ndgrad.tensor(a.copy(), requires_grad=i not in spec.constant_inputs)
            for i, a in enumerate(arrays)]


def _check_grad_matches_input(grad, leaf, what: str) -> None:
    assert isinstance(grad, ndgrad.Tensor), what
    assert type(grad._data) is np.ndarray, f"{what}: data is {type(grad._data).__name__}"
    assert grad.dtype == leaf.dtype, f"{what}: dtype {grad.dtype} for input {leaf.dtype}"
    assert grad.shape == leaf.shape, f"{what}: shape {grad.shape} for input {leaf.shape}"


def test_table_covers_every_marked_op():
    marked = _marked_ops()
    assert not [name for name, classes in marked.items() if len(classes) > 1], marked
    covered = {op for op, _ in MARKED}
    assert not sorted(set(marked) - covered), \
        f"ops marked _backward_on_arrays without a row in MARKED: {sorted(set(marked) - covered)}"
    assert not sorted(covered - set(marked)), \
        f"rows in MARKED for ops that are not marked: {sorted(covered - set(marked))}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op, spec", MARKED, ids=[s.name for _, s in MARKED])
def test_autograd_grad_agrees_in_both_modes(op, spec, dtype):
    arrays = sample(spec, dtype)
    results = {}
    for create_graph in MODES:
        leaves = _leaves(arrays, spec)
        out = spec.fn(*leaves)
        assert op in _node_names(out), f"{spec.name} builds no {op} node"
        seed = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype.name)
        results[create_graph] = ndgrad.autograd.grad(out, leaves, ndgrad.tensor(seed),
                                                     create_graph=create_graph)
    for i, (plain, graph) in enumerate(zip(results[False], results[True])):
        _check_grad_matches_input(plain, leaves[i], f"{spec.name}: input {i}, arrays")
        _check_grad_matches_input(graph, leaves[i], f"{spec.name}: input {i}, create_graph")
        tolerances = COMPOSED_TOLERANCES if op in COMPOSED_BACKWARD else MODE_TOLERANCES
        np.testing.assert_allclose(plain._data, graph._data, err_msg=f"{spec.name}: input {i}",
                                   **tolerances[dtype])


@pytest.mark.parametrize("op, spec", MARKED, ids=[s.name for _, s in MARKED])
def test_backward_agrees_in_both_modes_and_leaf_grads_own_storage(op, spec):
    arrays = sample(spec, "float64")
    grads = {}
    for create_graph in MODES:
        leaves = _leaves(arrays, spec)
        out = spec.fn(*leaves)
        seed = ndgrad.tensor(np.random.default_rng(1).standard_normal(out.shape))
        kept = seed._data.copy()
        out.backward(seed, create_graph=create_graph)
        grads[create_graph] = [t.grad._data.copy() for t in leaves]  # zeroed below
        for i, t in enumerate(leaves):
            _check_grad_matches_input(t.grad, t, f"{spec.name}: input {i}")
            assert t.grad._data.flags.writeable, f"{spec.name}: input {i}"
            others = [seed._data, out._data] + [u._data for u in leaves] + \
                [u.grad._data for u in leaves if u is not t]
            assert not any(np.shares_memory(t.grad._data, o) for o in others), spec.name
        for t in leaves:
            t.grad.zero_()
        np.testing.assert_array_equal(seed._data, kept)
    for i, (plain, graph) in enumerate(zip(grads[False], grads[True])):
        np.testing.assert_allclose(plain, graph, err_msg=f"{spec.name}: input {i}",
                                   **MODE_TOLERANCES["float64"])


# ---- 0-d tensors: NumPy ops on 0-d arrays give NumPy scalars, a Tensor's data stays an array

ZERO_D = [
    ("tanh_times_x", lambda lib, x: x.tanh() * x),
    ("used_three_times", lambda lib, x: x * x * x + x),
    ("exp_log", lambda lib, x: (x.exp() + 1).log() / x),
    ("sum_and_mean", lambda lib, x: x.sum() * (x * 3).mean()),
    ("reshape", lambda lib, x: x.reshape(1, 1).sigmoid().sum()),
    ("broadcast_add", lambda lib, x: (x + lib.ones(3, dtype=lib.float64)).sum()),
    ("expand", lambda lib, x: (x.expand(2, 3) * x).sum()),
    ("matmul_of_expanded", lambda lib, x: (x.expand(1, 3) @ x.expand(3, 1)).sum()),
]


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("name, fn", ZERO_D, ids=[c[0] for c in ZERO_D])
def test_zero_dim_grads_are_0d_arrays(torch, name, fn, create_graph):
    x = ndgrad.tensor(0.7, dtype=ndgrad.float64, requires_grad=True)
    tx = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    fn(ndgrad, x).backward(create_graph=create_graph)
    fn(torch, tx).backward()
    _check_grad_matches_input(x.grad, x, name)
    assert x.grad.ndim == 0
    assert_close(x.grad, tx.grad, "float64", name)
    x.grad.zero_()
    assert x.grad.item() == 0.0


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
def test_zero_dim_intermediate_used_twice_with_hook_and_retain_grad(torch, create_graph):
    def run(lib):
        x = lib.tensor(0.4, dtype=lib.float64, requires_grad=True)
        y = x.tanh()
        seen = []

        def triple(grad):
            seen.append(grad)
            return grad * 3

        y.register_hook(triple)
        y.retain_grad()
        (y * y + y.exp()).backward(create_graph=create_graph and lib is ndgrad)
        return x, y, seen

    x, y, seen = run(ndgrad)
    tx, ty, _ = run(torch)
    assert len(seen) == 1 and isinstance(seen[0], ndgrad.Tensor)
    assert type(seen[0]._data) is np.ndarray and type(y.grad._data) is np.ndarray
    assert_close(y.grad, ty.grad, "float64", "retained grad")
    assert_close(x.grad, tx.grad, "float64", "leaf grad")


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
def test_zero_dim_autograd_grad_of_intermediate_used_twice(create_graph):
    x = ndgrad.tensor(0.4, dtype=ndgrad.float64, requires_grad=True)
    y = x * 2
    gy, gx = ndgrad.autograd.grad(y * y + y, [y, x], create_graph=create_graph)
    for g in (gy, gx):
        assert type(g._data) is np.ndarray and g.ndim == 0
    assert gy.item() == pytest.approx(2 * 0.8 + 1)
    assert gx.item() == pytest.approx(2 * (2 * 0.8 + 1))


# ---- custom Functions between marked ops: Tensors in, Tensors out, in both modes


class _Square(ndgrad.autograd.Function):
    """x * x, recording the types its backward receives."""

    seen: list = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        _Square.seen.append((grad, x))
        return grad * 2 * x


class _SinCos(ndgrad.autograd.Function):
    """(sin x, cos x), recording the gradients its backward receives."""

    seen: list = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        _SinCos.seen.append((grad_sin, grad_cos))
        return grad_sin * x.cos() - grad_cos * x.sin()


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
def test_custom_function_between_marked_ops_gets_tensors(create_graph):
    _Square.seen = []
    values = np.array([0.3, -1.2, 0.8])
    w_values = np.array([1.5, -0.5, 2.0])
    x = ndgrad.tensor(values, requires_grad=True)
    w = ndgrad.tensor(w_values, requires_grad=True)
    loss = (_Square.apply(x.tanh() * w) + x).sum()
    loss.backward(create_graph=create_graph)
    assert len(_Square.seen) == 1
    grad, saved = _Square.seen[0]
    assert isinstance(grad, ndgrad.Tensor) and isinstance(saved, ndgrad.Tensor)
    assert type(grad._data) is np.ndarray
    t = np.tanh(values)
    np.testing.assert_allclose(x.grad._data, 2 * t * w_values ** 2 * (1 - t * t) + 1)
    np.testing.assert_allclose(w.grad._data, 2 * t * t * w_values)
    assert x.grad.requires_grad == create_graph


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
def test_custom_function_output_unused_gets_materialized_zero_tensor(create_graph):
    _SinCos.seen = []
    x = ndgrad.tensor([0.5, -1.0], dtype=ndgrad.float64, requires_grad=True)
    sin, _ = _SinCos.apply(x.exp())
    (sin * 2).sum().backward(create_graph=create_graph)
    grad_sin, grad_cos = _SinCos.seen[0]
    assert isinstance(grad_sin, ndgrad.Tensor) and isinstance(grad_cos, ndgrad.Tensor)
    assert grad_cos.dtype == ndgrad.float64 and grad_cos.shape == (2,)
    assert not grad_cos._data.any()
    e = np.exp([0.5, -1.0])
    np.testing.assert_allclose(x.grad._data, 2 * np.cos(e) * e)


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
def test_double_backward_through_custom_function_after_array_backward(create_graph):
    x = ndgrad.tensor([0.5, -1.5], dtype=ndgrad.float64, requires_grad=True)
    loss = _Square.apply(x.tanh()).sum()
    loss.backward(retain_graph=True, create_graph=create_graph)
    (g,) = ndgrad.autograd.grad(loss, x, create_graph=True)
    (gg,) = ndgrad.autograd.grad(g.sum(), x)
    t = np.tanh([0.5, -1.5])
    np.testing.assert_allclose(g._data, 2 * t * (1 - t * t))
    np.testing.assert_allclose(gg._data, 2 * (1 - t * t) ** 2 - 4 * t * t * (1 - t * t))


BAD_GRADS = [
    ("ndarray_other_dtype", lambda grad: np.ones(grad.shape, dtype=np.float64)),
    ("ndarray_other_shape", lambda grad: np.ones(grad.shape + (1,), dtype=np.float32)),
    ("ndarray_same_shape_and_dtype", lambda grad: np.ones(grad.shape, dtype=np.float32)),
    ("ndarray_of_grad", lambda grad: grad.detach().numpy() * 2),
    ("python_float", lambda grad: 1.0),
    ("list", lambda grad: [1.0] * grad.shape[0]),
]
BAD_GRAD_PARAMS = [
    pytest.param(make_bad, create_graph, id=f"{name}-{mode}")
    for name, make_bad in BAD_GRADS for create_graph, mode in zip(MODES, MODE_IDS)
]


@pytest.mark.parametrize("make_bad, create_graph", BAD_GRAD_PARAMS)
def test_custom_function_returning_non_tensor_raises_type_error(make_bad, create_graph):
    class ReturnsArray(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return make_bad(grad)

    x = ndgrad.tensor([1.0, 2.0], dtype=ndgrad.float32, requires_grad=True)
    loss = ReturnsArray.apply(x.tanh()).exp().sum()
    with pytest.raises(TypeError, match="ReturnsArrayBackward returned a gradient of type"):
        loss.backward(create_graph=create_graph)


# ---- tensor hooks and retain_grad: Tensors, the hook's result flows on, torch's values


def _hook_then_retain(lib, y, hooks):
    y.register_hook(hooks(lambda g: g * 2))
    y.retain_grad()


def _retain_then_hook(lib, y, hooks):
    y.retain_grad()
    y.register_hook(hooks(lambda g: g * 2))


def _observing_hook(lib, y, hooks):
    y.register_hook(hooks(lambda g: None))
    y.retain_grad()


def _two_hooks_in_order(lib, y, hooks):
    y.register_hook(hooks(lambda g: g + 1))
    y.register_hook(hooks(lambda g: g * 3))
    y.retain_grad()


HOOKS = [
    ("hook_then_retain", _hook_then_retain),
    ("retain_then_hook", _retain_then_hook),
    ("observing_hook", _observing_hook),
    ("two_hooks_in_order", _two_hooks_in_order),
]


def _run_hooked(lib, install, create_graph: bool):
    """x, w leaves; y = tanh(x * w) is hooked and used twice; a hook on leaf w too."""
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([1.5, 2.0, -0.5], dtype=lib.float64, requires_grad=True)
    seen = []

    def recording(hook):
        def record(grad):
            seen.append(grad)
            return hook(grad)
        return record

    y = (x * w).tanh()
    install(lib, y, recording)
    w.register_hook(recording(lambda g: g - 1))
    (y * y + y.reshape(3, 1).sum(0) * 2).sum().backward(create_graph=create_graph)
    return {"x": x.grad, "w": w.grad, "y": y.grad}, seen


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("name, install", HOOKS, ids=[c[0] for c in HOOKS])
def test_hooks_and_retain_grad_match_torch(torch, name, install, create_graph):
    ours, seen = _run_hooked(ndgrad, install, create_graph)
    theirs, seen_torch = _run_hooked(torch, install, False)
    assert len(seen) == len(seen_torch)
    for grad in seen:
        assert isinstance(grad, ndgrad.Tensor) and type(grad._data) is np.ndarray
    for key in ours:
        assert_close(ours[key], theirs[key], "float64", f"{name}: {key}.grad")
    assert not np.shares_memory(ours["y"]._data, ours["x"]._data)


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
def test_retain_grad_on_root_and_on_view(torch, create_graph):
    def run(lib):
        x = lib.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=lib.float64, requires_grad=True)
        v = x.reshape(4)
        v.retain_grad()
        root = (v * v).sum()
        root.retain_grad()
        root.backward(create_graph=create_graph and lib is ndgrad)
        return x, v, root

    x, v, root = run(ndgrad)
    tx, tv, troot = run(torch)
    for ours, theirs, name in ((x, tx, "x"), (v, tv, "v"), (root, troot, "root")):
        assert_close(ours.grad, theirs.grad, "float64", name)
    assert not np.shares_memory(v.grad._data, x.grad._data)


def test_hook_changing_shape_raises_in_array_mode():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="hook"):
        y.sum().backward()


# ---- leaf gradients own their storage (optimizers and zero_() write to them)

OWNERSHIP = [
    ("x_plus_0", lambda a, b: a + 0, [(3,), (3,)]),
    ("x_times_1", lambda a, b: a * 1, [(3,), (3,)]),
    ("add_passes_grad_to_both", lambda a, b: a + b, [(3,), (3,)]),
    ("add_then_scale", lambda a, b: (a + b) * 2, [(3,), (3,)]),
    ("sub", lambda a, b: a - b, [(3,), (3,)]),
    ("add_of_sums", lambda a, b: a.sum() + b.sum(), [(3,), (2, 2)]),
    ("broadcast_add", lambda a, b: a + b, [(3, 1), (1, 4)]),
    ("expand", lambda a, b: a.expand(2, 3) + b, [(3,), (2, 3)]),
    ("reshape_root", lambda a, b: a.reshape(2, 2) + b.reshape(2, 2), [(4,), (2, 2)]),
    ("leaf_is_root", lambda a, b: a, [(3,), (1,)]),
    ("view_is_root", lambda a, b: a.view(2, 2), [(4,), (1,)]),
    ("0d_add", lambda a, b: a + b, [(), ()]),
    ("mean", lambda a, b: a.mean() + b.mean(), [(3,), (3,)]),
]


def _ownership_roots(fn, shapes):
    a = ndgrad.tensor(np.arange(1.0, 1.0 + np.prod(shapes[0])).reshape(shapes[0]),
                      requires_grad=True)
    b = ndgrad.tensor(np.full(shapes[1], 0.5), requires_grad=True)
    return a, b, fn(a, b)


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("gradient_type", ["tensor", "ndarray"])
@pytest.mark.parametrize("name, fn, shapes", OWNERSHIP, ids=[c[0] for c in OWNERSHIP])
def test_leaf_grads_own_their_storage(name, fn, shapes, gradient_type, create_graph):
    a, b, out = _ownership_roots(fn, shapes)
    gradient = np.linspace(1.0, 2.0, out.numel()).reshape(out.shape)
    kept = gradient.copy()
    given = ndgrad.tensor(gradient) if gradient_type == "tensor" else gradient
    if gradient_type == "tensor":
        gradient = given._data  # the array the engine is handed
    out.backward(given, create_graph=create_graph)
    leaves = [t for t in (a, b) if t.grad is not None]
    for t in leaves:
        assert t.grad._data.flags.writeable, name
        assert not np.shares_memory(t.grad._data, gradient), name
        assert not np.shares_memory(t.grad._data, out._data), name
        for other in leaves:
            if other is not t:
                assert not np.shares_memory(t.grad._data, other.grad._data), name
    before = {id(t): t.grad._data.copy() for t in leaves}
    leaves[0].grad.zero_()
    np.testing.assert_array_equal(gradient, kept)
    for t in leaves[1:]:
        np.testing.assert_array_equal(t.grad._data, before[id(t)])


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
def test_grad_accumulated_over_two_backwards_owns_storage(create_graph):
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    g = ndgrad.tensor([3.0, 4.0])
    (x * 1).backward(g, create_graph=create_graph)
    first = x.grad
    (x + 0).backward(g, create_graph=create_graph)
    assert x.grad.tolist() == [6.0, 8.0]
    assert not np.shares_memory(x.grad._data, g._data)
    # As in PyTorch: added into the existing .grad when no graph is recorded, a new tensor
    # (part of the new graph) with create_graph=True.
    assert (x.grad is first) == (not create_graph)
    x.grad.zero_()
    assert g.tolist() == [3.0, 4.0]


# ---- dtype: a gradient that comes back in another dtype is cast to its input's dtype


def _custom_double(lib):
    class ReturnsFloat64(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            return grad.double() * 3

    return ReturnsFloat64


DTYPE_CASES = [
    ("sum_dtype_float64", lambda lib, x, y: x.sum(dtype=lib.float64) * y.sum()),
    ("cast_then_marked_ops", lambda lib, x, y: (x.double().tanh() * y).sum()),
    ("mixed_mul", lambda lib, x, y: (x * y).sum()),
    ("mixed_add_broadcast", lambda lib, x, y: (x.reshape(3, 1) + y).exp().sum()),
    ("mixed_div", lambda lib, x, y: (y / (x + 3)).sum()),
    ("log_softmax_dtype", lambda lib, x, y: (lib.nn.functional.log_softmax(
        x.reshape(1, 3), 1, dtype=lib.float64) * y).sum()),
    ("custom_function_returns_float64",
     lambda lib, x, y: (_custom_double(lib).apply(x.tanh()) * y).sum()),
]


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("name, fn", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_gradient_is_cast_to_input_dtype(torch, name, fn, create_graph):
    values = np.array([0.5, -1.0, 2.0])
    grads = {}
    for lib in (ndgrad, torch):
        x = lib.tensor(values.astype(np.float32), requires_grad=True)
        y = lib.tensor(values[::-1].copy(), dtype=lib.float64, requires_grad=True)
        fn(lib, x, y).backward(create_graph=create_graph and lib is ndgrad)
        grads[lib] = (x.grad, y.grad)
    (gx, gy), (tx, ty) = grads[ndgrad], grads[torch]
    assert gx.dtype == ndgrad.float32 and gy.dtype == ndgrad.float64
    assert type(gx._data) is np.ndarray and gx._data.dtype == np.float32
    assert_close(gx, tx, "float32", f"{name}: x.grad")
    assert_close(gy, ty, "float64", f"{name}: y.grad")


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
def test_float64_root_gradient_for_float32_output(create_graph):
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (gx,) = ndgrad.autograd.grad(x.tanh() * 2, x, ndgrad.ones(2, dtype=ndgrad.float64),
                                 create_graph=create_graph)
    assert gx.dtype == ndgrad.float32 and gx._data.dtype == np.float32


# ---- saved tensors: in-place changes, freeing, and a second backward through a kept graph


def _tanh_output_changed(x, w):
    y = x.tanh()
    y.mul_(2)
    return y.sum(), "TanhBackward"


def _mul_operand_changed(x, w):
    a = x * 1
    out = a * w
    a.add_(1)
    return out.sum(), "MulBackward"


def _exp_output_changed(x, w):
    y = x.exp()
    out = y * 2
    y.zero_()
    return out.sum(), "ExpBackward"


def _linear_input_changed(x, w):
    h = x.reshape(1, 3) * 1
    out = F.linear(h, w.reshape(1, 3))
    h.mul_(2)
    return out.sum(), "LinearBackward"


def _matmul_operand_changed(x, w):
    a = x.reshape(1, 3) * 1
    out = a @ w.reshape(3, 1)
    a.sub_(1)
    return out.sum(), "MatMulBackward"


def _log_softmax_output_changed(x, w):
    y = F.log_softmax(x.reshape(1, 3), 1)
    out = y * 2  # Mul saves no operand: only LogSoftmax's saved output is stale
    y.add_(1)
    return out.sum(), "LogSoftmaxBackward"


INPLACE = [_tanh_output_changed, _mul_operand_changed, _exp_output_changed,
           _linear_input_changed, _matmul_operand_changed, _log_softmax_output_changed]


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("build", INPLACE, ids=[f.__name__.strip("_") for f in INPLACE])
def test_inplace_change_of_saved_tensor_is_caught(build, create_graph):
    x = ndgrad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss, node = build(x, w)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as error:
        loss.backward(create_graph=create_graph)
    assert node in str(error.value)


@pytest.mark.parametrize("build", [
    lambda x: x.tanh().sum(),
    lambda x: (x * x).sum(),
    lambda x: F.log_softmax(x.reshape(1, 3), 1).sum(),
], ids=["tanh", "mul", "log_softmax"])
def test_second_plain_backward_without_retain_graph_raises(build):
    x = ndgrad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = build(x)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_plain_backward_twice_with_retain_graph_accumulates():
    x = ndgrad.tensor([0.5, -1.0, 2.0], dtype=ndgrad.float64, requires_grad=True)
    loss = (x.tanh() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.clone()
    loss.backward()
    np.testing.assert_allclose(x.grad._data, 2 * first._data)


DOUBLE_BACKWARD = [
    ("cube", lambda x: (x * x * x).sum()),
    ("tanh_times_square", lambda x: (x.tanh() * x * x).sum()),
    ("log_softmax_outer", lambda x: ((x.reshape(1, 3) * x.reshape(3, 1)).log_softmax(1).sum(0)
                                     * x).sum()),
    ("sigmoid_matmul", lambda x: (x.reshape(1, 3) @ x.sigmoid().reshape(3, 1)).sum()),
]


@pytest.mark.parametrize("name, fn", DOUBLE_BACKWARD, ids=[c[0] for c in DOUBLE_BACKWARD])
def test_plain_backward_then_double_backward_on_kept_graph(torch, name, fn):
    values = np.array([0.3, -0.7, 1.2])
    tx = torch.tensor(values, requires_grad=True)
    (tg,) = torch.autograd.grad(fn(tx), tx, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    x = ndgrad.tensor(values, requires_grad=True)
    loss = fn(x)
    loss.backward(retain_graph=True)  # on arrays, keeping the graph for a create_graph pass
    first = x.grad.clone()
    assert_close(first, tg, "float64", f"{name}: first, on arrays")
    (g,) = ndgrad.autograd.grad(loss, x, create_graph=True)
    assert g.requires_grad
    assert_close(g, tg, "float64", f"{name}: first, create_graph")
    g.sum().backward()  # on arrays, through the graph the formulas recorded
    assert_close(x.grad - first, tgg, "float64", f"{name}: second")


# ---- anomaly mode: NaN or inf from a marked op's formula, run on arrays

ANOMALIES = [
    ("sqrt_at_0", lambda x: x.sqrt(), [0.0, 1.0], "SqrtBackward", "inf"),
    ("sqrt_at_0_zero_grad", lambda x: x.sqrt() * ndgrad.tensor([0.0, 1.0]), [0.0, 1.0],
     "SqrtBackward", "nan"),
    ("log_at_0_zero_grad", lambda x: x.log() * ndgrad.tensor([0.0, 1.0]), [0.0, 1.0],
     "LogBackward", "nan"),
    ("nan_of_log_of_negative_reaches_exp", lambda x: x.log().exp(), [-1.0, 1.0],
     "ExpBackward", "nan"),
    ("div_by_0", lambda x: ndgrad.tensor([1.0, 1.0]) / x, [0.0, 1.0], "DivBackward", "inf"),
    ("rsqrt_at_0", lambda x: ndgrad.rsqrt(x), [0.0, 1.0], "RsqrtBackward", "inf"),
    ("reciprocal_at_0", lambda x: x.reciprocal(), [0.0, 1.0], "ReciprocalBackward", "inf"),
    ("acos_outside_domain", lambda x: x.acos(), [2.0, 0.5], "AcosBackward", "nan"),
    ("0d_sqrt_at_0", lambda x: x.sum().sqrt(), [0.0, 0.0], "SqrtBackward", "inf"),
]


@pytest.mark.parametrize("create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("name, fn, values, node, kind", ANOMALIES,
                         ids=[c[0] for c in ANOMALIES])
def test_anomaly_mode_names_the_function(name, fn, values, node, kind, create_graph):
    x = ndgrad.tensor(values, dtype=ndgrad.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with detect_anomaly():
            loss = fn(x).sum()
            with pytest.raises(RuntimeError, match=rf"Function '{node}' returned {kind} values"):
                loss.backward(create_graph=create_graph)


@pytest.mark.parametrize("op, spec", MARKED[::3], ids=[s.name for _, s in MARKED[::3]])
def test_anomaly_mode_gives_the_same_gradients(op, spec):
    arrays = sample(spec, "float32")
    grads = []
    for anomaly in (False, True):
        leaves = _leaves(arrays, spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # detect_anomaly's own warning
            with set_detect_anomaly(anomaly):
                out = spec.fn(*leaves)
                grads.append(ndgrad.autograd.grad(out, leaves, ndgrad.ones_like(out)))
    for i, (plain, checked) in enumerate(zip(*grads)):
        _check_grad_matches_input(checked, leaves[i], f"{spec.name}: input {i}")
        np.testing.assert_array_equal(plain._data, checked._data)
