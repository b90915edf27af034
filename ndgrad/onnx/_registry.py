"""The table of translations and the view of one traced record that a translation gets.

A translation is a function `(node) -> output name(s)`, registered with `@op(FunctionClass)`
for an array op, or with `@call(key, function, ...)` for a functional or module forward that
is translated whole (its code objects are watched while tracing; see _tracer.py).
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.onnx.errors import UnsupportedOperatorError

OPS = {}    # Function class -> translation
CALLS = {}  # key -> translation
WATCHED = {}  # code object -> key


def op(*classes):
    """Registers a translation for the array Functions `classes`."""
    def register(fn):
        for cls in classes:
            OPS[cls] = fn
        return fn
    return register


def call(key: str, *functions):
    """Registers a translation for calls of `functions` (plain functions or methods)."""
    def register(fn):
        CALLS[key] = fn
        for function in functions:
            WATCHED[getattr(function, "__func__", function).__code__] = key
        return fn
    return register


def unsupported(node, what: str):
    """Raises the error for a case of an op that has no ONNX translation."""
    raise UnsupportedOperatorError(f"ONNX export of {what} ({node.name}) is not supported")


class Node:
    """One record of trace A with its twin of trace B, as a translation reads them: `input`
    gives ONNX values, `option` settings that must not depend on the input, `ints` sizes that
    may (see Note [dynamic sizes from a second trace] in _context.py)."""

    def __init__(self, ctx, record, twin) -> None:
        self.ctx, self.record, self.twin = ctx, record, twin
        target = record.target
        self.name = getattr(target, "__name__", target) if record.kind == "op" else target

    def arg(self, key, default=None):
        """The argument as trace A saw it."""
        return self.record.args.get(key, default)

    def dtype(self, key) -> np.dtype:
        value = self.arg(key)
        return np.asarray(value._data if isinstance(value, Tensor) else value).dtype

    def input(self, key, dtype=None) -> str | None:
        """The ONNX value of an argument, cast to `dtype` if given."""
        a, b = self.arg(key), self.twin.args.get(key)
        if a is None:
            return None
        name = self.ctx.lookup(a)
        if name is None:
            a, b = _raw(a), _raw(b)
            if dtype is not None:
                a, b = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
            return self.ctx.constant_value(a, b, f"an input of {self.name}")
        if dtype is not None and self.dtype(key) != np.dtype(dtype):
            return self.ctx.cast(name, dtype)
        return name

    def option(self, key, default=None):
        """A setting that must be the same in both traces (it is written as a constant)."""
        return self.ctx.same(self.arg(key, default), self.twin.args.get(key, default),
                             f"option '{key}' of {self.name}")

    def ints(self, a, b, what: str) -> str:
        """A 1-D int64 value of sizes `a` (trace A) and `b` (trace B); see GraphContext."""
        return self.ctx.int_vector(a, b, f"{what} of {self.name}")

    def twin_arg(self, key, default=None):
        return self.twin.args.get(key, default)

    def add(self, op_type: str, inputs: list, outputs: int = 1, **attrs):
        return self.ctx.add(op_type, inputs, outputs, **attrs)

    @property
    def result_dtype(self) -> np.dtype:
        result = self.record.result
        first = result[0] if isinstance(result, (tuple, list)) else result
        return first._data.dtype


def _raw(value):
    return value._data if isinstance(value, Tensor) else value
