"""Shape ops: broadcasting and its inverse, reshape/view, permute, squeeze, cat, split."""
from __future__ import annotations

import math

import numpy as np

from ndgrad import _dtype
from ndgrad._args import parse_shape
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import _dual
from ndgrad.ops._common import int_arg, normalize_dim, tensor_arg, tensor_list
from ndgrad.ops.casting import to_dtype
from ndgrad.ops.indexing import getitem
from ndgrad.ops._views import mark_view


class SumTo(ArrayFunction):
    """Sums an array down to a shape it was broadcast from: the inverse of broadcasting."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return _dual.array_sum_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return _dual.broadcast_to(grad, ctx.input_shape), None


class BroadcastTo(ArrayFunction):
    """Broadcasts an array to a larger shape (a read-only view)."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return _dual.sum_to(grad, ctx.input_shape), None


class Reshape(ArrayFunction):
    """Gives an array a new shape with the same number of elements."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape), None


class Permute(ArrayFunction):
    """Reorders the dimensions of an array."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, tuple(np.argsort(ctx.dims))), None


def sum_to(input: Tensor, shape: tuple) -> Tensor:
    """Sums `input` over the dimensions it was broadcast along, down to `shape`."""
    shape = tuple(shape)
    if input._data.shape == shape:
        return input
    return SumTo.apply(input, shape)


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sums `input` down to `size`, which `input`'s shape must broadcast from."""
    shape = parse_shape(size)
    have = input._data.shape
    lead = len(have) - len(shape)
    if lead < 0 or any(want not in (1, got) for want, got in zip(shape, have[lead:])):
        raise RuntimeError(f"size {list(shape)} is not expandable to size {list(have)}")
    return sum_to(input, shape)


