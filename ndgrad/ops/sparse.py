"""Sparse COO tensors: SparseCooTensor, conversions to and from dense, and the sparse @ dense
product (SciPy's CSR matrices compute it; SciPy is the optional `sparse` extra).

A sparse tensor is the triple (indices, values, size): `indices` a (ndim, nnz) int64 array
of positions, `values` a 1-D Tensor of nnz entries, which carries the autograd history. Every
differentiable sparse op is an op on `values`, so gradients reach the values (and, through
them, whatever they were computed from); the gradient of a sparse leaf is sparse, with the
leaf's indices, as in PyTorch.
"""
from __future__ import annotations

import numbers

import numpy as np

from ndgrad import _backend, _dtype
from ndgrad._creation import tensor, zeros
from ndgrad._tensor import Size, Tensor
from ndgrad._tensor_str import tensor_repr
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops import linalg
from ndgrad.ops._common import constant
from ndgrad.ops.indexing import getitem, index_add
from ndgrad.ops.inplace import index_put
from ndgrad.ops.shape import cat


class layout:
    """How a tensor's elements are stored (PyTorch's torch.layout)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ndgrad.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickles as the module-level instance


strided = layout("strided")
sparse_coo = layout("sparse_coo")

_SUPPORTED = ("shape, size(), dim(), dtype, device, layout, is_sparse, requires_grad(_), grad, "
              "grad_fn, is_leaf, detach(), clone(), to(), coalesce(), is_coalesced(), indices(), "
              "values(), _nnz(), sparse_dim(), dense_dim(), to_dense(), t(), transpose(), sum(), "
              "neg, + and - (sparse or dense), * and / (number or same-shape dense), @ / mm / "
              "matmul / spmm with a dense matrix")


def _scipy_sparse():
    try:
        import scipy.sparse
    except ImportError:
        raise ImportError("sparse tensors compute with SciPy, which is not installed: "
                          "pip install 'ndgrad[sparse]'") from None
    return scipy.sparse


class SparseCooTensor(Tensor):
    """A sparse tensor in COO layout: the values at `indices` of a tensor of `size`, every other
    element zero. Duplicate indices add up; `coalesce()` merges them and sorts the indices.

    Only what _SUPPORTED lists works on it; any other operation raises a RuntimeError that says
    so (call `to_dense()` first). Values are 1-D (no hybrid sparse-dense tensors) and on the CPU.
    """

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("make sparse tensors with ndgrad.sparse_coo_tensor(indices, values, "
                        "size) or dense.to_sparse()")

    @classmethod
    def _wrap(cls, indices: np.ndarray, values: Tensor, size: tuple,
              coalesced: bool) -> SparseCooTensor:
        t = object.__new__(cls)
        t._init_sparse(indices, values, size, coalesced)
        return t

    def _init_sparse(self, indices, values, size, coalesced) -> None:
        self._requires_grad, self._grad_fn, self._output_nr, self._vc = False, None, 0, [0]
        self._coo_indices, self._coo_values = indices, values
        self._size, self._coalesced = Size(size), coalesced

    @property
    def _data(self):
        # Every dense code path reads _data: this is where an unsupported op stops, clearly.
        raise RuntimeError(f"this operation does not support sparse COO tensors (size "
                           f"{list(self._size)}); convert with .to_dense() first. Sparse "
                           f"tensors support: {_SUPPORTED}")

    # ---- metadata ----

    @property
    def shape(self) -> Size:
        return self._size

    def size(self, dim: int | None = None):
        return self._size if dim is None else self._size[dim]

    def dim(self) -> int:
        return len(self._size)

    @property
    def ndim(self) -> int:
        return len(self._size)

    def numel(self) -> int:
        return self._size.numel()

    def __len__(self) -> int:
        return self._size[0]

    @property
    def dtype(self) -> _dtype.dtype:
        return self._coo_values.dtype

    @property
    def device(self) -> _backend.device:
        return self._coo_values.device

    def is_floating_point(self) -> bool:
        return self._coo_values.is_floating_point()

    @property
    def layout(self) -> layout:
        return sparse_coo

    @property
    def is_sparse(self) -> bool:
        return True

    def sparse_dim(self) -> int:
        return len(self._size)

    def dense_dim(self) -> int:
        return 0

    def _nnz(self) -> int:
        return self._coo_indices.shape[1]

    def is_coalesced(self) -> bool:
        return self._coalesced

    # ---- autograd state: that of the values ----

    @property
    def requires_grad(self) -> bool:
        return self._coo_values.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> SparseCooTensor:
        self._coo_values.requires_grad_(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._coo_values.grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._coo_values.is_leaf

    @property
    def grad(self) -> SparseCooTensor | None:
        """The gradient of a sparse leaf: d(loss)/d(element) at its positions, coalesced.

        Each stored value's gradient is that of its element, so duplicates share one.
        """
        grad = self._coo_values.grad
        if grad is None:
            return None
        if self._coalesced:
            return self._like(grad)
        flat = np.ravel_multi_index(tuple(self._coo_indices), self._size)
        _, first = np.unique(flat, return_index=True)
        return SparseCooTensor._wrap(self._coo_indices[:, first], getitem(grad, constant(first)),
                                     self._size, True)

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self._coo_values.grad = None
            return
        if not (isinstance(value, SparseCooTensor) and value.shape == self.shape):
            raise RuntimeError(f"the gradient of a sparse tensor of size {list(self.shape)} "
                               f"must be a sparse tensor of that size, got {_describe(value)}")
        self._coo_values.grad = getitem(value.to_dense(), tuple(self._coo_indices)).detach()

    def detach(self) -> SparseCooTensor:
        return self._like(self._coo_values.detach())

    def clone(self) -> SparseCooTensor:
        return SparseCooTensor._wrap(self._coo_indices.copy(), self._coo_values.clone(), self._size,
                                     self._coalesced)

    def to(self, *args, **kwargs) -> SparseCooTensor:
        """Converts the values' dtype; the device must be the CPU."""
        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, (str, _backend.device)):
                device = arg
            elif arg is not None:
                dtype = arg.dtype if isinstance(arg, Tensor) else arg
        if device is not None and _backend.device(device).type != "cpu":
            raise RuntimeError(f"sparse tensors live on the CPU in ndgrad, got device {device}")
        if dtype is None or _dtype.to_dtype(dtype) == self.dtype:
            return self
        return self._like(self._coo_values.to(_dtype.to_dtype(dtype)))

    def _like(self, values: Tensor) -> SparseCooTensor:
        """A sparse tensor with self's indices and size and other values."""
        return SparseCooTensor._wrap(self._coo_indices, values, self._size, self._coalesced)

    # ---- structure ----

    def indices(self) -> Tensor:
        self._require_coalesced("indices")
        return constant(self._coo_indices)

    def values(self) -> Tensor:
        """The values, sharing storage; gradients flow back to the sparse tensor."""
        self._require_coalesced("values")
        return self._coo_values[:]

    def _indices(self) -> Tensor:
        """The indices, coalesced or not."""
        return constant(self._coo_indices)

    def _values(self) -> Tensor:
        """The values, coalesced or not, sharing storage."""
        return self._coo_values[:]

    def _require_coalesced(self, what: str) -> None:
        if not self._coalesced:
            raise RuntimeError(f"Cannot get {what} on an uncoalesced tensor, please call "
                               f".coalesce() first")

    def coalesce(self) -> SparseCooTensor:
        """Duplicates summed, indices sorted (row-major); self if already coalesced."""
        if self._coalesced:
            return self
        flat = np.ravel_multi_index(tuple(self._coo_indices), self._size)
        unique, inverse = np.unique(flat, return_inverse=True)
        indices = np.stack(np.unravel_index(unique, self._size)).astype(np.int64)
        summed = index_add(zeros(len(unique), dtype=self.dtype), 0,
                           constant(inverse.reshape(-1).astype(np.int64)), self._coo_values)
        return SparseCooTensor._wrap(indices.reshape(len(self._size), -1), summed, self._size,
                                     True)

    def to_dense(self) -> Tensor:
        """The dense tensor; duplicates add up. Differentiable w.r.t. the values."""
        positions = tuple(constant(i) for i in self._coo_indices)
        return index_put(zeros(self._size, dtype=self.dtype), positions, self._coo_values,
                         accumulate=True)

    def to_sparse(self, sparse_dim: int | None = None, *, layout=None) -> SparseCooTensor:
        _check_sparse_request(self, sparse_dim, layout)
        return self

    def t(self) -> SparseCooTensor:
        if self.ndim != 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse dimensions, but self is "
                               f"{self.ndim}D")
        return self.transpose(0, 1)

    def transpose(self, dim0: int, dim1: int) -> SparseCooTensor:
        order = list(range(self.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return SparseCooTensor._wrap(self._coo_indices[order], self._coo_values,
                                     tuple(self._size[d] for d in order), False)

    def sum(self, dim=None, keepdim: bool = False, dtype=None):
        return sparse_sum(self, dim, dtype=dtype) if not keepdim else \
            self.to_dense().sum(dim, keepdim=True, dtype=dtype)

    # ---- arithmetic ----

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return add(self, -other)

    def __rsub__(self, other):
        return add(other, -self)

    def __neg__(self) -> SparseCooTensor:
        return self._like(-self._coo_values)

    def __mul__(self, other) -> SparseCooTensor:
        return self._like(self._coo_values * _at_indices(self, other, "mul"))

    __rmul__ = __mul__

    def __truediv__(self, other) -> SparseCooTensor:
        return self._like(self._coo_values / _at_indices(self, other, "div"))

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, mat2):
        return mm(self, mat2)

    def __repr__(self) -> str:
        return _sparse_repr(self)

    __format__ = object.__format__  # f"{s}" is the repr, as in PyTorch


def _at_indices(sparse: SparseCooTensor, other, op: str):
    """A number, or a same-shape dense tensor read at the sparse tensor's indices."""
    if isinstance(other, numbers.Number):
        return other
    if isinstance(other, Tensor) and not other.is_sparse and other.shape == sparse.shape:
        return getitem(other, tuple(sparse._coo_indices))
    raise RuntimeError(f"{op} of a sparse tensor of size {list(sparse.shape)} takes a number or "
                       f"a dense tensor of the same size, got {_describe(other)}")


def _describe(x) -> str:
    if isinstance(x, SparseCooTensor):
        return f"a sparse tensor of size {list(x.shape)}"
    if isinstance(x, Tensor):
        return f"a dense tensor of size {list(x.shape)}"
    return type(x).__name__


def _check_sparse_request(t: Tensor, sparse_dim, layout_) -> None:
    if layout_ not in (None, sparse_coo):
        raise NotImplementedError(f"to_sparse: only the sparse_coo layout is supported, got "
                                  f"{layout_}")
    if sparse_dim is not None and sparse_dim != t.ndim:
        raise NotImplementedError(f"to_sparse: hybrid tensors are not supported: sparse_dim "
                                  f"must be the number of dims ({t.ndim}), got {sparse_dim}")


def _sparse_repr(s: SparseCooTensor) -> str:
    """PyTorch's layout: indices, values, then size, nnz, dtype, layout and autograd state."""
    def body(t: Tensor, indent: int) -> str:
        if t.numel() == 0:
            return f"tensor([], size={tuple(t.shape)})"
        text = tensor_repr(t).replace(f", dtype={t.dtype!r}", "")
        return text.replace("\n", "\n" + " " * indent)

    fields = [f"size={tuple(s.shape)}", f"nnz={s._nnz()}"]
    if s.dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool):
        fields.append(f"dtype={s.dtype!r}")
    fields.append(f"layout={sparse_coo!r}")
    if s.grad_fn is not None:
        fields.append(f"grad_fn=<{s.grad_fn.name()}>")
    elif s.requires_grad:
        fields.append("requires_grad=True")
    return (f"tensor(indices={body(constant(s._coo_indices), 15)},\n"
            f"       values={body(s._coo_values.detach(), 14)},\n"
            f"       {', '.join(fields)})")


