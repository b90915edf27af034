"""MNIST and FashionMNIST as torchvision reads them: IDX files under root/<Class>/raw/,
samples as (PIL image in mode "L", int)."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ndgrad._creation import from_numpy, tensor
from ndgrad.datasets import mnist as _idx
from ndgrad.vision.datasets.vision import SplitDataset, _pillow


class MNIST(SplitDataset):
    """Handwritten digits: 28x28 grayscale images with labels 0-9.

    Reads `root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`, uncompressed (as
    torchvision) or with a `.gz` suffix. `download=True` fetches the missing files with
    ndgrad's checked downloader (MD5 of each file, atomic writes), trying each mirror in turn.
    `.data` is a (N, 28, 28) uint8 tensor, `.targets` an int64 tensor.
    """

    mirrors = _idx.MNIST.mirrors
    resources = _idx.MNIST.resources
    classes = _idx.MNIST.classes

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform, download)
        images, labels = _idx.read_split(self.raw_folder, train)
        if images.dtype != np.uint8 or images.ndim != 3 or labels.ndim != 1:
            raise TypeError(f"MNIST files in {self.raw_folder} hold {images.dtype} images of "
                            f"shape {images.shape} and labels of shape {labels.shape}; expected "
                            "uint8 images (N, H, W) and labels (N,)")
        self.data = from_numpy(np.ascontiguousarray(images))
        self.targets = tensor(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.classes)}

    def download(self) -> None:
        """Fetches every file that is there neither gzipped nor unpacked."""
        _idx.download_missing(self.raw_folder, self.resources, self.mirrors)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = _pillow().fromarray(self.data.numpy()[index])
        return self._apply(image, int(self.targets[index]))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grayscale images of clothing in 10 classes, read from
    `root/FashionMNIST/raw/` like MNIST."""

    mirrors = _idx.FashionMNIST.mirrors
    resources = _idx.FashionMNIST.resources
    classes = _idx.FashionMNIST.classes
