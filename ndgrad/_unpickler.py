"""A restricted unpickler: runs a pickle's opcodes itself and calls only allowed globals.

Used by ndgrad.load for files written by torch.save (and by ndgrad.save for whole objects).
The opcodes are parsed by `pickletools.genops`, which only decodes them, and interpreted here:
a GLOBAL resolves only to an object in the caller's table of defaults or in the user's safe
globals (`add_safe_globals`), REDUCE and NEWOBJ call only such objects, and BUILD, APPEND and
SETITEM act only on the types PyTorch's weights_only loader allows. Nothing is imported and no
other code runs, so a malicious file fails with pickle.UnpicklingError naming what it wanted.
"""
from __future__ import annotations

import pickle
import pickletools
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = [
    "Unpickler",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "safe_globals",
]

_user_globals: list = []


def _entry_name(entry) -> tuple[Any, str]:
    """(object, "module.qualname") for an entry given to add_safe_globals."""
    if isinstance(entry, tuple):
        if len(entry) != 2 or not isinstance(entry[1], str):
            raise TypeError(f"safe globals are objects or (object, 'module.name') pairs, "
                            f"got {entry!r}")
        return entry
    module, name = getattr(entry, "__module__", None), getattr(entry, "__qualname__", None)
    if not module or not name:
        raise TypeError(f"{entry!r} has no __module__/__qualname__; pass it as "
                        "(object, 'module.name')")
    return entry, f"{module}.{name}"


def add_safe_globals(safe_globals: list) -> None:
    """Allows weights_only loading to use these classes and functions (given as objects, or as
    (object, "module.name") pairs when the file names them differently)."""
    for entry in safe_globals:
        _entry_name(entry)  # a bad entry fails here, not at load time
    _user_globals.extend(safe_globals)


def get_safe_globals() -> list:
    """The globals added with add_safe_globals (or an active safe_globals block)."""
    return list(_user_globals)


def clear_safe_globals() -> None:
    """Forgets every global added with add_safe_globals."""
    _user_globals.clear()


