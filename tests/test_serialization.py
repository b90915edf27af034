"""ndgrad.save/load: round trips, no pickle, atomic writes, corrupt files, safetensors interop."""
import io
import math
import os
import pickle
import struct
import sys
import threading
import zipfile
from unittest import mock

import numpy as np
import pytest

import ndgrad

DTYPES = [ndgrad.float16, ndgrad.float32, ndgrad.float64, ndgrad.int8, ndgrad.int16,
          ndgrad.int32, ndgrad.int64, ndgrad.uint8, ndgrad.bool]


def _tensor(shape, dtype):
    values = np.random.randn(*shape) * 50
    return ndgrad.from_numpy(np.asarray(values > 0 if dtype is ndgrad.bool else values,
                                        dtype=dtype.numpy))


def _nested():
    """Every kind of value save accepts, nested."""
    wide = _tensor((4, 6), ndgrad.float32)
    return {
        "dtypes": {d.name: _tensor((2, 3), d) for d in DTYPES},
        "scalar": ndgrad.tensor(3.5), "empty": ndgrad.zeros(0, 3, dtype=ndgrad.int64),
        "transposed": wide.t(), "strided": wide[:, ::2], "flipped": wide.flip(0),
        "numbers": [1, -(2 ** 70), 0.1, -0.0, math.inf, -math.inf, math.nan, True, False],
        "numpy": (np.int64(7), np.float32(0.5), np.float64(np.nan), np.bool_(True)),
        "text": ["", "héllo ✓", "a/b"], "nothing": None,
        "nested": ([1, (2, [3, ()])], [], {}), 0: "int key", 1.5: "float key", None: "none key",
        True: [wide, wide],  # one tensor twice is stored twice
    }


def _plain(obj):
    """A comparable picture of obj: container types, dtypes, shapes, exact values, nan == nan."""
    if isinstance(obj, ndgrad.Tensor):
        return ("tensor", obj.dtype, tuple(obj.shape), obj.numpy().tobytes())
    if isinstance(obj, dict):
        return ("dict", [(_plain(k), _plain(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_plain(v) for v in obj])
    obj = obj.item() if isinstance(obj, np.generic) else obj  # numpy scalars load as Python's
    return (type(obj).__name__, repr(obj))


def assert_same(expected, actual):
    assert _plain(actual) == _plain(expected)


def _roundtrip(obj, target):
    ndgrad.save(obj, target)
    if isinstance(target, io.BytesIO):
        target.seek(0)
    return ndgrad.load(target)


@pytest.fixture(params=["path", "str", "bytesio"])
def target(request, tmp_path):
    return {"path": tmp_path / "ckpt.pt", "str": str(tmp_path / "ckpt.pt"),
            "bytesio": io.BytesIO()}[request.param]


def _mlp():
    return ndgrad.nn.Sequential(ndgrad.nn.Linear(4, 8), ndgrad.nn.ReLU(), ndgrad.nn.Linear(8, 3))


def _train(model, optimizer, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        ((model(ndgrad.randn(5, 4)) - 1) ** 2).mean().backward()
        optimizer.step()


# ---------------------------------------------------------------- round trips


ROUNDTRIPS = {
    "nested": _nested, "state_dict": lambda: {"w": ndgrad.randn(3, 2), "b": ndgrad.zeros(2)},
    "tensor": lambda: ndgrad.tensor([1, 2]), "bool0d": lambda: ndgrad.tensor(True),
    "list": list, "dict": dict, "tuple": tuple, "int": lambda: 5, "str": lambda: "text",
    "none": lambda: None, "reserved-name": lambda: {"__metadata__": ndgrad.ones(2)},
}


@pytest.mark.parametrize("name", ROUNDTRIPS)
def test_roundtrip(name, target):
    obj = ROUNDTRIPS[name]()
    assert_same(obj, _roundtrip(obj, target))


def test_model_state_dict_roundtrip(tmp_path):
    model, other = _mlp(), _mlp()
    ndgrad.save(model.state_dict(), tmp_path / "model.pt")
    other.load_state_dict(ndgrad.load(tmp_path / "model.pt", map_location="cpu", weights_only=True))
    x = ndgrad.randn(7, 4)
    np.testing.assert_array_equal(other(x).detach().numpy(), model(x).detach().numpy())


def test_training_checkpoint_resumes_identically(tmp_path):
    model = _mlp()
    optimizer = ndgrad.optim.Adam(model.parameters(), lr=0.01)
    _train(model, optimizer, 3)
    checkpoint = {"epoch": 3, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "loss": 0.25, "history": [(1, 0.5), (2, 0.3)]}
    loaded = _roundtrip(checkpoint, tmp_path / "ckpt.pt")
    assert_same(checkpoint, loaded)
    assert list(loaded["optimizer"]["state"]) == [0, 1, 2, 3]  # int keys stay ints
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)

    resumed = _mlp()
    resumed.load_state_dict(loaded["model"])
    resumed_optimizer = ndgrad.optim.Adam(resumed.parameters(), lr=0.01)
    resumed_optimizer.load_state_dict(loaded["optimizer"])
    for m, opt in ((model, optimizer), (resumed, resumed_optimizer)):
        ndgrad.manual_seed(1)
        _train(m, opt, 2)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


# ---------------------------------------------------------------- pickles


class _Evil:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_malicious_pickle_is_refused(tmp_path, protocol):
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_Evil(proof), protocol)).close()
    assert proof.exists()  # the payload is real

    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": _Evil(marker)}, protocol)
    (tmp_path / "evil.pt").write_bytes(payload)
    for source in (tmp_path / "evil.pt", io.BytesIO(payload)):
        # Protocols 0 and 1 are not pickles torch.save writes; 2+ reach the restricted
        # unpickler, which refuses the global.
        with pytest.raises((ValueError, pickle.UnpicklingError),
                           match="not a safetensors|GLOBAL io.open is not allowed"):
            ndgrad.load(source)
    assert not marker.exists()


