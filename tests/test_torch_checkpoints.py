"""ndgrad.load of files written by torch.save (zip and legacy), the restricted unpickler,
safe globals, and whole objects saved by ndgrad in torch.save's format."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import ndgrad
from ndgrad import serialization

FORMATS = {"zip": True, "legacy": False}
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _torch_save(torch, obj, fmt="zip"):
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=FORMATS[fmt])
    buffer.seek(0)
    return buffer


def _assert_tensor_equal(loaded, expected):
    assert isinstance(loaded, ndgrad.Tensor)
    assert loaded.dtype.name == str(expected.dtype).removeprefix("torch.")
    assert tuple(loaded.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(loaded.detach().numpy(), expected.detach().numpy())


def _shares(a, b):
    return np.shares_memory(a.detach().numpy(), b.detach().numpy())


# ---------------------------------------------------------------- tensors written by torch


@pytest.mark.parametrize("fmt", FORMATS)
def test_torch_tensors_load_equal(torch, fmt):
    base = torch.randn(4, 6)
    tensors = {name: (torch.randn(2, 3) * 50).to(getattr(torch, name)) for name in DTYPES}
    tensors |= {"base": base, "rows": base[1:3], "strided": base[:, 1::2], "t": base.t(),
                "element": base[2, 3], "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3),
                "expanded": torch.ones(3, 1).expand(3, 4), "own": torch.arange(5)}
    loaded = ndgrad.load(_torch_save(torch, tensors, fmt))
    assert list(loaded) == list(tensors)
    for name, expected in tensors.items():
        _assert_tensor_equal(loaded[name], expected)
    # One storage in the file is one array here: the views see each other's writes.
    assert all(_shares(loaded["base"], loaded[k]) for k in ("rows", "strided", "t", "element"))
    assert not _shares(loaded["base"], loaded["own"])
    loaded["base"][1, 1] = 100.0
    assert loaded["rows"][0, 1].item() == 100.0


@pytest.mark.parametrize("fmt", FORMATS)
def test_parameters_and_plain_values_load(torch, fmt):
    obj = {"p": torch.nn.Parameter(torch.ones(2)), "frozen": torch.nn.Parameter(
        torch.zeros(1), requires_grad=False), "g": torch.ones(2, requires_grad=True),
        "size": torch.Size([2, 3]), "dtype": torch.float64, "device": torch.device("cpu"),
        "values": [1, 2.5, "s", None, True, (1, 2), {3}, b"\x00\xff", 1 + 2j],
        "ordered": __import__("collections").OrderedDict(a=1)}
    loaded = ndgrad.load(_torch_save(torch, obj, fmt))
    assert isinstance(loaded["p"], ndgrad.nn.Parameter) and loaded["p"].requires_grad
    assert not loaded["frozen"].requires_grad and loaded["g"].requires_grad
    assert loaded["size"] == ndgrad.Size([2, 3]) and isinstance(loaded["size"], ndgrad.Size)
    assert loaded["dtype"] is ndgrad.float64 and loaded["device"] == ndgrad.device("cpu")
    assert loaded["values"] == obj["values"]
    assert type(loaded["ordered"]).__name__ == "OrderedDict" and loaded["ordered"] == {"a": 1}


def _layers(nn):
    """The same network in torch and ndgrad (eval mode): conv, norms, linear, embedding."""
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 8), nn.LayerNorm(8),
                         nn.GELU(), nn.Linear(8, 5)).eval()


@pytest.mark.parametrize("fmt", FORMATS)
def test_torch_state_dict_loads_into_same_ndgrad_model(torch, tmp_path, fmt):
    twin, model = _layers(torch.nn), _layers(ndgrad.nn)
    with torch.no_grad():
        twin[1].running_mean.uniform_(-1, 1)  # so buffers that failed to load would show
        twin[1].running_var.uniform_(0.5, 2)
    path = tmp_path / "model.pt"
    torch.save(twin.state_dict(), path, _use_new_zipfile_serialization=FORMATS[fmt])
    model.load_state_dict(ndgrad.load(path))
    x = np.random.randn(2, 3, 8, 8).astype(np.float32)
    np.testing.assert_allclose(model(ndgrad.from_numpy(x)).detach().numpy(),
                               twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_torch_lstm_and_embedding_state_dict(torch, tmp_path):
    pairs = [(torch.nn.LSTM(4, 6, num_layers=2), ndgrad.nn.LSTM(4, 6, num_layers=2)),
             (torch.nn.Embedding(10, 4), ndgrad.nn.Embedding(10, 4))]
    for twin, model in pairs:
        torch.save(twin.state_dict(), tmp_path / "m.pt")
        model.load_state_dict(ndgrad.load(tmp_path / "m.pt"))
    x = np.random.randn(5, 2, 4).astype(np.float32)
    out, _ = pairs[0][1](ndgrad.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(),
                               pairs[0][0](torch.from_numpy(x))[0].detach().numpy(), atol=1e-6)
    indices = np.array([[1, 9], [0, 3]])
    np.testing.assert_array_equal(pairs[1][1](ndgrad.from_numpy(indices)).detach().numpy(),
                                  pairs[1][0](torch.from_numpy(indices)).detach().numpy())


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}),
                                          ("Adam", {"lr": 0.01})])
def test_torch_optimizer_state_resumes_in_ndgrad(torch, name, kwargs):
    twin = torch.nn.Linear(3, 2)
    model = ndgrad.nn.Linear(3, 2)
    model.load_state_dict(ndgrad.load(_torch_save(torch, twin.state_dict())))
    x = np.random.randn(4, 3).astype(np.float32)

    def step(module, optimizer, lib):
        optimizer.zero_grad()
        (module(lib.from_numpy(x)) ** 2).mean().backward()
        optimizer.step()

    torch_optimizer = getattr(torch.optim, name)(twin.parameters(), **kwargs)
    for _ in range(2):
        step(twin, torch_optimizer, torch)
    model.load_state_dict(ndgrad.load(_torch_save(torch, twin.state_dict())))
    state = ndgrad.load(_torch_save(torch, torch_optimizer.state_dict()))
    assert list(state["state"]) == [0, 1] and state["param_groups"][0]["params"] == [0, 1]
    optimizer = getattr(ndgrad.optim, name)(model.parameters(), **kwargs)
    optimizer.load_state_dict(state)
    step(twin, torch_optimizer, torch)
    step(model, optimizer, ndgrad)
    np.testing.assert_allclose(model.weight.detach().numpy(), twin.weight.detach().numpy(),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["bfloat16", "complex64", "uint16"])
def test_unsupported_dtype_is_named(torch, dtype):
    data = _torch_save(torch, {"x": torch.zeros(2, dtype=getattr(torch, dtype))})
    with pytest.raises(ValueError, match=f"{dtype} tensor; ndgrad has no {dtype} dtype"):
        ndgrad.load(data)


def test_map_location(torch):
    data = _torch_save(torch, {"x": torch.ones(2)}).getvalue()
    for location in ("cpu", ndgrad.device("cpu"), {"cpu": "cpu"}):
        assert ndgrad.load(io.BytesIO(data), map_location=location)["x"].device.type == "cpu"
    with pytest.raises(TypeError, match="not a function"):
        ndgrad.load(io.BytesIO(data), map_location=lambda storage, location: storage)


# ---------------------------------------------------------------- nothing from the file runs


class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Eval(_System):
    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w')",))


def _archive(data_pkl: bytes, records=()) -> io.BytesIO:
    """A torch.save-style zip around a hand-made pickle."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        for name, data in records:
            archive.writestr(f"archive/{name}", data)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("payload, name", [(_System, "posix.system"), (_Eval, "builtins.eval")])