class safe_globals:
    """Context manager: the given globals are allowed inside the block, as add_safe_globals
    would allow them, and forgotten on leaving it."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        self._saved = list(_user_globals)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc_info) -> None:
        _user_globals[:] = self._saved


def _user_table() -> dict:
    return {name: obj for obj, name in map(_entry_name, _user_globals)}


def refusal(full_name: str) -> pickle.UnpicklingError:
    """The error for a global that is neither a default nor a user-allowed one."""
    return pickle.UnpicklingError(
        f"Weights only load failed: unsupported global: GLOBAL {full_name} is not allowed by "
        f"default. If you trust this file, allow it with "
        f"`ndgrad.serialization.add_safe_globals([{full_name}])` or the "
        f"`ndgrad.serialization.safe_globals([{full_name}])` context manager, or load with "
        "weights_only=False (which can run arbitrary code)")


# Opcodes that push one decoded constant: genops has already decoded its argument.
_CONSTANTS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "STRING",
              "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
              "BYTEARRAY8", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8",
              "FLOAT", "BINFLOAT"}
_FIXED = {"NONE": lambda: None, "NEWTRUE": lambda: True, "NEWFALSE": lambda: False,
          "EMPTY_LIST": list, "EMPTY_TUPLE": tuple, "EMPTY_DICT": dict, "EMPTY_SET": set}
_IGNORED = {"PROTO", "FRAME"}
_MAPPINGS = (dict, OrderedDict, Counter)


class Unpickler:
    """Interprets one pickle from a binary file. A GLOBAL "module.name" resolves to the user's
    safe global of that name, else to `defaults(name)` (None: refused); persistent ids go to
    `persistent_load`."""

    def __init__(self, file, defaults: Callable[[str], Any],
                 persistent_load: Callable[[Any], Any] | None = None) -> None:
        self.file = file
        self.defaults = defaults
        self.persistent_load = persistent_load
        self.user = _user_table()
        self.allowed: dict[int, Any] = {}  # id -> object, for what GLOBAL handed out

    def load(self) -> Any:
        self.stack: list = []
        self.marks: list = []
        self.memo: dict = {}
        opcodes = pickletools.genops(self.file)
        while True:
            try:
                opcode, arg, _ = next(opcodes)
            except ValueError as error:  # genops: unknown opcode, truncated data, no STOP
                raise pickle.UnpicklingError(f"corrupt pickle: {error}") from None
            if opcode.name == "STOP":
                return self._pop()
            self._step(opcode.name, arg)

    # ---- the interpreter

    def _step(self, name: str, arg) -> None:
        if name in _CONSTANTS:
            self.stack.append(arg)
        elif name in _FIXED:
            self.stack.append(_FIXED[name]())
        elif name in _IGNORED:
            pass
        elif name in ("GLOBAL", "STACK_GLOBAL"):
            module, attribute = arg.split(" ", 1) if name == "GLOBAL" else self._pop_names()
            if module == "__builtin__":  # Python 2's name, which protocol 2 writes
                module = "builtins"
            self.stack.append(self._global(f"{module}.{attribute}"))
        else:
            handler = getattr(self, f"_op_{name.lower()}", None)
            if handler is None:
                raise pickle.UnpicklingError(f"Weights only load failed: the pickle opcode "
                                             f"{name} is not supported")
            handler(arg)

    def _global(self, full_name: str) -> Any:
        obj = self.user[full_name] if full_name in self.user else self.defaults(full_name)
        if obj is None:
            raise refusal(full_name)
        self.allowed[id(obj)] = obj
        return obj

    def _pop(self) -> Any:
        if not self.stack:
            raise pickle.UnpicklingError("corrupt pickle: pop from an empty stack")
        return self.stack.pop()

    def _pop_names(self) -> tuple[str, str]:
        attribute, module = self._pop(), self._pop()
        if not (isinstance(module, str) and isinstance(attribute, str)):
            raise pickle.UnpicklingError("corrupt pickle: STACK_GLOBAL needs two strings")
        return module, attribute

    def _pop_mark(self) -> list:
        if not self.marks:
            raise pickle.UnpicklingError("corrupt pickle: no MARK on the stack")
        items, self.stack = self.stack, self.marks.pop()
        return items

    def _top(self, types: tuple, opcode: str) -> Any:
        if not self.stack or type(self.stack[-1]) not in types:
            found = type(self.stack[-1]).__name__ if self.stack else "an empty stack"
            raise pickle.UnpicklingError(f"Weights only load failed: {opcode} on {found}")
        return self.stack[-1]

    def _callable(self, obj: Any, opcode: str) -> Any:
        if self.allowed.get(id(obj)) is not obj:
            raise pickle.UnpicklingError(f"Weights only load failed: {opcode} of {obj!r}, "
                                         "which is not an allowed global")
        return obj

    def _op_mark(self, _) -> None:
        self.marks.append(self.stack)
        self.stack = []

    def _op_pop(self, _) -> None:
        if self.stack:
            self.stack.pop()
        else:
            self._pop_mark()

    def _op_pop_mark(self, _) -> None:
        self._pop_mark()

    def _peek(self) -> Any:
        if not self.stack:
            raise pickle.UnpicklingError("corrupt pickle: the stack is empty")
        return self.stack[-1]

    def _op_dup(self, _) -> None:
        self.stack.append(self._peek())

    # Each `items = self._pop_mark()` comes first: it replaces self.stack.
    def _op_list(self, _) -> None:
        items = self._pop_mark()
        self.stack.append(items)

    def _op_tuple(self, _) -> None:
        items = self._pop_mark()
        self.stack.append(tuple(items))

    def _op_tuple1(self, _) -> None:
        self.stack.append((self._pop(),))

    def _op_tuple2(self, _) -> None:
        second, first = self._pop(), self._pop()
        self.stack.append((first, second))

    def _op_tuple3(self, _) -> None:
        third, second, first = self._pop(), self._pop(), self._pop()
        self.stack.append((first, second, third))

    def _op_dict(self, _) -> None:
        items = self._pop_mark()
        self.stack.append(dict(zip(items[::2], items[1::2])))

    def _op_frozenset(self, _) -> None:
        items = self._pop_mark()
        self.stack.append(frozenset(items))

    def _op_append(self, _) -> None:
        item = self._pop()
        self._top((list,), "APPEND").append(item)

    def _op_appends(self, _) -> None:
        items = self._pop_mark()
        self._top((list,), "APPENDS").extend(items)

    def _op_additems(self, _) -> None:
        items = self._pop_mark()
        self._top((set,), "ADDITEMS").update(items)

    def _op_setitem(self, _) -> None:
        value, key = self._pop(), self._pop()
        self._top(_MAPPINGS, "SETITEM")[key] = value

    def _op_setitems(self, _) -> None:
        items = self._pop_mark()
        target = self._top(_MAPPINGS, "SETITEMS")
        for key, value in zip(items[::2], items[1::2]):
            target[key] = value

    def _op_reduce(self, _) -> None:
        args, func = self._pop(), self._pop()
        if type(args) is not tuple:
            raise pickle.UnpicklingError("corrupt pickle: REDUCE arguments are not a tuple")
        self.stack.append(self._callable(func, "REDUCE")(*args))

    def _op_newobj(self, _) -> None:
        args, cls = self._pop(), self._pop()
        self._new(cls, args, {})

    def _op_newobj_ex(self, _) -> None:
        kwargs, args, cls = self._pop(), self._pop(), self._pop()
        self._new(cls, args, kwargs)

    def _new(self, cls, args, kwargs) -> None:
        if not isinstance(cls, type) or type(args) is not tuple or type(kwargs) is not dict:
            raise pickle.UnpicklingError("corrupt pickle: NEWOBJ needs a class and arguments")
        self.stack.append(self._callable(cls, "NEWOBJ").__new__(cls, *args, **kwargs))

    def _op_build(self, _) -> None:
        state = self._pop()
        inst = self._pop()
        if type(inst) is not OrderedDict:
            self._callable(type(inst), "BUILD")
        setstate = getattr(inst, "__setstate__", None)
        if setstate is not None:
            setstate(state)
        else:
            _build_plain(inst, state)
        self.stack.append(inst)

    def _op_binpersid(self, _) -> None:
        pid = self._pop()
        if self.persistent_load is None:
            raise pickle.UnpicklingError("corrupt pickle: a persistent id in a plain pickle")
        self.stack.append(self.persistent_load(pid))

    def _op_put(self, index) -> None:
        self.memo[index] = self._peek()

    _op_binput = _op_long_binput = _op_put

    def _op_memoize(self, _) -> None:
        self._op_put(len(self.memo))

    def _op_get(self, index) -> None:
        if index not in self.memo:
            raise pickle.UnpicklingError(f"corrupt pickle: memo entry {index} is missing")
        self.stack.append(self.memo[index])

    _op_binget = _op_long_binget = _op_get


def _build_plain(inst, state) -> None:
    """BUILD for an object without __setstate__: what pickle does, (dict, slots) state."""
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    for mapping in (state, slots):
        if mapping is not None and not isinstance(mapping, dict):
            raise pickle.UnpicklingError(f"corrupt pickle: BUILD state for "
                                         f"{type(inst).__name__} is not a dict")
    if state:
        inst.__dict__.update(state)
    for key, value in (slots or {}).items():
        setattr(inst, key, value)

