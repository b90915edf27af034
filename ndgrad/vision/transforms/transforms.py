"""torchvision.transforms: composable image transforms for PIL images and tensors.

Transforms that act on tensors are `ndgrad.nn.Module`s, as in torchvision. Random ones draw
from ndgrad's global generator, so `ndgrad.manual_seed` replays them (the stream is ndgrad's,
not torch's: the same seed gives different crops than torchvision).
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

import ndgrad
from ndgrad.nn import Module
from ndgrad.vision.transforms import functional as F
from ndgrad.vision.transforms.functional import InterpolationMode, _interpolation

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "ConvertImageDtype",
    "FiveCrop",
    "Grayscale",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomApply",
    "RandomCrop",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "TenCrop",
    "ToPILImage",
    "ToTensor",
]


def _uniform(low: float, high: float) -> float:
    return float(ndgrad.empty(1).uniform_(low, high).item())


def _randint(low: int, high: int) -> int:
    return int(ndgrad.randint(low, high, size=(1,)).item())


def _setup_size(size, error_msg: str) -> tuple[int, int]:
    """(h, w) from an int or a 1- or 2-element sequence."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return tuple(size)


_SIZE_ERROR = "Please provide only two dimensions (h, w) for size."


class Compose:
    """Applies the transforms in order."""

    def __init__(self, transforms) -> None:
        self.transforms = transforms

    def __call__(self, img):
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda:
    """Applies a user function."""

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got "
                            f"{type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToTensor:
    """PIL image or (H, W, C) array -> (C, H, W) tensor, uint8 scaled to [0, 1]."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """PIL image -> (C, H, W) tensor of the same pixel values."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToPILImage:
    """(C, H, W) tensor or (H, W, C) array -> PIL image."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        mode = "" if self.mode is None else f"mode={self.mode}"
        return f"{type(self).__name__}({mode})"


class _Transform(Module):
    """A transform module whose repr shows `_repr_fields` as torchvision's do."""

    _repr_fields: tuple = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in self._repr_fields)
        return f"{type(self).__name__}({fields})"


class ConvertImageDtype(_Transform):
    """Converts a tensor image to `dtype`, rescaling the values."""

    _repr_fields = ("dtype",)

    def __init__(self, dtype) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class Normalize(_Transform):
    """(x - mean) / std per channel."""

    _repr_fields = ("mean", "std")

    def __init__(self, mean, std, inplace: bool = False) -> None:
        super().__init__()
        self.mean, self.std, self.inplace = mean, std, inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)


class Resize(_Transform):
    """Resizes to `size` (an int scales the shorter edge to it)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _interpolation(interpolation)

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"interpolation={self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop(_Transform):
    """Crops the centre (zero-padding images smaller than `size`)."""

    _repr_fields = ("size",)

    def __init__(self, size) -> None:
        super().__init__()
        self.size = _setup_size(size, _SIZE_ERROR)

    def forward(self, img):
        return F.center_crop(img, self.size)


class Pad(_Transform):
    """Pads the borders with a constant or by edge/reflect/symmetric copies."""

    _repr_fields = ("padding", "fill", "padding_mode")

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError(f"Got inappropriate padding arg: {padding!r}")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError(f"Got inappropriate fill arg: {fill!r}")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or "
                             "symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)


class RandomCrop(_Transform):
    """Crops a random (h, w) window, after optional padding."""

    _repr_fields = ("size", "padding")

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant") -> None:
        super().__init__()
        self.size = _setup_size(size, _SIZE_ERROR)
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random crop of `output_size`."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))


class RandomResizedCrop(_Transform):
    """Crops a random area (fraction in `scale`) of random aspect ratio (in `ratio`) and
    resizes it to `size`."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.size = _setup_size(size, _SIZE_ERROR)
        if not isinstance(scale, Sequence) or not isinstance(ratio, Sequence):
            raise TypeError("Scale and ratio should be sequences")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.interpolation = _interpolation(interpolation)
        self.antialias, self.scale, self.ratio = antialias, scale, ratio

    @staticmethod
    def get_params(img, scale, ratio) -> tuple[int, int, int, int]:
        """(top, left, height, width): ten tries at a random crop, then a central fallback."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(*log_ratio))
            w = round(math.sqrt(target_area * aspect_ratio))
            h = round(math.sqrt(target_area / aspect_ratio))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, round(width / min(ratio))
        elif in_ratio > max(ratio):
            w, h = round(height * max(ratio)), height
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        top, left, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, top, left, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class RandomHorizontalFlip(_Transform):
    """Mirrors left to right with probability p."""

    _repr_fields = ("p",)

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, img):
        return F.hflip(img) if ndgrad.rand(1).item() < self.p else img


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirrors top to bottom with probability p."""

    def forward(self, img):
        return F.vflip(img) if ndgrad.rand(1).item() < self.p else img


class Grayscale(_Transform):
    """Converts to grayscale with 1 or 3 output channels."""

    _repr_fields = ("num_output_channels",)

    def __init__(self, num_output_channels: int = 1) -> None:
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)


class RandomGrayscale(_Transform):
    """Converts to grayscale (keeping the channel count) with probability p."""

    _repr_fields = ("p",)

    def __init__(self, p: float = 0.1) -> None:
        super().__init__()
        self.p = p

    def forward(self, img):
        channels = F.get_dimensions(img)[0]
        if ndgrad.rand(1).item() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=channels)
        return img


class RandomApply(_Transform):
    """Applies the list of transforms with probability p."""

    def __init__(self, transforms, p: float = 0.5) -> None:
        super().__init__()
        self.transforms, self.p = transforms, p

    def forward(self, img):
        if self.p < ndgrad.rand(1).item():
            return img
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}(\n    p={self.p}{body}\n)"


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
        for index in np.asarray(order).tolist():
            if factors[index] is not None:
                img = adjust[index](img, factors[index])
        return img


class RandomRotation(_Transform):
    """Rotates by an angle drawn uniformly from `degrees` ((-d, d) for a number d)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0) -> None:
        super().__init__()
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = [-degrees, degrees]
        elif not isinstance(degrees, Sequence) or len(degrees) != 2:
            raise ValueError(f"degrees should be a sequence of length 2, got {degrees!r}")
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError(f"center should be a sequence of length 2, got {center!r}")
        if fill is not None and not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.degrees = [float(d) for d in degrees]
        self.interpolation = _interpolation(interpolation)
        self.expand, self.center, self.fill = expand, center, 0 if fill is None else fill

    @staticmethod
    def get_params(degrees) -> float:
        """A uniformly drawn angle in degrees."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def forward(self, img):
        fill = self.fill
        if isinstance(img, ndgrad.Tensor):
            channels = F.get_dimensions(img)[0]
            fill = [float(fill)] * channels if isinstance(fill, (int, float)) else \
                [float(f) for f in fill]
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        center = "" if self.center is None else f", center={self.center}"
        return (f"{type(self).__name__}(degrees={self.degrees}, "
                f"interpolation={self.interpolation.value}, expand={self.expand}{center}, "
                f"fill={self.fill})")


class FiveCrop(_Transform):
    """The four corner crops and the central crop."""

    _repr_fields = ("size",)

    def __init__(self, size) -> None:
        super().__init__()
        self.size = _setup_size(size, _SIZE_ERROR)

    def forward(self, img):
        return F.five_crop(img, self.size)


class TenCrop(_Transform):
    """FiveCrop of the image and of its flipped copy."""

    _repr_fields = ("size", "vertical_flip")

    def __init__(self, size, vertical_flip: bool = False) -> None:
        super().__init__()
        self.size = _setup_size(size, _SIZE_ERROR)
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)
