"""torchvision.transforms.functional: image transforms on PIL images and tensors.

PIL images go through Pillow (its pixels); tensors of shape (..., C, H, W) go through
torchvision's maths, computed on the tensor's array. Tensor results do not record autograd
history, except `normalize`, which is built from tensor ops.
"""
from __future__ import annotations

import numbers
import sys
import warnings
from enum import Enum

import numpy as np

import ndgrad
from ndgrad.vision.transforms import _functional_pil as F_pil
from ndgrad.vision.transforms import _functional_tensor as F_t
from ndgrad.vision.transforms import _functional_tensor_color as F_c

__all__ = [
    "InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
    "adjust_saturation", "adjust_sharpness", "affine", "autocontrast", "center_crop",
    "convert_image_dtype", "crop", "equalize", "erase", "five_crop", "gaussian_blur", "get_dimensions",
    "get_image_num_channels", "get_image_size", "hflip", "invert", "normalize", "pad",
    "pil_to_tensor", "posterize", "resize", "resized_crop", "rgb_to_grayscale", "rotate",
    "solarize", "ten_crop", "to_grayscale", "to_pil_image", "to_tensor", "vflip",
]


class InterpolationMode(Enum):
    """Interpolation filters; tensors support NEAREST, NEAREST_EXACT, BILINEAR, BICUBIC."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's integer constants for each mode (Image.Resampling values).
pil_modes_mapping = {
    InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0,
    InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4,
    InterpolationMode.HAMMING: 5, InterpolationMode.LANCZOS: 1,
}
_MODES_FROM_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                   3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                   5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation(mode) -> InterpolationMode:
    """An InterpolationMode from the enum or a Pillow integer constant."""
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, int) and mode in _MODES_FROM_INT:
        return _MODES_FROM_INT[mode]
    raise TypeError(f"Argument interpolation should be a InterpolationMode or a corresponding "
                    f"Pillow integer constant, got {mode!r}")


def _is_tensor(img) -> bool:
    return isinstance(img, ndgrad.Tensor)


def _array(img) -> np.ndarray:
    return img.numpy(force=True)


def _tensor(array: np.ndarray, like=None):
    """The array as a tensor, on the device of the tensor `like` (the computation is on the
    host)."""
    result = ndgrad.from_numpy(np.ascontiguousarray(array))
    return result if like is None or like.device == result.device else result.to(like.device)


def _apply(op: str, img, pil_fn, array_fn, *args):
    """Runs `pil_fn` on a PIL image or `array_fn` on a tensor's array (rewrapped)."""
    if _is_tensor(img):
        return _tensor(array_fn(_array(img), *args), img)
    F_pil.check_pil_image(img, op)
    return pil_fn(img, *args)


def _numpy_dtype(dtype) -> np.dtype:
    return dtype.numpy if isinstance(dtype, ndgrad.dtype) else np.dtype(dtype)


# ---- sizes and conversions ----

def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a tensor or PIL image."""
    if _is_tensor(img):
        return F_t.get_dimensions(_array(img))
    F_pil.check_pil_image(img, "get_dimensions")
    return F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """[width, height]."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


