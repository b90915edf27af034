"""PyTorch's checkpoint formats, read and written without PyTorch.

torch.save writes a zip archive: `<name>/data.pkl` is a pickle (protocol 2) in which each
tensor is a call `torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks)` and each storage a persistent id `("storage", torch.FloatStorage, key,
location, numel)` whose bytes are the record `<name>/data/<key>`; `<name>/byteorder` says how
they are stored. Its legacy format (before torch 1.6) is a stream of pickles: a magic number,
a version, system information, the object, the list of storage keys, then each storage as an
8-byte element count and its bytes.

Reading runs the pickle through ndgrad's restricted interpreter (`_unpickler`), whose table of
defaults below maps the few globals a checkpoint of tensors needs onto ndgrad's own functions.
Writing (for objects that are not plain containers of tensors, e.g. a whole nn.Module) uses the
same layout, so tensors go out as PyTorch's rebuild calls and storages.
"""
from __future__ import annotations

import io
import pickle
import re
import sys
import zipfile
from collections import Counter, OrderedDict
from typing import Any

import numpy as np

from ndgrad import _backend, _dtype
from ndgrad._tensor import Size, Tensor
from ndgrad._unpickler import Unpickler

# torch's legacy storage classes, by the ndgrad dtype of their elements.
_STORAGES = {"FloatStorage": _dtype.float32, "DoubleStorage": _dtype.float64,
             "HalfStorage": _dtype.float16, "LongStorage": _dtype.int64,
             "IntStorage": _dtype.int32, "ShortStorage": _dtype.int16,
             "CharStorage": _dtype.int8, "ByteStorage": _dtype.uint8, "BoolStorage": _dtype.bool}
_STORAGE_OF = {dtype.name: name for name, dtype in _STORAGES.items()}
# ... and those of dtypes ndgrad lacks, with the dtype each holds.
_FOREIGN_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                     "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8",
                     "QUInt8Storage": "quint8", "QInt32Storage": "qint32",
                     "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}
# torch's other dtypes as pickled (str(dtype)): bfloat16, complex64, uint16, float8_e4m3fn, ...
_DTYPE_NAME = re.compile(r"(b?float|complex|q?u?int|bits)\d+\w*$")
_MAGIC_NUMBER = 0x1950a86a20f9469cfc6c
_LEGACY_VERSION = 1001


class StorageType:
    """What a storage class in a persistent id stands for: its element dtype (None: bytes)."""

    def __init__(self, dtype: _dtype.dtype | None) -> None:
        self.dtype = dtype


_UNTYPED = StorageType(None)


class _Storage:
    """A loaded storage: a flat writable array that every tensor on it is a view of."""

    def __init__(self, array: np.ndarray, device) -> None:
        self.array = array
        self.device = device


def _unsupported_dtype(name: str) -> ValueError:
    supported = ", ".join(d.name for d in _dtype._ALL)
    return ValueError(f"the checkpoint holds a {name} tensor; ndgrad has no {name} dtype "
                      f"(it has {supported}). Convert it in PyTorch first, e.g. "
                      f"tensor.float()")


# ---------------------------------------------------------------- rebuilding tensors


