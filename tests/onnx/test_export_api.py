"""ndgrad.onnx.export's interface: targets (paths, file objects), names and dynamic axes,
PyTorch's word_language_model call, errors that leave no file, and import without onnx."""
from __future__ import annotations

import io
import math
import subprocess
import sys

import numpy as np
import pytest

import ndgrad
import ndgrad.onnx
from ndgrad import nn
from ndgrad.nn import functional as F
from tests.onnx._roundtrip import check_roundtrip, runtime


class RNNModel(nn.Module):
    """PyTorch's word_language_model RNNModel: embedding, recurrent stack, decoder."""

    def __init__(self, rnn_type, ntoken=20, ninp=6, nhid=5, nlayers=2):
        super().__init__()
        self.ntoken, self.rnn_type, self.nhid, self.nlayers = ntoken, rnn_type, nhid, nlayers
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=0.2)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        zeros = weight.new_zeros(self.nlayers, bsz, self.nhid)
        return (zeros, weight.new_zeros(self.nlayers, bsz, self.nhid)) \
            if self.rnn_type == "LSTM" else zeros


class TransformerLM(nn.Module):
    """word_language_model's TransformerModel, shrunk: embedding, positions from a buffer
    sliced by the input length, a causal mask cached on the module, an encoder, a decoder."""

    def __init__(self, ntoken=20, ninp=8):
        super().__init__()
        self.input_emb = nn.Embedding(ntoken, ninp)
        layer = nn.TransformerEncoderLayer(ninp, 2, 16, dropout=0.2)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.decoder = nn.Linear(ninp, ntoken)
        self.register_buffer("pe", ndgrad.randn(64, 1, ninp))
        self.ninp, self.src_mask = ninp, None

    def forward(self, src):
        if self.src_mask is None or self.src_mask.size(0) != len(src):  # cached, as there
            self.src_mask = ndgrad.log(ndgrad.tril(ndgrad.ones(len(src), len(src))))
        x = self.input_emb(src) * math.sqrt(self.ninp) + self.pe[:src.size(0), :]
        return F.log_softmax(self.decoder(self.encoder(x, mask=self.src_mask)), dim=-1)


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU"])
def test_word_language_model_export_call(rnn_type, tmp_path):
    """torch.onnx.export(model, (dummy_input, hidden), path) as the example calls it."""
    onnx, ort = runtime()
    model = RNNModel(rnn_type)
    model.eval()
    dummy_input = ndgrad.LongTensor(4 * 3).zero_().view(-1, 3)
    hidden = model.init_hidden(3)
    path = tmp_path / "model.onnx"
    ndgrad.onnx.export(model, (dummy_input, hidden), str(path))
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    tokens = ndgrad.randint(0, 20, (4, 3))
    state = tuple(ndgrad.randn(2, 3, 5) for _ in range(2 if rnn_type == "LSTM" else 1))
    feed = dict(zip([i.name for i in proto.graph.input], [t.numpy() for t in (tokens, *state)]))
    got = session.run(None, feed)
    log_probs, final = model(tokens, state if rnn_type == "LSTM" else state[0])
    want = [log_probs] + list(final if rnn_type == "LSTM" else [final])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_word_language_model_dynamic_batch_and_sequence():
    model = RNNModel("LSTM")
    hidden = model.init_hidden(2)
    check_roundtrip(model, (ndgrad.randint(0, 20, (4, 2)), hidden), {0: 1, 1: 1, 2: 1})


def test_transformer_language_model_with_causal_mask():
    check_roundtrip(TransformerLM(), (ndgrad.randint(0, 20, (6, 2)),), {0: 1})


