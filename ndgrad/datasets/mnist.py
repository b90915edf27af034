"""MNIST and Fashion-MNIST from the standard IDX files, with checked, atomic downloads."""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.request

import numpy as np

from ndgrad._creation import from_numpy, tensor
from ndgrad.utils.data.dataset import Dataset

# IDX type codes (the third byte of the magic number) and the NumPy dtypes they mean.
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
              0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """Reads an IDX file (optionally gzip-compressed) into an array, checking its size."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path} is truncated or corrupt: its header is cut short")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = data[4 + 4 * ndim:]
    if len(body) != expected:
        raise ValueError(f"{path} is truncated or corrupt: {len(body)} data bytes for shape "
                         f"{shape} (expected {expected})")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def file_digest(path: str, algorithm: str = "md5") -> str:
    """The hex digest of the file at `path`, read in 1 MB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url: str, path: str, md5: str | None) -> None:
    """Fetches `url` to `path` atomically; a checksum mismatch deletes the download and
    raises, leaving no file behind."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".download-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as reply:
            expected = reply.headers.get("Content-Length")
            size = 0
            for chunk in iter(lambda: reply.read(1 << 20), b""):
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if expected is not None and size != int(expected):
            raise RuntimeError(f"download of {url} is truncated: {size} of {expected} bytes")
        if md5 is not None and file_digest(temporary) != md5:
            raise RuntimeError(f"download of {url} failed its checksum (expected md5 {md5}); "
                               "the file was deleted")
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _find(raw_folder: str, stem: str) -> str:
    for name in (stem, stem + ".gz"):
        path = os.path.join(raw_folder, name)
        if os.path.exists(path):
            return path
    raise RuntimeError(f"Dataset not found: no {stem}[.gz] in {raw_folder}. You can "
                       "use download=True to download it")


def read_split(raw_folder: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of the train (or t10k) split in `raw_folder`, gz or not."""
    prefix = "train" if train else "t10k"
    images = read_idx(_find(raw_folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(raw_folder, f"{prefix}-labels-idx1-ubyte"))
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels in {raw_folder}")
    return images, labels


def download_missing(raw_folder: str, resources: list, mirrors: list) -> None:
    """Fetches each (filename, md5) of `resources` that is in `raw_folder` neither gzipped
    nor unpacked, trying `mirrors` in turn; the last mirror's error, if any, propagates."""
    for filename, md5 in resources:
        path = os.path.join(raw_folder, filename)
        if os.path.exists(path) or os.path.exists(path[:-len(".gz")]):
            continue
        for mirror in mirrors[:-1]:
            try:
                download_file(mirror.rstrip("/") + "/" + filename, path, md5)
                break
            except (OSError, RuntimeError):
                continue  # the next mirror may have it
        else:
            download_file(mirrors[-1].rstrip("/") + "/" + filename, path, md5)


class MNIST(Dataset):
    """Handwritten digits, 28x28 uint8 images with int labels, read from
    `root/<class name>/raw/` (gz or uncompressed IDX files).

    `download=True` fetches missing files from `base_url` (default: `mirrors[0]`), checking
    each against its MD5 in `resources`. A sample is `(image, label)`: a (28, 28) uint8 tensor
    (after `transform` if given) and an int (after `target_transform`).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str, train: bool = True, transform=None, target_transform=None,
                 download: bool = False, base_url: str | None = None) -> None:
        self.root, self.train = os.fspath(root), train
        self.transform, self.target_transform = transform, target_transform
        self.base_url = base_url or self.mirrors[0]
        if download:
            self.download()
        images, labels = read_split(self.raw_folder, train)
        self.data = from_numpy(np.ascontiguousarray(images))
        self.targets = tensor(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def download(self) -> None:
        """Downloads and checks every file that is not there yet."""
        download_missing(self.raw_folder, self.resources, [self.base_url])

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        image, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 images of clothing in 10 classes, MNIST's format."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