@pytest.mark.parametrize("fmt", ["zip", "legacy", "plain"])
def test_malicious_pickles_are_refused(torch, tmp_path, payload, name, fmt):
    marker = tmp_path / "pwned"
    obj = {"weight": [1.0, 2.0], "evil": payload(marker)}
    data = (io.BytesIO(pickle.dumps(obj, 2)) if fmt == "plain"
            else _torch_save(torch, obj | {"weight": torch.ones(2)}, fmt))
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {name} is not allowed"):
        ndgrad.load(data)
    assert not marker.exists()


def _storage_pickle(size, stride, offset, numel, record_key="0"):
    storage = (b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00"
               + record_key.encode() + b"X\x03\x00\x00\x00cpu" + bytes([75, numel]) + b"tQ")
    ints = b"".join(bytes([75, n]) for n in size)
    strides = b"".join(bytes([75, n]) for n in stride)
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + storage + bytes([75, offset])
            + b"(" + ints + b"t(" + strides + b"t\x89ccollections\nOrderedDict\n)RtR.")


@pytest.mark.parametrize("size, stride, offset, numel, match", [
    ((2, 2), (2, 1), 0, 4, None),                      # the well-formed control
    ((3, 2), (2, 1), 0, 4, "reaches past its storage"),
    ((2,), (1,), 3, 4, "reaches past its storage"),
    ((2, 2), (2, 1), 0, 8, "has 16 bytes, its storage needs 32"),
])
def test_crafted_views_cannot_reach_outside_their_storage(size, stride, offset, numel, match):
    data = _archive(_storage_pickle(size, stride, offset, numel),
                    [("data/0", np.arange(4, dtype=np.float32).tobytes())])
    if match is None:
        np.testing.assert_array_equal(ndgrad.load(data).numpy(), [[0, 1], [2, 3]])
    else:
        with pytest.raises(pickle.UnpicklingError, match=match):
            ndgrad.load(data)


