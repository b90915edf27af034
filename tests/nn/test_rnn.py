"""RNN, LSTM, GRU and their cells against PyTorch with copied weights: outputs, final states,
gradients of input, states and every parameter, second-order gradients, parameter names,
state_dict loading, dropout between layers, repr, and the errors PyTorch raises."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

import ndgrad
from tests._oracle import TOLERANCES
from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake

TOL = TOLERANCES["float64"]
INPUT, HIDDEN, SEQ, BATCH = 3, 4, 5, 2


@dataclass
class Case:
    """One configuration of a recurrent layer: `kind` is RNN, LSTM or GRU."""

    kind: str
    options: dict = field(default_factory=dict)
    unbatched: bool = False
    initial: bool = False

    def __str__(self) -> str:
        parts = [self.kind] + [f"{k}={v}" for k, v in self.options.items()]
        return "-".join(parts + ["unbatched"] * self.unbatched + ["h0"] * self.initial)


CASES = [Case(kind, options, unbatched, initial)
         for kind in ("RNN", "LSTM", "GRU")
         for options, unbatched, initial in [
             ({}, False, False),
             ({"num_layers": 2}, False, True),
             ({"bidirectional": True}, False, True),
             ({"num_layers": 2, "bidirectional": True, "batch_first": True}, False, True),
             ({"bias": False}, False, False),
             ({}, True, True),
             ({"num_layers": 2, "bidirectional": True}, True, False),
         ]]
CASES += [Case("RNN", {"nonlinearity": "relu", "num_layers": 2}, initial=True),
          Case("LSTM", {"proj_size": 2}, initial=True),
          Case("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True,
                        "batch_first": True}, initial=True),
          Case("LSTM", {"proj_size": 2, "bias": False}, unbatched=True, initial=True)]


def torch_and_ours(torch, kind: str, *args, **options):
    """The torch module and an ndgrad one of the same configuration holding its weights."""
    theirs = getattr(torch.nn, kind)(*args, **options, dtype=torch.float64)
    ours = getattr(ndgrad.nn, kind)(*args, **options, dtype=ndgrad.float64)
    ours.load_state_dict({k: ndgrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


def leaves(module, arrays: list) -> list:
    return [module.tensor(a, dtype=module.float64, requires_grad=True) for a in arrays]


def layer_arrays(case: Case, rng) -> list:
    """The input, then h_0 (and c_0 for LSTM) when the case gives initial states."""
    batch = () if case.unbatched else (BATCH,)
    seq = (SEQ,) + batch
    if case.options.get("batch_first") and not case.unbatched:
        seq = (BATCH, SEQ)
    arrays = [rng.standard_normal(seq + (INPUT,))]
    if case.initial:
        rows = case.options.get("num_layers", 1) * (2 if case.options.get("bidirectional") else 1)
        out = case.options.get("proj_size") or HIDDEN
        arrays.append(rng.standard_normal((rows,) + batch + (out,)))
        if case.kind == "LSTM":
            arrays.append(rng.standard_normal((rows,) + batch + (HIDDEN,)))
    return arrays


def run_layer(module, layer, case: Case, inputs: list) -> list:
    """Calls the layer and returns [output, h_n] or [output, h_n, c_n]."""
    if not case.initial:
        output, state = layer(inputs[0])
    elif case.kind == "LSTM":
        output, state = layer(inputs[0], (inputs[1], inputs[2]))
    else:
        output, state = layer(inputs[0], inputs[1])
    return [output] + (list(state) if case.kind == "LSTM" else [state])


def weighted_sum(module, results: list, rng_seed: int = 1):
    """A scalar that weights every element differently, so that every gradient entry counts."""
    rng = np.random.default_rng(rng_seed)
    total = 0
    for r in results:
        total = total + (r * module.tensor(rng.standard_normal(tuple(r.shape)))).sum()
    return total


def assert_close(ours, theirs, what: str) -> None:
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {ours.shape}"
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL,
                               err_msg=what)


def assert_grads_close(ours_module, theirs_module, ours_inputs, theirs_inputs) -> None:
    for i, (a, b) in enumerate(zip(ours_inputs, theirs_inputs)):
        assert_close(a.grad, b.grad, f"grad of input {i}")
    theirs_params = dict(theirs_module.named_parameters())
    for name, p in ours_module.named_parameters():
        assert_close(p.grad, theirs_params[name].grad, f"grad of {name}")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_values_and_gradients(case, torch):
    theirs_layer, ours_layer = torch_and_ours(torch, case.kind, INPUT, HIDDEN, **case.options)
    arrays = layer_arrays(case, np.random.default_rng(0))
    theirs_in, ours_in = leaves(torch, arrays), leaves(ndgrad, arrays)
    theirs = run_layer(torch, theirs_layer, case, theirs_in)
    ours = run_layer(ndgrad, ours_layer, case, ours_in)
    for name, a, b in zip(["output", "h_n", "c_n"], ours, theirs):
        assert_close(a, b, name)
    weighted_sum(torch, theirs).backward()
    weighted_sum(ndgrad, ours).backward()
    assert_grads_close(ours_layer, theirs_layer, ours_in, theirs_in)


@pytest.mark.parametrize("case", [
    Case("RNN", {"num_layers": 2}, initial=True),
    Case("LSTM", {"proj_size": 2, "bidirectional": True}, initial=True),
    Case("GRU", {"num_layers": 2, "batch_first": True}, initial=True),
], ids=str)
def test_layer_second_order(case, torch):
    """The gradient's squared norm, differentiated again, agrees with PyTorch."""
    theirs_layer, ours_layer = torch_and_ours(torch, case.kind, INPUT, HIDDEN, **case.options)
    arrays = layer_arrays(case, np.random.default_rng(2))
    inputs = []
    for module, layer in ((torch, theirs_layer), (ndgrad, ours_layer)):
        inputs.append(leaves(module, arrays))
        loss = weighted_sum(module, run_layer(module, layer, case, inputs[-1]))
        grads = module.autograd.grad(loss, inputs[-1] + list(layer.parameters()),
                                     create_graph=True)
        sum((g * g).sum() for g in grads).backward()
    assert_grads_close(ours_layer, theirs_layer, inputs[1], inputs[0])



