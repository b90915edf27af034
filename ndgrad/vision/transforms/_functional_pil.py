"""Image transforms on PIL images, through Pillow itself (so the pixels are Pillow's).

Pillow is optional: it is imported on first use, with an ImportError that names the extra.
"""
from __future__ import annotations

import numbers
import sys

import numpy as np


def pil():
    """The PIL package with Image, ImageEnhance and ImageOps loaded."""
    try:
        import PIL.Image
        import PIL.ImageEnhance
        import PIL.ImageOps
    except ImportError as error:
        raise ImportError("ndgrad.vision needs Pillow for PIL images: "
                          "pip install 'ndgrad[vision]'") from error
    return PIL


def is_pil_image(img) -> bool:
    """Whether `img` is a PIL image (without importing Pillow when nobody has)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(img, module.Image)


def check_pil_image(img, op: str) -> None:
    if not is_pil_image(img):
        raise TypeError(f"{op}: img should be a PIL Image, got {type(img).__name__}")


def get_dimensions(img) -> list[int]:
    """[channels, height, width]."""
    width, height = img.size
    return [len(img.getbands()), height, width]


def from_array(array: np.ndarray, mode: str):
    """A PIL image of `mode` whose raw bytes are the array's (Pillow >= 11.3 no longer takes a
    mode in fromarray, and reinterpreting the bytes is what a mode meant there)."""
    array = np.ascontiguousarray(array)
    height, width = array.shape[:2]
    return pil().Image.frombuffer(mode, (width, height), array.tobytes(), "raw", mode, 0, 1)


def hflip(img):
    return img.transpose(pil().Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(pil().Image.Transpose.FLIP_TOP_BOTTOM)


def crop(img, top: int, left: int, height: int, width: int):
    """The window at (top, left); Pillow fills what lies outside the image with zeros."""
    return img.crop((left, top, left + width, top + height))


def resize(img, size: list[int], interpolation: int):
    """Resizes to size = [height, width] with a Pillow resampling filter."""
    return img.resize((size[1], size[0]), interpolation)


def parse_fill(fill, img, name: str = "fillcolor") -> dict:
    """The `fill` as Pillow wants it: one number per band, ints unless the mode is F."""
    channels = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = (fill,) * channels
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * channels
        elif len(fill) != channels:
            raise ValueError(f"The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding: list[int], fill=0, padding_mode: str = "constant"):
    """Pads by padding = [left, top, right, bottom]; negative values crop."""
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError(f"Got inappropriate fill arg: {fill!r}")
    if padding_mode == "constant" and min(padding) >= 0:
        expanded = pil().ImageOps.expand(img, border=tuple(padding),
                                           **parse_fill(fill, img, "fill"))
        if img.mode == "P":
            expanded.putpalette(img.getpalette())
        return expanded
    left, top, right, bottom = padding
    if min(padding) < 0:
        img = img.crop((max(-left, 0), max(-top, 0), img.width - max(-right, 0),
                        img.height - max(-bottom, 0)))
        if padding_mode == "constant":
            return pad(img, [max(p, 0) for p in padding], fill, padding_mode)
    array = np.asarray(img)
    widths = [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    widths += [(0, 0)] * (array.ndim - 2)
    padded = pil().Image.fromarray(np.pad(array, widths, mode=padding_mode))
    if img.mode == "P":
        padded.putpalette(img.getpalette())
    return padded


def to_grayscale(img, num_output_channels: int):
    """Pillow's L conversion, copied into 3 bands when asked for 3 channels."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    return pil().Image.merge("RGB", (gray, gray, gray))


def _enhance(enhancer: str, img, factor: float):
    return getattr(pil().ImageEnhance, enhancer)(img).enhance(factor)


def adjust_brightness(img, brightness_factor: float):
    return _enhance("Brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    return _enhance("Contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    return _enhance("Color", img, saturation_factor)


def adjust_sharpness(img, sharpness_factor: float):
    return _enhance("Sharpness", img, sharpness_factor)


def adjust_hue(img, hue_factor: float):
    """Shifts Pillow's 8-bit hue channel by hue_factor * 255 (wrapping around)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if img.mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    # uint8 arithmetic wraps, which is the rotation of the hue circle.
    hue = np.asarray(h, dtype=np.uint8) + np.array(int(hue_factor * 255)).astype(np.uint8)
    image = pil().Image
    return image.merge("HSV", (from_array(hue, "L"), s, v)).convert(img.mode)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    """gain * (img / 255) ** gamma * 255 through a lookup table, as torchvision builds it."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.convert("RGB").point(table).convert(mode)


def invert(img):
    return pil().ImageOps.invert(img)


def posterize(img, bits: int):
    return pil().ImageOps.posterize(img, bits)


def solarize(img, threshold: int):
    return pil().ImageOps.solarize(img, threshold)


def autocontrast(img):
    return pil().ImageOps.autocontrast(img)


def equalize(img):
    return pil().ImageOps.equalize(img)


def rotate(img, angle: float, interpolation: int, expand: bool, center, fill):
    return img.rotate(angle, interpolation, expand, center, **parse_fill(fill, img))


def affine(img, matrix: list[float], interpolation: int, fill):
    return img.transform(img.size, pil().Image.Transform.AFFINE, matrix, interpolation,
                         **parse_fill(fill, img))