def to_tensor(pic):
    """A PIL image or (H, W[, C]) array as a (C, H, W) tensor; uint8 becomes floats in [0, 1]."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = (pic[:, :, None] if pic.ndim == 2 else pic).transpose(2, 0, 1)
    elif F_pil.is_pil_image(pic):
        kinds = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
                 "F": np.float32}
        array = np.array(pic, kinds.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            array = 255 * array
        channels, height, width = F_pil.get_dimensions(pic)
        array = array.reshape(height, width, channels).transpose(2, 0, 1)
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if array.dtype == np.uint8:
        default = ndgrad.get_default_dtype().numpy
        array = array.astype(default) / default.type(255)
    return _tensor(array)


def pil_to_tensor(pic):
    """A PIL image as a (C, H, W) tensor of its own pixel type (no rescaling)."""
    F_pil.check_pil_image(pic, "pil_to_tensor")
    channels, height, width = F_pil.get_dimensions(pic)
    return _tensor(np.array(pic, copy=True).reshape(height, width, channels).transpose(2, 0, 1))


# The PIL mode a uint8 array of that many channels becomes, and the modes allowed instead.
_MODES_BY_CHANNELS = {2: ("LA", ["LA"]), 3: ("RGB", ["RGB", "YCbCr", "HSV"]),
                      4: ("RGBA", ["RGBA", "CMYK", "RGBX"])}
_ONE_CHANNEL_MODES = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                      np.dtype(np.int32): "I", np.dtype(np.float32): "F"}


def to_pil_image(pic, mode: str | None = None):
    """A (C, H, W) tensor or (H, W, C) array as a PIL image; floats are scaled by 255."""
    if _is_tensor(pic):
        array = _array(pic)
        array = array.transpose(1, 2, 0) if array.ndim == 3 else array
    elif isinstance(pic, np.ndarray):
        array = pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {array.ndim} dimensions.")
    if array.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {array.shape[-1]} channels.")
    if array.dtype.kind == "f" and mode != "F":
        array = (array * 255).astype(np.uint8)
    channels = array.shape[2]
    if channels == 1:
        array = array[:, :, 0]
        expected = _ONE_CHANNEL_MODES.get(array.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {array.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        default, permitted = _MODES_BY_CHANNELS[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}-channel "
                             f"inputs, got {mode}")
        if mode is None and array.dtype == np.uint8:
            mode = default
    if mode is None:
        raise TypeError(f"Input type {array.dtype} is not supported")
    return F_pil.from_array(array, mode)


def convert_image_dtype(image, dtype=ndgrad.float32):
    """Converts a tensor image to `dtype`, rescaling values (uint8 255 <-> float 1.0)."""
    if not _is_tensor(image):
        raise TypeError(f"Input img should be Tensor Image, got {type(image).__name__}")
    return _tensor(F_t.convert_image_dtype(_array(image), _numpy_dtype(dtype)), image)


def normalize(tensor, mean: list[float], std: list[float], inplace: bool = False):
    """(tensor - mean) / std per channel of a float (..., C, H, W) tensor."""
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")
    mean = ndgrad.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ndgrad.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         f"to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean).div_(std)
    return (tensor - mean) / std


# ---- geometry ----

def _resized_output_size(height: int, width: int, size: list[int],
                         max_size: int | None) -> list[int]:
    """[height, width] after resizing: one size scales the shorter edge (capped by
    max_size on the longer one), two sizes are (height, width)."""
    if len(size) == 2:
        return [size[0], size[1]]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= size[0]:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                             f"requested size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_long, new_short] if width <= height else [new_short, new_long]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True):
    """Resizes to `size` (an int or [int]: the shorter edge, keeping the aspect ratio)."""
    interpolation = _interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of "
                             "the smaller edge, i.e. size should be an int or a sequence of "
                             "length 1")
    size = [int(size)] if isinstance(size, numbers.Number) else [int(s) for s in size]
    _, height, width = get_dimensions(img)
    output_size = _resized_output_size(height, width, size, max_size)
    if [height, width] == output_size:
        return img
    if _is_tensor(img):
        return _tensor(F_t.resize(_array(img), output_size, interpolation.value, antialias),
                       img)
    if antialias is False:
        warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                      "antialias is ignored.")
    return F_pil.resize(img, output_size, pil_modes_mapping[interpolation])


def _padding_list(padding) -> list[int]:
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError(f"Got inappropriate padding arg: {padding!r}")
    return F_t.parse_padding(padding)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pads the borders: padding is an int, (left/right, top/bottom) or (l, t, r, b)."""
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    padding = _padding_list(padding)
    if _is_tensor(img):
        if fill is not None and not isinstance(fill, (int, float)):
            raise TypeError(f"Got inappropriate fill arg for a tensor: {fill!r} (a number)")
        return _tensor(F_t.pad(_array(img), padding, fill, padding_mode), img)
    F_pil.check_pil_image(img, "pad")
    return F_pil.pad(img, padding, fill, padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The window of (height, width) at (top, left); outside the image reads zeros."""
    return _apply("crop", img, F_pil.crop, F_t.crop, top, left, height, width)


def center_crop(img, output_size):
    """The central (h, w) window, zero-padded first if the image is smaller."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        dw, dh = max(crop_width - image_width, 0), max(crop_height - image_height, 0)
        img = pad(img, [dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2], fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    top = round((image_height - crop_height) / 2.0)
    left = round((image_width - crop_width) / 2.0)
    return crop(img, top, left, crop_height, crop_width)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    """crop followed by resize."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def hflip(img):
    """Mirrors left to right."""
    return _apply("hflip", img, F_pil.hflip, lambda a: a[..., ::-1])


def vflip(img):
    """Mirrors top to bottom."""
    return _apply("vflip", img, F_pil.vflip, lambda a: a[..., ::-1, :])


def five_crop(img, size) -> tuple:
    """The four corner crops and the central crop of size (h, w)."""
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size "
                         f"{(image_height, image_width)}")
    bottom, right = image_height - crop_height, image_width - crop_width
    corners = [(0, 0), (0, right), (bottom, 0), (bottom, right)]
    crops = [crop(img, top, left, crop_height, crop_width) for top, left in corners]
    return (*crops, center_crop(img, [crop_height, crop_width]))


def ten_crop(img, size, vertical_flip: bool = False) -> tuple:
    """five_crop of the image and of its (horizontally, or vertically) flipped copy."""
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def _fill_for_tensor(fill):
    return [float(f) for f in fill] if isinstance(fill, (list, tuple)) else fill


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center: list[int] | None = None, fill: list[float] | None = None):
    """Rotates counter-clockwise by `angle` degrees about `center` (default: the middle)."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError(f"Argument angle should be int or float, got {type(angle).__name__}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not _is_tensor(img):
        F_pil.check_pil_image(img, "rotate")
        return F_pil.rotate(img, angle, pil_modes_mapping[interpolation], expand, center, fill)
    array = _array(img)
    _, height, width = F_t.get_dimensions(array)
    # Tensor maths works in coordinates centred on the image.
    center_f = [0.0, 0.0] if center is None else \
        [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = F_t.inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_size = F_t.affine_output_size(matrix, width, height) if expand else None
    return _tensor(F_t.affine_sample(array, matrix, interpolation.value,
                                     _fill_for_tensor(fill), out_size), img)


def affine(img, angle: float, translate: list[int], scale: float, shear,
           interpolation=InterpolationMode.NEAREST, fill: list[float] | None = None,
           center: list[int] | None = None):
    """Rotation by `angle` degrees, scaling, shear (degrees) and translation (pixels), keeping
    the image size."""
    interpolation = _interpolation(interpolation)
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError(f"Argument translate should be a sequence of length 2, got "
                         f"{translate!r}")
    if scale <= 0.0:
        raise ValueError(f"Argument scale should be positive, got {scale}")
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    shear = shear * 2 if len(shear) == 1 else shear
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    _, height, width = get_dimensions(img)
    if not _is_tensor(img):
        center = [width * 0.5, height * 0.5] if center is None else center
        matrix = F_t.inverse_affine_matrix(center, float(angle), translate, scale, shear)
        return F_pil.affine(img, matrix, pil_modes_mapping[interpolation], fill)
    center_f = [0.0, 0.0] if center is None else \
        [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = F_t.inverse_affine_matrix(center_f, float(angle), [1.0 * t for t in translate],
                                       scale, shear)
    return _tensor(F_t.affine_sample(_array(img), matrix, interpolation.value,
                                     _fill_for_tensor(fill)), img)


# ---- colour ----

def to_grayscale(img, num_output_channels: int = 1):
    """Grayscale version of a PIL image."""
    F_pil.check_pil_image(img, "to_grayscale")
    return F_pil.to_grayscale(img, num_output_channels)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Grayscale version of a PIL image or RGB tensor (1 or 3 equal channels)."""
    return _apply("rgb_to_grayscale", img, F_pil.to_grayscale, F_c.rgb_to_grayscale,
                  num_output_channels)


def adjust_brightness(img, brightness_factor: float):
    """Scales brightness: 0 is black, 1 the original, 2 twice as bright."""
    return _apply("adjust_brightness", img, F_pil.adjust_brightness, F_c.adjust_brightness,
                  brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Scales contrast about the mean gray: 0 is flat gray, 1 the original."""
    return _apply("adjust_contrast", img, F_pil.adjust_contrast, F_c.adjust_contrast,
                  contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Scales saturation: 0 is grayscale, 1 the original."""
    return _apply("adjust_saturation", img, F_pil.adjust_saturation, F_c.adjust_saturation,
                  saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Shifts hue by hue_factor turns of the colour wheel, in [-0.5, 0.5]."""
    return _apply("adjust_hue", img, F_pil.adjust_hue, F_c.adjust_hue, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    """gain * img ** gamma on the [0, 1] intensity scale."""
    return _apply("adjust_gamma", img, F_pil.adjust_gamma, F_c.adjust_gamma, gamma, gain)


def adjust_sharpness(img, sharpness_factor: float):
    """Blends with a smoothed copy: 0 blurs, 1 is the original, 2 sharpens."""
    return _apply("adjust_sharpness", img, F_pil.adjust_sharpness, F_c.adjust_sharpness,
                  sharpness_factor)


def invert(img):
    """Inverts colours (max - value)."""
    return _apply("invert", img, F_pil.invert, F_c.invert)


def posterize(img, bits: int):
    """Keeps the `bits` most significant bits of each channel (uint8)."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _apply("posterize", img, F_pil.posterize, F_c.posterize, bits)


def solarize(img, threshold: float):
    """Inverts every pixel at or above `threshold`."""
    return _apply("solarize", img, F_pil.solarize, F_c.solarize, threshold)


def autocontrast(img):
    """Stretches each channel to the full value range."""
    return _apply("autocontrast", img, F_pil.autocontrast, F_c.autocontrast)


def equalize(img):
    """Equalises the histogram of each channel (uint8)."""
    return _apply("equalize", img, F_pil.equalize, F_c.equalize)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blurs with a Gaussian of odd `kernel_size` (x, y) and `sigma` (x, y; default
    0.15 * k + 0.35 per size k); PIL images are blurred as tensors, as torchvision does."""
    kernel_size = [kernel_size] * 2 if isinstance(kernel_size, int) else list(kernel_size)
    if len(kernel_size) != 2 or any(k <= 0 or k % 2 == 0 for k in kernel_size):
        raise ValueError(f"kernel_size should have odd and positive integers. Got "
                         f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    sigma = [float(sigma)] * 2 if isinstance(sigma, (int, float)) else [float(s) for s in sigma]
    sigma = sigma * 2 if len(sigma) == 1 else sigma
    if len(sigma) != 2 or min(sigma) <= 0:
        raise ValueError(f"sigma should be one or two positive values. Got {sigma}")
    if _is_tensor(img):
        return _tensor(F_c.gaussian_blur(_array(img), kernel_size, sigma), img)
    F_pil.check_pil_image(img, "gaussian_blur")
    blurred = F_c.gaussian_blur(_array(pil_to_tensor(img)), kernel_size, sigma)
    return to_pil_image(blurred.transpose(1, 2, 0), mode=img.mode)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Sets the (h, w) window at (i, j) of a tensor image to `v`."""
    if not _is_tensor(img):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    img = img if inplace else img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