def broadcast_to(input: Tensor, shape) -> Tensor:
    """Broadcasts `input` to `shape` (PyTorch's `broadcast_to`)."""
    input = tensor_arg(input, "broadcast_to")
    shape = parse_shape((shape,)) if not isinstance(shape, int) else (shape,)
    if input._data.shape == shape:
        return input
    lead = len(shape) - input._data.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({input.ndim})")
    for dim, (have, want) in enumerate(zip(input._data.shape, shape[lead:]), lead):
        if have not in (1, want):
            raise RuntimeError(f"The expanded size of the tensor ({want}) must match the "
                               f"existing size ({have}) at non-singleton dimension {dim}.  "
                               f"Target sizes: {list(shape)}.  Tensor sizes: "
                               f"{list(input.shape)}")
    if any(s < 0 for s in shape):
        raise RuntimeError(f"The expanded size of the tensor ({min(shape)}) isn't allowed in a "
                           f"leading, non-existing dimension {shape.index(min(shape))}")
    # A view, so that an in-place change of the base reaches its graph (see ops/_views.py).
    return mark_view(BroadcastTo.apply(input, shape), input, broadcast_to, shape)


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcasts `input` to `sizes`, where -1 keeps a dimension's current size."""
    input = tensor_arg(input, "expand")
    sizes = parse_shape(sizes, "expand")
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({input.ndim})")
    shape = tuple(input._data.shape[i - lead] if s == -1 and i >= lead else s
                  for i, s in enumerate(sizes))
    return broadcast_to(input, shape)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """Broadcasts `input` to the shape of `other`."""
    return broadcast_to(input, tensor_arg(other, "expand_as", "other", 2)._data.shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolves one -1 in `shape` and checks the element count, naming the sizes on error."""
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if not unknown and math.prod(shape) == numel:
        return shape  # the common case, without NumPy's per-call overhead
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if unknown and known and numel % known == 0:
        shape = shape[:unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif unknown and not known and numel == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because "
                           "the unspecified dimension size -1 can be any value and is ambiguous")
    if unknown and shape[unknown[0]] == -1 or math.prod(shape) != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape(input: Tensor, *shape) -> Tensor:
    """Returns `input` with a new shape; one size may be -1 and is then inferred.

    The result shares storage with `input` when the layout allows (a view), else it is a copy.
    """
    input = tensor_arg(input, "reshape")
    shape = _infer_shape(parse_shape(shape, "reshape", "shape"), input._data.size)
    if input._data.shape == shape:
        return input
    return mark_view(Reshape.apply(input, shape), input, reshape, shape)


def view(input: Tensor, *shape) -> Tensor:
    """Like reshape, but always shares storage: refused when that needs a copy."""
    input = tensor_arg(input, "view")
    shape = _infer_shape(parse_shape(shape, "view", "shape"), input._data.size)
    try:
        np.reshape(input._data, shape, copy=False)
    except ValueError:
        raise RuntimeError(f"view size is not compatible with input tensor's size and stride "
                           f"(at least one dimension spans across two contiguous subspaces): "
                           f"cannot view {list(input.shape)} as {list(shape)}. Use .reshape(...) "
                           "instead.") from None
    return reshape(input, shape)


def permute(input: Tensor, *dims) -> Tensor:
    """Reorders the dimensions of `input` so that output dim i is input dim `dims[i]`."""
    input = tensor_arg(input, "permute")
    ndim = input._data.ndim
    dims = parse_shape(dims, "permute", "dims")
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(normalize_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError(f"permute(): duplicate dims are not allowed: {list(dims)}")
    if dims == tuple(range(ndim)):
        return input
    return mark_view(Permute.apply(input, dims), input, permute, dims)


def transpose(input: Tensor, *dims) -> Tensor:
    """Swaps two dims (`transpose(0, 1)`); the seed's `transpose((0, 2, 1))` permutes."""
    input = tensor_arg(input, "transpose")
    if len(dims) == 2 and all(isinstance(d, (int, np.integer)) for d in dims):
        ndim = input._data.ndim
        order = list(range(ndim))
        d0, d1 = normalize_dim(dims[0], ndim), normalize_dim(dims[1], ndim)
        if ndim == 0:
            return input  # dims 0 and -1 name the scalar itself, as in PyTorch
        order[d0], order[d1] = order[d1], order[d0]
        return permute(input, tuple(order))
    if not dims or dims == (None,):
        return permute(input, tuple(reversed(range(input._data.ndim))))
    return permute(input, *dims)


def t(input: Tensor) -> Tensor:
    """Transposes a tensor of at most 2 dims."""
    input = tensor_arg(input, "t")
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    if input.ndim < 2:
        return input
    # The matrix case directly: t() is on the hot path of linear layers' backward.
    return mark_view(Permute.apply(input, (1, 0)), input, permute, (1, 0))


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Removes dims of size 1 (all of them, or those named by `dim`)."""
    input = tensor_arg(input, "squeeze")
    shape = input._data.shape
    if dim is None:
        targets = {i for i, s in enumerate(shape) if s == 1}
    else:
        dim = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
        targets = [normalize_dim(d, input.ndim) for d in dim]
        if len(set(targets)) != len(targets):
            raise RuntimeError(f"dim {targets[0]} appears multiple times in the list of dims")
        targets = {d for d in targets if input.ndim and shape[d] == 1}
    return reshape(input, tuple(s for i, s in enumerate(shape) if i not in targets))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dim of size 1 at position `dim`."""
    input = tensor_arg(input, "unsqueeze")
    dim = normalize_dim(dim, input.ndim + 1)
    shape = input._data.shape
    return reshape(input, shape[:dim] + (1,) + shape[dim:])


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dims `start_dim`..`end_dim` into one."""
    input = tensor_arg(input, "flatten")
    if input.ndim == 0:
        return reshape(input, (1,))
    start, end = normalize_dim(start_dim, input.ndim), normalize_dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    # The merged size itself, not -1, which is ambiguous when another dim is 0.
    merged = math.prod(shape[start:end + 1])
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor in row-major order (a view when the layout allows)."""
    return flatten(input)


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Splits dim `dim` into `sizes` (one of which may be -1)."""
    input = tensor_arg(input, "unflatten")
    dim = normalize_dim(dim, input.ndim)
    shape = input._data.shape
    requested = parse_shape((sizes,))
    if not requested:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(requested, shape[dim])
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(requested)} don't multiply up to "
                           f"the size of dim {dim} ({shape[dim]}) in the input tensor") from None
    return reshape(input, shape[:dim] + sizes + shape[dim + 1:])


def movedim(input: Tensor, source, destination) -> Tensor:
    """Moves dims `source` to positions `destination`, keeping the others in order."""
    input = tensor_arg(input, "movedim")
    source = (source,) if isinstance(source, int) else tuple(source)
    destination = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(source)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(destination)} dims)")
    ndim = input.ndim
    source = [normalize_dim(d, ndim) for d in source]
    destination = [normalize_dim(d, ndim) for d in destination]
    for name, dims in (("source", source), ("destination", destination)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
    rest = iter(d for d in range(ndim) if d not in source)
    placed = dict(zip(destination, source))
    return permute(input, tuple(placed[i] if i in placed else next(rest) for i in range(ndim)))


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Swaps two dims (alias of transpose)."""
    return transpose(input, axis0, axis1)


swapdims = swapaxes


def contiguous(input: Tensor) -> Tensor:
    """`input` itself when its data is laid out row-major, else a row-major copy (so that
    `view` accepts it)."""
    if input._data.flags.c_contiguous:
        return input
    return input.clone()


def mT(input: Tensor) -> Tensor:
    """Transposes the last two dims (a batch of matrices); a 0-D tensor is returned as is."""
    if input.ndim == 0:
        return input  # PyTorch's (deprecated) identity on scalars
    if input.ndim == 1:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           "Got 1-D tensor.")
    return transpose(input, -2, -1)