@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_fused_layer_with_some_outputs_unused_in_float32(kind, torch):
    """The fused layer gets gradients for only its output sequence (the final states unused),
    in float32, with a leaf initial state: the same gradients as PyTorch."""
    rng = np.random.default_rng(5)
    theirs = getattr(torch.nn, kind)(6, 8, num_layers=2)
    ours = getattr(ndgrad.nn, kind)(6, 8, num_layers=2)
    ours.load_state_dict({k: ndgrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((7, 3, 6)).astype(np.float32)
    h0 = rng.standard_normal((2, 3, 8)).astype(np.float32)
    results = []
    for module, layer in ((torch, theirs), (ndgrad, ours)):
        inputs = [module.tensor(a, requires_grad=True) for a in (x, h0)]
        state = (inputs[1], module.zeros(2, 3, 8)) if kind == "LSTM" else inputs[1]
        output, _ = layer(inputs[0], state)
        (output[-1] * output[-1]).sum().backward()
        results.append([output] + [t.grad for t in inputs] + [p.grad for p in layer.parameters()])
    for theirs_value, ours_value in zip(*results):
        np.testing.assert_allclose(ours_value.detach().numpy(), theirs_value.detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_fused_lstm_third_order_matches_composed_steps():
    """A third derivative through the fused layer equals the one through the composed steps
    (the cell applied step by step), both built from ndgrad ops."""
    rng = np.random.default_rng(6)
    layer = ndgrad.nn.LSTM(2, 3, dtype=ndgrad.float64)
    cell = ndgrad.nn.LSTMCell(2, 3, dtype=ndgrad.float64)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = rng.standard_normal((4, 1, 2))
    derivatives = []
    for fused in (True, False):
        xs = ndgrad.tensor(x, requires_grad=True)
        if fused:
            output = layer(xs)[0]
        else:
            h = c = ndgrad.zeros(1, 3, dtype=ndgrad.float64)
            steps = []
            for x_t in xs.unbind(0):
                h, c = cell(x_t, (h, c))
                steps.append(h)
            output = ndgrad.stack(steps)
        value = output.pow(2).sum()
        for _ in range(3):
            (value,) = ndgrad.autograd.grad(value, xs, create_graph=True)
            value = value.sum()
        derivatives.append(value.item())
    np.testing.assert_allclose(derivatives[0], derivatives[1], rtol=1e-10)

PACKED_CASES = [Case(kind, options, initial=initial)
                for kind in ("RNN", "LSTM", "GRU")
                for options, initial in [({}, False),
                                         ({"num_layers": 2, "bidirectional": True}, True)]]
PACKED_CASES += [Case("LSTM", {"proj_size": 2, "bidirectional": True, "batch_first": True},
                      initial=True)]


def run_packed(module, layer, case: Case, inputs: list, lengths: list, enforce_sorted: bool):
    """Packs the padded input, runs the layer, and returns [padded output, h_n(, c_n)] and
    the output's packed data."""
    rnn_utils = module.nn.utils.rnn
    packed = rnn_utils.pack_padded_sequence(inputs[0], lengths,
                                            batch_first=case.options.get("batch_first", False),
                                            enforce_sorted=enforce_sorted)
    results = run_layer(module, layer, case, [packed] + inputs[1:])
    assert isinstance(results[0], rnn_utils.PackedSequence)
    padded, _ = rnn_utils.pad_packed_sequence(results[0],
                                              batch_first=case.options.get("batch_first", False))
    return [padded] + results[1:], results[0].data


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("case", PACKED_CASES, ids=str)
def test_packed_sequence_values_and_gradients(case, enforce_sorted, torch):
    """A PackedSequence in gives one out, h_n in the caller's batch order, as PyTorch."""
    theirs_layer, ours_layer = torch_and_ours(torch, case.kind, INPUT, HIDDEN, **case.options)
    rng = np.random.default_rng(6)
    arrays = layer_arrays(Case(case.kind, case.options, False, case.initial), rng)
    arrays[0] = np.concatenate([arrays[0]] * 2, axis=0 if case.options.get("batch_first") else 1)
    for i in range(1, len(arrays)):
        arrays[i] = np.concatenate([arrays[i]] * 2, axis=1)
    lengths = [5, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4]
    theirs_in, ours_in = leaves(torch, arrays), leaves(ndgrad, arrays)
    theirs, theirs_data = run_packed(torch, theirs_layer, case, theirs_in, lengths,
                                     enforce_sorted)
    ours, ours_data = run_packed(ndgrad, ours_layer, case, ours_in, lengths, enforce_sorted)
    assert_close(ours_data, theirs_data, "packed output data")
    for name, a, b in zip(["padded output", "h_n", "c_n"], ours, theirs):
        assert_close(a, b, name)
    weighted_sum(torch, theirs).backward()
    weighted_sum(ndgrad, ours).backward()
    assert_grads_close(ours_layer, theirs_layer, ours_in, theirs_in)


CELL_CASES = [(kind, options, batched, given)
              for kind, options in [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                    ("LSTMCell", {}), ("GRUCell", {}), ("GRUCell", {"bias": False}),
                                    ("LSTMCell", {"bias": False})]
              for batched, given in [(True, True), (False, True), (True, False)]]


def run_cell(module, cell, kind: str, inputs: list) -> list:
    if kind == "LSTMCell":
        out = cell(inputs[0], (inputs[1], inputs[2]) if len(inputs) > 1 else None)
        return list(out)
    return [cell(*inputs)]


@pytest.mark.parametrize("kind, options, batched, given", CELL_CASES,
                         ids=lambda v: str(v) if not isinstance(v, dict) else
                         "-".join(f"{k}={x}" for k, x in v.items()))
def test_cell_values_and_gradients(kind, options, batched, given, torch):
    theirs_cell, ours_cell = torch_and_ours(torch, kind, INPUT, HIDDEN, **options)
    rng = np.random.default_rng(3)
    batch = (BATCH,) if batched else ()
    arrays = [rng.standard_normal(batch + (INPUT,))]
    if given:
        arrays += [rng.standard_normal(batch + (HIDDEN,))
                   for _ in range(2 if kind == "LSTMCell" else 1)]
    theirs_in, ours_in = leaves(torch, arrays), leaves(ndgrad, arrays)
    theirs = run_cell(torch, theirs_cell, kind, theirs_in)
    ours = run_cell(ndgrad, ours_cell, kind, ours_in)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert_close(a, b, f"result {i}")
    weighted_sum(torch, theirs).backward()
    weighted_sum(ndgrad, ours).backward()
    assert_grads_close(ours_cell, theirs_cell, ours_in, theirs_in)


def test_lstm_cell_second_order(torch):
    theirs_cell, ours_cell = torch_and_ours(torch, "LSTMCell", INPUT, HIDDEN)
    arrays = [np.random.default_rng(4).standard_normal(s) for s in [(2, 3), (2, 4), (2, 4)]]
    inputs = []
    for module, cell in ((torch, theirs_cell), (ndgrad, ours_cell)):
        inputs.append(leaves(module, arrays))
        loss = weighted_sum(module, run_cell(module, cell, "LSTMCell", inputs[-1]))
        grads = module.autograd.grad(loss, inputs[-1] + list(cell.parameters()),
                                     create_graph=True)
        sum((g * g).sum() for g in grads).backward()
    assert_grads_close(ours_cell, theirs_cell, inputs[1], inputs[0])


@pytest.mark.parametrize("kind, args, options", [
    ("RNN", (3, 4), {"num_layers": 2, "bidirectional": True}),
    ("LSTM", (3, 4), {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
    ("GRU", (3, 4), {"num_layers": 3, "bias": False}),
    ("RNNCell", (3, 4), {"bias": False}), ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), {}),
])
def test_parameter_names_shapes_and_repr(kind, args, options, torch):
    theirs = getattr(torch.nn, kind)(*args, **options)
    ours = getattr(ndgrad.nn, kind)(*args, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == \
        [tuple(p.shape) for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    if kind in ("RNN", "LSTM", "GRU"):
        assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in theirs.all_weights]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_init_is_uniform_within_one_over_sqrt_hidden(kind):
    hidden = 16
    layer = getattr(ndgrad.nn, kind)(8, hidden)
    values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    bound = 1 / np.sqrt(hidden)
    assert np.abs(values).max() <= bound
    # Uniform on [-b, b]: the extremes come close to b and the variance is b^2 / 3.
    assert np.abs(values).max() > 0.95 * bound
    assert abs(values.var() - bound ** 2 / 3) < 0.1 * bound ** 2


def test_torch_state_dict_loads_and_flatten_parameters_is_accepted(torch):
    theirs, ours = torch_and_ours(torch, "LSTM", 3, 4, num_layers=2, proj_size=2)
    ours.flatten_parameters()
    for name, p in ours.named_parameters():
        np.testing.assert_array_equal(p.detach().numpy(), theirs.state_dict()[name].numpy())
    assert isinstance(ours, ndgrad.nn.RNNBase)
    assert ndgrad.nn.modules.rnn.LSTM is ndgrad.nn.LSTM


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_in_training_only(kind, torch):
    """Training mode applies F.dropout to every layer's output but the last; eval mode none."""
    _, two = torch_and_ours(torch, kind, 3, 4, num_layers=2, dropout=0.5)
    first, second = (getattr(ndgrad.nn, kind)(i, 4, dtype=ndgrad.float64) for i in (3, 4))
    for layer, suffix in ((first, "l0"), (second, "l1")):
        layer.load_state_dict({k: getattr(two, k.replace("l0", suffix))
                               for k in layer.state_dict()})
    x = ndgrad.tensor(np.random.default_rng(5).standard_normal((5, 2, 3)))
    ndgrad.manual_seed(7)
    trained, _ = two(x)
    ndgrad.manual_seed(7)
    expected, _ = second(ndgrad.nn.functional.dropout(first(x)[0], 0.5))
    np.testing.assert_allclose(trained.detach().numpy(), expected.detach().numpy(), **TOL)
    two.eval()
    evaluated, _ = two(x)
    np.testing.assert_allclose(evaluated.detach().numpy(),
                               second(first(x)[0])[0].detach().numpy(), **TOL)
    assert not np.allclose(evaluated.detach().numpy(), trained.detach().numpy())


def test_dropout_with_one_layer_warns_as_torch(torch):
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        ndgrad.nn.LSTM(3, 4, dropout=0.5)


def seq(m, *shape):
    return m.ones(*shape)


MISTAKES = [
    Mistake("dropout_range", lambda m: m.nn.LSTM(3, 4, dropout=1.5), ValueError,
            "dropout should be a number in range \\[0, 1\\]"),
    Mistake("nonlinearity", lambda m: m.nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError,
            "Unknown nonlinearity 'sigmoid'"),
    # PyTorch builds the cell and refuses the nonlinearity only when it runs.
    Mistake("cell_nonlinearity", lambda m, x: m.nn.RNNCell(3, 4, nonlinearity="gelu")(x),
            ValueError, "Unknown nonlinearity: gelu", torch_error=RuntimeError,
            inputs=lambda m: (seq(m, 2, 3),)),
    Mistake("proj_size_too_big", lambda m: m.nn.LSTM(3, 4, proj_size=4), ValueError,
            "proj_size has to be smaller than hidden_size"),
    Mistake("proj_size_negative", lambda m: m.nn.LSTM(3, 4, proj_size=-1), ValueError,
            "proj_size should be a positive integer or zero"),
    Mistake("proj_size_rnn", lambda m: m.nn.RNN(3, 4, proj_size=2), ValueError,
            "proj_size argument is only supported for LSTM"),
    Mistake("proj_size_gru", lambda m: m.nn.GRU(3, 4, proj_size=2), ValueError,
            "proj_size argument is only supported for LSTM"),
    Mistake("hidden_size_zero", lambda m: m.nn.GRU(3, 0), ValueError,
            "hidden_size must be greater than zero"),
    Mistake("hidden_size_float", lambda m: m.nn.GRU(3, 4.0), TypeError,
            "hidden_size should be of type int, got: float"),
    Mistake("num_layers_zero", lambda m: m.nn.RNN(3, 4, num_layers=0), ValueError,
            "num_layers must be greater than zero"),
    Mistake("input_size", lambda m, x: m.nn.LSTM(3, 4)(x), RuntimeError,
            "input.size\\(-1\\) must be equal to input_size. Expected 3, got 5",
            inputs=lambda m: (seq(m, 2, 2, 5),)),
    Mistake("input_rank", lambda m, x: m.nn.GRU(3, 4)(x), ValueError,
            "GRU: Expected input to be 2D or 3D, got 4D instead",
            inputs=lambda m: (seq(m, 2, 2, 1, 3),)),
    Mistake("empty_sequence", lambda m, x: m.nn.RNN(3, 4)(x), RuntimeError,
            "Expected sequence length to be larger than 0",
            inputs=lambda m: (seq(m, 0, 2, 3),)),
    Mistake("hx_shape", lambda m, x, h: m.nn.GRU(3, 4)(x, h), RuntimeError,
            "Expected hidden size \\(1, 2, 4\\), got \\[2, 2, 4\\]",
            inputs=lambda m: (seq(m, 5, 2, 3), seq(m, 2, 2, 4))),
    Mistake("lstm_cx_shape", lambda m, x, h, c: m.nn.LSTM(3, 4)(x, (h, c)), RuntimeError,
            "Expected hidden\\[1\\] size \\(1, 2, 4\\), got \\[1, 2, 5\\]",
            inputs=lambda m: (seq(m, 5, 2, 3), seq(m, 1, 2, 4), seq(m, 1, 2, 5))),
    Mistake("lstm_proj_hx_shape", lambda m, x, h, c: m.nn.LSTM(3, 4, proj_size=2)(x, (h, c)),
            RuntimeError, "Expected hidden\\[0\\] size \\(1, 2, 2\\), got \\[1, 2, 4\\]",
            inputs=lambda m: (seq(m, 5, 2, 3), seq(m, 1, 2, 4), seq(m, 1, 2, 4))),
    Mistake("packed_input_size",
            lambda m, x: m.nn.GRU(3, 4)(m.nn.utils.rnn.pack_padded_sequence(x, [2, 1])),
            RuntimeError, "input.size\\(-1\\) must be equal to input_size. Expected 3, got 5",
            inputs=lambda m: (seq(m, 2, 2, 5),)),
    Mistake("packed_hx_shape",
            lambda m, x, h: m.nn.RNN(3, 4)(m.nn.utils.rnn.pack_padded_sequence(x, [2, 1]), h),
            RuntimeError, "Expected hidden size \\(1, 2, 4\\), got \\[1, 3, 4\\]",
            inputs=lambda m: (seq(m, 2, 2, 3), seq(m, 1, 3, 4))),
    Mistake("hx_rank_unbatched", lambda m, x, h: m.nn.RNN(3, 4)(x, h), RuntimeError,
            "For unbatched 2-D input, hx should also be 2-D but got 3-D",
            inputs=lambda m: (seq(m, 5, 3), seq(m, 1, 1, 4))),
    Mistake("hx_rank_batched", lambda m, x, h: m.nn.RNN(3, 4)(x, h), RuntimeError,
            "For batched 3-D input, hx should also be 3-D but got 2-D",
            inputs=lambda m: (seq(m, 5, 2, 3), seq(m, 2, 4))),
    Mistake("cell_input_rank", lambda m, x: m.nn.GRUCell(3, 4)(x), ValueError,
            "GRUCell: Expected input to be 1D or 2D, got 3D instead",
            inputs=lambda m: (seq(m, 2, 2, 3),)),
    Mistake("cell_input_size", lambda m, x: m.nn.RNNCell(3, 4)(x), RuntimeError,
            "input has inconsistent input_size: got 5 expected 3",
            inputs=lambda m: (seq(m, 2, 5),)),
    Mistake("lstm_hx_not_pair", lambda m, x, h: m.nn.LSTM(3, 4)(x, h), TypeError,
            "LSTM: hx must be a tuple \\(h_0, c_0\\)", torch_error=IndexError,
            inputs=lambda m: (seq(m, 5, 2, 3), seq(m, 1, 2, 4))),
    Mistake("cell_hx_rank", lambda m, x, h, c: m.nn.LSTMCell(3, 4)(x, (h, c)), RuntimeError,
            "LSTMCell: Expected hidden0 to be 1D for 1D input, got 2D",
            inputs=lambda m: (seq(m, 3), seq(m, 2, 4), seq(m, 2, 4))),
    Mistake("cell_hx_batch", lambda m, x, h: m.nn.GRUCell(3, 4)(x, h), RuntimeError,
            "Input batch size 2 doesn't match hidden0 batch size 3",
            inputs=lambda m: (seq(m, 2, 3), seq(m, 3, 4))),
    Mistake("cell_hx_size", lambda m, x, h, c: m.nn.LSTMCell(3, 4)(x, (h, c)), RuntimeError,
            "hidden1 has inconsistent hidden_size: got 5, expected 4",
            inputs=lambda m: (seq(m, 2, 3), seq(m, 2, 4), seq(m, 2, 5))),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.filterwarnings("ignore:dropout option")
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)