# ---------------------------------------------------------------- atomic writes


@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    ndgrad.save({"w": ndgrad.arange(5)}, path)
    return path, path.read_bytes()


def _assert_untouched(old_file):
    path, old_bytes = old_file
    assert path.read_bytes() == old_bytes
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


def test_save_writes_syncs_then_replaces_in_same_folder(old_file, monkeypatch):
    calls = mock.Mock()
    calls.attach_mock(mock.Mock(wraps=os.fsync), "fsync")
    calls.attach_mock(mock.Mock(wraps=os.replace), "replace")
    monkeypatch.setattr(os, "fsync", calls.fsync)
    monkeypatch.setattr(os, "replace", calls.replace)
    path, _ = old_file
    ndgrad.save({"w": ndgrad.ones(100)}, path)
    assert [name for name, _, _ in calls.mock_calls] == ["fsync", "replace"]
    temporary, target = calls.replace.call_args.args
    assert os.path.dirname(temporary) == str(path.parent) and target == str(path)
    assert os.listdir(path.parent) == [path.name]
    assert_same({"w": ndgrad.ones(100)}, ndgrad.load(path))
    if os.name == "posix":  # permissions as open() would give, not mkstemp's 0o600
        umask = os.umask(0)
        os.umask(umask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask


class _HalfWriter(io.FileIO):
    """Stands in for os.fdopen's file: writes half the bytes, then the disk is full."""

    def write(self, data):
        super().write(data[:len(data) // 2])
        raise OSError("disk full")


@pytest.mark.parametrize("where, error", [
    ("write", OSError("disk full")), ("fsync", KeyboardInterrupt()),
    ("replace", OSError("rename failed")),
])
def test_failed_save_keeps_previous_file(old_file, monkeypatch, where, error):
    if where == "write":
        monkeypatch.setattr(os, "fdopen", lambda fd, mode: _HalfWriter(fd, "w"))
    else:
        monkeypatch.setattr(os, where, mock.Mock(side_effect=error))
    with pytest.raises(type(error)):
        ndgrad.save({"w": ndgrad.ones(1000)}, old_file[0])
    monkeypatch.undo()
    _assert_untouched(old_file)
    assert_same({"w": ndgrad.arange(5)}, ndgrad.load(old_file[0]))


@pytest.mark.parametrize("obj", [
    lambda: 0, {"w": ndgrad.ones(2), "lock": threading.Lock()}, [(i for i in range(2))],
], ids=["lambda", "lock", "generator"])
def test_unpicklable_object_raises_type_error(old_file, obj):
    with pytest.raises(TypeError, match="ndgrad.save cannot store"):
        ndgrad.save(obj, old_file[0])
    _assert_untouched(old_file)


@pytest.mark.parametrize("obj", [
    {1, 2}, {(1, 2): 3}, {"deep": [{"x": frozenset({1})}]}, {"w": ndgrad.ones(2), "c": 1 + 2j},
], ids=["set", "tuple-key", "deep-set", "complex"])
def test_other_objects_go_to_torch_format(target, obj):
    """What safetensors cannot describe is written as a torch.save archive."""
    assert_same(obj, _roundtrip(obj, target))
    if not isinstance(target, io.BytesIO):
        assert zipfile.is_zipfile(target)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8, np.bool_])
def test_numpy_arrays_round_trip(target, dtype):
    data = np.sin(np.arange(12).reshape(3, 4)).astype(dtype)
    loaded = _roundtrip({"data": data, "more": [data[:, ::2], np.float64(1.5)]}, target)
    assert type(loaded["data"]) is np.ndarray and loaded["data"].dtype == dtype
    np.testing.assert_array_equal(loaded["data"], data)
    np.testing.assert_array_equal(loaded["more"][0], data[:, ::2])


def test_time_sequence_prediction_style_array_file(tmp_path):
    """PyTorch's time_sequence_prediction example: torch.save(array, open(...)), torch.load."""
    data = np.sin(np.arange(20).reshape(2, 10) / 20.0).astype("float64")
    with open(tmp_path / "traindata.pt", "wb") as f:
        ndgrad.save(data, f)
    np.testing.assert_array_equal(ndgrad.load(str(tmp_path / "traindata.pt")), data)


def test_arrays_numpy_cannot_describe_need_their_globals(tmp_path):
    data = np.array([1 + 2j, 3j])  # complex: no safetensors dtype, so pickled as torch would
    ndgrad.save({"z": data}, tmp_path / "z.pt")
    with pytest.raises(pickle.UnpicklingError, match="_reconstruct is not allowed"):
        ndgrad.load(tmp_path / "z.pt")
    np.testing.assert_array_equal(ndgrad.load(tmp_path / "z.pt", weights_only=False)["z"], data)


# ---------------------------------------------------------------- corrupt files


def _checkpoint_bytes():
    buffer = io.BytesIO()
    ndgrad.save({"w": ndgrad.randn(3, 4), "step": 7, "lr": 0.001, "betas": (0.9, 0.999),
                 "mask": ndgrad.tensor([True, False])}, buffer)
    return buffer.getvalue()


def test_truncated_file_is_refused_everywhere():
    data = _checkpoint_bytes()
    header_end = 8 + struct.unpack("<Q", data[:8])[0]
    for size in range(len(data)):  # covers header, data middle and the last byte
        with pytest.raises(ValueError, match="truncated|corrupt|not an ndgrad"):
            ndgrad.load(io.BytesIO(data[:size]))
    assert 0 < header_end < len(data) - 40


def test_every_flipped_byte_is_refused():
    data = _checkpoint_bytes()
    data_start = 8 + struct.unpack("<Q", data[:8])[0]
    for i in range(len(data)):  # header (structure, names, dtypes, offsets) and data
        for flip in (0x01, 0x80):
            damaged = bytearray(data)
            damaged[i] ^= flip
            with pytest.raises(ValueError, match="checksum" if i >= data_start else None):
                ndgrad.load(io.BytesIO(bytes(damaged)))


def _header(text):
    return struct.pack("<Q", len(text)) + text


@pytest.mark.parametrize("data", [
    b"", b"\x00" * 3, np.random.RandomState(0).bytes(4096), b"hello world, not a checkpoint\n",
    _header(b"[]"), _header(b"{}") + b"extra", _header(b'{"w": 1}'),
    _header(b'{"w":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}}') + b"\0" * 4,
    _header(b'{"w":{"dtype":["F32"],"shape":[1],"data_offsets":[0,4]}}') + b"\0" * 4,
], ids=["empty", "tiny", "garbage", "text", "json-list", "trailing", "bad-entry", "bad-offsets",
        "bad-dtype"])
def test_garbage_is_refused(tmp_path, data):
    path = tmp_path / "bad.pt"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="bad.pt"):
        ndgrad.load(path)


