"""Colour transforms and filters on arrays of shape (..., C, H, W): torchvision's tensor maths
in NumPy (see _functional_tensor for the conventions)."""
from __future__ import annotations

import numpy as np

from ndgrad.vision.transforms._functional_tensor import (
    cast_back,
    check_channels,
    convert_image_dtype,
    get_dimensions,
    max_value,
    pad,
    sequential_sum,
    work_dtype,
)

# Grayscale weights of ITU-R 601-2, as torchvision (and Pillow) use them.
_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


def rgb_to_grayscale(img: np.ndarray, num_output_channels: int = 1) -> np.ndarray:
    """Luma (ITU-R 601-2) of an RGB image, truncated to the input dtype."""
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    check_channels(img, (1, 3), "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        dtype = work_dtype(img)
        r, g, b = (img[..., i, :, :].astype(dtype) for i in range(3))
        wr, wg, wb = (dtype.type(w) for w in _GRAY_WEIGHTS)
        gray = (wr * r + wg * g + wb * b).astype(img.dtype)[..., None, :, :]
    else:
        gray = img.copy()
    if num_output_channels == 3:
        return np.broadcast_to(gray, img.shape).copy()
    return gray


def _blend(img1: np.ndarray, img2: np.ndarray, ratio: float) -> np.ndarray:
    """ratio * img1 + (1 - ratio) * img2, clamped to the pixel range of img1's dtype."""
    dtype = work_dtype(img1)
    ratio = float(ratio)
    mixed = dtype.type(ratio) * img1.astype(dtype) + dtype.type(1.0 - ratio) * img2.astype(dtype)
    return np.clip(mixed, 0, max_value(img1.dtype)).astype(img1.dtype)


def _check_factor(value: float, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def adjust_brightness(img: np.ndarray, brightness_factor: float) -> np.ndarray:
    """Scales pixel values by `brightness_factor` (0 gives black)."""
    _check_factor(brightness_factor, "brightness_factor")
    check_channels(img, (1, 3), "adjust_brightness")
    return _blend(img, np.zeros_like(img), brightness_factor)


def adjust_contrast(img: np.ndarray, contrast_factor: float) -> np.ndarray:
    """Blends with the mean gray level (0 gives a flat gray image)."""
    _check_factor(contrast_factor, "contrast_factor")
    check_channels(img, (1, 3), "adjust_contrast")
    dtype = work_dtype(img)
    gray = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    axes = (-3, -2, -1) if img.ndim >= 3 else (-2, -1)
    mean = gray.astype(dtype).mean(axis=axes, keepdims=True, dtype=dtype)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img: np.ndarray, saturation_factor: float) -> np.ndarray:
    """Blends with the grayscale image (0 gives gray, 1 the original)."""
    _check_factor(saturation_factor, "saturation_factor")
    check_channels(img, (1, 3), "adjust_saturation")
    if get_dimensions(img)[0] == 1:  # as Pillow: gray images have no saturation
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb_to_hsv(img: np.ndarray) -> np.ndarray:
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    flat = maxc == minc
    chroma = maxc - minc
    one = np.ones_like(maxc)
    s = chroma / np.where(flat, one, maxc)
    divisor = np.where(flat, one, chroma)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    h = np.where(maxc == r, bc - gc, 0) + np.where((maxc == g) & (maxc != r), 2.0 + rc - bc, 0) \
        + np.where((maxc != g) & (maxc != r), 4.0 + gc - rc, 0)
    h = np.fmod(h.astype(img.dtype) / 6.0 + 1.0, 1.0)
    return np.stack([h, s, maxc], axis=-3).astype(img.dtype)


def _hsv_to_rgb(img: np.ndarray) -> np.ndarray:
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    sector = np.floor(h * 6.0)
    f = h * 6.0 - sector
    sector = sector.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    # Per hue sector, which of v, q, p, t each of r, g, b takes.
    choices = [np.select([sector == k for k in range(6)], channel)
               for channel in ((v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q))]
    return np.stack(choices, axis=-3).astype(img.dtype)


def adjust_hue(img: np.ndarray, hue_factor: float) -> np.ndarray:
    """Rotates the hue by `hue_factor` turns, in [-0.5, 0.5]."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    check_channels(img, (1, 3), "adjust_hue")
    if get_dimensions(img)[0] == 1:
        return img
    hsv = _rgb_to_hsv(convert_image_dtype(img, np.float32))
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))
    return convert_image_dtype(_hsv_to_rgb(hsv), img.dtype)


def adjust_gamma(img: np.ndarray, gamma: float, gain: float = 1) -> np.ndarray:
    """gain * img ** gamma on the [0, 1] scale, clamped."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    check_channels(img, (1, 3), "adjust_gamma")
    result = convert_image_dtype(img, np.float32) if img.dtype.kind != "f" else img
    result = np.clip(result.dtype.type(gain) * result ** result.dtype.type(gamma), 0, 1)
    return convert_image_dtype(result, img.dtype)


def invert(img: np.ndarray) -> np.ndarray:
    """max_value - img."""
    check_channels(img, (1, 3), "invert")
    return (max_value(img.dtype) - img).astype(img.dtype)


def posterize(img: np.ndarray, bits: int) -> np.ndarray:
    """Keeps the top `bits` bits of each uint8 channel."""
    if img.dtype != np.uint8:
        raise TypeError(f"Only uint8 image tensors are supported, but found {img.dtype}")
    check_channels(img, (1, 3), "posterize")
    return img & np.uint8((0xFF << (8 - bits)) & 0xFF)


def solarize(img: np.ndarray, threshold: float) -> np.ndarray:
    """Inverts the pixels at or above `threshold`."""
    check_channels(img, (1, 3), "solarize")
    if threshold > max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return np.where(img >= threshold, invert(img), img)


def adjust_sharpness(img: np.ndarray, sharpness_factor: float) -> np.ndarray:
    """Blends with a smoothed copy (3x3 kernel, centre weight 5; the border kept):
    0 blurs, 1 is the original, above 1 sharpens."""
    _check_factor(sharpness_factor, "sharpness_factor")
    check_channels(img, (1, 3), "adjust_sharpness")
    h, w = img.shape[-2:]
    if h <= 2 or w <= 2:
        return img
    dtype = work_dtype(img)
    kernel = np.ones((3, 3), dtype=dtype)
    kernel[1, 1] = 5
    kernel /= kernel.sum()
    work = img.astype(dtype)
    smooth = sequential_sum([work[..., i:h - 2 + i, j:w - 2 + j] * kernel[i, j]
                              for i in range(3) for j in range(3)])
    degenerate = img.copy()
    degenerate[..., 1:-1, 1:-1] = cast_back(smooth, img.dtype)
    return _blend(img, degenerate, sharpness_factor)


def autocontrast(img: np.ndarray) -> np.ndarray:
    """Stretches each channel linearly so its darkest pixel is 0 and brightest the maximum."""
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    check_channels(img, (1, 3), "autocontrast")
    bound, dtype = max_value(img.dtype), work_dtype(img)
    low = img.min(axis=(-2, -1), keepdims=True).astype(dtype)
    high = img.max(axis=(-2, -1), keepdims=True).astype(dtype)
    flat = high == low
    low = np.where(flat, 0, low).astype(dtype)
    # torch evaluates `bound / tensor` as reciprocal(tensor) * bound; so does this, for equal
    # truncation of products that land on whole numbers.
    spread = np.where(flat, 1, high - low).astype(dtype)
    scale = np.where(flat, 1, (1 / spread) * dtype.type(bound)).astype(dtype)
    return np.clip((img - low) * scale, 0, bound).astype(img.dtype)


def _equalize_channel(channel: np.ndarray) -> np.ndarray:
    histogram = np.bincount(channel.ravel(), minlength=256)
    # Pillow's step: the pixel count outside the last non-empty bin, per output level.
    step = histogram[histogram != 0][:-1].sum() // 255
    if step == 0:
        return channel
    lut = (np.cumsum(histogram) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[channel].astype(np.uint8)


def equalize(img: np.ndarray) -> np.ndarray:
    """Histogram equalisation of each channel of a uint8 image (Pillow's lookup table)."""
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found "
                        f"{img.ndim}")
    if img.dtype != np.uint8:
        raise TypeError(f"Only uint8 image tensors are supported, but found {img.dtype}")
    check_channels(img, (1, 3), "equalize")
    flat = img.reshape(-1, *img.shape[-2:])
    return np.stack([_equalize_channel(channel) for channel in flat]).reshape(img.shape)


def _gaussian_kernel1d(size: int, sigma: float, dtype: np.dtype) -> np.ndarray:
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size).astype(dtype)
    pdf = np.exp(dtype.type(-0.5) * (x / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img: np.ndarray, kernel_size: list[int], sigma: list[float]) -> np.ndarray:
    """Convolves each channel with a (kernel_size[1], kernel_size[0]) Gaussian (x then y
    sizes and sigmas, as torchvision orders them), reflecting at the borders."""
    dtype = work_dtype(img)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], dtype)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], dtype)
    kernel = ky[:, None] * kx[None, :]
    rx, ry = kernel_size[0] // 2, kernel_size[1] // 2
    padded = pad(img.astype(dtype), [rx, ry, rx, ry], padding_mode="reflect")
    h, w = img.shape[-2:]
    blurred = sequential_sum([padded[..., i:i + h, j:j + w] * kernel[i, j]
                              for i in range(kernel.shape[0]) for j in range(kernel.shape[1])])
    return blurred if blurred.dtype == img.dtype else cast_back(blurred, img.dtype)
