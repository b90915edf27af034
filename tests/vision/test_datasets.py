"""ndgrad.vision.datasets against torchvision reading the same synthetic files."""
import hashlib
import os
import pickle
import pickletools
import struct
import tarfile
from functools import partial

import numpy as np
import pytest

import ndgrad
from ndgrad.vision import datasets
from tests.datasets.test_datasets import _serve_mnist, mnist_arrays, server, write_idx  # noqa: F401
from tests.vision._torchvision import torchvision  # noqa: F401 - the oracle fixture


def assert_same_items(ours, theirs, indices):
    """Equal lengths, and at each index the same pixels, image mode and target."""
    assert len(ours) == len(theirs)
    for index in indices:
        (image, target), (expected_image, expected_target) = ours[index], theirs[index]
        assert image.mode == expected_image.mode and image.size == expected_image.size
        np.testing.assert_array_equal(np.asarray(image), np.asarray(expected_image))
        assert type(target) is type(expected_target) and target == expected_target


# ---- MNIST and FashionMNIST -------------------------------------------------------------------

def write_mnist(root, name: str, suffix: str = "", seed: int = 0) -> dict:
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    arrays = mnist_arrays(seed)
    for stem, array in arrays.items():
        write_idx(raw / (stem + suffix), array)
    return arrays


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_matches_torchvision(tmp_path, torchvision, name, train):  # noqa: F811 - the fixture
    write_mnist(tmp_path, name)
    ours = getattr(datasets, name)(tmp_path, train=train)
    theirs = getattr(torchvision.datasets, name)(str(tmp_path), train=train)
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    np.testing.assert_array_equal(ours.targets.numpy(), theirs.targets.numpy())
    assert ours.data.dtype == ndgrad.uint8 and ours.targets.dtype == ndgrad.int64
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert_same_items(ours, theirs, range(len(theirs)))
    assert repr(ours) == repr(theirs)


def test_mnist_reads_gz_files_and_applies_transforms(tmp_path):
    arrays = write_mnist(tmp_path, "MNIST", suffix=".gz")
    data = datasets.MNIST(tmp_path, train=False, transform=lambda image: np.asarray(image) + 0,
                          target_transform=lambda target: -target)
    image, target = data[3]
    np.testing.assert_array_equal(image, arrays["t10k-images-idx3-ubyte"][3])
    assert target == -int(arrays["t10k-labels-idx1-ubyte"][3])


def test_mnist_missing_files_are_not_found(tmp_path):
    with pytest.raises(RuntimeError, match="not found"):
        datasets.MNIST(tmp_path)


def test_mnist_download_tries_the_next_mirror(tmp_path, server):  # noqa: F811
    arrays, local = _serve_mnist(server)
    mirrored = type("MNIST", (datasets.MNIST,), {"resources": local.resources,
                                                 "mirrors": ["http://127.0.0.1:9/", server.url]})
    data = mirrored(tmp_path, download=True)
    np.testing.assert_array_equal(data.data.numpy(), arrays["train-images-idx3-ubyte"])
    assert len(server.requests) == 4
    mirrored(tmp_path, train=False, download=True)  # everything is there: nothing fetched
    assert len(server.requests) == 4


# ---- CIFAR10 ------------------------------------------------------------------------------------

CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]


def python2_pickle(value) -> bytes:
    """`value` (a dict, list, str, small int or 2-D uint8 array) pickled as Python 2 and NumPy 1
    wrote the real CIFAR files: protocol 2, byte strings, numpy.core.multiarray._reconstruct."""
    def string(text) -> bytes:
        raw = text.encode("latin1") if isinstance(text, str) else text
        if len(raw) < 256:
            return b"U" + bytes([len(raw)]) + raw  # SHORT_BINSTRING
        return b"T" + struct.pack("<I", len(raw)) + raw  # BINSTRING

    def body(item) -> bytes:
        if isinstance(item, dict):
            return b"}(" + b"".join(body(k) + body(v) for k, v in item.items()) + b"u"
        if isinstance(item, list):
            return b"](" + b"".join(body(x) for x in item) + b"e"
        if isinstance(item, (str, bytes)):
            return string(item)
        if isinstance(item, int):
            return b"M" + struct.pack("<H", item)
        shape = body(item.shape[0]) + body(item.shape[1]) + b"\x86"
        dtype = (b"cnumpy\ndtype\n" + string("u1") + b"K\x00K\x01\x87R(K\x03" + string("|")
                 + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
        return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
                + string("b") + b"\x87R(K\x01" + shape + dtype + b"\x89"
                + string(item.tobytes()) + b"tb")

    return b"\x80\x02" + body(value) + b"."


