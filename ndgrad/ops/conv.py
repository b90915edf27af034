"""Convolution: conv1d/2d/3d, transposed convolution, unfold and fold.

Note [im2col through strided views]
The windows of a padded input are a read-only strided view (N, C, *output, *kernel) of it:
no Python loop over batch items or output positions. A convolution copies that view once into
columns (im2col), sample by sample (N, C * prod(kernel), prod(output)), and multiplies each
sample's columns with the weight in one batched matmul that writes y (N, O, *output) in
place. (One product over all samples' columns at once, with a few output channels, ran at
half BLAS's rate: LeNet's first layer took 0.49 ms that way, 0.25 ms per sample.) col2im, its
transpose, adds the columns back in place with a loop over kernel offsets only, each step
adding a whole strided slice.
Most 2-d convolutions skip the full columns: see Note [row products].

Note [conv as three products]
A convolution y = Conv(x, w) is bilinear, and both of its gradients are convolutions of the
same geometry: the input gradient is the transposed convolution ConvTranspose(g, w), the
weight gradient ConvWeight(x, g) correlates the input's windows with g. Each of the three is
the others' gradient, so each backward is written with the other two, and derivatives of any
order (gradient penalties) stay convolutions:
    Conv(x, w):          grad_x = ConvTranspose(g, w)    grad_w = ConvWeight(x, g)
    ConvTranspose(g, w): grad_g = Conv(gx, w)            grad_w = ConvWeight(gx, g)
    ConvWeight(x, g):    grad_x = ConvTranspose(g, gw)   grad_g = Conv(x, gw)
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import tensor_arg


class Geometry(NamedTuple):
    """The index arithmetic of a convolution or pooling over len(kernel_size) spatial dims."""

    input_size: tuple   # spatial size of the unpadded input
    output_size: tuple  # spatial size of the output
    kernel_size: tuple
    stride: tuple
    padding: tuple      # (before, after) per spatial dim
    dilation: tuple
    groups: int = 1


def pad_array(x, padding: tuple, value=0):
    """x with its last len(padding) dims padded by (before, after) each, filled with value."""
    if not any(before or after for before, after in padding):
        return x
    xp = _backend.array_module(x)
    lead = x.ndim - len(padding)
    spatial = x.shape[lead:]
    shape = x.shape[:lead] + tuple(n + b + a for n, (b, a) in zip(spatial, padding))
    result = xp.full(shape, value, dtype=x.dtype)
    result[(Ellipsis,) + tuple(slice(b, b + n) for n, (b, _) in zip(spatial, padding))] = x
    return result


def windows(x, geometry: Geometry, value=0):
    """A read-only view (*lead, *output_size, *kernel_size) of the padded x's windows.

    See Note [im2col through strided views]."""
    x = pad_array(x, geometry.padding, value)
    xp = _backend.array_module(x)
    lead = x.ndim - len(geometry.kernel_size)
    spatial = x.strides[lead:]
    shape = x.shape[:lead] + tuple(geometry.output_size) + tuple(geometry.kernel_size)
    strides = (x.strides[:lead] + tuple(st * s for st, s in zip(spatial, geometry.stride))
               + tuple(st * d for st, d in zip(spatial, geometry.dilation)))
    return xp.lib.stride_tricks.as_strided(x, shape, strides)


def col2im(cols, geometry: Geometry, lead: int):
    """The transpose of `windows`: cols (*A, *kernel, *output, *B) -> (*A, *input, *B), where A
    is `lead` dims; overlapping windows add up. Loops over kernel offsets only."""
    xp = _backend.array_module(cols)
    n = len(geometry.kernel_size)
    rest = cols.shape[lead + 2 * n:]
    padded = tuple(s + b + a for s, (b, a) in zip(geometry.input_size, geometry.padding))
    target = xp.zeros(cols.shape[:lead] + padded + rest, dtype=cols.dtype)
    if cols.size:
        for offset in np.ndindex(*geometry.kernel_size):
            key = (slice(None),) * lead + tuple(
                slice(k * d, k * d + s * (p - 1) + 1, s) for k, d, s, p in
                zip(offset, geometry.dilation, geometry.stride, geometry.output_size))
            target[key] += cols[(slice(None),) * lead + offset]
    crop = tuple(slice(b, b + s) for s, (b, _) in zip(geometry.input_size, geometry.padding))
    return target[(slice(None),) * lead + crop]


def _columns(x, geometry: Geometry, out=None):
    """im2col per sample: x's windows as (N, groups, C/groups * prod(kernel), prod(output)),
    written into `out` (a buffer of at least that many elements) when given."""
    n = len(geometry.kernel_size)
    view = windows(x, geometry)  # (N, C, *output, *kernel)
    order = (0, 1) + tuple(range(2 + n, 2 + 2 * n)) + tuple(range(2, 2 + n))
    shape = (x.shape[0], geometry.groups, -1, _prod(geometry.output_size))
    if out is None:
        return view.transpose(order).reshape(shape)
    columns = out[:view.size].reshape(view.transpose(order).shape)
    columns[...] = view.transpose(order)
    return columns.reshape(shape)


def _per_group(a, groups: int):
    """(N, channels, *spatial) as (N, groups, channels/groups, prod(spatial)), a view."""
    return a.reshape(a.shape[0], groups, a.shape[1] // groups, -1)


def _prod(sizes) -> int:
    return math.prod(int(s) for s in sizes)


# Note [row products]
# A 2-d convolution that moves one row at a time down its input needs no full column matrix.
# Copy the padded input's windows along the last dim only: the rows (N, C, kW, Hp, Wo), kW
# times the input where the columns are kH * kW times it. For kernel row i, the slice
# rows[:, :, :, i * dilation:][:Ho] is a (C * kW, Ho * Wo) matrix per sample without a copy
# (its Ho output rows lie Wo apart, so they join into one run), and
#     y = sum over i of  w[:, :, i] (O, C * kW)  @  rows at kernel row i,
# kH products that read the input straight from the rows. LeNet's second layer (6 -> 16
# channels, 8x8 outputs) went from 0.61 to 0.32 ms: the columns' copy ran in runs of 8 values,
# the rows' in runs of 64. The weight gradient uses the same slices, so Conv keeps the rows for
# it, kH times less memory than the columns. Run side by side in one process (three runs of
# `benchmarks/run.py cnn` each), the LeNet step went from 1.09-1.12x PyTorch's time to
# 1.03-1.07x, and it page-faulted far less often for fresh memory.


def _by_rows(geometry: Geometry, channels: int) -> bool:
    """Whether a convolution of an input with `channels` channels runs as row products (Note
    [row products]): each product's inner dimension, C/groups * kW, must be at least 16. With
    fewer (1 -> 32 channels with a 3x3 kernel: 3) the products ran 1.5-3x slower than the
    columns' one product per sample."""
    kernel = geometry.kernel_size
    return len(kernel) == 2 and geometry.stride[0] == 1 and kernel[0] > 1 and \
        channels // geometry.groups * kernel[1] >= 16