def test_dynamic_axes_named_in_the_graph():
    onnx, _ = runtime()
    buffer = io.BytesIO()
    ndgrad.onnx.export(nn.Linear(3, 2), ndgrad.randn(4, 3), buffer, input_names=["x"],
                       output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    graph = onnx.load_from_string(buffer.getvalue()).graph
    dims = [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in (graph.input[0], graph.output[0])]
    assert dims == [["batch", 3], ["batch", 2]]
    assert sorted(i.name for i in graph.initializer) == ["bias", "weight"]


class Scaled(nn.Module):
    def forward(self, x, scale=None):
        return x.view(x.size(0), -1) * scale


def test_keyword_arguments_as_last_dict():
    x, scale = ndgrad.randn(2, 3, 4), ndgrad.randn(12)
    check_roundtrip(Scaled(), (x, {"scale": scale}), {0: 0})


def test_file_object_and_path_give_the_same_model(tmp_path):
    onnx, _ = runtime()
    model, x = nn.Sequential(nn.Linear(3, 4), nn.ReLU()), ndgrad.randn(2, 3)
    with open(tmp_path / "a.onnx", "wb") as f:
        ndgrad.onnx.export(model, (x,), f)
    ndgrad.onnx.export(model, (x,), tmp_path / "b.onnx")
    buffer = io.BytesIO()
    ndgrad.onnx.export(model, x, buffer)
    files = [(tmp_path / name).read_bytes() for name in ("a.onnx", "b.onnx")]
    assert files[0] == files[1] == buffer.getvalue()
    onnx.checker.check_model(onnx.load_from_string(files[0]))


class Inverse(nn.Module):
    def forward(self, x):
        return ndgrad.linalg.inv(x @ x.transpose(-1, -2) + ndgrad.eye(3)) + 1


def test_unsupported_op_names_it_and_leaves_no_file(tmp_path):
    runtime()
    path = tmp_path / "inverse.onnx"
    with pytest.raises(ndgrad.onnx.errors.UnsupportedOperatorError, match="Inv"):
        ndgrad.onnx.export(Inverse(), ndgrad.randn(2, 3, 3), str(path))
    assert list(tmp_path.iterdir()) == []


class HiddenFromNumPy(nn.Module):
    """Sorts through NumPy: the order is a constant to the tracer."""

    def forward(self, x):
        order = ndgrad.tensor(np.argsort(x.detach().numpy(), axis=1))
        return ndgrad.gather(x, 1, order)


@pytest.mark.parametrize("dynamic_axes", [None, {"x": [0]}])
def test_values_computed_outside_the_graph_are_refused(dynamic_axes, tmp_path):
    runtime()
    path = tmp_path / "sorted.onnx"
    with pytest.raises(ndgrad.onnx.OnnxExporterError, match="cannot"):
        ndgrad.onnx.export(HiddenFromNumPy(), ndgrad.randn(2, 4), str(path),
                           input_names=["x"], dynamic_axes=dynamic_axes)
    assert not path.exists()


class OutputFromNumPy(nn.Module):
    def forward(self, x):
        return x + 1, ndgrad.tensor(x.detach().numpy() * 2)


def test_an_output_computed_outside_the_graph_is_refused():
    with pytest.raises(ndgrad.onnx.OnnxExporterError, match="output 'output_1'"):
        ndgrad.onnx.export(OutputFromNumPy(), ndgrad.randn(2, 3), io.BytesIO())


class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.seen = []
        self.drop = nn.Dropout(0.9)

    def forward(self, x):
        self.seen.append((ndgrad.onnx.is_in_onnx_export(), self.training))
        return self.drop(x) + 1


def test_traced_in_eval_mode_and_mode_restored():
    model = Probe()
    model.train()
    ndgrad.onnx.export(model, ndgrad.randn(2, 3), io.BytesIO())
    assert model.seen and set(model.seen) == {(True, False)}
    assert model.training and not ndgrad.onnx.is_in_onnx_export()
    with pytest.raises(ndgrad.onnx.OnnxExporterError, match="eval"):
        ndgrad.onnx.export(model, ndgrad.randn(2, 3), io.BytesIO(),
                           training=ndgrad.onnx.TrainingMode.TRAINING)


def test_export_params_false_makes_parameters_inputs():
    onnx, _ = runtime()
    buffer = io.BytesIO()
    ndgrad.onnx.export(nn.Linear(3, 2), ndgrad.randn(4, 3), buffer, export_params=False)
    graph = onnx.load_from_string(buffer.getvalue()).graph
    assert [i.name for i in graph.input] == ["input_0", "weight", "bias"]
    assert len(graph.initializer) == 0


def test_import_without_onnx_and_the_error_naming_the_extra():
    code = ("import sys; sys.modules['onnx'] = None\n"
            "import ndgrad, ndgrad.onnx\n"
            "try:\n"
            "    ndgrad.onnx.export(ndgrad.nn.Linear(2, 2), ndgrad.randn(1, 2), 'x.onnx')\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert "pip install 'ndgrad[onnx]'" in done.stdout, done.stderr


def test_keep_initializers_as_inputs_lists_them_with_their_values():
    onnx, ort = runtime()
    buffer = io.BytesIO()
    model, x = nn.Linear(3, 2), ndgrad.randn(4, 3)
    ndgrad.onnx.export(model, x, buffer, keep_initializers_as_inputs=True)
    graph = onnx.load_from_string(buffer.getvalue()).graph
    assert [i.name for i in graph.input] == ["input_0", "weight", "bias"]
    assert sorted(i.name for i in graph.initializer) == ["bias", "weight"]
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input_0": x.numpy()})
    np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-5)


def test_dynamic_shapes_points_to_dynamic_axes():
    with pytest.raises(ndgrad.onnx.OnnxExporterError, match="dynamic_axes"):
        ndgrad.onnx.export(nn.Linear(3, 2), ndgrad.randn(4, 3), io.BytesIO(),
                           dynamic_shapes=({0: "batch"},))


class ZerosState(nn.Module):
    """A state made inside forward with the batch size, as init_hidden does."""

    def forward(self, x):
        state = ndgrad.zeros(x.size(0), 3) + 0.5
        return x[:, :3] * state + ndgrad.ones_like(x[:, 1:4])


def test_constants_shaped_by_the_dynamic_axes_become_constant_of_shape():
    onnx, _ = runtime()
    data = check_roundtrip(ZerosState(), (ndgrad.randn(2, 5),), {0: 0}, sizes=(1, 7))
    ops = {node.op_type for node in onnx.load_from_string(data).graph.node}
    assert "ConstantOfShape" in ops and "Shape" in ops


def test_unknown_option_is_a_type_error_and_torch_options_are_accepted():
    with pytest.raises(TypeError, match="opset"):
        ndgrad.onnx.export(nn.Linear(3, 2), ndgrad.randn(4, 3), io.BytesIO(), opset=17)
    ndgrad.onnx.export(nn.Linear(3, 2), ndgrad.randn(4, 3), io.BytesIO(), dynamo=True,
                       optimize=True, do_constant_folding=False, external_data=False)


class Branching(nn.Module):
    """Control flow on a value: one trace takes each branch."""

    def forward(self, x):
        return x.exp() if float(x[0, 0]) >= float(x.max()) else x.tanh().neg()


def test_data_dependent_control_flow_is_refused_naming_the_ops():
    x = ndgrad.tensor([[9.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    with pytest.raises(ndgrad.onnx.OnnxExporterError, match="different operations.*Exp"):
        ndgrad.onnx.export(Branching(), (x,), io.BytesIO(), input_names=["x"],
                           dynamic_axes={"x": [0]})