# ---------------------------------------------------------------- construction


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None,
                      requires_grad: bool = False, check_invariants=None,
                      is_coalesced: bool | None = None) -> SparseCooTensor:
    """A sparse COO tensor with `values[k]` at position `indices[:, k]` of a tensor of `size`
    (inferred as one past the largest index per dim when not given)."""
    index_array = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if index_array.ndim != 2 or index_array.dtype.kind not in "iu":
        raise RuntimeError(f"indices must be a 2-D integer tensor of shape (ndim, nnz), got "
                           f"shape {list(index_array.shape)} and dtype {index_array.dtype}")
    index_array = index_array.astype(np.int64)
    values = values if isinstance(values, Tensor) else tensor(values)
    if dtype is not None:
        values = values.to(_dtype.to_dtype(dtype))
    if values.ndim != 1:
        raise NotImplementedError(f"sparse_coo_tensor: values must be 1-D (hybrid sparse "
                                  f"tensors are not supported), got shape {list(values.shape)}")
    if index_array.shape[1] != values.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{index_array.shape[1]}, nnz from values: {values.shape[0]}")
    size = _checked_size(index_array, size)
    if device is not None and _backend.device(device).type != "cpu":
        raise RuntimeError(f"sparse tensors live on the CPU in ndgrad, got device {device}")
    if requires_grad:
        values = values.detach().requires_grad_(True)
    elif values.requires_grad:
        values = values[:]  # a view, not a leaf: its gradient flows to `values`
    return SparseCooTensor._wrap(index_array, values, size, bool(is_coalesced))