def write_cifar(root, protocol, per_batch: int = 3) -> None:
    """CIFAR10's six batches and meta file, `per_batch` random images each, pickled with
    `protocol` (or "python2": as the real files are)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(len(str(protocol)))
    dump = python2_pickle if protocol == "python2" else partial(pickle.dumps, protocol=protocol)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        batch = {"batch_label": name, "filenames": [f"{name}_{i}.png" for i in range(per_batch)],
                 "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, per_batch).tolist()}
        (folder / name).write_bytes(dump(batch))
    meta = {"num_cases_per_batch": per_batch, "label_names": CIFAR_NAMES, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(dump(meta))


def unchecked_cifar10(torchvision):  # noqa: F811 - the fixture
    """torchvision's CIFAR10 with its MD5 checks off, so that synthetic files load."""
    base = torchvision.datasets.CIFAR10
    return type("CIFAR10", (base,), {
        "train_list": [[name, None] for name, _ in base.train_list],
        "test_list": [[name, None] for name, _ in base.test_list],
        "meta": {**base.meta, "md5": None}})


@pytest.mark.parametrize("protocol", ["python2", 2, 4, 5])
@pytest.mark.parametrize("train", [True, False])
def test_cifar10_matches_torchvision(tmp_path, torchvision, protocol, train):  # noqa: F811 - the fixture
    write_cifar(tmp_path, protocol)
    ours = datasets.CIFAR10(tmp_path, train=train)
    theirs = unchecked_cifar10(torchvision)(str(tmp_path), train=train)
    np.testing.assert_array_equal(ours.data, theirs.data)
    assert ours.data.shape == ((15 if train else 3), 32, 32, 3)
    assert ours.targets == theirs.targets
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert_same_items(ours, theirs, range(len(theirs)))


def test_cifar10_missing_files_are_not_found(tmp_path):
    write_cifar(tmp_path, 4)
    os.remove(tmp_path / "cifar-10-batches-py" / "data_batch_3")
    with pytest.raises(RuntimeError, match="not found: data_batch_3"):
        datasets.CIFAR10(tmp_path)


def test_cifar10_download_fetches_checks_and_unpacks_the_archive(tmp_path, server):  # noqa: F811
    (tmp_path / "source").mkdir()
    write_cifar(tmp_path / "source", 4)
    archive = tmp_path / "archive.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "source" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    body = archive.read_bytes()
    server.files["/mnist/cifar.tgz"] = (body, "ok")
    local = type("CIFAR10", (datasets.CIFAR10,), {"url": server.url + "cifar.tgz",
                                                  "tgz_md5": hashlib.md5(body).hexdigest()})
    data = local(tmp_path / "root", train=False, download=True)
    np.testing.assert_array_equal(data.data, datasets.CIFAR10(tmp_path / "source", False).data)
    local(tmp_path / "root", download=True)  # the files are there: nothing fetched again
    assert server.requests == ["/mnist/cifar.tgz"]
    corrupt = type("CIFAR10", (local,), {"tgz_md5": "0" * 32})
    with pytest.raises(RuntimeError, match="checksum"):
        corrupt(tmp_path / "other", download=True)
    assert not (tmp_path / "other" / "cifar-10-batches-py").exists()


