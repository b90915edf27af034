"""class Tensor: an n-dimensional array with dtype, device and an autograd history."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ndgrad import _backend, _dtype, _shared_memory
from ndgrad._args import (TensorBase, array_from_data, normalize_dim, parse_size, tensor_arg,
                          type_name)
from ndgrad._tensor_str import tensor_repr


class Size(tuple):
    """A tensor's shape: a tuple that prints as `ndgrad.Size([2, 3])`."""

    def __repr__(self) -> str:
        return f"ndgrad.Size({list(self)})"

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return int(np.prod(self, dtype=np.int64))


# Module-level names for the hottest constructor (Tensor._make): a global lookup, where
# `object.__new__` and `np.generic` each take two.
_new_object = object.__new__
_NUMPY_SCALAR = np.generic


class Tensor(TensorBase):
    """An n-dimensional array with autograd.

    `Tensor(data, requires_grad=False, dtype=None)` is the seed articles' constructor: data of
    any numeric type becomes the default float dtype unless `dtype` is given (as PyTorch's
    legacy `torch.Tensor(data)` does). `Tensor(2, 3)` makes an uninitialised 2x3 tensor.
    Prefer `ndgrad.tensor(data)`, which keeps the data's dtype.
    """

    # The hot fields are slots; rarely set ones live in __dict__ (created only when first set)
    # with the class defaults below, so making a tensor sets five fields (see benchmarks/).
    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_vc", "__dict__",
                 "__weakref__")
    _grad = None
    _hooks = None
    _post_accumulate_hooks = None
    # How many post-accumulate-grad hooks exist: backward tracks when each leaf is complete
    # only while there are some (see _EarlyLeaves in autograd/engine.py).
    _post_accumulate_hooks_live = 0
    _retains_grad = False
    _view = None
    # Lets NumPy defer to Tensor in `ndarray + tensor` instead of making an object array.
    __array_ufunc__ = None

    def __init__(self, data: Any = None, *sizes, requires_grad: bool = False, dtype=None) -> None:
        if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
            array = np.empty(parse_size((data,) + sizes), dtype=_dtype.to_dtype(
                dtype or _dtype.get_default_dtype()).numpy)
        else:
            if sizes:
                raise TypeError("Tensor(data, ...) takes sizes only as ints")
            array = array_from_data([] if data is None else data, dtype)
            if dtype is None:
                array = array.astype(_dtype.get_default_dtype().numpy, copy=False)
            if isinstance(data, Tensor):
                array = array.copy()
        self._init(array, False, None, 0)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, array, requires_grad: bool, grad_fn, output_nr: int) -> None:
        self._data = array
        self._requires_grad = requires_grad
        self._grad_fn = grad_fn
        self._output_nr = output_nr
        self._vc = [0]

    @classmethod
    def _make(cls, array, requires_grad: bool = False, grad_fn=None, output_nr: int = 0):
        """Wraps an array without validation: the internal fast path for op results."""
        if isinstance(array, _NUMPY_SCALAR):
            array = np.asarray(array)  # NumPy gives scalars for 0-d results; keep arrays
        t = _new_object(Tensor)
        t._data = array
        t._requires_grad = requires_grad
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        t._vc = [0]
        return t

    # ---- metadata ----

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the size of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[normalize_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _backend.device:
        return _backend.device_of(self._data)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    def nelement(self) -> int:
        """The number of elements (alias of numel)."""
        return self._data.size

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        """True for float16/32/64 tensors."""
        return self._data.dtype.kind == "f"

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def layout(self):
        """ndgrad.strided: a dense tensor (sparse ones have ndgrad.sparse_coo)."""
        return _sparse.strided

    @property
    def _version(self) -> int:
        return self._vc[0]

    # ---- autograd state ----

    @property
    def requires_grad(self) -> bool:
        if self._view is not None:
            _views.refresh(self)  # an in-place change to its base may have given it a history
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if type(value) is not bool:
            raise RuntimeError("requires_grad must be a bool")
        self.requires_grad_(value)

    @property
    def grad_fn(self):
        """The graph node that computed this tensor; None for a leaf.

        A view's node is rebuilt from its base when the base changed in place since, as in
        PyTorch, so `view.backward()` and hooks on the view see the base's new history.
        """
        if self._view is not None:
            _views.refresh(self)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node) -> None:
        self._grad_fn = node

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Sets whether autograd records operations on this leaf tensor; returns self."""
        if type(requires_grad) is not bool:
            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type_name(requires_grad)}")
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            # The seed articles' behaviour: integer data that asks for grad becomes float.
            self._data = self._data.astype(_dtype.get_default_dtype().numpy)
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward() (None until then)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value.shape)}' to a tensor of size "
                                   f"'{list(self.shape)}'. Please ensure that the gradient and "
                                   "the tensor are the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"'{value.dtype.name}' to a tensor with dtype "
                                   f"'{self.dtype.name}'. The gradient must match the tensor's "
                                   "dtype")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same storage as a tensor outside the graph (changes to it go unrecorded)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        if self._requires_grad and value._data.dtype.kind != "f":
            raise RuntimeError(f"data set to a tensor that requires gradients must be floating "
                               f"point or complex dtype, got {value.dtype.name}")
        self._data = value._data

    def detach(self) -> Tensor:
        """A tensor sharing this one's storage, outside the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        """Removes this tensor from the graph in place, making it a leaf."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Makes a non-leaf tensor keep its .grad after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            self._output_hook_list()

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Registers `hook(grad) -> Tensor or None`, called with this tensor's gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._output_hook_list() if self.grad_fn is not None else self._leaf_hook_list()
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Registers `hook(tensor) -> None`, called on this leaf once backward has accumulated
        its gradient into .grad (as soon as its last contribution arrives)."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        Tensor._post_accumulate_hooks_live += 1
        return _PostAccumulateHandle(self._post_accumulate_hooks, hook)

    def _leaf_hook_list(self) -> list:
        if self._hooks is None:
            self._hooks = []
        return self._hooks

    def _output_hook_list(self) -> list:
        import weakref
        node = self.grad_fn
        if node._output_hooks is None:
            node._output_hooks = {}
        entry = node._output_hooks.setdefault(self._output_nr, (weakref.ref(self), []))
        return entry[1]

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulates the gradient of this tensor into the .grad of the leaves it came from."""
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ---- conversions ----

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory (refused if the tensor requires grad)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return _backend.to_host(self._data)

    def __array__(self, dtype=None, copy=None):
        # np.array(t) asks for copy=True and must not share memory; np.asarray(t) shares.
        array = _backend.to_host(self._data)
        if dtype is not None:
            return array.astype(dtype, copy=bool(copy))
        return array.copy() if copy else array

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.item()

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return _backend.to_host(self._data).tolist()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            count = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {count} is ambiguous")
        return bool(self._data.item())

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.item()

    def __format__(self, format_spec: str) -> str:
        # As PyTorch: a 0-d tensor formats as its number, so f"{loss:.4f}" works.
        if self._data.ndim == 0:
            return format(self._data.item(), format_spec)
        return object.__format__(self, format_spec)

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.item())

    __hash__ = object.__hash__  # by identity (== is elementwise), and in C: optimizers use it

    def __repr__(self) -> str:
        return tensor_repr(self)

    def to(self, *args, **kwargs) -> Tensor:
        """Converts to a dtype and/or device: `to(dtype)`, `to('cpu')`, `to(other_tensor)`."""
        dtype, device = _parse_to(args, kwargs)
        result = self
        if dtype is not None and dtype.numpy != self._data.dtype:
            result = _ew.to_dtype(result, dtype)
        if device is not None and device != result.device:
            result = _ew.to_device(result, device)
        return result

    def type(self, dtype=None):
        """The legacy type name ('ndgrad.FloatTensor') with no argument, else a converted copy.

        `dtype` may be a dtype or a legacy name, 'ndgrad.IntTensor' or 'torch.IntTensor'.
        """
        if dtype is None:
            return f"ndgrad.{_TYPE_NAMES[self.dtype]}"
        if isinstance(getattr(dtype, "dtype", None), _dtype.dtype):
            dtype = dtype.dtype  # a legacy type such as ndgrad.LongTensor
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            name = dtype.rpartition(".")[2]
            matches = [d for d, type_name in _TYPE_NAMES.items() if type_name == name]
            if not matches:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = matches[0]
        elif isinstance(dtype, str):
            raise ValueError(f"invalid type: '{dtype}'")
        return self.to(_dtype.to_dtype(dtype))

    def float(self) -> Tensor:
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        return self.to(_dtype.float64)

    def half(self) -> Tensor:
        return self.to(_dtype.float16)

    def long(self) -> Tensor:
        return self.to(_dtype.int64)

    def int(self) -> Tensor:
        return self.to(_dtype.int32)

    def short(self) -> Tensor:
        return self.to(_dtype.int16)

    def bool(self) -> Tensor:
        return self.to(_dtype.bool)

    def byte(self) -> Tensor:
        return self.to(_dtype.uint8)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def to_sparse(self, sparse_dim=None, *, layout=None):
        """The nonzero elements as a sparse COO tensor (see ndgrad/ops/sparse.py)."""
        return _sparse.to_sparse(self, sparse_dim, layout=layout)

    def to_dense(self) -> Tensor:
        """Self: a dense tensor is already dense."""
        return self

    def share_memory_(self) -> Tensor:
        """Moves the data into memory that other processes can map (see ndgrad.multiprocessing);
        a no-op if it is there already or on the GPU. Unlike PyTorch, views made before the
        move keep the old memory."""
        if self.device.type == "cpu" and _shared_memory.segment_of(self._data) is None:
            self._data = _shared_memory.copy_to_shared(self._data)
        return self

    def is_shared(self) -> bool:
        """True if the data is in shared memory (share_memory_, or received as shared)."""
        return _shared_memory.segment_of(self._data) is not None

    def clone(self) -> Tensor:
        """A differentiable copy with its own storage."""
        return _ew.clone(self)

    def contiguous(self) -> Tensor:
        """Self if its data is laid out row-major, else a row-major copy."""
        return _shape.contiguous(self)

    def is_contiguous(self) -> bool:
        """True if the data is laid out row-major (C order)."""
        return bool(self._data.flags.c_contiguous)

    # ---- the seed articles' classmethod constructors ----

    @classmethod
    def zeros(cls, *shape, dtype=None, **kwargs) -> Tensor:
        return _creation.zeros(*shape, dtype=dtype, **kwargs)

    @classmethod
    def ones(cls, *shape, dtype=None, **kwargs) -> Tensor:
        return _creation.ones(*shape, dtype=dtype, **kwargs)

    @classmethod
    def empty(cls, *shape, dtype=None, **kwargs) -> Tensor:
        return _creation.empty(*shape, dtype=dtype, **kwargs)

    @classmethod
    def ones_like(cls, t: Tensor, dtype=None, **kwargs) -> Tensor:
        return _creation.ones_like(t, dtype=dtype, **kwargs)

    @classmethod
    def zeros_like(cls, t: Tensor, dtype=None, **kwargs) -> Tensor:
        return _creation.zeros_like(t, dtype=dtype, **kwargs)

    # ---- new tensors with this one's dtype and device unless given (PyTorch's new_*) ----

    def _new_options(self, dtype, device, requires_grad: bool) -> dict:
        return dict(dtype=self.dtype if dtype is None else dtype,
                    device=self.device if device is None else device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _creation.zeros(*size, **self._new_options(dtype, device, requires_grad))

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _creation.ones(*size, **self._new_options(dtype, device, requires_grad))

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _creation.empty(*size, **self._new_options(dtype, device, requires_grad))

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return _creation.full(size, fill_value, **self._new_options(dtype, device, requires_grad))

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _creation.tensor(data, **self._new_options(dtype, device, requires_grad))

    # ---- math: each method calls the op function of the same name ----

    def __add__(self, other):
        return _ew.add(self, other)

    def __radd__(self, other):
        return _ew.add(other, self)

    def __sub__(self, other):
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.sub(other, self)

    def __mul__(self, other):
        return _ew.mul(self, other)

    def __rmul__(self, other):
        return _ew.mul(other, self)

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.div(other, self)

    def __floordiv__(self, other):
        return _ew.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ew.floor_divide(other, self)

    def __mod__(self, other):
        return _ew.remainder(self, other)

    def __rmod__(self, other):
        return _ew.remainder(other, self)

    def __pow__(self, exponent):
        return _ew.pow(self, exponent)

    def __rpow__(self, base):
        return _ew.pow(base, self)

    def __neg__(self):
        return _ew.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ew.abs(self)

    def __invert__(self):
        return _ew.bitwise_not(self)

    def __and__(self, other):
        return _ew.bitwise_and(self, other)

    def __rand__(self, other):
        return _ew.bitwise_and(other, self)

    def __or__(self, other):
        return _ew.bitwise_or(self, other)

    def __ror__(self, other):
        return _ew.bitwise_or(other, self)

    def __xor__(self, other):
        return _ew.bitwise_xor(self, other)

    def __rxor__(self, other):
        return _ew.bitwise_xor(other, self)

    def __eq__(self, other):
        other = _equality_operand(other)
        if other is None:
            return NotImplemented  # so x == "a" is False and x != None True, as in PyTorch
        return _ew.eq(self, other)

    def __ne__(self, other):
        other = _equality_operand(other)
        if other is None:
            return NotImplemented
        return _ew.ne(self, other)

    def __lt__(self, other):
        return _ew.lt(self, other)

    def __le__(self, other):
        return _ew.le(self, other)

    def __gt__(self, other):
        return _ew.gt(self, other)

    def __ge__(self, other):
        return _ew.ge(self, other)

    def __getitem__(self, key):
        return _indexing.getitem(self, key)

    def __setitem__(self, key, value):
        _inplace.setitem(self, key, value)

    def _refresh_view(self) -> None:
        _views.refresh(self)

    # ---- in-place: each changes this tensor's storage and bumps its version ----

    def __iadd__(self, other):
        return _inplace.add_(self, other)

    def __isub__(self, other):
        return _inplace.sub_(self, other)

    def __imul__(self, other):
        return _inplace.mul_(self, other)

    def __itruediv__(self, other):
        return _inplace.div_(self, other)

    def __ipow__(self, exponent):
        return _inplace.pow_(self, exponent)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def add_(self, other, *, alpha=1):
        return _inplace.add_(self, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return _inplace.sub_(self, other, alpha=alpha)

    def mul_(self, other):
        return _inplace.mul_(self, other)

    def div_(self, other, *, rounding_mode=None):
        return _inplace.div_(self, other, rounding_mode=rounding_mode)

    def pow_(self, exponent):
        return _inplace.pow_(self, exponent)

    def floor_divide_(self, other):
        return _inplace.binary_(self, "floor_divide_", _ew.floor_divide, other)

    def remainder_(self, other):
        return _inplace.binary_(self, "remainder_", _ew.remainder, other)

    def fmod_(self, other):
        return _inplace.binary_(self, "fmod_", _ew.fmod, other)

    def atan2_(self, other):
        return _inplace.binary_(self, "atan2_", _ew.atan2, other)

    def bitwise_and_(self, other):
        return _inplace.binary_(self, "bitwise_and_", _ew.bitwise_and, other)

    def bitwise_or_(self, other):
        return _inplace.binary_(self, "bitwise_or_", _ew.bitwise_or, other)

    def bitwise_xor_(self, other):
        return _inplace.binary_(self, "bitwise_xor_", _ew.bitwise_xor, other)

    def neg_(self):
        return _inplace.neg_(self)

    def clamp_(self, min=None, max=None):
        return _inplace.clamp_(self, min, max)

    clip_ = clamp_

    def zero_(self):
        return _inplace.zero_(self)

    def fill_(self, value):
        return _inplace.fill_(self, value)

    def copy_(self, src, non_blocking=False):
        return _inplace.copy_(self, src)

    def masked_fill_(self, mask, value):
        return _inplace.masked_fill_(self, mask, value)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        return _inplace.uniform_(self, a, b, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _inplace.normal_(self, mean, std, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        return _random.bernoulli(self, p, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return _random.bernoulli_(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _random.multinomial(self, num_samples, replacement, generator=generator)

    def random_(self, *args, generator=None, **kwargs):
        return _random.random_(self, *args, generator=generator, **kwargs)

    def exponential_(self, lambd=1.0, *, generator=None):
        return _random.exponential_(self, lambd, generator=generator)

    def geometric_(self, p, *, generator=None):
        return _random.geometric_(self, p, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return _random.log_normal_(self, mean, std, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return _random.cauchy_(self, median, sigma, generator=generator)

    def index_add_(self, dim, index, source, *, alpha=1):
        return _inplace.index_add_(self, dim, index, source, alpha=alpha)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _inplace.scatter_(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim, index, src):
        return _inplace.scatter_add_(self, dim, index, src)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _scatter.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def index_put_(self, indices, values, accumulate=False):
        return _inplace.index_put_(self, indices, values, accumulate)

    def index_put(self, indices, values, accumulate=False):
        return _inplace.index_put(self, indices, values, accumulate)

    def index_fill_(self, dim, index, value):
        return _inplace.index_fill_(self, dim, index, value)

    def index_fill(self, dim, index, value):
        return _inplace.index_fill(self, dim, index, value)

    def index_copy_(self, dim, index, source):
        return _inplace.index_copy_(self, dim, index, source)

    def index_copy(self, dim, index, source):
        return _inplace.index_copy(self, dim, index, source)

    def masked_scatter_(self, mask, source):
        return _inplace.masked_scatter_(self, mask, source)

    def masked_scatter(self, mask, source):
        return _inplace.masked_scatter(self, mask, source)

    def put_(self, index, source, accumulate=False):
        return _inplace.put_(self, index, source, accumulate)

    def put(self, index, source, accumulate=False):
        return _inplace.put(self, index, source, accumulate)

    def exp_(self):
        return _inplace.unary_(self, "exp_", _ew.exp)

    def sqrt_(self):
        return _inplace.unary_(self, "sqrt_", _ew.sqrt)

    def abs_(self):
        return _inplace.unary_(self, "abs_", _ew.abs)

    def relu_(self):
        return _inplace.unary_(self, "relu_", _ew.relu)

    def sigmoid_(self):
        return _inplace.unary_(self, "sigmoid_", _ew.sigmoid)

    def tanh_(self):
        return _inplace.unary_(self, "tanh_", _ew.tanh)

    def add(self, other, *, alpha=1):
        return _ew.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _ew.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _ew.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return _ew.div(self, other, rounding_mode=rounding_mode)

    def floor_divide(self, other):
        return _ew.floor_divide(self, other)

    def remainder(self, other):
        return _ew.remainder(self, other)

    def fmod(self, other):
        return _ew.fmod(self, other)

    def pow(self, exponent):
        return _ew.pow(self, exponent)

    def float_power(self, exponent):
        return _ew.float_power(self, exponent)

    def atan2(self, other):
        return _ew.atan2(self, other)

    def hypot(self, other):
        return _ew.hypot(self, other)

    def logaddexp(self, other):
        return _ew.logaddexp(self, other)

    def logaddexp2(self, other):
        return _ew.logaddexp2(self, other)

    def maximum(self, other):
        return _ew.maximum(self, other)

    def minimum(self, other):
        return _ew.minimum(self, other)

    def where(self, condition, other):
        return _ew.where(condition, self, other)

    def lerp(self, end, weight):
        return _ew.lerp(self, end, weight)

    def neg(self):
        return _ew.neg(self)

    def abs(self):
        return _ew.abs(self)

    def exp(self):
        return _ew.exp(self)

    def exp2(self):
        return _ew.exp2(self)

    def expm1(self):
        return _ew.expm1(self)

    def log(self):
        return _ew.log(self)

    def log2(self):
        return _ew.log2(self)

    def log10(self):
        return _ew.log10(self)

    def log1p(self):
        return _ew.log1p(self)

    def sqrt(self):
        return _ew.sqrt(self)

    def rsqrt(self):
        return _ew.rsqrt(self)

    def square(self):
        return _ew.square(self)

    def reciprocal(self):
        return _ew.reciprocal(self)

    def sin(self):
        return _ew.sin(self)

    def cos(self):
        return _ew.cos(self)

    def tan(self):
        return _ew.tan(self)

    def asin(self):
        return _ew.asin(self)

    def acos(self):
        return _ew.acos(self)

    def atan(self):
        return _ew.atan(self)

    def sinh(self):
        return _ew.sinh(self)

    def cosh(self):
        return _ew.cosh(self)

    def tanh(self):
        return _ew.tanh(self)

    def sigmoid(self):
        return _ew.sigmoid(self)

    def relu(self):
        return _ew.relu(self)

    def erf(self):
        return _ew.erf(self)

    def sign(self):
        return _ew.sign(self)

    def floor(self):
        return _ew.floor(self)

    def ceil(self):
        return _ew.ceil(self)

    def round(self, *, decimals=0):
        return _ew.round(self, decimals=decimals)

    def trunc(self):
        return _ew.trunc(self)

    def frac(self):
        return _ew.frac(self)

    def clamp(self, min=None, max=None):
        return _ew.clamp(self, min, max)

    clip = clamp

    def eq(self, other):
        return _ew.eq(self, other)

    def ne(self, other):
        return _ew.ne(self, other)

    def lt(self, other):
        return _ew.lt(self, other)

    def le(self, other):
        return _ew.le(self, other)

    def gt(self, other):
        return _ew.gt(self, other)

    def ge(self, other):
        return _ew.ge(self, other)

    def logical_and(self, other):
        return _ew.logical_and(self, other)

    def logical_or(self, other):
        return _ew.logical_or(self, other)

    def logical_xor(self, other):
        return _ew.logical_xor(self, other)

    def logical_not(self):
        return _ew.logical_not(self)

    def isnan(self):
        return _ew.isnan(self)

    def isinf(self):
        return _ew.isinf(self)

    def isfinite(self):
        return _ew.isfinite(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ew.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ew.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return _ew.equal(self, other)

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return _reduction.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return _reduction.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return _reduction.prod(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def aminmax(self, *, dim=None, keepdim=False):
        return _reduction.aminmax(self, dim=dim, keepdim=keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _reduction.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _reduction.nanmean(self, dim, keepdim, dtype=dtype)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        return _reduction.var(self, dim, unbiased, keepdim, correction=correction, axis=axis,
                              keepdims=keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        return _reduction.std(self, dim, unbiased, keepdim, correction=correction, axis=axis,
                              keepdims=keepdims)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.logsumexp(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def softmax(self, dim=None, dtype=None):
        return _fused.softmax(self, dim, dtype)

    def log_softmax(self, dim=None, dtype=None):
        return _fused.log_softmax(self, dim, dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _reduction.norm(self, p, dim, keepdim, dtype)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def matmul(self, other):
        return _linalg.matmul(self, other)

    def mm(self, mat2):
        return _linalg.mm(self, mat2)

    def bmm(self, mat2):
        return _linalg.bmm(self, mat2)

    def mv(self, vec):
        return _linalg.mv(self, vec)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _linalg.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def dot(self, other):
        return _linalg.dot(self, other)

    def vdot(self, other):
        return _linalg.vdot(self, other)

    def outer(self, vec2):
        return _linalg.outer(self, vec2)

    def ger(self, vec2):
        return _linalg.ger(self, vec2)

    def inner(self, other):
        return _linalg.inner(self, other)

    def cross(self, other, dim=None):
        return _linalg.cross_legacy(self, other, dim)

    def det(self):
        return _linalg.det(self)

    def logdet(self):
        return _linalg.logdet(self)

    def slogdet(self):
        return _linalg.slogdet(self)

    def inverse(self):
        return _linalg.inverse(self)

    def pinverse(self, rcond=1e-15):
        return _linalg.pinverse(self, rcond)

    def cholesky(self, upper=False):
        return _linalg.cholesky_legacy(self, upper)

    def qr(self, some=True):
        return _linalg.qr_legacy(self, some)

    def svd(self, some=True, compute_uv=True):
        return _linalg.svd_legacy(self, some, compute_uv)

    def matrix_power(self, n):
        return _linalg.matrix_power(self, n)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _reduction.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def cumsum(self, dim=None, *, dtype=None, axis=None):
        return _reduction.cumsum(self, dim, dtype=dtype, axis=axis)

    def cumprod(self, dim=None, *, dtype=None, axis=None):
        return _reduction.cumprod(self, dim, dtype=dtype, axis=axis)

    def count_nonzero(self, dim=None, *, axis=None):
        return _reduction.count_nonzero(self, dim, axis=axis)

    def reshape(self, *shape):
        return _shape.reshape(self, *shape)

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, Size)):
            return self.to(shape[0])  # view(dtype) reinterprets in PyTorch; here it converts
        return _shape.view(self, *shape)

    def view_as(self, other):
        return _shape.view(self, tensor_arg(other, "view_as", "other").shape)

    def reshape_as(self, other):
        return _shape.reshape(self, tensor_arg(other, "reshape_as", "other").shape)

    def expand(self, *sizes):
        return _shape.expand(self, *sizes)

    def expand_as(self, other):
        return _shape.expand_as(self, other)

    def broadcast_to(self, shape):
        return _shape.broadcast_to(self, shape)

    def sum_to_size(self, *size):
        return _shape.sum_to_size(self, *size)

    def permute(self, *dims):
        return _shape.permute(self, *dims)

    def transpose(self, *dims):
        return _shape.transpose(self, *dims)

    def t(self):
        return _shape.t(self)

    @property
    def T(self):
        return _shape.transpose(self)

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _shape.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return _shape.flatten(self, start_dim, end_dim)

    def ravel(self):
        return _shape.ravel(self)

    def take_along_dim(self, indices, dim=None):
        return _indexing.take_along_dim(self, indices, dim)

    def unflatten(self, dim, sizes):
        return _shape.unflatten(self, dim, sizes)

    def movedim(self, source, destination):
        return _shape.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        return _shape.swapaxes(self, axis0, axis1)

    swapdims = swapaxes

    @property
    def mT(self):
        return _shape.mT(self)

    def narrow(self, dim, start, length):
        return _shape.narrow(self, dim, start, length)

    def select(self, dim, index):
        return _shape.select(self, dim, index)

    def split(self, split_size, dim=0):
        return _shape.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _shape.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _shape.unbind(self, dim)

    def flip(self, *dims):
        return _rearrange.flip(self, dims[0] if len(dims) == 1 else dims)

    def fliplr(self):
        return _rearrange.fliplr(self)

    def flipud(self):
        return _rearrange.flipud(self)

    def roll(self, shifts, dims=None):
        return _rearrange.roll(self, shifts, dims)

    def repeat(self, *sizes):
        return _rearrange.repeat(self, *sizes)

    def tile(self, *dims):
        return _rearrange.tile(self, dims[0] if len(dims) == 1 else dims)

    def tril(self, diagonal=0):
        return _rearrange.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _rearrange.triu(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _rearrange.diagonal(self, offset, dim1, dim2)

    def diag(self, diagonal=0):
        return _rearrange.diag(self, diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _rearrange.diag_embed(self, offset, dim1, dim2)

    def gather(self, dim, index, *, sparse_grad=False):
        return _indexing.gather(self, dim, index, sparse_grad=sparse_grad)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _indexing.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return _indexing.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return _indexing.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return _indexing.index_add(self, dim, index, source, alpha=alpha)

    def masked_fill(self, mask, value):
        return _indexing.masked_fill(self, mask, value)

    def masked_select(self, mask):
        return _indexing.masked_select(self, mask)

    def take(self, index):
        return _indexing.take(self, index)

    def nonzero(self, *, as_tuple=False):
        return _indexing.nonzero(self, as_tuple=as_tuple)

    def sort(self, dim=-1, descending=False, stable=False):
        return _sorting.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _sorting.argsort(self, dim, descending, stable)

    def msort(self):
        return _sorting.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _sorting.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _sorting.kthvalue(self, k, dim, keepdim, axis=axis, keepdims=keepdims)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _sorting.unique(self, sorted, return_inverse, return_counts, dim)


# The legacy tensor type names that Tensor.type() prints and accepts.
_TYPE_NAMES = {_dtype.float16: "HalfTensor", _dtype.float32: "FloatTensor",
               _dtype.float64: "DoubleTensor", _dtype.int8: "CharTensor",
               _dtype.int16: "ShortTensor", _dtype.int32: "IntTensor", _dtype.int64: "LongTensor",
               _dtype.uint8: "ByteTensor", _dtype.bool: "BoolTensor"}


def _equality_operand(other):
    """What == and != compare `other` as elementwise, or None where Python compares identities.

    Lists and tuples become tensors, as in the seed articles (`z.data == [9]`); PyTorch
    compares them by identity.
    """
    if isinstance(other, (list, tuple)):
        return _creation.tensor(other)
    if isinstance(other, (Tensor, numbers.Number, np.ndarray, np.bool_)):
        return other
    return None


def _parse_to(args: tuple, kwargs: dict):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, (str, _backend.device)):
            device = arg
        elif arg is not None:
            dtype = arg
    return (None if dtype is None else _dtype.to_dtype(dtype),
            None if device is None else _backend.device(device))


class _RemovableHandle:
    """Returned by register_hook; `remove()` unregisters the hook."""

    def __init__(self, hooks: list, hook) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class _PostAccumulateHandle(_RemovableHandle):
    """Returned by register_post_accumulate_grad_hook; also keeps the count of live hooks."""

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
            Tensor._post_accumulate_hooks_live -= 1


# Tensor methods call the ops; the ops need Tensor. This is the one place the cycle is broken:
# these modules are imported after Tensor exists, and the methods look them up at call time.
from ndgrad import _creation  # noqa: E402
from ndgrad import _random  # noqa: E402
from ndgrad import autograd as _autograd  # noqa: E402
from ndgrad.ops import elementwise as _ew  # noqa: E402
from ndgrad.ops import fused as _fused  # noqa: E402
from ndgrad.ops import _views  # noqa: E402
from ndgrad.ops import indexing as _indexing  # noqa: E402
from ndgrad.ops import inplace as _inplace  # noqa: E402
from ndgrad.ops import linalg as _linalg  # noqa: E402
from ndgrad.ops import rearrange as _rearrange  # noqa: E402
from ndgrad.ops import scatter as _scatter  # noqa: E402
from ndgrad.ops import reduction as _reduction  # noqa: E402
from ndgrad.ops import sorting as _sorting  # noqa: E402
from ndgrad.ops import sparse as _sparse  # noqa: E402
from ndgrad.ops import shape as _shape  # noqa: E402
