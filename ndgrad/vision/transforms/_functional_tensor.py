"""Image transforms on arrays of shape (..., C, H, W): torchvision's tensor maths in NumPy.

Every function takes and returns a NumPy array; `functional` unwraps tensors before calling
here and wraps the result. Integer images are processed in float32 and cast back as
torchvision does (truncation for colour maths, rounding after interpolation), so uint8
results match torchvision's to the last bit wherever float32 sums agree.
"""
from __future__ import annotations

import math

import numpy as np

# Keys' cubic convolution coefficient: PyTorch's plain bicubic uses -0.75, its antialiased
# bicubic (like Pillow) -0.5.
_CUBIC_A = -0.75
_CUBIC_A_ANTIALIAS = -0.5


def check_image(img: np.ndarray) -> None:
    """Raises TypeError unless `img` has at least the two dims (H, W) of an image."""
    if img.ndim < 2:
        raise TypeError(f"Tensor is not a torch image: expected at least 2 dims (H, W), got "
                        f"shape {list(img.shape)}")


def get_dimensions(img: np.ndarray) -> list[int]:
    """[channels, height, width] of an image array."""
    check_image(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def check_channels(img: np.ndarray, permitted: tuple, op: str) -> None:
    channels = get_dimensions(img)[0]
    if channels not in permitted:
        raise TypeError(f"{op}: input image tensor permitted channel values are "
                        f"{list(permitted)}, but found {channels} (shape {list(img.shape)})")


def max_value(dtype: np.dtype) -> int:
    """The value of a fully saturated pixel: the integer maximum, or 1 for floats."""
    dtype = np.dtype(dtype)
    return int(np.iinfo(dtype).max) if dtype.kind in "iu" else 1


def work_dtype(img: np.ndarray) -> np.dtype:
    """The float type torchvision computes in: the image's own if floating, else float32."""
    return img.dtype if img.dtype.kind == "f" else np.dtype(np.float32)


def convert_image_dtype(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Converts pixel values between dtypes, rescaling to the target's value range."""
    dtype = np.dtype(dtype)
    if image.dtype == dtype:
        return image
    if image.dtype.kind == "f":
        if dtype.kind == "f":
            return image.astype(dtype)
        if (image.dtype == np.float32 and dtype in (np.int32, np.int64)) or \
                (image.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               f"safely.")
        # 1 - eps keeps 1.0 below max + 1, so truncation maps [0, 1] onto [0, max].
        eps = 1e-3
        return (image * (max_value(dtype) + 1.0 - eps)).astype(dtype)
    input_max = max_value(image.dtype)
    if dtype.kind == "f":
        return image.astype(dtype) / dtype.type(input_max)
    output_max = max_value(dtype)
    if input_max > output_max:
        return (image // ((input_max + 1) // (output_max + 1))).astype(dtype)
    return image.astype(dtype) * dtype.type((output_max + 1) // (input_max + 1))


def crop(img: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    """The (height, width) window at (top, left); parts outside the image are zeros."""
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        inside = img[..., max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
        return pad(inside, padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def parse_padding(padding) -> list[int]:
    """[left, top, right, bottom] from an int or a 1-, 2- or 4-element sequence."""
    if isinstance(padding, (int, np.integer)):
        return [int(padding)] * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


# torchvision's padding modes and NumPy's names for them ("symmetric" repeats the edge pixel,
# "reflect" does not).
_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def pad(img: np.ndarray, padding, fill=0, padding_mode: str = "constant") -> np.ndarray:
    """Pads the last two dims; negative padding crops."""
    check_image(img)
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"Padding mode should be either constant, edge, reflect or symmetric, "
                         f"got {padding_mode!r}")
    left, top, right, bottom = parse_padding(padding)
    h, w = img.shape[-2:]
    img = img[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    widths = [(0, 0)] * (img.ndim - 2) + [(max(top, 0), max(bottom, 0)),
                                          (max(left, 0), max(right, 0))]
    if padding_mode == "constant":
        return np.pad(img, widths, mode="constant", constant_values=float(fill or 0))
    return np.pad(img, widths, mode=_PAD_MODES[padding_mode])


# ---- resizing: one axis at a time, each output pixel a weighted sum of input taps ----

def _nearest_taps(size: int, out: int, exact: bool):
    # PyTorch computes nearest source indices in float32.
    scale = np.float32(size) / np.float32(out)
    positions = np.arange(out, dtype=np.float32) + (np.float32(0.5) if exact else 0)
    index = np.minimum(np.floor(positions * scale).astype(np.int64), size - 1)
    return index[:, None], np.ones((out, 1), dtype=np.float32)


def _source_position(scale, out: int, dtype: np.dtype) -> np.ndarray:
    """scale * (i + 0.5) - 0.5: PyTorch evaluates it in double (0.5 is a double literal) and
    rounds to the image's float type (see Note [aa precision])."""
    return (np.float64(scale) * (np.arange(out) + 0.5) - 0.5).astype(dtype)


def _linear_taps(size: int, out: int, dtype: np.dtype):
    scale = dtype.type(size) / dtype.type(out)
    source = np.maximum(_source_position(scale, out, dtype), 0)
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    weight = source - low.astype(dtype)
    columns = np.stack([low, np.minimum(low + 1, size - 1)], axis=1)
    return columns, np.stack([1 - weight, weight], axis=1)


def _cubic_kernel(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel at distances x (0 beyond 2)."""
    x = np.abs(x)
    a = x.dtype.type(a)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _cubic_taps(size: int, out: int, dtype: np.dtype):
    scale = dtype.type(size) / dtype.type(out)
    # Unlike the linear mode, negative source positions are kept (OpenCV's convention).
    source = _source_position(scale, out, dtype)
    low = np.floor(source.astype(np.float32)).astype(np.int64)
    t = source - low.astype(dtype)
    offsets = np.arange(-1, 3)
    columns = np.clip(low[:, None] + offsets, 0, size - 1)
    return columns, _cubic_kernel(t[:, None] - offsets.astype(dtype), _CUBIC_A)


def _antialias_taps(size: int, out: int, dtype: np.dtype, cubic: bool):
    """PyTorch's antialiased interpolation (Pillow's algorithm): the filter is stretched by
    the downscaling factor, clipped to the image and renormalised per output pixel.

    The arithmetic mirrors PyTorch's C++ types step by step (see Note [aa precision])."""
    # Note [aa precision]: PyTorch computes these in the image's float type, except where a
    # double literal (0.5) promotes an expression to double; repeating that keeps uint8
    # results, rounded at the end, bit-equal.
    f, wide = dtype.type, np.float64
    scale = f(size) / f(out)
    interp_size = 4 if cubic else 2
    support = f(interp_size * 0.5 * float(scale)) if scale >= 1 else f(interp_size * 0.5)
    invscale = f(1.0 / float(scale)) if scale >= 1 else f(1)
    center = (wide(scale) * (np.arange(out) + 0.5)).astype(dtype)
    low = np.maximum(np.trunc((center - support).astype(wide) + 0.5).astype(np.int64), 0)
    high = np.minimum(np.trunc((center + support).astype(wide) + 0.5).astype(np.int64), size)
    taps = int((high - low).max())
    columns = low[:, None] + np.arange(taps)
    offset = (columns.astype(dtype) - center[:, None]).astype(wide) + 0.5
    distance = (offset * wide(invscale)).astype(dtype)
    if cubic:
        weights = _cubic_kernel(distance, _CUBIC_A_ANTIALIAS)
    else:
        weights = np.maximum(1 - np.abs(distance), 0).astype(dtype)
    weights = np.where(columns < high[:, None], weights, 0).astype(dtype)
    total = sequential_sum([weights[:, k] for k in range(taps)])[:, None]
    weights = np.where(total != 0, weights / np.where(total != 0, total, 1), weights)
    return np.minimum(columns, size - 1), weights.astype(dtype)


def sequential_sum(terms: list) -> np.ndarray:
    """terms[0] + terms[1] + ... left to right, as PyTorch's kernels accumulate."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _taps(size: int, out: int, mode: str, antialias: bool, dtype: np.dtype):
    """(columns, weights) of shape (out, taps): which input pixels make each output pixel."""
    if mode in ("nearest", "nearest-exact"):
        return _nearest_taps(size, out, mode == "nearest-exact")
    if antialias:
        return _antialias_taps(size, out, dtype, mode == "bicubic")
    if mode == "bilinear":
        return _linear_taps(size, out, dtype)
    return _cubic_taps(size, out, dtype)


def _resample(img: np.ndarray, axis: int, columns: np.ndarray, weights: np.ndarray,
              nearest: bool) -> np.ndarray:
    moved = np.moveaxis(img, axis, -1)
    if nearest:
        result = moved[..., columns[:, 0]]
    else:
        result = sequential_sum([moved[..., columns[:, k]] * weights[:, k]
                                  for k in range(columns.shape[1])])
    return np.moveaxis(result, -1, axis)


_RESIZE_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")


def resize(img: np.ndarray, size: list[int], interpolation: str = "bilinear",
           antialias: bool | None = True) -> np.ndarray:
    """Resizes the last two dims to `size` = [height, width]."""
    check_image(img)
    if interpolation not in _RESIZE_MODES:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         f"input; supported: {', '.join(_RESIZE_MODES)}")
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic")
    nearest = interpolation.startswith("nearest")
    dtype = img.dtype if img.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    result = img if nearest else img.astype(dtype)
    # Width first, then height, as PyTorch's separable kernels run.
    for axis, out in ((-1, size[1]), (-2, size[0])):
        if result.shape[axis] != out or not antialias:
            columns, weights = _taps(result.shape[axis], out, interpolation, antialias, dtype)
            result = _resample(result, axis, columns, weights, nearest)
    if nearest or result.dtype == img.dtype:
        return result
    if interpolation == "bicubic" and img.dtype == np.uint8:
        result = np.clip(result, 0, 255)
    return cast_back(result, img.dtype)


def cast_back(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A float intermediate back to the image's dtype, rounding (half to even) for integers."""
    if np.dtype(dtype).kind in "iu":
        result = np.round(result)
    return result.astype(dtype)


# ---- geometry: sampling the input at affinely mapped output pixels ----

def _affine_source(matrix: list[float], w: int, h: int, ow: int, oh: int, dtype: np.dtype):
    """Input pixel coordinates (x, y) read by each output pixel, as torchvision's affine grid
    followed by grid_sample(align_corners=False) computes them."""
    theta = np.asarray(matrix, dtype=dtype).reshape(2, 3)
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype=np.float32).astype(dtype)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype=np.float32).astype(dtype)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], dtype.type(1)), axis=-1)
    grid = base @ (theta.T / np.asarray([0.5 * w, 0.5 * h], dtype=dtype))
    # grid_sample's unnormalisation for align_corners=False.
    x = ((grid[..., 0] + 1) * w - 1) / 2
    y = ((grid[..., 1] + 1) * h - 1) / 2
    return x.astype(dtype), y.astype(dtype)


def _sample(img: np.ndarray, x: np.ndarray, y: np.ndarray, mode: str) -> np.ndarray:
    """grid_sample with zero padding: img (..., C, H, W) read at float coordinates."""
    h, w = img.shape[-2:]
    if mode == "nearest":
        corners = [(np.rint(x).astype(np.int64), np.rint(y).astype(np.int64),
                    np.ones_like(x))]
    else:
        # Weights as grid_sample forms them: distances to the opposite corner.
        x0, y0 = np.floor(x), np.floor(y)
        x1, y1 = x0 + 1, y0 + 1
        ix, iy = x0.astype(np.int64), y0.astype(np.int64)
        corners = [(ix, iy, (x1 - x) * (y1 - y)), (ix + 1, iy, (x - x0) * (y1 - y)),
                   (ix, iy + 1, (x1 - x) * (y - y0)), (ix + 1, iy + 1, (x - x0) * (y - y0))]
    result = np.zeros(img.shape[:-2] + x.shape, dtype=img.dtype)
    for cx, cy, weight in corners:
        inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        values = img[..., np.clip(cy, 0, h - 1), np.clip(cx, 0, w - 1)]
        result += values * np.where(inside, weight, 0).astype(img.dtype)
    return result


def _fill_outside(sampled: np.ndarray, mask: np.ndarray, fill, mode: str) -> np.ndarray:
    """Where the sample fell outside the input (mask < 1), the fill colour is blended in."""
    fill = np.asarray(fill if isinstance(fill, (list, tuple)) else [float(fill)],
                      dtype=sampled.dtype)
    # One value per channel; a 2-D (H, W) image has one channel.
    fill = fill.reshape(-1, 1, 1) if sampled.ndim >= 3 else fill[0]
    if mode == "nearest":
        return np.where(mask < 0.5, fill, sampled)
    return sampled * mask + (1.0 - mask) * fill


def affine_sample(img: np.ndarray, matrix: list[float], interpolation: str, fill,
                  out_size: tuple[int, int] | None = None) -> np.ndarray:
    """Samples img at the inverse-affine `matrix` (6 floats, centred coordinates) into an
    output of out_size = (width, height) (default: the input's)."""
    check_image(img)
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         f"input; supported: nearest, bilinear")
    channels = get_dimensions(img)[0]
    if isinstance(fill, (list, tuple)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError(f"The number of elements in 'fill' cannot broadcast to match the "
                         f"number of channels of the image ({len(fill)} != {channels})")
    h, w = img.shape[-2:]
    ow, oh = out_size or (w, h)
    dtype = work_dtype(img)
    x, y = _affine_source(matrix, w, h, ow, oh, dtype)
    work = img.astype(dtype)
    sampled = _sample(work, x, y, interpolation)
    if fill is not None:
        mask = _sample(np.ones((h, w), dtype=dtype), x, y, interpolation)
        sampled = _fill_outside(sampled, mask, fill, interpolation)
    return sampled if sampled.dtype == img.dtype else cast_back(sampled, img.dtype)


def affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """(width, height) that holds the whole image after the forward map `matrix`."""
    corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    mapped = corners @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    low = mapped.min(axis=0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    high = mapped.max(axis=0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    # Truncating at 1e-4 first keeps float noise from adding a whole pixel.
    tol = np.float32(1e-4)
    size = np.ceil(np.trunc(high / tol) * tol) - np.floor(np.trunc(low / tol) * tol)
    return int(size[0]), int(size[1])


def inverse_affine_matrix(center: list[float], angle: float, translate: list[float],
                          scale: float, shear: list[float]) -> list[float]:
    """The 6 coefficients mapping output to input pixels for rotation by `angle` degrees
    about `center`, then scale, shear and translation (torchvision's convention)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m