def _checked_size(indices: np.ndarray, size) -> tuple:
    if size is None:
        if indices.shape[1] == 0:
            raise RuntimeError("sparse_coo_tensor: the size is needed when there are no indices")
        return tuple(int(m) + 1 for m in indices.max(axis=1))
    size = tuple(int(s) for s in size)
    if len(size) != indices.shape[0]:
        raise RuntimeError(f"number of dimensions must be sparse_dim ({indices.shape[0]}) + "
                           f"dense_dim (0), but got {len(size)}")
    if indices.shape[1]:
        if indices.min() < 0:
            raise RuntimeError("found negative index in the indices of a sparse tensor")
        largest = indices.max(axis=1)
        for d, (top, extent) in enumerate(zip(largest, size)):
            if top >= extent:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                                   f"{extent} but found index {top}")
    return size


def to_sparse(input: Tensor, sparse_dim: int | None = None, *, layout=None) -> SparseCooTensor:
    """The nonzero elements of a dense tensor as a coalesced sparse COO tensor."""
    _check_sparse_request(input, sparse_dim, layout)
    if input.ndim == 0:
        raise NotImplementedError("to_sparse of a 0-d tensor is not supported")
    positions = np.nonzero(_backend.to_host(input._data))
    values = getitem(input, tuple(constant(p) for p in positions))
    indices = np.stack(positions).astype(np.int64).reshape(input.ndim, -1)
    return SparseCooTensor._wrap(indices, values, tuple(input.shape), True)


