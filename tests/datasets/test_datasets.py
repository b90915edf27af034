"""ndgrad.datasets: iris and digits from scikit-learn, MNIST-format IDX files and downloads."""
import gzip
import hashlib
import http.server
import os
import struct
import sys
import threading
import urllib.error

import numpy as np
import pytest

import ndgrad
from ndgrad.datasets import MNIST, FashionMNIST, load_digits, load_iris, read_idx
from ndgrad.utils.data import TensorDataset

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}
MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of `array`: zero bytes, type code, ndim, big-endian sizes and data."""
    big_endian = array.astype(array.dtype.newbyteorder(">"))
    header = bytes([0, 0, IDX_CODES[big_endian.dtype], array.ndim])
    return header + struct.pack(f">{array.ndim}I", *array.shape) + big_endian.tobytes()


def write_idx(path, array: np.ndarray) -> None:
    data = idx_bytes(array)
    with open(path, "wb") as handle:
        handle.write(gzip.compress(data) if str(path).endswith(".gz") else data)


def mnist_arrays(seed: int, n_train: int = 12, n_test: int = 5) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


# ---- iris and digits -----------------------------------------------------------------------

@pytest.mark.parametrize("load, n, features, classes, sklearn_name", [
    (load_iris, 150, 4, 3, "load_iris"),
    (load_digits, 1797, 64, 10, "load_digits"),
])
def test_toy_datasets(load, n, features, classes, sklearn_name):
    from sklearn import datasets
    ds = load()
    assert isinstance(ds, TensorDataset) and len(ds) == n
    X, y = ds.tensors
    assert X.shape == (n, features) and X.dtype == ndgrad.float32
    assert y.shape == (n,) and y.dtype == ndgrad.int64
    assert sorted(set(y.tolist())) == list(range(classes))
    x0, y0 = ds[0]
    assert x0.shape == (features,) and y0.dim() == 0
    reference = getattr(datasets, sklearn_name)()
    np.testing.assert_allclose(X.numpy(), reference.data.astype(np.float32))
    np.testing.assert_array_equal(y.numpy(), reference.target)
    X2, y2 = load(return_X_y=True)
    np.testing.assert_array_equal(X2.numpy(), X.numpy())
    np.testing.assert_array_equal(y2.numpy(), y.numpy())


@pytest.mark.parametrize("load", [load_iris, load_digits])
def test_toy_datasets_without_sklearn(monkeypatch, load):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load()


# ---- IDX files -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", list(IDX_CODES), ids=str)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = str(tmp_path / f"array-idx{suffix}")
    write_idx(path, array)
    back = read_idx(path)
    assert back.shape == (2, 3, 4) and back.dtype == dtype.newbyteorder("=")
    np.testing.assert_array_equal(back, array)


def test_read_idx_refuses_bad_files(tmp_path):
    bad_magic = tmp_path / "bad"
    bad_magic.write_bytes(b"\x01\x00\x08\x01" + struct.pack(">I", 3) + b"abc")
    with pytest.raises(ValueError, match="bad magic"):
        read_idx(str(bad_magic))
    short = tmp_path / "short"
    short.write_bytes(idx_bytes(np.zeros((4, 3), np.uint8))[:-2])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(str(short))
    short.write_bytes(idx_bytes(np.zeros((4, 3), np.uint8))[:9])
    with pytest.raises(ValueError, match="header"):
        read_idx(str(short))


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_reads_gz_and_raw_files(tmp_path, cls):
    arrays = mnist_arrays(0)
    raw = tmp_path / cls.__name__ / "raw"
    raw.mkdir(parents=True)
    for stem, array in arrays.items():
        write_idx(raw / (stem + (".gz" if stem.startswith("train") else "")), array)
    train = cls(tmp_path)
    test = cls(str(tmp_path), train=False)
    assert (len(train), len(test)) == (12, 5) and len(cls.classes) == 10
    assert train.data.dtype == ndgrad.uint8 and train.data.shape == (12, 28, 28)
    assert train.targets.dtype == ndgrad.int64
    np.testing.assert_array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(test.targets.numpy(), arrays["t10k-labels-idx1-ubyte"])
    image, label = test[3]
    assert isinstance(label, int) and label == arrays["t10k-labels-idx1-ubyte"][3]
    np.testing.assert_array_equal(image.numpy(), arrays["t10k-images-idx3-ubyte"][3])
    transformed = cls(tmp_path, transform=lambda im: im.float() / 255,
                      target_transform=lambda t: t + 100)
    image, label = transformed[0]
    assert image.dtype == ndgrad.float32 and float(image.max()) <= 1.0
    assert label == arrays["train-labels-idx1-ubyte"][0] + 100


def test_mnist_missing_files_say_how_to_download(tmp_path):
    with pytest.raises(RuntimeError, match="download=True"):
        MNIST(tmp_path)


# ---- downloads from a local server -----------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves `server.files[path] = (body, mode)`: mode "ok", or "truncate" (announces the
    full Content-Length but sends half the body)."""

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path not in self.server.files:
            self.send_error(404)
            return
        body, mode = self.server.files[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if mode == "ok" else body[:len(body) // 2])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.requests = {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/mnist/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _serve_mnist(server, seed=0):
    """Serves gz IDX files; returns the arrays and an MNIST subclass whose resources hold
    their MD5s and whose mirror is the server."""
    arrays = mnist_arrays(seed)
    resources = []
    for stem, array in arrays.items():
        body = gzip.compress(idx_bytes(array))
        server.files[f"/mnist/{stem}.gz"] = (body, "ok")
        resources.append((stem + ".gz", hashlib.md5(body).hexdigest()))
    local = type("LocalMNIST", (MNIST,), {"resources": resources, "mirrors": [server.url]})
    return arrays, local


@pytest.mark.parametrize("use_base_url", [True, False])
def test_download_fetches_checks_and_skips_existing(tmp_path, server, use_base_url):
    arrays, local = _serve_mnist(server)
    if use_base_url:
        local.mirrors = ["http://127.0.0.1:9/unreachable/"]
    base_url = server.url if use_base_url else None
    train = local(tmp_path, download=True, base_url=base_url)
    np.testing.assert_array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(train.targets.numpy(), arrays["train-labels-idx1-ubyte"])
    raw = tmp_path / "LocalMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(stem + ".gz" for stem in MNIST_FILES)
    assert len(server.requests) == 4
    test = local(tmp_path, train=False, download=True, base_url=base_url)
    assert len(test) == 5 and len(server.requests) == 4  # nothing fetched twice


@pytest.mark.parametrize("fault, error, message", [
    ("corrupt", RuntimeError, "checksum"),
    ("truncate", RuntimeError, "truncated"),
    ("missing", urllib.error.HTTPError, "404"),
])
def test_bad_download_is_refused_and_deleted(tmp_path, server, fault, error, message):
    _, local = _serve_mnist(server)
    path = "/mnist/train-images-idx3-ubyte.gz"  # the first resource fetched
    body, _ = server.files[path]
    if fault == "corrupt":
        server.files[path] = (body[:-1] + bytes([body[-1] ^ 0xFF]), "ok")
    elif fault == "truncate":
        server.files[path] = (body, "truncate")
    else:
        del server.files[path]
    with pytest.raises(error, match=message):
        local(tmp_path, download=True)
    assert os.listdir(tmp_path / "LocalMNIST" / "raw") == []
