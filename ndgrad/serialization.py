"""save and load: checkpoints in the safetensors format, written atomically; PyTorch's files.

ndgrad's own checkpoints are safetensors files. A file holds the tensors of a (nested) object as safetensors tensors and the object's structure
(dicts, lists, tuples, numbers, strings, bools, None) as JSON in the safetensors metadata,
with a SHA-256 over the structure and every tensor's name, dtype, shape and bytes, so a damaged
header is caught as surely as damaged data. A flat dict of named tensors (a state_dict) keeps its
names, so `safetensors.torch.load_file` reads it as a torch state_dict, and a file written by
torch's safetensors loads back as a dict of tensors. NumPy arrays are stored the same way and
load back as arrays.

Objects that are not such containers (a whole nn.Module, a set, an instance of your class) are
written in torch.save's zip format, and `load` reads files written by torch.save (zip and legacy
formats). Their pickles go through a restricted interpreter (`ndgrad._unpickler`) that calls
only the globals tensors need plus those allowed with `add_safe_globals`/`safe_globals`, as
PyTorch's weights_only loader does; `weights_only=False` trusts the file instead.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import uuid
from typing import Any

import numpy as np

from ndgrad import _torch_format
from ndgrad._tensor import Tensor
from ndgrad._unpickler import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "load", "safe_globals",
           "save"]

_STRUCTURE_KEY = "ndgrad.structure"
_CHECKSUM_KEY = "ndgrad.sha256"
# safetensors caps its JSON header at 100 MB; a larger declared size means a damaged file.
_MAX_HEADER = 100 * 1024 * 1024
# safetensors dtype names of the dtypes ndgrad has; others (BF16, F8_*, U16, ...) are refused.
_DTYPES = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "F32", "F64"}
# The NumPy dtypes (native byte order) of those, for arrays saved as they are.
_ARRAY_DTYPES = {np.dtype(t) for t in (np.bool_, np.uint8, np.int8, np.int16, np.int32,
                                       np.int64, np.float16, np.float32, np.float64)}


class _NotPlain(TypeError):
    """The object is more than tensors, arrays and plain values: it is written as torch.save's
    zip archive instead."""


def _safetensors():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError("ndgrad.save/load need the 'safetensors' package: "
                          "pip install safetensors") from None
    return safetensors.numpy


# ---------------------------------------------------------------- encoding the structure


def _is_state_dict(obj: Any) -> bool:
    # "__metadata__" is safetensors' own header entry, so no tensor may be named that.
    return isinstance(obj, dict) and bool(obj) and "__metadata__" not in obj and all(
        isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


def _encode(obj: Any, path: str, tensors: dict) -> Any:
    """The JSON description of `obj`; tensors and arrays are collected into `tensors` by name."""
    if isinstance(obj, Tensor):
        return {"tensor": _add(tensors, path, _contiguous(obj))}
    if type(obj) is np.ndarray and obj.dtype in _ARRAY_DTYPES:
        return {"ndarray": _add(tensors, path, _c_order(obj))}
    if obj is None or isinstance(obj, (bool, str)):
        return {"value": obj}
    if isinstance(obj, np.bool_):
        return {"value": bool(obj)}
    if isinstance(obj, (int, np.integer)):
        return {"int": int(obj)}
    if isinstance(obj, (float, np.floating)):
        return {"float": repr(float(obj))}  # repr keeps inf and nan, which JSON lacks
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, f"{path}/{i}" if path else str(i), tensors) for i, v in enumerate(obj)]
        return {"list" if isinstance(obj, list) else "tuple": items}
    if isinstance(obj, dict):
        entries = [[_encode(k, "", {}), _encode(v, f"{path}/{k}" if path else str(k), tensors)]
                   for k, v in obj.items()]
        for (key, _), original in zip(entries, obj):
            if "tensor" in key or "ndarray" in key or "list" in key or "tuple" in key:
                raise _NotPlain(f"dict key {original!r}")
        return {"dict": entries}
    raise _NotPlain(type(obj).__name__)


def _add(tensors: dict, path: str, array: np.ndarray) -> str:
    name = path or "tensor"
    while name in tensors or name == "__metadata__":
        name += "_"
    tensors[name] = array
    return name


def _decode(node: Any, tensors: dict) -> Any:
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError(f"corrupt checkpoint structure near {str(node)[:80]!r}")
    (kind, value), = node.items()
    if kind == "tensor":
        if value not in tensors:
            raise ValueError(f"corrupt checkpoint: tensor {value!r} is missing")
        return Tensor._make(tensors[value])
    if kind == "ndarray":
        if value not in tensors:
            raise ValueError(f"corrupt checkpoint: array {value!r} is missing")
        return tensors[value]
    if kind == "value":
        if value is not None and not isinstance(value, (bool, str)):
            raise ValueError(f"corrupt checkpoint: {value!r} is not a plain value")
        return value
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "list":
        return [_decode(v, tensors) for v in value]
    if kind == "tuple":
        return tuple(_decode(v, tensors) for v in value)
    if kind == "dict":
        return {_decode(k, tensors): _decode(v, tensors) for k, v in value}
    raise ValueError(f"corrupt checkpoint: unknown entry kind {kind!r}")


def _contiguous(t: Tensor) -> np.ndarray:
    return _c_order(t.detach().numpy())


def _c_order(array: np.ndarray) -> np.ndarray:
    # Not np.ascontiguousarray: it turns 0-d arrays into 1-d ones.
    return array if array.flags.c_contiguous else array.copy(order="C")


def _checksum(structure: str, tensors: dict) -> str:
    # Dtype and shape are hashed too: a flipped "F32" -> "I32" keeps the bytes but not the values.
    digest = hashlib.sha256(structure.encode())
    for name in sorted(tensors):
        array = tensors[name]
        digest.update(json.dumps([name, array.dtype.str, array.shape]).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------- save


def _serialize(obj: Any) -> bytes:
    tensors: dict = {}
    if _is_state_dict(obj):
        for name, t in obj.items():
            tensors[name] = _contiguous(t)
        structure = {"dict": [[{"value": k}, {"tensor": k}] for k in obj]}
    else:
        try:
            structure = _encode(obj, "", tensors)
        except _NotPlain:
            structure = None
        if structure is None:
            return _torch_format.write_zip(obj)
    text = json.dumps(structure)
    metadata = {_STRUCTURE_KEY: text, _CHECKSUM_KEY: _checksum(text, tensors)}
    return _safetensors().save(tensors, metadata=metadata)


def save(obj: Any, f, **unused) -> None:
    """Writes `obj` to a path or a binary file object.

    Tensors, NumPy arrays, numbers, strings, bools, None and nested dicts/lists/tuples of them
    are written as a safetensors file; any other picklable object (e.g. an nn.Module) in
    torch.save's zip format, which `load` reads back once its classes are allowed with
    `safe_globals` (or with weights_only=False).

    A path is written atomically: to a temporary file in the same folder, flushed and synced,
    then moved over the target, so an error part way leaves any previous file intact.
    """
    data = _serialize(obj)
    if not isinstance(f, (str, os.PathLike)):
        f.write(data)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        # PyTorch's error: naming the temporary file would mislead.
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    temporary = os.path.join(folder, f".ndgrad-{uuid.uuid4().hex}.tmp")
    # os.open with mode 0o666 honours the umask as open() does; tempfile.mkstemp would leave
    # the checkpoint readable by its owner only.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# ---------------------------------------------------------------- load


def _check_header(data: bytes, name: str) -> dict:
    """Parses and checks the safetensors header: sizes, offsets, dtypes. Raises ValueError."""
    if len(data) < 8:
        raise ValueError(f"{name} is not an ndgrad checkpoint: only {len(data)} bytes")
    header_size, = struct.unpack("<Q", data[:8])
    if header_size > min(_MAX_HEADER, len(data) - 8):
        raise ValueError(f"{name} is truncated or not a safetensors checkpoint (header of "
                         f"{header_size} bytes declared, file has {len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + header_size])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{name} is corrupt: unreadable header ({error})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{name} is corrupt: the header is not a JSON object")
    body = len(data) - 8 - header_size
    end = 0
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(entry, dict):
            raise ValueError(f"{name} is corrupt: tensor {key!r} has no description")
        offsets = entry.get("data_offsets")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets)):
            raise ValueError(f"{name} is corrupt: tensor {key!r} has no valid data_offsets")
        begin, stop = offsets
        if not 0 <= begin <= stop <= body:
            raise ValueError(f"{name} is truncated or corrupt: tensor {key!r} lies at bytes "
                             f"{begin}..{stop} of a {body}-byte data section")
        end = max(end, stop)
    if end != body:
        raise ValueError(f"{name} is corrupt: {body - end} bytes beyond the last tensor")
    for key, entry in header.items():
        dtype = entry.get("dtype")
        if key != "__metadata__" and (not isinstance(dtype, str) or dtype not in _DTYPES):
            raise ValueError(f"{name}: tensor {key!r} has dtype {dtype!r}, which "
                             f"ndgrad does not support (it reads {', '.join(sorted(_DTYPES))})")
    return header


def load(f, map_location=None, weights_only: bool = True, **unused) -> Any:
    """Reads what `save` or torch.save wrote (or any safetensors file) from a path or binary
    file object.

    With weights_only=True (the default) nothing from the file is executed: a pickle may name
    only tensor globals and those allowed with add_safe_globals/safe_globals, and anything else
    raises pickle.UnpicklingError naming it. A truncated or corrupt file raises ValueError;
    nothing is returned half loaded. Tensors load onto the CPU unless map_location (a device,
    a string or a dict from saved to wanted location) says otherwise.
    """
    name = repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else "the checkpoint"
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as handle:
            data = handle.read()
    else:
        data = f.read()
    try:
        header, problem = _check_header(data, name), None
    except ValueError as error:
        header, problem = None, error
    # Not safetensors: torch.save archives are zip files ('PK'), its legacy files pickles
    # (protocol 2+ starts with 0x80).
    if problem is not None and data[:2] == b"PK":
        return _torch_format.read_zip(data, name, map_location, weights_only)
    if problem is not None and data[:1] == b"\x80":
        return _torch_format.read_legacy(io.BytesIO(data), name, map_location, weights_only)
    if problem is not None:
        raise problem
    reader = _safetensors()  # outside the try: a missing package is not a corrupt file
    try:
        tensors = reader.load(data)
    except Exception as error:
        raise ValueError(f"{name} is corrupt: {error}") from None
    metadata = header.get("__metadata__") or {}
    if (_STRUCTURE_KEY in metadata) != (_CHECKSUM_KEY in metadata):
        raise ValueError(f"{name} is corrupt: its ndgrad metadata is damaged")
    if _STRUCTURE_KEY in metadata:
        result = _decode_checked(metadata[_STRUCTURE_KEY], metadata[_CHECKSUM_KEY], tensors, name)
    else:
        result = {k: Tensor._make(v) for k, v in tensors.items()}
    if map_location is not None:
        result = _move(result, map_location)
    return result


def _decode_checked(text: str, checksum: str, tensors: dict, name: str) -> Any:
    """The object described by the structure `text`, once the checksum has matched."""
    if checksum != _checksum(text, tensors):
        raise ValueError(f"{name} is corrupt: its contents do not match the checksum")
    try:
        return _decode(json.loads(text), tensors)
    except (ValueError, TypeError, RecursionError) as error:
        # Only a file crafted with a matching checksum gets here.
        raise ValueError(f"{name} is corrupt: unreadable structure ({error})") from None


def _move(obj: Any, location) -> Any:
    if isinstance(obj, Tensor):
        return obj.to(location)
    if isinstance(obj, dict):
        return {k: _move(v, location) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, location) for v in obj)
    return obj
