"""torchvision.utils: tile a batch of images into a grid, and save it as an image file."""
from __future__ import annotations

import math

import numpy as np

import ndgrad

__all__ = ["make_grid", "save_image"]


def _batch(tensor) -> np.ndarray:
    """The images as an (N, C, H, W) array, single-channel images repeated into RGB."""
    if isinstance(tensor, list):
        for item in tensor:
            if not isinstance(item, ndgrad.Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing "
                                f"{type(item)}")
        array = np.stack([item.numpy(force=True) for item in tensor])
    elif isinstance(tensor, ndgrad.Tensor):
        array = tensor.numpy(force=True)
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise ValueError(f"make_grid expects (H, W), (C, H, W) or (N, C, H, W) images, got "
                         f"shape {list(array.shape)}")
    if array.shape[1] == 1:
        array = np.concatenate([array] * 3, axis=1)
    return array


def _normalized(array: np.ndarray, value_range, scale_each: bool) -> np.ndarray:
    """Each image (or the whole batch) clamped to value_range (default: its min and max) and
    mapped onto [0, 1]."""
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                        "are numbers")
    parts = list(array) if scale_each else [array]
    result = []
    for part in parts:
        low, high = value_range if value_range is not None else \
            (float(part.min()), float(part.max()))
        clipped = np.clip(part, low, high).astype(part.dtype)
        result.append((clipped - low) / max(high - low, 1e-5))
    return np.stack(result) if scale_each else result[0]


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple | None = None, scale_each: bool = False,
              pad_value: float = 0.0):
    """Tiles (N, C, H, W) images into one (C, H', W') image, `nrow` per row, separated by
    `padding` pixels of `pad_value`."""
    array = _batch(tensor)
    if normalize is True:
        array = _normalized(array, value_range, scale_each).astype(array.dtype)
    if array.shape[0] == 1:
        return ndgrad.from_numpy(np.ascontiguousarray(array[0]))
    count, channels, image_height, image_width = array.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    height, width = image_height + padding, image_width + padding
    grid = np.full((channels, height * rows + padding, width * columns + padding), pad_value,
                   dtype=array.dtype)
    for k in range(count):
        top, left = (k // columns) * height + padding, (k % columns) * width + padding
        grid[:, top:top + image_height, left:left + image_width] = array[k]
    return ndgrad.from_numpy(grid)


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:
    """Writes make_grid(tensor, **kwargs) of values in [0, 1] as an 8-bit image (via Pillow)."""
    from ndgrad.vision.transforms.functional import to_pil_image

    grid = make_grid(tensor, **kwargs).numpy()
    # x * 255 + 0.5 then truncation rounds to the nearest byte, as torchvision does.
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    to_pil_image(pixels).save(fp, format=format)