@pytest.mark.parametrize("data_pkl, match", [
    (b"\x80\x02(X\x06\x00\x00\x00modulectorch\nFloatStorage\ntQ.", "only storages"),
    (b"\x80\x02ccollections\nOrderedDict\n)Rcbuiltins\nprint\n.", "builtins.print"),
    (b"\x80\x02]ccollections\nOrderedDict\n)R\x85R.", "REDUCE of \\[\\]"),
    (b"\x80\x02ccollections\nOrderedDict\n)R]a.", "APPEND on OrderedDict"),
    (b"\x80\x02ccollections\nOrderedDict\nc__builtin__\nobject\n\x81.", "builtins.object"),
    (b"\x80\x02K\x01)\x81.", "NEWOBJ needs a class"),
    (b"\x80\x02\x82\x01.", "opcode EXT1 is not supported"),
    (b"\x80\x02]", "before seeing STOP"),
])
def test_crafted_opcodes_are_refused(data_pkl, match):
    with pytest.raises(pickle.UnpicklingError, match=match):
        ndgrad.load(_archive(data_pkl))


def test_weights_only_loading_never_uses_pythons_unpickler(torch, monkeypatch):
    data = _torch_save(torch, {"w": torch.ones(2), "s": {1}}).getvalue()

    def forbidden(*args, **kwargs):
        raise AssertionError("the stdlib unpickler ran")
    for name in ("Unpickler", "load", "loads", "_Unpickler", "_load", "_loads"):
        monkeypatch.setattr(pickle, name, forbidden)
    assert ndgrad.load(io.BytesIO(data))["s"] == {1}


def test_non_checkpoint_zips_are_explained(torch):
    with pytest.raises(ValueError, match="not a torch.save checkpoint"):
        ndgrad.load(_plain_zip())
    with pytest.raises(ValueError, match="damaged zip"):
        ndgrad.load(io.BytesIO(b"PK\x03\x04 not really a zip"))
    with pytest.raises(ValueError, match="is a pickle, not a checkpoint"):
        ndgrad.load(io.BytesIO(pickle.dumps({"a": [1, 2]}, 2)))