def _strided(storage, offset, size, stride, dtype=None) -> Tensor:
    """The tensor viewing `storage` at `offset` with `size` and `stride` (in elements), after
    checking that it lies inside the storage: a crafted file must not read other memory."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError(f"corrupt checkpoint: a tensor's storage is a "
                                     f"{type(storage).__name__}")
    array = storage.array if dtype is None else _reinterpret(storage.array, dtype)
    if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)
            and all(type(n) is int and n >= 0 for n in (offset, *size, *stride))):
        raise pickle.UnpicklingError(f"corrupt checkpoint: tensor size {size!r:.80}, stride "
                                     f"{stride!r:.80} and offset {offset!r} are not valid")
    if 0 not in size and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= len(array):
        raise pickle.UnpicklingError(f"corrupt checkpoint: a tensor of size {tuple(size)}, "
                                     f"stride {tuple(stride)} and offset {offset} reaches "
                                     f"past its storage of {len(array)} elements")
    view = np.lib.stride_tricks.as_strided(array[min(offset, len(array)):], shape=tuple(size),
                                           strides=[s * array.itemsize for s in stride])
    tensor = Tensor._make(view)
    return tensor if storage.device is None else tensor.to(storage.device)


def _reinterpret(array: np.ndarray, dtype) -> np.ndarray:
    if not isinstance(dtype, _dtype.dtype):
        raise pickle.UnpicklingError(f"corrupt checkpoint: {dtype!r} is not a dtype")
    if array.nbytes % dtype.itemsize:
        raise pickle.UnpicklingError(f"corrupt checkpoint: a storage of {array.nbytes} bytes "
                                     f"does not hold whole {dtype.name} elements")
    return array.view(dtype.numpy)


def _with_grad(tensor: Tensor, requires_grad) -> Tensor:
    if requires_grad is True:
        tensor.requires_grad_(True)
    return tensor


def rebuild_tensor(storage, storage_offset, size, stride):
    """torch._utils._rebuild_tensor (files of torch < 1.1)."""
    return _strided(storage, storage_offset, size, stride)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      metadata=None):
    """torch._utils._rebuild_tensor_v2: a tensor of a typed storage (the usual one)."""
    return _with_grad(_strided(storage, storage_offset, size, stride), requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype, metadata=None):
    """torch._utils._rebuild_tensor_v3: a tensor of a byte storage with its dtype."""
    return _with_grad(_strided(storage, storage_offset, size, stride, dtype), requires_grad)


def rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    """torch._utils._rebuild_parameter(_with_state): an nn.Parameter."""
    from ndgrad.nn.parameter import Parameter  # nn sits above serialization
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError("corrupt checkpoint: a Parameter's data is not a tensor")
    parameter = Parameter(data, requires_grad=bool(requires_grad))
    _set_state(parameter, state)
    return parameter


def rebuild_from_type_v2(func, new_type, args, state):
    """Tensor subclasses and tensors with attributes: only Tensor and Parameter are known."""
    from ndgrad.nn.parameter import Parameter
    if func not in _REBUILDS or new_type not in (Tensor, Parameter) or type(args) is not tuple:
        raise pickle.UnpicklingError(f"Weights only load failed: cannot rebuild a tensor of "
                                     f"type {new_type!r} with {func!r}")
    tensor = func(*args)
    if new_type is Parameter and not isinstance(tensor, Parameter):
        tensor = Parameter(tensor, requires_grad=tensor.requires_grad)
    _set_state(tensor, state)
    return tensor


def _set_state(tensor: Tensor, state) -> None:
    """Sets a saved tensor's extra attributes; private ones (its data, its grad) are refused."""
    if state is not None and not isinstance(state, dict):
        raise pickle.UnpicklingError("corrupt checkpoint: a tensor's state is not a dict")
    for name, value in (state or {}).items():
        if not isinstance(name, str) or name.startswith("_"):
            raise pickle.UnpicklingError(f"Weights only load failed: a tensor attribute "
                                         f"{name!r:.80} may not be set from a file")
        setattr(tensor, name, value)