class Cat(ArrayFunction):
    """Joins arrays along an existing dim, skipping legacy 1-D empty ones (see `cat`)."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ndim = max(a.ndim for a in arrays)
        ctx.dim = dim
        ctx.sizes = [None if _skipped(a.shape, ndim) else a.shape[dim] for a in arrays]
        result = np.concatenate([a for a in arrays if not _skipped(a.shape, ndim)], axis=dim)
        # NumPy lays the result out like transposed inputs; PyTorch's is always contiguous,
        # so that .view() works on it.
        return result if result.flags.c_contiguous else np.ascontiguousarray(result)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad):
            if not need:
                grads.append(None)
            elif size is None:
                grads.append(reshape(narrow(grad, ctx.dim, 0, 0), (0,)))
            else:
                grads.append(narrow(grad, ctx.dim, start, size))
            start += size or 0
        return tuple(grads)


def _skipped(shape: tuple, ndim: int) -> bool:
    """PyTorch's legacy rule: a 1-D empty tensor joins tensors of any shape by being skipped."""
    return shape == (0,) and ndim != 1


def _check_same_shapes(tensors, dim: int, name: str) -> None:
    first = tensors[0]._data.shape
    for k, t in enumerate(tensors[1:], 1):
        shape = t._data.shape
        if len(shape) != len(first):
            raise RuntimeError(f"{name}(): Tensors must have same number of dimensions: got "
                               f"{len(first)} and {len(shape)}")
        for d, (a, b) in enumerate(zip(first, shape)):
            if d != dim and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {a} but got size {b} for tensor number {k} "
                                   "in the list.")


def cat(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """Joins tensors along dim `dim`; their other dims must match; dtypes are promoted."""
    tensors = tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    dim = axis if axis is not None else dim
    for k, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {k}) cannot be "
                               "concatenated")
    ndim = max(t.ndim for t in tensors)
    joined = [t for t in tensors if not _skipped(t._data.shape, ndim)]
    dim = normalize_dim(dim, ndim)
    _check_same_shapes(joined, dim, "cat")
    dtype = _dtype.result_type(*tensors)
    tensors = [to_dtype(t, dtype) for t in tensors]
    if len(tensors) == 1:
        return tensors[0].clone()
    return Cat.apply(*tensors, dim=dim)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Joins same-shaped tensors along a new dim `dim`."""
    tensors = tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for k, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t.shape)} at entry {k}")
    dim = normalize_dim(dim, len(shape) + 1)
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def hstack(tensors) -> Tensor:
    """Joins along dim 1 (dim 0 for 1-D tensors, and for scalars, taken as 1-D)."""
    tensors = tensor_list(tensors, "hstack")
    tensors = [reshape(t, (1,)) if t.ndim == 0 else t for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Joins along dim 0, treating 1-D tensors (and scalars) as rows."""
    tensors = tensor_list(tensors, "vstack")
    return cat([reshape(t, (1, -1)) if t.ndim < 2 else t for t in tensors], 0)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The slice [start, start + length) along `dim` (a view)."""
    input = tensor_arg(input, "narrow")
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = normalize_dim(dim, input.ndim)
    size = input._data.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start = start + size if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * dim + (slice(start, start + length),))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at `index` along `dim`, with that dim removed (a view)."""
    input = tensor_arg(input, "select")
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = normalize_dim(dim, input.ndim)
    index = int_arg(index, "select", "index", 2)
    size = input._data.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return getitem(input, (slice(None),) * dim + (index,))


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Views of consecutive pieces along `dim`: of equal size (the last may be smaller) or of
    the listed sizes."""
    tensor = tensor_arg(tensor, "split", "tensor")
    dim = normalize_dim(dim, tensor.ndim)
    size = tensor._data.shape[dim]
    if not isinstance(split_size_or_sections, (list, tuple)):
        step = int_arg(split_size_or_sections, "split", "split_size", 1)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={step}")
        if step == 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sections = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        sections = [int_arg(s, "split_with_sizes", "split_sizes", 1)
                    for s in split_size_or_sections]
        if any(length < 0 for length in sections):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sections}")
        if sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {dim}), but got split_sizes="
                               f"{sections}")
    pieces, start = [], 0
    for length in sections:
        pieces.append(narrow(tensor, dim, start, length))
        start += length
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Splits into `chunks` pieces of size ceil(n / chunks) (fewer if n is small)."""
    input = tensor_arg(input, "chunk")
    chunks = int_arg(chunks, "chunk", "chunks", 1)
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = input._data.shape[normalize_dim(dim, input.ndim)]
    if size == 0:
        return split(input, [0] * chunks, dim)  # PyTorch gives `chunks` empty pieces
    return split(input, -(-size // chunks), dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along `dim`, each without that dim."""
    input = tensor_arg(input, "unbind")
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = normalize_dim(dim, input.ndim)
    return tuple(select(input, dim, i) for i in range(input._data.shape[dim]))