def _rows(x, geometry: Geometry, out=None):
    """The padded x's windows along its last dim, (N, C, kW, Hp, Wo), written into `out` (a
    flat buffer of at least that many elements) when given."""
    x = pad_array(x, geometry.padding)
    xp = _backend.array_module(x)
    n, channels, height, _ = x.shape
    strides = x.strides
    view = xp.lib.stride_tricks.as_strided(
        x, (n, channels, geometry.kernel_size[1], height, geometry.output_size[1]),
        strides[:2] + (strides[3] * geometry.dilation[1], strides[2],
                       strides[3] * geometry.stride[1]))
    rows = xp.empty(view.shape, x.dtype) if out is None else \
        out[:view.size].reshape(view.shape)
    rows[...] = view
    return rows


def _kernel_row(rows, geometry: Geometry, i: int):
    """The rows at kernel row i as (N, groups, C/groups * kW, Ho * Wo), a view."""
    start = i * geometry.dilation[0]
    window = rows[:, :, :, start:start + geometry.output_size[0]]
    return window.reshape(rows.shape[0], geometry.groups, -1, _prod(geometry.output_size))


def _row_weights(w, groups: int):
    """w (O, C/groups, kH, kW) as (kH, groups, O/groups, C/groups * kW): a product's left
    factor per kernel row."""
    per_row = _backend.array_module(w).ascontiguousarray(w.transpose(2, 0, 1, 3))
    return per_row.reshape(w.shape[2], groups, w.shape[0] // groups, -1)


def _prepare(x, geometry: Geometry, out=None):
    """What Conv's products read: the rows (Note [row products]) or the columns."""
    return _rows(x, geometry, out) if _by_rows(geometry, x.shape[1]) else \
        _columns(x, geometry, out)


def _is_rows(prepared) -> bool:
    """Whether `_prepare` made rows (N, C, kW, Hp, Wo), not columns (N, G, C/G * K, P)."""
    return prepared.ndim == 5


def _prepared_size(x, geometry: Geometry) -> int:
    """The number of elements `_prepare` makes per sample of x."""
    if _by_rows(geometry, x.shape[1]):
        padded = geometry.input_size[0] + sum(geometry.padding[0])
        return x.shape[1] * geometry.kernel_size[1] * padded * geometry.output_size[1]
    return x.shape[1] * _prod(geometry.kernel_size) * _prod(geometry.output_size)


def _product(w, prepared, geometry: Geometry, out) -> None:
    """Writes w times the prepared input into out (N, groups, O/groups, prod(output))."""
    xp = _backend.array_module(w, prepared)
    groups = geometry.groups
    if not _is_rows(prepared):
        xp.matmul(w.reshape(groups, w.shape[0] // groups, -1), prepared, out=out)
        return
    weights = _row_weights(w, groups)
    xp.matmul(weights[0], _kernel_row(prepared, geometry, 0), out=out)
    partial = xp.empty_like(out) if len(weights) > 1 else None
    for i in range(1, len(weights)):
        out += xp.matmul(weights[i], _kernel_row(prepared, geometry, i), out=partial)


# Note [columns per block of samples]
# The columns of a whole batch can be huge (a ResNet block's 32x64x56x56 input gives 230 MB),
# and building them is a strided gather that runs at memory speed. So each of the three
# products below works on blocks of samples whose columns (or rows) take at most _BLOCK_BYTES:
# it builds a block's columns into one reused buffer that stays in cache, multiplies, and
# moves on (the weight gradient accumulates over blocks). For the conv_resnet shape this took
# the forward from 209 to 114 ms (PyTorch: 84), and no step holds more than one block's
# columns. Small layers (LeNet's) fit in one block, which is the whole-batch im2col.
_BLOCK_BYTES = 8 * 2 ** 20


def _sample_blocks(x, geometry: Geometry) -> list:
    """(start, stop) ranges of samples of x (N, C, ...) whose prepared input fits in
    _BLOCK_BYTES."""
    per_sample = _prepared_size(x, geometry) * x.dtype.itemsize
    size = max(1, _BLOCK_BYTES // max(per_sample, 1))
    count = x.shape[0]
    return [(i, min(i + size, count)) for i in range(0, count, size)] or [(0, 0)]


def _block_buffer(x, geometry: Geometry, blocks: list):
    """One flat buffer that holds the prepared input of the largest block (None for one
    block, whose prepared input is built fresh: Conv may keep it for backward)."""
    if len(blocks) == 1:
        return None
    size = (blocks[0][1] - blocks[0][0]) * _prepared_size(x, geometry)
    return _backend.array_module(x).empty(size, x.dtype)


def _correlate(x, w, geometry: Geometry, keep_prepared: bool = False) -> tuple:
    """Conv's product in blocks of samples: (y, the prepared input when it was one block and
    `keep_prepared`, else None). See Note [columns per block of samples]."""
    xp = _backend.array_module(x, w)
    blocks = _sample_blocks(x, geometry)
    buffer = _block_buffer(x, geometry, blocks)
    y = xp.empty((x.shape[0], w.shape[0]) + tuple(geometry.output_size), x.dtype)
    prepared = None
    for start, stop in blocks:
        prepared = _prepare(x[start:stop], geometry, buffer)
        # One product per sample and group, written straight into y (N, O, *output).
        _product(w, prepared, geometry, _per_group(y[start:stop], geometry.groups))
    return y, (prepared if buffer is None and keep_prepared else None)


def _as_correlation(w, geometry: Geometry):
    """For a stride-1 geometry: (w', geometry') such that the transposed convolution with w is
    the convolution with w' (kernel flipped, in and out channels swapped per group) over the
    gradient padded by reach - padding; None when some padding exceeds the reach."""
    reach = tuple(d * (k - 1) for k, d in zip(geometry.kernel_size, geometry.dilation))
    # Before: reach - padding; after: whatever makes the result input_size long (more than
    # reach - padding when the input had rows the convolution never reached).
    padding = tuple((r - b, i - o + b) for r, (b, _), i, o in
                    zip(reach, geometry.padding, geometry.input_size, geometry.output_size))
    if any(s != 1 for s in geometry.stride) or any(b < 0 or a < 0 for b, a in padding):
        return None
    # Its columns are out_channels * prod(input) per kernel offset against col2im's
    # in_channels * prod(output): worth it up to 1.5 times as large (LeNet's first layer,
    # 1 -> 6 channels, took 3x longer this way; a ResNet block, 64 -> 64, half the time; an
    # unpadded 3x3 one, 16 -> 16 channels on 28x28, 1.16 times as large: 5.5 against 15.5 ms;
    # 32 -> 48 channels on 16x16, 1.96 times: 5.3 against 3.8 ms).
    if w.shape[0] * _prod(geometry.input_size) > \
            1.5 * geometry.groups * w.shape[1] * _prod(geometry.output_size):
        return None
    groups, n = geometry.groups, len(geometry.kernel_size)
    per_group = w.reshape((groups, w.shape[0] // groups) + w.shape[1:])
    swapped = per_group.swapaxes(1, 2).reshape((groups * w.shape[1], w.shape[0] // groups)
                                               + w.shape[2:])
    flipped = swapped[(Ellipsis,) + (slice(None, None, -1),) * n]
    transposed = Geometry(geometry.output_size, geometry.input_size, geometry.kernel_size,
                          geometry.stride, padding, geometry.dilation, groups)
    return _backend.array_module(w).ascontiguousarray(flipped), transposed


class Conv(ArrayFunction):
    """Convolution (cross-correlation) of x (N, C, *S) with w (O, C/groups, *kernel), plus the
    bias b (O,) when given (added in place: one array and one graph node fewer than a
    separate add).

    See Note [conv as three products] and Note [columns per block of samples]."""

    @staticmethod
    def forward(ctx, x, w, b, geometry):
        ctx.geometry = geometry
        ctx.save_for_backward(x, w)
        keep = bool(ctx.needs_input_grad) and ctx.needs_input_grad[1]
        y, prepared = _correlate(x, w, geometry, keep)
        if prepared is not None:
            ctx.prepared = prepared  # one block: reused by the weight gradient
        if b is not None:
            y += b.reshape((-1,) + (1,) * len(geometry.kernel_size))
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        geometry = ctx.geometry
        needs = ctx.needs_input_grad
        grad_x = ConvTranspose.apply(grad, w, geometry=geometry) if needs[0] else None
        grad_w = ConvWeight.apply(x, grad, geometry=geometry,
                                  prepared=getattr(ctx, "prepared", None)) if needs[1] else None
        # Samples first: a sum over the leading axis adds whole planes (LeNet's first layer:
        # 0.06 -> 0.02 ms against one sum over axes (0, 2, 3)).
        grad_b = grad.sum(0).reshape(grad.shape[1], -1).sum(1) if needs[2] else None
        return grad_x, grad_w, grad_b


class ConvTranspose(ArrayFunction):
    """The adjoint of Conv in its input: g (N, O, *output) with w (O, C/groups, *kernel) gives
    (N, C, *input). See Note [conv as three products]."""

    @staticmethod
    def forward(ctx, g, w, geometry):
        ctx.geometry = geometry
        ctx.save_for_backward(g, w)
        correlation = _as_correlation(w, geometry)
        if correlation is not None:
            # Stride 1: a plain convolution of the padded gradient, with no col2im (for the
            # conv_resnet shape, 2x faster than the columns' scatter-add).
            return _correlate(g, *correlation)[0]
        xp = _backend.array_module(g, w)
        groups = geometry.groups
        channels = groups * w.shape[1]
        w_t = w.reshape(groups, w.shape[0] // groups, -1).swapaxes(1, 2)  # (G, C/G * K, O/G)
        x = xp.empty((g.shape[0], channels) + tuple(geometry.input_size), g.dtype)
        for start, stop in _sample_blocks(x, geometry):
            # Samples innermost, so that each of col2im's adds runs over whole rows of samples
            # (LeNet's second layer: runs of 8 * 64 values instead of 8; 2.3 -> 1.3 ms).
            samples_last = xp.moveaxis(g[start:stop], 0, -1).reshape(
                groups, w.shape[0] // groups, -1)
            cols = xp.matmul(w_t, samples_last)  # (G, C/G * K, P * b)
            cols = cols.reshape((channels,) + w.shape[2:] + tuple(geometry.output_size)
                                + (stop - start,))
            x[start:stop] = xp.moveaxis(col2im(cols, geometry, 1), -1, 0)  # (C, *input, b)
        return x

    @staticmethod
    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        geometry = ctx.geometry
        grad_g = Conv.apply(grad, w, None, geometry=geometry) \
            if ctx.needs_input_grad[0] else None
        grad_w = ConvWeight.apply(grad, g, geometry=geometry) \
            if ctx.needs_input_grad[1] else None
        return grad_g, grad_w


def _weight_product(g, prepared, geometry: Geometry):
    """The sum over samples of g (N, O, *output) times the prepared input's transpose, as
    (G, C/G * K, O/G).

    Columns times g^T (a 576-row left factor for a 64-channel 3x3 conv) ran 20-25% faster
    than g times columns^T (84-88 against 110-114 ms for conv_resnet's 32 samples). Rows give
    one such product per kernel row (Note [row products])."""
    xp = _backend.array_module(g, prepared)
    g_t = _per_group(g, geometry.groups).swapaxes(2, 3)  # (N, G, P, O/G)
    if not _is_rows(prepared):
        return xp.matmul(prepared, g_t).sum(0)
    per_row = [xp.matmul(_kernel_row(prepared, geometry, i), g_t).sum(0)
               for i in range(geometry.kernel_size[0])]  # each (G, C/G * kW, O/G)
    groups, rows, out_channels = per_row[0].shape
    kernel_width = geometry.kernel_size[1]
    stacked = xp.stack([p.reshape(groups, rows // kernel_width, kernel_width, out_channels)
                        for p in per_row], axis=2)  # (G, C/G, kH, kW, O/G)
    return stacked.reshape(groups, -1, out_channels)


class ConvWeight(ArrayFunction):
    """The adjoint of Conv in its weight: the correlation of x (N, C, *input) with g
    (N, O, *output), shaped like the weight. See Note [conv as three products]."""

    @staticmethod
    def forward(ctx, x, g, geometry, prepared=None):
        ctx.geometry = geometry
        ctx.save_for_backward(x, g)
        xp = _backend.array_module(x, g)
        shape = (g.shape[1], x.shape[1] // geometry.groups) + tuple(geometry.kernel_size)
        if prepared is None:  # else _prepare(x, geometry), already built by Conv's forward
            blocks = _sample_blocks(x, geometry)
            buffer = _block_buffer(x, geometry, blocks)
            w = sum(_weight_product(g[start:stop], _prepare(x[start:stop], geometry, buffer),
                                    geometry) for start, stop in blocks)
        else:
            w = _weight_product(g, prepared, geometry)
        # (G, C/G * K, O/G) -> (O, C/G, *kernel)
        return xp.ascontiguousarray(w.swapaxes(1, 2), dtype=x.dtype).reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        geometry = ctx.geometry
        grad_x = ConvTranspose.apply(g, grad, geometry=geometry) \
            if ctx.needs_input_grad[0] else None
        grad_g = Conv.apply(x, grad, None, geometry=geometry) \
            if ctx.needs_input_grad[1] else None
        return grad_x, grad_g


class Unfold(ArrayFunction):
    """im2col: x (N, C, *S) to (N, C * prod(kernel), prod(output))."""

    @staticmethod
    def forward(ctx, x, geometry):
        ctx.geometry = geometry
        return _columns(x, geometry).reshape(x.shape[0], -1, _prod(geometry.output_size))

    @staticmethod
    def backward(ctx, grad):
        return Fold.apply(grad, geometry=ctx.geometry), None


class Fold(ArrayFunction):
    """col2im: (N, C * prod(kernel), prod(output)) to (N, C, *S), summing overlaps."""

    @staticmethod
    def forward(ctx, cols, geometry):
        ctx.geometry = geometry
        kernel = tuple(geometry.kernel_size)
        cols = cols.reshape((cols.shape[0], cols.shape[1] // _prod(kernel)) + kernel
                            + tuple(geometry.output_size))
        return col2im(cols, geometry, 2)

    @staticmethod
    def backward(ctx, grad):
        return Unfold.apply(grad, geometry=ctx.geometry), None


# ---------------------------------------------------------------- argument checks


def expand_param(value, n: int, name: str) -> tuple:
    """An int or a sequence of n ints as a tuple of n ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    if not isinstance(value, (tuple, list)) or \
            not all(isinstance(v, (int, np.integer)) for v in value):
        raise TypeError(f"argument '{name}' must be an int or a tuple of {n} ints, but got "
                        f"{value!r}")
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got {name}="
                           f"{list(value)}")
    return value


def check_rank(input: Tensor, n: int, name: str) -> bool:
    """Whether input is batched (n + 2 dims) rather than unbatched (n + 1 dims)."""
    if tensor_arg(input, name).ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    return input.ndim == n + 2


def check_floating(name: str, **tensors) -> None:
    for position, (key, t) in enumerate(tensors.items(), 1):
        if t is not None:
            tensor_arg(t, name, key, position)
    dtypes = {key: t._data.dtype for key, t in tensors.items() if t is not None}
    if any(dtype.kind != "f" for dtype in dtypes.values()):
        listed = ", ".join(f"{key} {dtype}" for key, dtype in dtypes.items())
        raise RuntimeError(f"{name} expects floating-point tensors, got {listed}")
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{key} type ({dtype})" for key, dtype in dtypes.items())
        raise RuntimeError(f"{name}: {listed} should be the same")


def _sizes(values) -> str:
    return " x ".join(str(v) for v in values)


def check_positive(name: str, **params) -> None:
    for key, values in params.items():
        if any(v <= 0 for v in values):
            raise RuntimeError(f"{name}: non-positive {key} is not supported, got {list(values)}")


def _same_padding(kernel: tuple, dilation: tuple, stride: tuple) -> tuple:
    if any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


def _conv_padding(padding, kernel: tuple, dilation: tuple, stride: tuple, name: str) -> tuple:
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            return _same_padding(kernel, dilation, stride)
        raise ValueError(f"Invalid padding string '{padding}', should be one of "
                         f"{{'valid', 'same'}}")
    padding = expand_param(padding, n, "padding")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{name}: negative padding is not supported, got {list(padding)}")
    return tuple((p, p) for p in padding)


def _check_weight(input: Tensor, weight: Tensor, groups: int, n: int, name: str,
                  transposed: bool) -> None:
    if weight.ndim != n + 2:
        raise RuntimeError(f"{name}: expected weight to be {n + 2}-dimensional, but got weight "
                           f"of size {list(weight.shape)}")
    if groups <= 0:
        raise RuntimeError(f"{name}: non-positive groups is not supported, got {groups}")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != expected:
        given = "Given transposed=1, weight of size" if transposed else \
            f"Given groups={groups}, weight of size"
        raise RuntimeError(f"{given} {list(weight.shape)}, expected input{list(input.shape)} "
                           f"to have {expected} channels, but got {input.shape[1]} channels "
                           f"instead")


def _check_bias(bias: Tensor | None, channels: int, name: str) -> None:
    if bias is not None and tuple(bias.shape) != (channels,):
        raise RuntimeError(f"{name}: expected bias of shape [{channels}], but got bias of "
                           f"size {list(bias.shape)}")


def _add_bias(y: Tensor, bias: Tensor | None, n: int, name: str) -> Tensor:
    if bias is None:
        return y
    _check_bias(bias, y.shape[1], name)
    return y + bias.reshape((y.shape[1],) + (1,) * n)


# ---------------------------------------------------------------- convolution


def _convolution(input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups: int,
                 n: int, name: str) -> Tensor:
    batched = check_rank(input, n, name)
    x = input if batched else input.unsqueeze(0)
    check_floating(name, input=input, weight=weight, bias=bias)
    _check_weight(x, weight, groups, n, name, transposed=False)
    stride = expand_param(stride, n, "stride")
    dilation = expand_param(dilation, n, "dilation")
    check_positive(name, stride=stride, dilation=dilation)
    kernel = tuple(weight.shape[2:])
    pairs = _conv_padding(padding, kernel, dilation, stride, name)
    spatial = tuple(x.shape[2:])
    padded = tuple(s + b + a for s, (b, a) in zip(spatial, pairs))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < r for p, r in zip(padded, reach)):
        raise RuntimeError(f"{name}: Calculated padded input size per channel: "
                           f"({_sizes(padded)}). Kernel size: ({_sizes(reach)}). Kernel size "
                           f"can't be greater than actual input size")
    output = tuple((p - r) // s + 1 for p, r, s in zip(padded, reach, stride))
    geometry = Geometry(spatial, output, kernel, stride, pairs, dilation, groups)
    _check_bias(bias, weight.shape[0], name)
    y = Conv.apply(x, weight, bias, geometry=geometry)
    return y if batched else y.squeeze(0)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution of input (N, C, L) with weight (O, C/groups, k); padding may be an int,
    a tuple, 'same' or 'valid'."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution of input (N, C, H, W) with weight (O, C/groups, kH, kW); padding may be
    an int, a tuple, 'same' or 'valid'."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution of input (N, C, D, H, W) with weight (O, C/groups, kD, kH, kW)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transposed(input: Tensor, weight: Tensor, bias, stride, padding, output_padding,
                     groups: int, dilation, n: int, name: str) -> Tensor:
    batched = check_rank(input, n, name)
    x = input if batched else input.unsqueeze(0)
    check_floating(name, input=input, weight=weight, bias=bias)
    _check_weight(x, weight, groups, n, name, transposed=True)
    stride = expand_param(stride, n, "stride")
    dilation = expand_param(dilation, n, "dilation")
    check_positive(name, stride=stride, dilation=dilation)
    padding = expand_param(padding, n, "padding")
    output_padding = expand_param(output_padding, n, "output_padding")
    if any(p < 0 for p in padding + output_padding):
        raise RuntimeError(f"{name}: negative padding is not supported, got padding="
                           f"{list(padding)}, output_padding={list(output_padding)}")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{name}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={list(output_padding)}, "
                           f"stride={list(stride)}, dilation={list(dilation)}")
    kernel = tuple(weight.shape[2:])
    spatial = tuple(x.shape[2:])
    output = tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1 for s, st, p, d, k, op in
                   zip(spatial, stride, padding, dilation, kernel, output_padding))
    if any(o <= 0 for o in output):
        raise RuntimeError(f"{name}: Given input size per channel: ({_sizes(spatial)}). "
                           f"Calculated output size per channel: ({_sizes(output)}). Output "
                           f"size is too small")
    # The transposed convolution is the adjoint of the convolution from `output` to `spatial`.
    geometry = Geometry(output, spatial, kernel, stride, tuple((p, p) for p in padding),
                        dilation, groups)
    y = _add_bias(ConvTranspose.apply(x, weight, geometry=geometry), bias, n, name)
    return y if batched else y.squeeze(0)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution of input (N, C, L) with weight (C, O/groups, k)."""
    return _conv_transposed(input, weight, bias, stride, padding, output_padding, groups,
                            dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution of input (N, C, H, W) with weight (C, O/groups, kH, kW)."""
    return _conv_transposed(input, weight, bias, stride, padding, output_padding, groups,
                            dilation, 2, "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution of input (N, C, D, H, W) with weight (C, O/groups, *k)."""
    return _conv_transposed(input, weight, bias, stride, padding, output_padding, groups,
                            dilation, 3, "conv_transpose3d")


# ---------------------------------------------------------------- unfold / fold


def _block_geometry(spatial: tuple, kernel_size, dilation, padding, stride, name: str):
    kernel = expand_param(kernel_size, 2, "kernel_size")
    dilation = expand_param(dilation, 2, "dilation")
    padding = expand_param(padding, 2, "padding")
    stride = expand_param(stride, 2, "stride")
    check_positive(name, kernel_size=kernel, dilation=dilation, stride=stride)
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{name}: negative padding is not supported, got {list(padding)}")
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    blocks = tuple((s + 2 * p - r) // st + 1
                   for s, p, r, st in zip(spatial, padding, reach, stride))
    if any(b <= 0 for b in blocks):
        raise RuntimeError(f"{name}: Given input with spatial size {list(spatial)}, "
                           f"kernel_size={list(kernel)}, dilation={list(dilation)}, padding="
                           f"{list(padding)}, calculated shape of the array of sliding blocks "
                           f"as {list(blocks)}, but its components must be at least one.")
    return Geometry(spatial, blocks, kernel, stride, tuple((p, p) for p in padding), dilation)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extracts sliding blocks (im2col): (N, C, H, W) -> (N, C * kH * kW, L), L the number of
    blocks."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"unfold: Expected 3D or 4D (batch mode) tensor for input, but got "
                           f"input of size: {list(input.shape)}")
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    geometry = _block_geometry(tuple(x.shape[2:]), kernel_size, dilation, padding, stride,
                               "unfold")
    y = Unfold.apply(x, geometry=geometry)
    return y if batched else y.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sums sliding blocks back into an image (col2im): (N, C * kH * kW, L) ->
    (N, C, *output_size), adding where blocks overlap."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"fold: Expected 2D or 3D (batch mode) input tensor, but got input "
                           f"of size: {list(input.shape)}")
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    output_size = expand_param(output_size, 2, "output_size")
    geometry = _block_geometry(output_size, kernel_size, dilation, padding, stride, "fold")
    kernel = _prod(geometry.kernel_size)
    if x.shape[1] % kernel:
        raise RuntimeError(f"fold: Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size={tuple(geometry.kernel_size)}")
    blocks = _prod(geometry.output_size)
    if x.shape[2] != blocks:
        raise RuntimeError(f"fold: Given output_size={tuple(output_size)}, kernel_size="
                           f"{tuple(geometry.kernel_size)}, expected size of input's dimension "
                           f"2 to match the calculated number of sliding blocks "
                           f"{_sizes(geometry.output_size).replace(' x ', ' * ')} = {blocks}, "
                           f"but got input.size(2)={x.shape[2]}.")
    y = Fold.apply(x, geometry=geometry)
    return y if batched else y.squeeze(0)