# ---------------------------------------------------------------- safetensors interop


def test_state_dicts_cross_between_ndgrad_and_torch(torch, tmp_path):
    from safetensors.torch import load_file, save_file
    model = _mlp()
    twin = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    extra = {d.name: _tensor((2, 3), d) for d in DTYPES} | {"empty": ndgrad.zeros(0, 2)}
    state = model.state_dict() | extra | {"scalar": ndgrad.tensor(2.0)}
    ndgrad.save(state, tmp_path / "ndgrad.safetensors")
    loaded = load_file(tmp_path / "ndgrad.safetensors")
    assert sorted(loaded) == sorted(state)
    for name, t in state.items():
        assert (tuple(loaded[name].shape), str(loaded[name].dtype)) == (
            tuple(t.shape), f"torch.{t.dtype.name}")
        np.testing.assert_array_equal(loaded[name].numpy(), t.numpy())
    twin.load_state_dict({k: loaded[k] for k in model.state_dict()})
    x = np.random.randn(6, 4).astype(np.float32)
    # BLAS summation order differs between the libraries, hence allclose.
    np.testing.assert_allclose(twin(torch.from_numpy(x)).detach().numpy(),
                               model(ndgrad.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)

    for p in twin.parameters():
        torch.nn.init.normal_(p)  # so a load into ndgrad that did nothing would show
    save_file(twin.state_dict(), tmp_path / "torch.safetensors")
    model.load_state_dict(ndgrad.load(tmp_path / "torch.safetensors"))
    np.testing.assert_allclose(model(ndgrad.from_numpy(x)).detach().numpy(),
                               twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_unsupported_torch_dtype_is_named(torch, tmp_path):
    from safetensors.torch import save_file
    for dtype, name in ((torch.bfloat16, "BF16"), (torch.uint16, "U16")):
        save_file({"x": torch.zeros(2, dtype=dtype)}, tmp_path / "x.safetensors")
        with pytest.raises(ValueError, match=f"'x' has dtype '{name}'"):
            ndgrad.load(tmp_path / "x.safetensors")


def test_missing_safetensors_is_explained(old_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    for call in (lambda: ndgrad.save({"w": ndgrad.ones(2)}, old_file[0]),
                 lambda: ndgrad.load(old_file[0])):
        with pytest.raises(ImportError, match="pip install safetensors"):
            call()
    _assert_untouched(old_file)


def test_save_into_missing_folder_names_it(tmp_path, torch):
    for module in (ndgrad, torch):
        with pytest.raises(RuntimeError, match="Parent directory .*missing does not exist"):
            module.save({"a": module.ones(2)}, tmp_path / "missing" / "x.pt")
    assert not (tmp_path / "missing").exists()
