"""FakeData: random images and labels, the same for an index every time it is read."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ndgrad._random import Generator, randint, randn
from ndgrad.vision.datasets.vision import VisionDataset
from ndgrad.vision.transforms.functional import to_pil_image


class FakeData(VisionDataset):
    """`size` random images of `image_size` (C, H, W) with labels below `num_classes`.

    Sample `index` is drawn from an ndgrad Generator seeded with `index + random_offset`, so it
    is the same on every read and leaves the global generator untouched (the values differ from
    torchvision's, whose generator is another). Items are (PIL image, int).
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        generator = Generator().manual_seed(index + self.random_offset)
        image = randn(*self.image_size, generator=generator)
        target = randint(0, self.num_classes, size=(1,), generator=generator)[0]
        # As torchvision's ToPILImage: floats times 255, cast to uint8 (wrapping around).
        image, target = self._apply(to_pil_image(image), target)
        return image, target.item()

    def __len__(self) -> int:
        return self.size
