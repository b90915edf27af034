"""VisionDataset, the base of torchvision's datasets: a root, transforms and a readable repr."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ndgrad.utils.data.dataset import Dataset


def _pillow():
    """The PIL.Image module, imported on first use (Pillow is the optional `vision` extra)."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("ndgrad.vision.datasets needs Pillow for its images: "
                          "pip install 'ndgrad[vision]'") from error
    return Image


class StandardTransform:
    """Applies `transform` to the sample and `target_transform` to the target."""

    def __init__(self, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, sample: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __repr__(self) -> str:
        lines = [type(self).__name__]
        for head, transform in (("Transform: ", self.transform),
                                ("Target transform: ", self.target_transform)):
            if transform is not None:
                lines += _indent(repr(transform), head)
        return "\n".join(lines)


def _indent(text: str, head: str) -> list[str]:
    """`text`'s lines, the first behind `head` and the rest aligned under it."""
    first, *rest = text.splitlines()
    return [head + first] + [" " * len(head) + line for line in rest]


class VisionDataset(Dataset):
    """A dataset under `root` whose samples pass through `transforms(sample, target)`, or
    through `transform` and `target_transform` separately (not both ways at once)."""

    _repr_indent = 4

    def __init__(self, root: str | os.PathLike | None = None, transforms: Callable | None = None,
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        separate = transform is not None or target_transform is not None
        if transforms is not None and separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = StandardTransform(transform, target_transform) if separate \
            else transforms

    def _apply(self, sample: Any, target: Any) -> tuple[Any, Any]:
        """The sample and target after this dataset's transforms."""
        if self.transforms is None:
            return sample, target
        return self.transforms(sample, target)

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += repr(self.transforms).splitlines()
        indent = " " * self._repr_indent
        return "\n".join([f"Dataset {type(self).__name__}"] + [indent + line for line in body])


class SplitDataset(VisionDataset):
    """A dataset with a train and a test split of files under `root`, fetched with `download`
    (subclasses define download, then load `.data`)."""

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(os.fspath(root), transform=transform,
                         target_transform=target_transform)
        self.train = train
        if download:
            self.download()

    def download(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement download")

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"