def _latin1_bytes(text, encoding):
    """`_codecs.encode`, which protocol-2 pickles use for bytes, limited to that use."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("Weights only load failed: _codecs.encode is allowed "
                                     "only to make bytes from latin1 text")
    return text.encode("latin1")


_REBUILDS = (rebuild_tensor, rebuild_tensor_v2, rebuild_tensor_v3)


def _defaults_table() -> dict:
    table = {
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
        "torch.Tensor": Tensor, "torch.Size": Size, "torch.device": _backend.device,
        "torch.storage.UntypedStorage": _UNTYPED, "torch.UntypedStorage": _UNTYPED,
        "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
        "builtins.set": set, "builtins.frozenset": frozenset, "builtins.bytearray": bytearray,
        "builtins.complex": complex, "_codecs.encode": _latin1_bytes,
    }
    for dtype in _dtype._ALL:
        table[f"torch.{dtype.name}"] = dtype
    for name, dtype in _STORAGES.items():
        table[f"torch.{name}"] = StorageType(dtype)
    return table


_DEFAULTS = _defaults_table()


def default_global(full_name: str) -> Any:
    """The object a GLOBAL may name without add_safe_globals, or None."""
    module, _, name = full_name.rpartition(".")
    if full_name in _DEFAULTS:
        return _DEFAULTS[full_name]
    if module == "torch" and (name in _FOREIGN_STORAGES or _DTYPE_NAME.match(name)):
        raise _unsupported_dtype(_FOREIGN_STORAGES.get(name, name))
    return None


# ---------------------------------------------------------------- reading


def _target_device(map_location, saved: str):
    """Where a storage saved at `saved` goes: the CPU unless map_location says otherwise."""
    if isinstance(map_location, dict):
        map_location = map_location.get(saved)
    if map_location is None:
        return None
    if callable(map_location) and not isinstance(map_location, _backend.device):
        raise TypeError("ndgrad.load: map_location may be a device, a string or a dict of "
                        "them, not a function")
    target = _backend.device(map_location)
    return None if target.type == "cpu" else target


def _storage_id(pid, length: int) -> tuple:
    """Checks a persistent id ("storage", type, key, location, numel[, view]) and returns it."""
    if not (type(pid) is tuple and len(pid) == length and pid[0] in ("storage", b"storage")):
        raise pickle.UnpicklingError(f"Weights only load failed: only storages may be "
                                     f"persistent ids, got {pid!r:.80}")
    _, storage_type, key, location, numel = pid[:5]
    if not (isinstance(storage_type, StorageType) and isinstance(key, str)
            and isinstance(location, str) and type(numel) is int and numel >= 0):
        raise pickle.UnpicklingError(f"corrupt checkpoint: bad storage id {pid!r:.120}")
    return pid


class _ZipReader:
    """Loads the storages of a torch.save zip archive as its pickle asks for them."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str, map_location) -> None:
        self.archive, self.prefix, self.map_location = archive, prefix, map_location
        self.storages: dict[str, _Storage] = {}
        order = prefix + "byteorder"
        self.swap = (order in archive.namelist()
                     and archive.read(order).decode(errors="replace") != sys.byteorder)

    def persistent_load(self, pid) -> _Storage:
        _, storage_type, key, location, numel = _storage_id(pid, 5)
        dtype = np.dtype(np.uint8) if storage_type.dtype is None else storage_type.dtype.numpy
        if key not in self.storages:
            self.storages[key] = _Storage(self._read(key, dtype, numel),
                                          _target_device(self.map_location, location))
        storage = self.storages[key]
        if storage.array.dtype != dtype:
            raise pickle.UnpicklingError(f"corrupt checkpoint: storage {key} is read as both "
                                         f"{storage.array.dtype} and {dtype}")
        return storage

    def _read(self, key: str, dtype: np.dtype, numel: int) -> np.ndarray:
        name = f"{self.prefix}data/{key}"
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise pickle.UnpicklingError(f"corrupt checkpoint: record {name} is missing") from None
        # The size is checked before anything is allocated: the pickle states numel freely.
        if info.file_size != numel * dtype.itemsize:
            raise pickle.UnpicklingError(f"corrupt checkpoint: record {name} has "
                                         f"{info.file_size} bytes, its storage needs "
                                         f"{numel * dtype.itemsize}")
        array = np.empty(numel, dtype)
        with self.archive.open(info) as record:
            record.readinto(array.view(np.uint8))
        return array.byteswap(inplace=True) if self.swap else array