def _plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    buffer.seek(0)
    return buffer


# ---------------------------------------------------------------- whole objects from ndgrad


class _Net(ndgrad.nn.Module):
    """A word_language_model-style module: embedding, LSTM, dropout, decoder."""

    def __init__(self):
        super().__init__()
        self.encoder = ndgrad.nn.Embedding(10, 4)
        self.rnn = ndgrad.nn.LSTM(4, 6)
        self.drop = ndgrad.nn.Dropout(0.2)
        self.decoder = ndgrad.nn.Linear(6, 10)
        self.tag = {"tokens": {"<eos>"}}

    def forward(self, x):
        out, _ = self.rnn(self.drop(self.encoder(x)))
        return self.decoder(out)


_NET_CLASSES = [_Net, ndgrad.nn.Embedding, ndgrad.nn.LSTM, ndgrad.nn.Dropout, ndgrad.nn.Linear]


def test_whole_module_round_trip_needs_its_classes_allowed(tmp_path):
    model = _Net().eval()
    path = tmp_path / "model.pt"
    with open(path, "wb") as f:  # as PyTorch's word_language_model writes it
        ndgrad.save(model, f)
    assert zipfile.is_zipfile(path)
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {__name__}._Net is not allowed"):
        ndgrad.load(path)
    x = ndgrad.randint(0, 10, (5, 2))
    with open(path, "rb") as f, ndgrad.serialization.safe_globals(_NET_CLASSES):
        loaded = ndgrad.load(f)
    assert serialization.get_safe_globals() == []  # the block forgets them again
    assert type(loaded) is _Net and not loaded.training and loaded.tag == model.tag
    assert isinstance(loaded.decoder.weight, ndgrad.nn.Parameter)
    np.testing.assert_array_equal(loaded.eval()(x).detach().numpy(), model(x).detach().numpy())
    loaded.decoder.weight.sum().backward()  # parameters are leaves that take gradients
    assert loaded.decoder.weight.grad is not None
    trusted = ndgrad.load(path, weights_only=False)
    np.testing.assert_array_equal(trusted(x).detach().numpy(), model(x).detach().numpy())


def test_add_safe_globals_and_named_entries(tmp_path):
    model = ndgrad.nn.Linear(2, 2)
    ndgrad.save(model, tmp_path / "m.pt")
    try:
        serialization.add_safe_globals([(ndgrad.nn.Linear, "ndgrad.nn.modules.linear.Linear")])
        assert serialization.get_safe_globals() == [
            (ndgrad.nn.Linear, "ndgrad.nn.modules.linear.Linear")]
        loaded = ndgrad.load(tmp_path / "m.pt")
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    np.testing.assert_array_equal(loaded.weight.detach().numpy(), model.weight.detach().numpy())
    with pytest.raises(TypeError, match="module.name"):
        serialization.add_safe_globals([(ndgrad.nn.Linear,)])


def test_ndgrad_archives_keep_views_and_torch_reads_them(torch, tmp_path):
    base = ndgrad.arange(12.0).reshape(3, 4)
    obj = {"base": base, "view": base[1:, ::2], "t": base.t(), "flipped": base.flip(0),
           "p": ndgrad.nn.Parameter(ndgrad.ones(2)), "scalar": ndgrad.tensor(3, dtype=ndgrad.int8),
           "tags": {"a"}, "dtype": ndgrad.float16, "size": ndgrad.Size([2])}
    ndgrad.save(obj, tmp_path / "x.pt")  # the set makes it a torch.save archive
    loaded = ndgrad.load(tmp_path / "x.pt")
    assert _shares(loaded["base"], loaded["view"]) and _shares(loaded["base"], loaded["t"])
    theirs = torch.load(tmp_path / "x.pt")  # weights_only=True in torch too
    assert theirs["view"].untyped_storage().data_ptr() == theirs["base"].untyped_storage(
    ).data_ptr() and isinstance(theirs["p"], torch.nn.Parameter)
    assert theirs["dtype"] is torch.float16 and theirs["size"] == torch.Size([2])
    for name in ("base", "view", "t", "flipped", "scalar"):
        _assert_tensor_equal(loaded[name], theirs[name])


