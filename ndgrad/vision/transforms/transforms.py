"""torchvision.transforms: composable image transforms for PIL images and tensors.

Transforms that act on tensors are `ndgrad.nn.Module`s, as in torchvision. Random ones draw
from ndgrad's global generator, so `ndgrad.manual_seed` replays them (the stream is ndgrad's,
not torch's: the same seed gives different crops than torchvision).
"""
from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings
from collections.abc import Sequence

import ndgrad
from ndgrad.nn import Module
from ndgrad.vision.transforms import functional as F
from ndgrad.vision.transforms.functional import InterpolationMode, _interpolation

__all__ = [
    "CenterCrop",
    "Compose",
    "ConvertImageDtype",
    "FiveCrop",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAffine",
    "RandomApply",
    "RandomChoice",
    "RandomCrop",
    "RandomErasing",
    "RandomHorizontalFlip",
    "RandomOrder",
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


class _RandomlyApplied(_Transform):
    """Applies `self.apply` to the image with probability p."""

    _repr_fields = ("p",)

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def apply(self, img):
        raise NotImplementedError

    def forward(self, img):
        return self.apply(img) if ndgrad.rand(1).item() < self.p else img


class RandomHorizontalFlip(_RandomlyApplied):
    """Mirrors left to right with probability p."""

    def apply(self, img):
        return F.hflip(img)


class RandomVerticalFlip(_RandomlyApplied):
    """Mirrors top to bottom with probability p."""

    def apply(self, img):
        return F.vflip(img)


class RandomChoice:
    """Applies one of the transforms, picked with probabilities proportional to `p`."""

    def __init__(self, transforms, p=None) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        if p is not None and (not isinstance(p, Sequence) or len(p) != len(transforms)):
            raise TypeError(f"Argument p should be a sequence of {len(transforms)} weights")
        self.transforms, self.p = transforms, p

    def __call__(self, *args):
        weights = [1.0] * len(self.transforms) if self.p is None else [float(w) for w in self.p]
        cumulative = list(itertools.accumulate(weights))
        draw = ndgrad.rand(1).item() * cumulative[-1]
        index = min(bisect.bisect_right(cumulative, draw), len(weights) - 1)
        return self.transforms[index](*args)

    def __repr__(self) -> str:
        return f"{Compose.__repr__(self)}(p={self.p})"


class RandomOrder:
    """Applies the transforms in a random order."""

    def __init__(self, transforms) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, img):
        for index in ndgrad.randperm(len(self.transforms)).tolist():
            img = self.transforms[index](img)
        return img

    __repr__ = Compose.__repr__


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


class RandomRotation(_Transform):
    """Rotates by an angle drawn uniformly from `degrees` ((-d, d) for a number d)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0) -> None:
        super().__init__()
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError(f"center should be a sequence of length 2, got {center!r}")
        if fill is not None and not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.degrees = _angle_range(degrees, "degrees", (2,))
        self.interpolation = _interpolation(interpolation)
        self.expand, self.center, self.fill = expand, center, 0 if fill is None else fill

    @staticmethod
    def get_params(degrees) -> float:
        """A uniformly drawn angle in degrees."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def forward(self, img):
        fill = _fill_per_channel(self.fill, img)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        center = "" if self.center is None else f", center={self.center}"
        return (f"{type(self).__name__}(degrees={self.degrees}, "
                f"interpolation={self.interpolation.value}, expand={self.expand}{center}, "
                f"fill={self.fill})")


def _fill_per_channel(fill, img):
    """For tensors, the fill as one float per channel (as torchvision passes it on)."""
    if not isinstance(img, ndgrad.Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_dimensions(img)[0]
    return [float(f) for f in fill]


class RandomAffine(_Transform):
    """Random rotation (degrees), translation (fractions of the size), scale and shear."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None) -> None:
        super().__init__()
        self.degrees = _angle_range(degrees, "degrees", (2,))
        if translate is not None and (len(translate) != 2 or
                                      not all(0.0 <= t <= 1.0 for t in translate)):
            raise ValueError(f"translate should be two values between 0 and 1, got {translate}")
        if scale is not None and (len(scale) != 2 or not all(s > 0 for s in scale)):
            raise ValueError(f"scale should be two positive values, got {scale}")
        self.translate, self.scale = translate, scale
        self.shear = None if shear is None else _angle_range(shear, "shear", (2, 4))
        self.interpolation = _interpolation(interpolation)
        if fill is not None and not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill, self.center = 0 if fill is None else fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size) -> tuple:
        """(angle, (tx, ty) in pixels, scale, (shear_x, shear_y)); img_size is (width, height)."""
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        translations = (0, 0)
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (round(_uniform(-max_dx, max_dx)), round(_uniform(-max_dy, max_dy)))
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        fill = _fill_per_channel(self.fill, img)
        _, height, width = F.get_dimensions(img)
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                                 [width, height])
        return F.affine(img, *params, interpolation=self.interpolation, fill=fill,
                        center=self.center)

    def __repr__(self) -> str:
        optional = [("translate", self.translate, None), ("scale", self.scale, None),
                    ("shear", self.shear, None),
                    ("interpolation", self.interpolation.value, InterpolationMode.NEAREST.value),
                    ("fill", self.fill, 0), ("center", self.center, None)]
        shown = "".join(f", {name}={value}" for name, value, default in optional
                        if value != default)
        return f"{type(self).__name__}(degrees={self.degrees}{shown})"


def _angle_range(value, name: str, sizes: tuple) -> list[float]:
    """[-x, x] for a number x, else the sequence (of a length in `sizes`) as floats."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return [-float(value), float(value)]
    if not isinstance(value, Sequence) or len(value) not in sizes:
        raise ValueError(f"{name} should be a sequence of length "
                         f"{' or '.join(map(str, sizes))}, got {value!r}")
    return [float(v) for v in value]


class RandomErasing(_Transform):
    """With probability p, sets a random rectangle of a tensor image (area fraction in
    `scale`, aspect ratio in `ratio`) to `value` (a number, one per channel, or "random"
    for standard normal noise)."""

    _repr_fields = ("p", "scale", "ratio", "value", "inplace")

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None) -> tuple:
        """(top, left, h, w, fill tensor): ten tries at a box inside the image, else the
        whole image with itself as the fill (a no-op)."""
        channels, height, width = img.shape[-3], img.shape[-2], img.shape[-1]
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            area = height * width * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(*log_ratio))
            h = round(math.sqrt(area * aspect_ratio))
            w = round(math.sqrt(area / aspect_ratio))
            if not (h < height and w < width):
                continue
            if value is None:
                fill = ndgrad.empty([channels, h, w], dtype=ndgrad.float32).normal_()
            else:
                fill = ndgrad.tensor(value)[:, None, None]
            return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w, fill
        return 0, 0, height, width, img

    def forward(self, img):
        if ndgrad.rand(1).item() >= self.p:
            return img
        value = None if isinstance(self.value, str) else \
            [float(self.value)] if isinstance(self.value, numbers.Number) else \
            [float(v) for v in self.value]
        if value is not None and len(value) not in (1, img.shape[-3]):
            raise ValueError(f"If value is a sequence, it should have either a single value or "
                             f"{img.shape[-3]} (number of input channels)")
        top, left, h, w, fill = self.get_params(img, self.scale, self.ratio, value)
        return F.erase(img, top, left, h, w, fill, self.inplace)


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
