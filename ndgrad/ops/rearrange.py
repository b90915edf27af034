"""Ops that rearrange or replicate elements: flip, roll, repeat, tile, tril/triu, diagonal, pad."""
from __future__ import annotations

import numpy as np

from ndgrad._args import parse_shape
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import elementwise as ew
from ndgrad.ops._common import constant, dims as normalize_dims, int_arg, normalize_dim
from ndgrad.ops._views import mark_view
from ndgrad.ops.indexing import getitem
from ndgrad.ops.shape import movedim, narrow, reshape


def _c_order(a: np.ndarray) -> np.ndarray:
    """`a` in C order, as PyTorch's results of roll, repeat and tile are (NumPy keeps a
    transposed input's layout), so that a view of them works as in PyTorch.
    np.ascontiguousarray would turn a 0-d array into a 1-d one."""
    return a if a.flags.c_contiguous else a.copy(order="C")


class Flip(ArrayFunction):
    """Reverses the order of elements along `dims` (a copy, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return flip(grad, ctx.dims), None


class Roll(ArrayFunction):
    """Shifts elements cyclically by `shifts` along `dims`."""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return _c_order(np.roll(x, shifts, dims))

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.dims), None, None


class Repeat(ArrayFunction):
    """Tiles an array `reps[i]` times along each dim i (PyTorch's repeat)."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.input_shape = x.shape
        return _c_order(np.tile(x, reps))

    @staticmethod
    def backward(ctx, grad):
        # Split every dim into (copies, size) and sum over the copies.
        split_shape, copy_axes = [], []
        for i, size in enumerate(ctx.input_shape):
            copies = grad.shape[i] // size if size else 0
            split_shape += [copies, size]
            copy_axes.append(2 * i)
        if 0 in ctx.input_shape:
            return constant(np.zeros(ctx.input_shape, dtype=grad._data.dtype)), None
        return reshape(grad, tuple(split_shape)).sum(tuple(copy_axes)), None


class Diagonal(ArrayFunction):
    """The diagonal at `offset` of the planes (dim1, dim2), as the last dim (a view)."""

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.input_shape, ctx.args = x.shape, (offset, dim1, dim2)
        result = np.diagonal(x, offset, dim1, dim2)
        if x.flags.writeable:
            result.flags.writeable = True  # a view one may write through, as in PyTorch
        return result

    @staticmethod
    def backward(ctx, grad):
        return DiagonalScatter.apply(grad, ctx.input_shape, *ctx.args), None, None, None


class DiagonalScatter(ArrayFunction):
    """Zeros of `shape` with `values` written on the diagonal (offset, dim1, dim2)."""

    @staticmethod
    def forward(ctx, values, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        result = np.zeros(shape, dtype=values.dtype)
        target = np.diagonal(result, offset, dim1, dim2)
        target.flags.writeable = True
        target[...] = values
        return result

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args), None, None, None, None


def flip(input: Tensor, dims) -> Tensor:
    """Reverses the order of elements along `dims`."""
    dims = normalize_dims(dims, input.ndim) or ()
    # A scalar's dim 0 (or -1) names the scalar itself: there is nothing to reverse.
    return Flip.apply(input, dims if input.ndim else ())


def fliplr(input: Tensor) -> Tensor:
    """Reverses the columns (dim 1)."""
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Reverses the rows (dim 0)."""
    return flip(input, (0,))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shifts elements cyclically; without dims the flattened tensor is rolled."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None and len(shifts) == 1:
        return reshape(Roll.apply(reshape(input, (-1,)), shifts, (0,)), input.shape)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return Roll.apply(input, shifts, tuple(normalize_dim(d, input.ndim) for d in dims))


def repeat(input: Tensor, *sizes) -> Tensor:
    """Tiles `input` sizes[i] times along dim i; extra leading sizes add dims."""
    sizes = parse_shape(sizes, "repeat", "repeats")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: repeat sizes "
                           f"{list(sizes)} for a tensor of shape {list(input.shape)}")
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    expanded = reshape(input, (1,) * (len(sizes) - input.ndim) + input._data.shape)
    return Repeat.apply(expanded, sizes)


def tile(input: Tensor, dims) -> Tensor:
    """Like repeat, but missing leading reps count as 1 (NumPy's tile)."""
    dims = parse_shape((dims,)) if not isinstance(dims, int) else (dims,)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def _triangle_mask(shape: tuple, diagonal: int, lower: bool) -> Tensor:
    rows, cols = shape[-2], shape[-1]
    mask = np.tri(rows, cols, diagonal, dtype=bool) if lower else \
        ~np.tri(rows, cols, diagonal - 1, dtype=bool)
    return constant(mask)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements above `diagonal` zeroed)."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    diagonal = int_arg(diagonal, "tril", "diagonal", 1)
    # contiguous(): C order, as PyTorch's result (where keeps a transposed input's layout).
    return ew.where(_triangle_mask(input.shape, diagonal, True), input, 0).contiguous()


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (elements below `diagonal` zeroed)."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    diagonal = int_arg(diagonal, "triu", "diagonal", 1)
    return ew.where(_triangle_mask(input.shape, diagonal, False), input, 0).contiguous()


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes, as a new last dim (a view)."""
    offset = int_arg(offset, "diagonal", "offset", 1)
    dim1, dim2 = normalize_dim(dim1, input.ndim), normalize_dim(dim2, input.ndim)
    if dim1 == dim2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    result = Diagonal.apply(input, offset, dim1, dim2)
    return mark_view(result, input, diagonal, offset, dim1, dim2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose diagonal (at `offset`) is the last dim of `input`."""
    n = input.shape[-1] + abs(offset)
    shape = input._data.shape[:-1] + (n, n)
    dim1, dim2 = normalize_dim(dim1, len(shape)), normalize_dim(dim2, len(shape))
    if dim1 == dim2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    result = DiagonalScatter.apply(input, shape, offset, len(shape) - 2, len(shape) - 1)
    return movedim(result, (-2, -1), (dim1, dim2))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input becomes a diagonal matrix; a 2-D input gives its diagonal (a copy)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return Diagonal.apply(input, diagonal, 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


class ConstantPad(ArrayFunction):
    """Pads with a constant: `widths` is NumPy's ((before, after), ...) per dim."""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        key = tuple(slice(before, grad.shape[i] - after)
                    for i, (before, after) in enumerate(ctx.widths))
        return getitem(grad, key), None, None


_NUMPY_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last len(pad) // 2 dims: pad = (left of last dim, right of last dim, left of the
    one before, ...), as in PyTorch. Modes: constant, reflect, replicate, circular."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length must be divisible by 2 and at most twice the input's "
                           f"dims ({input.ndim}), got {len(pad)}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(b < 0 or a < 0 for b, a in widths):
        # Negative padding crops, in every mode.
        input = _crop(input, widths)
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
    if not any(before or after for before, after in widths):
        return input.clone()
    if mode == "constant":
        return ConstantPad.apply(input, tuple(widths), 0 if value is None else value)
    if mode not in _NUMPY_PAD_MODES:
        raise NotImplementedError(f"Unsupported padding mode: {mode}")
    return _pad_by_index(input, widths, _NUMPY_PAD_MODES[mode], mode)


def _crop(input: Tensor, widths) -> Tensor:
    for dim, (before, after) in enumerate(widths):
        size = input.shape[dim]
        start, stop = max(-before, 0), size - max(-after, 0)
        input = narrow(input, dim, start, stop - start)
    return input


def _pad_by_index(input: Tensor, widths, numpy_mode: str, mode: str) -> Tensor:
    """reflect/replicate/circular padding as a gather: each output element reads one input
    element, so the gradient accumulates back through indexing."""
    indices = []
    for dim, (before, after) in enumerate(widths):
        size = input.shape[dim]
        if size == 0 and (before or after):
            raise RuntimeError(f"{mode} padding of dimension {dim} of input "
                               f"{list(input.shape)}: there are no elements to pad with")
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({before}, {after}) at "
                               f"dimension {dim} of input {list(input.shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        indices.append(np.pad(np.arange(size), (before, after), mode=numpy_mode))
    return getitem(input, np.ix_(*indices))