class _Payload:
    """Pickles as a call of `os.system` that would create a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("protocol", [2, 4])
def test_cifar10_refuses_a_pickle_naming_other_globals(tmp_path, protocol):
    write_cifar(tmp_path, 4)
    marker = tmp_path / "executed"
    batch = {"data": np.zeros((1, 3072), np.uint8), "labels": [_Payload(marker)]}
    payload = pickle.dumps(batch, protocol=protocol)
    assert "system" in str(list(pickletools.genops(payload)))  # the call is in the file
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError, match="'(posix|os).system'"):
        datasets.CIFAR10(tmp_path)
    assert not marker.exists()


# ---- ImageFolder and DatasetFolder ------------------------------------------------------------

def write_tree(root) -> None:
    """Class folders in unsorted creation order, nested folders, mixed extensions, an empty
    class and a non-image file."""
    from PIL import Image

    rng = np.random.default_rng(0)
    files = ["zebra/b.png", "zebra/a.JPG", "zebra/deep/c.bmp", "ant/x.png", "ant/notes.txt",
             "cat/y.ppm", "cat/sub/z.png", "cat/sub/a.npy"]
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".npy"):
            np.save(path, rng.normal(size=3))
        elif name.endswith(".txt"):
            path.write_text("not an image")
        else:
            pixels = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(path, quality=95)
    (root / "empty").mkdir()


def relative(samples, root):
    return [(os.path.relpath(path, root), target) for path, target in samples]


def test_image_folder_matches_torchvision(tmp_path, torchvision):  # noqa: F811 - the fixture
    write_tree(tmp_path)
    ours = datasets.ImageFolder(tmp_path, allow_empty=True)
    theirs = torchvision.datasets.ImageFolder(str(tmp_path), allow_empty=True)
    assert ours.classes == theirs.classes == ["ant", "cat", "empty", "zebra"]
    assert ours.class_to_idx == theirs.class_to_idx and ours.targets == theirs.targets
    assert relative(ours.samples, tmp_path) == relative(theirs.samples, tmp_path)
    assert ours.imgs is ours.samples
    assert_same_items(ours, theirs, range(len(theirs)))


def test_image_folder_empty_class_and_filters(tmp_path, torchvision):  # noqa: F811 - the fixture
    write_tree(tmp_path)
    for module in (datasets, torchvision.datasets):
        with pytest.raises(FileNotFoundError, match="classes empty"):
            module.ImageFolder(str(tmp_path))
    only_png = {"is_valid_file": lambda path: path.endswith(".png"), "allow_empty": True}
    ours = datasets.ImageFolder(tmp_path, **only_png)
    theirs = torchvision.datasets.ImageFolder(str(tmp_path), **only_png)
    assert relative(ours.samples, tmp_path) == relative(theirs.samples, tmp_path)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path / "empty")


def test_dataset_folder_with_a_loader_and_extensions(tmp_path, torchvision):  # noqa: F811 - the fixture
    write_tree(tmp_path)
    kwargs = {"loader": np.load, "extensions": (".npy",), "allow_empty": True,
              "target_transform": lambda target: target * 10}
    ours = datasets.DatasetFolder(tmp_path, **kwargs)
    theirs = torchvision.datasets.DatasetFolder(str(tmp_path), **kwargs)
    assert relative(ours.samples, tmp_path) == relative(theirs.samples, tmp_path)
    (array, target), (expected, expected_target) = ours[0], theirs[0]
    np.testing.assert_array_equal(array, expected)
    assert target == expected_target == 10
    with pytest.raises(ValueError, match="extensions and is_valid_file"):
        datasets.DatasetFolder(tmp_path, np.load, extensions=(".npy",),
                               is_valid_file=lambda path: True)


# ---- FakeData and the base class -------------------------------------------------------------

@pytest.mark.parametrize("image_size", [(3, 6, 5), (1, 4, 7)])
def test_fake_data_like_torchvision(torchvision, image_size):  # noqa: F811 - the fixture
    ours = datasets.FakeData(size=6, image_size=image_size, num_classes=3)
    theirs = torchvision.datasets.FakeData(size=6, image_size=image_size, num_classes=3)
    state = ndgrad.get_rng_state()
    samples = [ours[i] for i in range(6)]
    assert ndgrad.get_rng_state() == state  # the global generator is left alone
    for (image, target), (expected, expected_target) in zip(samples, theirs):
        assert image.mode == expected.mode and image.size == expected.size
        assert type(target) is type(expected_target) is int and 0 <= target < 3
    again = ours[4][0]
    np.testing.assert_array_equal(np.asarray(again), np.asarray(samples[4][0]))
    assert len({np.asarray(image).tobytes() for image, _ in samples}) == 6
    assert len(ours) == 6 and repr(ours) == repr(theirs)
    with pytest.raises(IndexError, match="out of range"):
        ours[6]


def test_transforms_and_separate_transforms_exclude_each_other():
    with pytest.raises(ValueError, match="Only transforms or transform"):
        datasets.VisionDataset("root", transforms=lambda x, y: (x, y), transform=abs)