# ---------------------------------------------------------------- products


class SparseMM(ArrayFunction):
    """S @ D for S given by COO `indices` and `values` of shape `size`, and a dense matrix D."""

    @staticmethod
    def forward(ctx, values, dense, indices, size):
        ctx.save_for_backward(values, dense)
        ctx.indices, ctx.size = indices, size
        matrix = _scipy_sparse().csr_matrix((values, (indices[0], indices[1])), shape=size)
        return np.asarray(matrix @ dense, dtype=dense.dtype)

    @staticmethod
    def backward(ctx, grad):
        values, dense = ctx.saved_tensors
        rows, cols = ctx.indices
        grad_values = grad_dense = None
        if ctx.needs_input_grad[0]:
            # d(S @ D)[i, :] / dS[i, j] = D[j, :]: each stored entry meets its row and column.
            grad_values = (getitem(grad, constant(rows)) * getitem(dense, constant(cols))).sum(1)
        if ctx.needs_input_grad[1]:
            grad_dense = SparseMM.apply(values, grad, indices=ctx.indices[::-1],
                                        size=ctx.size[::-1])
        return grad_values, grad_dense


def _sparse_dense(sparse: SparseCooTensor, dense: Tensor, op: str) -> Tensor:
    if sparse.ndim != 2 or dense.ndim not in (1, 2):
        raise RuntimeError(f"{op}: a sparse matrix multiplies a dense matrix or vector, got "
                           f"sizes {list(sparse.shape)} and {list(dense.shape)}")
    if sparse.shape[1] != dense.shape[0]:
        raise RuntimeError(f"{op}: mat1 and mat2 shapes cannot be multiplied "
                           f"({sparse.shape[0]}x{sparse.shape[1]} and "
                           f"{'x'.join(str(s) for s in dense.shape)})")
    if sparse.dtype != dense.dtype:
        raise RuntimeError(f"{op}: expected both operands to have the same dtype, got "
                           f"{sparse.dtype} (sparse) and {dense.dtype} (dense)")
    matrix = dense if dense.ndim == 2 else dense.reshape(-1, 1)
    product = SparseMM.apply(sparse._coo_values, matrix, indices=sparse._coo_indices,
                             size=tuple(sparse.shape))
    return product if dense.ndim == 2 else product.reshape(-1)