def _open_zip(data: bytes, name: str) -> tuple[zipfile.ZipFile, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ValueError(f"{name} is a damaged zip archive: {error}") from None
    pickles = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/data.pkl")]
    if any(n.endswith("/constants.pkl") for n in archive.namelist()):
        raise ValueError(f"{name} is a TorchScript archive (torch.jit.save); ndgrad.load "
                         "reads files written by torch.save")
    if len(pickles) != 1:
        raise ValueError(f"{name} is a zip archive but not a torch.save checkpoint "
                         f"(no single <name>/data.pkl record)")
    return archive, pickles[0][:-len("data.pkl")]


def read_zip(data: bytes, name: str, map_location, weights_only: bool) -> Any:
    """The object in a torch.save zip archive."""
    archive, prefix = _open_zip(data, name)
    reader = _ZipReader(archive, prefix, map_location)
    with archive.open(prefix + "data.pkl") as pickled:
        return _load_pickle(io.BytesIO(pickled.read()), weights_only, reader.persistent_load)


def _load_pickle(file, weights_only: bool, persistent_load) -> Any:
    if weights_only:
        return Unpickler(file, default_global, persistent_load).load()
    unpickler = _TrustingUnpickler(file)
    unpickler.persistent_load = persistent_load
    return unpickler.load()


class _TrustingUnpickler(pickle.Unpickler):
    """weights_only=False: Python's own unpickler, which imports what the file names (torch's
    tensor globals still map to ndgrad's)."""

    def find_class(self, module: str, name: str) -> Any:
        obj = default_global(f"{module}.{name}")
        return super().find_class(module, name) if obj is None else obj


def read_legacy(stream, name: str, map_location, weights_only: bool) -> Any:
    """The object in a pre-1.6 torch.save stream (see the module docstring)."""
    if _plain_pickle(stream) != _MAGIC_NUMBER:
        raise ValueError(f"{name} is a pickle, not a checkpoint ndgrad can read: ndgrad.load "
                         "reads safetensors files and files written by torch.save")
    if _plain_pickle(stream) != _LEGACY_VERSION:
        raise ValueError(f"{name} is a torch.save file of an unknown legacy version")
    system = _plain_pickle(stream)
    if not isinstance(system, dict):
        raise ValueError(f"{name} is corrupt: bad system information in its header")
    swap = system.get("little_endian", True) != (sys.byteorder == "little")
    size = len(stream.getbuffer())
    roots: dict = {}
    views: dict = {}

    def persistent_load(pid):
        _, storage_type, key, location, numel, view = _storage_id(pid, 6)
        dtype = storage_type.dtype or _dtype.uint8
        if key not in roots:
            if numel * dtype.itemsize > size:  # before allocating: numel is the file's word
                raise pickle.UnpicklingError(f"corrupt checkpoint: storage {key} of {numel} "
                                             f"elements is larger than the file")
            roots[key] = _Storage(np.empty(numel, dtype.numpy),
                                  _target_device(map_location, location))
        if view is None:
            return roots[key]
        if not (type(view) is tuple and len(view) == 3
                and all(type(n) is int and n >= 0 for n in view[1:])):
            raise pickle.UnpicklingError(f"corrupt checkpoint: bad storage view {view!r:.80}")
        view_key, offset, view_size = view
        if view_key not in views:
            views[view_key] = _Storage(roots[key].array[offset:offset + view_size],
                                       roots[key].device)
        return views[view_key]

    result = _load_pickle(stream, weights_only, persistent_load)
    keys = _plain_pickle(stream)
    if not isinstance(keys, list) or set(keys) - set(roots):
        raise ValueError(f"{name} is corrupt: its storage list does not match its tensors")
    for key in keys:
        _fill_legacy_storage(stream, roots[key].array, key, name, swap)
    return result


def _plain_pickle(stream) -> Any:
    """The next pickle of the stream, which may name no globals at all."""
    return Unpickler(stream, lambda _: None).load()


def _fill_legacy_storage(stream, array: np.ndarray, key, name: str, swap: bool) -> None:
    count = int.from_bytes(stream.read(8), "little")
    if count != array.size:
        raise ValueError(f"{name} is corrupt: storage {key} has {count} elements, "
                         f"its tensors expect {array.size}")
    if stream.readinto(array.view(np.uint8)) != array.nbytes:
        raise ValueError(f"{name} is truncated: storage {key} is incomplete")
    if swap:
        array.byteswap(inplace=True)


# ---------------------------------------------------------------- writing


class _Global:
    """A GLOBAL opcode to write for a name that need not be importable here (torch's)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __reduce__(self) -> str:
        return self.name  # sends pickle to save_global, which _Pickler overrides

    def __call__(self, *args):
        # pickle checks that a reduce function is callable; this one is only ever written.
        raise TypeError(f"{self.module}.{self.name} is a name to write, not a function")


_GLOBALS: dict = {}


def _global(module: str, name: str) -> _Global:
    # One object per name, so the pickler's memo writes each GLOBAL once.
    return _GLOBALS.setdefault((module, name), _Global(module, name))


class _StorageId:
    """A storage being written; the pickler turns it into torch's persistent id."""

    def __init__(self, key: str, flat: np.ndarray) -> None:
        self.key, self.flat = key, flat
        self.dtype = _dtype.from_numpy_dtype(flat.dtype)


class _StorageTable:
    """The storages of the tensors being written: views of one array share one storage."""

    def __init__(self) -> None:
        self.roots: dict[int, tuple[np.ndarray, _StorageId]] = {}

    def place(self, array: np.ndarray) -> tuple[_StorageId, int, tuple]:
        """(storage, offset, strides in elements) of a tensor's array."""
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        item = array.itemsize
        if not (root.dtype == array.dtype and root.flags.c_contiguous and offset % item == 0
                and all(s >= 0 and s % item == 0 for s in array.strides)):
            # Not a view torch's layout can describe (negative strides, another dtype).
            array = root = array.copy(order="C")
            offset = 0
        if id(root) not in self.roots:  # the root is kept too, so its id stays unique
            self.roots[id(root)] = root, _StorageId(str(len(self.roots)), root.reshape(-1))
        return self.roots[id(root)][1], offset // item, tuple(s // item for s in array.strides)


class _Pickler(pickle._Pickler):
    """Pickles like torch.save: tensors as rebuild calls on persistent storages, dtypes,
    devices and sizes as torch's. The pure-Python pickler is used because its save_global can
    be overridden to write torch's names, which the C pickler would try to import."""

    def __init__(self, file, storages: _StorageTable) -> None:
        super().__init__(file, protocol=2)
        self.storages = storages

    def persistent_id(self, obj) -> tuple | None:
        if type(obj) is not _StorageId:
            return None
        return ("storage", _global("torch", _STORAGE_OF[obj.dtype.name]), obj.key, "cpu",
                obj.flat.size)

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._tensor(obj)
        if isinstance(obj, _backend.device):
            return _global("torch", "device"), (str(obj),)
        if type(obj) is Size:
            return _global("torch", "Size"), (tuple(obj),)
        return NotImplemented

    def save_global(self, obj, name=None) -> None:
        if isinstance(obj, _dtype.dtype):
            module, name = "torch", obj.name
        elif isinstance(obj, _Global):
            module, name = obj.module, obj.name
        else:
            return super().save_global(obj, name)
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
        self.memoize(obj)

    def _tensor(self, tensor: Tensor):
        from ndgrad.nn.parameter import Parameter
        array = _backend.to_host(tensor.detach()._data)
        if isinstance(tensor, Parameter):
            data = Tensor._make(array)
            return (_global("torch._utils", "_rebuild_parameter"),
                    (data, tensor.requires_grad, OrderedDict()))
        storage, offset, strides = self.storages.place(array)
        return (_global("torch._utils", "_rebuild_tensor_v2"),
                (storage, offset, tuple(array.shape), strides, tensor.requires_grad,
                 OrderedDict()))


def write_zip(obj: Any) -> bytes:
    """`obj` in torch.save's zip format, as bytes."""
    storages = _StorageTable()
    pickled = io.BytesIO()
    try:
        _Pickler(pickled, storages).dump(obj)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise TypeError(f"ndgrad.save cannot store this {type(obj).__name__}: {error}") from error
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickled.getvalue())
        archive.writestr("archive/.format_version", "1")
        archive.writestr("archive/.storage_alignment", "64")
        archive.writestr("archive/byteorder", sys.byteorder)
        for _, storage in storages.roots.values():
            archive.writestr(f"archive/data/{storage.key}", storage.flat.tobytes())
        archive.writestr("archive/version", "3\n")
    return out.getvalue()