def test_tensor_state_from_a_file_cannot_set_private_attributes(torch):
    parameter = torch.nn.Parameter(torch.ones(2))
    parameter.note = "kept"
    loaded = ndgrad.load(_torch_save(torch, {"p": parameter}))["p"]
    assert loaded.note == "kept" and isinstance(loaded, ndgrad.nn.Parameter)
    parameter.__dict__["_data"] = "overwrite"  # what a crafted file could carry
    with pytest.raises(pickle.UnpicklingError, match="'_data' may not be set"):
        ndgrad.load(_torch_save(torch, {"p": parameter}))


class _PositionalEncoding(ndgrad.nn.Module):
    def __init__(self, d_model, max_len=50):
        super().__init__()
        position = ndgrad.arange(max_len).unsqueeze(1).float()
        frequency = ndgrad.exp(ndgrad.arange(0, d_model, 2).float() * (-9.2 / d_model))
        pe = ndgrad.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = ndgrad.sin(position * frequency)
        pe[:, 0, 1::2] = ndgrad.cos(position * frequency)
        self.register_buffer("pe", pe)
        self.dropout = ndgrad.nn.Dropout(0.1)

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0)])


class _TransformerModel(ndgrad.nn.Module):
    """word_language_model's TransformerModel, small."""

    def __init__(self, tokens=12, d_model=8):
        super().__init__()
        nn = ndgrad.nn
        self.pos_encoder = _PositionalEncoding(d_model)
        self.encoder = nn.Embedding(tokens, d_model)
        layer = nn.TransformerEncoderLayer(d_model, 2, 16, 0.1)
        self.transformer_encoder = nn.TransformerEncoder(layer, 2)
        self.decoder = nn.Linear(d_model, tokens)

    def forward(self, src):
        mask = ndgrad.nn.Transformer.generate_square_subsequent_mask(len(src))
        hidden = self.transformer_encoder(self.pos_encoder(self.encoder(src)), mask)
        return ndgrad.nn.functional.log_softmax(self.decoder(hidden), dim=-1)


def test_word_language_model_transformer_save_and_load(tmp_path):
    """The calls of PyTorch's word_language_model/main.py, with torch being ndgrad."""
    torch = ndgrad
    model = _TransformerModel().eval()
    with open(tmp_path / "model.pt", "wb") as f:
        torch.save(model, f)
    safe_globals = [
        _PositionalEncoding, _TransformerModel, torch.nn.functional.relu,
        torch.nn.modules.activation.MultiheadAttention, torch.nn.modules.container.ModuleList,
        torch.nn.modules.dropout.Dropout, torch.nn.modules.linear.Linear,
        torch.nn.modules.linear.NonDynamicallyQuantizableLinear,
        torch.nn.modules.normalization.LayerNorm, torch.nn.modules.sparse.Embedding,
        torch.nn.modules.transformer.TransformerEncoder,
        torch.nn.modules.transformer.TransformerEncoderLayer,
    ]
    with open(tmp_path / "model.pt", "rb") as f, torch.serialization.safe_globals(safe_globals):
        loaded = torch.load(f)
    src = torch.randint(0, 12, (7, 3))
    np.testing.assert_array_equal(loaded(src).detach().numpy(), model(src).detach().numpy())
    with open(tmp_path / "model.pt", "rb") as f, torch.serialization.safe_globals(
            safe_globals[1:]), pytest.raises(pickle.UnpicklingError, match="_PositionalEncoding"):
        torch.load(f)