def matmul(input, other) -> Tensor:
    """input @ other where either may be sparse: sparse @ dense and dense @ sparse give dense,
    sparse @ sparse gives sparse; two dense tensors go to the dense matmul."""
    input_sparse, other_sparse = (isinstance(x, SparseCooTensor) for x in (input, other))
    if input_sparse and other_sparse:
        return to_sparse(_sparse_dense(input, other.to_dense(), "matmul"))
    if input_sparse:
        return _sparse_dense(input, _dense_operand(other, "matmul"), "matmul")
    if other_sparse:
        dense = _dense_operand(input, "matmul")
        if dense.ndim == 1:
            return _sparse_dense(other.t(), dense, "matmul")
        return _sparse_dense(other.t(), dense.t(), "matmul").t()
    return linalg.matmul(input, other)


def _dense_operand(x, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): expected a Tensor to multiply a sparse tensor with, got "
                        f"{type(x).__name__}")
    return x


def mm(input, mat2) -> Tensor:
    """Matrix product where either matrix may be sparse (PyTorch's torch.mm, torch.sparse.mm)."""
    for t, name in ((input, "self"), (mat2, "mat2")):
        if isinstance(t, Tensor) and t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got a {t.ndim}-D tensor")
    return matmul(input, mat2)


def spmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Sparse (or dense) matrix times dense matrix: PyTorch's legacy name for mm."""
    return mm(input, mat2)


# ---------------------------------------------------------------- sums and additions


def add(input, other):
    """Sparse + sparse is sparse (indices concatenated, uncoalesced); dense + sparse is dense.
    sparse + dense is refused, as by PyTorch."""
    if isinstance(input, SparseCooTensor) and isinstance(other, SparseCooTensor):
        if input.shape != other.shape:
            raise RuntimeError(f"add: sparse tensors of different sizes {list(input.shape)} and "
                               f"{list(other.shape)}")
        indices = np.concatenate([input._coo_indices, other._coo_indices], axis=1)
        values = cat([input._coo_values, other._coo_values.to(input.dtype)])
        return SparseCooTensor._wrap(indices, values, input.shape, False)
    if isinstance(input, SparseCooTensor):
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
    return input + other.to_dense()


def sparse_sum(input: SparseCooTensor, dim=None, dtype=None):
    """The sum of all elements (a dense 0-d tensor), or over `dim`: sparse unless every dim is
    summed (PyTorch's torch.sparse.sum)."""
    if not isinstance(input, SparseCooTensor):
        raise RuntimeError(f"torch.sparse.sum expects a sparse tensor, got {_describe(input)}")
    if dim is None:
        return input._coo_values.sum(dtype=dtype)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    total = input.to_dense().sum(dims, dtype=dtype)
    return total if total.ndim == 0 else to_sparse(total)
