"""CIFAR10 and CIFAR100 from their python batches, read by an unpickler that only builds NumPy
arrays: a pickle that names any other global is refused before anything runs."""
from __future__ import annotations

import codecs
import io
import os
import pickle
import tarfile
from collections.abc import Callable
from typing import Any

import numpy as np

from ndgrad.datasets.mnist import download_file
from ndgrad.vision.datasets.vision import SplitDataset, _pillow

# The callables behind NumPy's own pickles, taken from the reducers themselves so that no
# module is imported by name: _reconstruct (protocols <= 4) and _frombuffer (protocol 5).
_RECONSTRUCT = np.zeros(1).__reduce__()[0]
_FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # the real files (NumPy 1, py2)
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # Python 3 writes bytes as _codecs.encode(text, "latin1") under protocol 2.
    ("_codecs", "encode"): codecs.encode,
}


class _ArrayUnpickler(pickle.Unpickler):
    """Resolves only the globals of NumPy array pickles; refuses every other one."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load global '{module}.{name}': a CIFAR "
                                         "batch holds only NumPy arrays, lists and strings")
        return _ALLOWED[(module, name)]


def load_batch(path: str) -> dict:
    """The dictionary pickled in a CIFAR batch file, read without executing its content."""
    with open(path, "rb") as handle:
        data = handle.read()
    return _ArrayUnpickler(io.BytesIO(data), encoding="latin1").load()


class CIFAR10(SplitDataset):
    """CIFAR10: 32x32 RGB images in 10 classes, 50000 for training and 10000 for testing.

    Reads the python batches under `root/cifar-10-batches-py/`. Checksums are not checked, so
    files written elsewhere in the same format load too; `download=True` fetches and checks the
    archive. `.data` is a (N, 32, 32, 3) uint8 NumPy array, `.targets` a list of ints.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform, download)
        missing = self._missing()
        if missing:
            raise RuntimeError(f"Dataset not found: {', '.join(missing)} missing in "
                               f"{self._folder}. You can use download=True to download it")
        batches = [load_batch(self._path(name)) for name, _ in
                   (self.train_list if train else self.test_list)]
        self.data = np.vstack([batch["data"] for batch in batches]).reshape(-1, 3, 32, 32)
        self.data = self.data.transpose((0, 2, 3, 1))  # CHW rows to HWC images
        self.targets = [int(label) for batch in batches
                        for label in batch.get("labels", batch.get("fine_labels", []))]
        if len(self.targets) != len(self.data):
            raise RuntimeError(f"{len(self.data)} images but {len(self.targets)} labels in "
                               f"{self._folder}")
        self.classes = list(load_batch(self._path(self.meta["filename"]))[self.meta["key"]])
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}

    @property
    def _folder(self) -> str:
        return os.path.join(self.root, self.base_folder)

    def _path(self, filename: str) -> str:
        return os.path.join(self._folder, filename)

    def _missing(self) -> list[str]:
        names = [name for name, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        return [name for name in names if not os.path.isfile(self._path(name))]

    def download(self) -> None:
        """Fetches and checks the archive, then unpacks it under root (unless the files are
        there already)."""
        if not self._missing():
            return
        archive = os.path.join(self.root, self.filename)
        if not os.path.exists(archive):
            download_file(self.url, archive, self.tgz_md5)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(self.root, filter="data")  # no links or paths out of root

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self._apply(_pillow().fromarray(self.data[index]), self.targets[index])


class CIFAR100(CIFAR10):
    """CIFAR100: CIFAR10's format with 100 fine classes, under `root/cifar-100-python/`."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
