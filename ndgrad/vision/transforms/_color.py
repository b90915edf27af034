"""Colour transforms and filters: grayscale, colour jitter, blur, and the randomly applied
point operations (invert, posterize, solarize, sharpness, autocontrast, equalize)."""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import ndgrad
from ndgrad.vision.transforms import functional as F
from ndgrad.vision.transforms.transforms import (
    _RandomlyApplied,
    _setup_size,
    _Transform,
    _uniform,
)

__all__ = [
    "ColorJitter",
    "GaussianBlur",
    "Grayscale",
    "RandomAdjustSharpness",
    "RandomAutocontrast",
    "RandomEqualize",
    "RandomGrayscale",
    "RandomInvert",
    "RandomPosterize",
    "RandomSolarize",
]


class Grayscale(_Transform):
    """Converts to grayscale with 1 or 3 output channels."""

    _repr_fields = ("num_output_channels",)

    def __init__(self, num_output_channels: int = 1) -> None:
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)


class RandomGrayscale(_RandomlyApplied):
    """Converts to grayscale (keeping the channel count) with probability p."""

    def __init__(self, p: float = 0.1) -> None:
        super().__init__(p)

    def apply(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=F.get_dimensions(img)[0])


def _jitter_range(value, name: str, center: float = 1, bound=(0, float("inf")),
                  clip_first_on_zero: bool = True):
    """[min, max] of a ColorJitter factor (None when it is the identity)."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


class ColorJitter(_Transform):
    """Random brightness, contrast, saturation and hue changes, applied in random order."""

    _repr_fields = ("brightness", "contrast", "saturation", "hue")

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        super().__init__()
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0, bound=(-0.5, 0.5),
                                 clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue) -> tuple:
        """(order of the four adjustments, and each factor or None)."""
        order = ndgrad.randperm(4)
        factors = [None if r is None else _uniform(r[0], r[1])
                   for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def forward(self, img):
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                          self.hue)
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for index in order.tolist():
            if factors[index] is not None:
                img = adjust[index](img, factors[index])
        return img


class GaussianBlur(_Transform):
    """Gaussian blur with sigma drawn uniformly from `sigma` ((s, s) for a number s)."""

    _repr_fields = ("kernel_size", "sigma")

    def __init__(self, kernel_size, sigma=(0.1, 2.0)) -> None:
        super().__init__()
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of "
                                                    "two integers")
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"Kernel size value should be an odd and positive number, got "
                             f"{self.kernel_size}")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif not (isinstance(sigma, Sequence) and len(sigma) == 2 and 0 < sigma[0] <= sigma[1]):
            raise ValueError(f"sigma should be a positive number or a (min, max) pair, got "
                             f"{sigma!r}")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """A uniformly drawn sigma."""
        return _uniform(sigma_min, sigma_max)

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])


class RandomInvert(_RandomlyApplied):
    """Inverts the colours with probability p."""

    def apply(self, img):
        return F.invert(img)


class RandomAutocontrast(_RandomlyApplied):
    """Stretches each channel to the full range with probability p."""

    def apply(self, img):
        return F.autocontrast(img)


class RandomEqualize(_RandomlyApplied):
    """Equalises the histogram with probability p."""

    def apply(self, img):
        return F.equalize(img)


class RandomPosterize(_RandomlyApplied):
    """Keeps `bits` bits per channel with probability p."""

    _repr_fields = ("bits", "p")

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p)
        self.bits = bits

    def apply(self, img):
        return F.posterize(img, self.bits)


class RandomSolarize(_RandomlyApplied):
    """Inverts the pixels at or above `threshold`, with probability p."""

    _repr_fields = ("threshold", "p")

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.threshold = threshold

    def apply(self, img):
        return F.solarize(img, self.threshold)


class RandomAdjustSharpness(_RandomlyApplied):
    """Adjusts sharpness by `sharpness_factor` with probability p."""

    _repr_fields = ("sharpness_factor", "p")

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def apply(self, img):
        return F.adjust_sharpness(img, self.sharpness_factor)
