"""The graph under construction: ONNX nodes, initializers, and the names of traced values.

Note [dynamic sizes from a second trace]
The model is traced twice: with the given inputs (trace A) and with every dynamic axis grown
and the float data changed (trace B, see _export.py). The two record the same ops. A constant
that differs between them was computed from the input outside the traced ops: it is refused
rather than frozen into the graph. An integer option that differs (a reshape target computed
from x.size(0), a slice end) depends on the dynamic sizes: it is written as k * size + c of
one dynamic input dim, k and c solved from the two traces, the size read at run time by
Shape/Gather. A constant made inside forward whose shape follows the dynamic axes
(zeros(batch, hidden)) becomes ConstantOfShape of such sizes.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.onnx.errors import OnnxExporterError

_INT64_MAX = np.iinfo(np.int64).max


class DynamicDim:
    """One dynamic input axis: graph input `name`, `axis`, its sizes in traces A and B."""

    def __init__(self, name: str, axis: int, size_a: int, size_b: int) -> None:
        self.name, self.axis, self.size_a, self.size_b = name, axis, size_a, size_b


class GraphContext:
    """Collects nodes and initializers and maps traced tensors to ONNX value names."""

    def __init__(self, onnx, opset: int, dynamic: list) -> None:
        self.onnx, self.opset, self.dynamic = onnx, opset, dynamic
        self.nodes, self.initializers = [], []
        self._counts = {}
        self._tensors = {}   # id(Tensor) -> (Tensor, name); the Tensor is kept alive
        self._parameters = {}  # id(Tensor) -> (Tensor, state_dict name, how it enters)
        self.parameter_inputs = []
        self._arrays = {}    # id(array) -> name: index arrays that are a traced tensor's data
        self._dims = {}      # (input name, axis) -> name of its run-time size, shape [1]

    # ---- names ----

    def fresh(self, hint: str) -> str:
        count = self._counts.get(hint, 0)
        self._counts[hint] = count + 1
        return hint if count == 0 else f"{hint}.{count}"

    def bind(self, tensor: Tensor, name: str) -> None:
        """Makes `name` the value of `tensor` from here on (an in-place write rebinds)."""
        self._tensors[id(tensor)] = (tensor, name)
        self._arrays[id(tensor._data)] = name

    def add_parameter(self, tensor: Tensor, name: str, initializer: bool, as_input: bool) -> None:
        """Registers a parameter or buffer; it enters the graph when first used, as an
        initializer, a graph input, or both (a graph input with a default value)."""
        self._parameters[id(tensor)] = (tensor, name, initializer, as_input)

    def lookup(self, value) -> str | None:
        """The name of a traced tensor or parameter (or of an array that is one's data)."""
        if isinstance(value, Tensor):
            entry = self._tensors.get(id(value))
            if entry is not None:
                return entry[1]
            if id(value) in self._parameters:
                return self._use_parameter(value)
            value = value._data
        return self._arrays.get(id(value))

    def _use_parameter(self, tensor: Tensor) -> str:
        _, name, initializer, as_input = self._parameters[id(tensor)]
        if initializer:
            self.initializer(tensor._data, name)
        if as_input:
            dtype = onnx_dtype(self.onnx, tensor._data.dtype)
            self.parameter_inputs.append(
                self.onnx.helper.make_tensor_value_info(name, dtype, list(tensor.shape)))
        self.bind(tensor, name)
        return name

    # ---- nodes and constants ----

    def add(self, op: str, inputs: list, outputs: int = 1, **attrs):
        """Appends one node; returns its output name (or list of names if outputs > 1)."""
        names = [self.fresh(f"{op}_out") for _ in range(outputs)]
        inputs = ["" if i is None else i for i in inputs]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op, inputs, names,
                                                     name=self.fresh(op), **attrs))
        return names[0] if outputs == 1 else names

    def initializer(self, array, name: str) -> str:
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def constant(self, array, dtype=None) -> str:
        """An initializer holding `array` (cast to `dtype` if given)."""
        array = np.ascontiguousarray(np.asarray(array, dtype=dtype))
        return self.initializer(array, self.fresh("const"))

    def ints(self, values) -> str:
        return self.constant(np.asarray(values, dtype=np.int64).reshape(-1))

    def reduce(self, op: str, x: str, axes, keepdims: bool) -> str:
        """Reduce<op> over `axes` (None: all); axes moved from attribute to input in opset 18
        (ReduceSum in 13)."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.add(op, [x], keepdims=keep)
        axes = [int(a) for a in np.atleast_1d(axes)]
        if op == "ReduceSum" or self.opset >= 18:
            return self.add(op, [x, self.ints(axes)], keepdims=keep)
        return self.add(op, [x], keepdims=keep, axes=axes)

    def cast(self, name: str, dtype) -> str:
        return self.add("Cast", [name], to=onnx_dtype(self.onnx, dtype))

    # ---- sizes that depend on the dynamic axes: see Note [dynamic sizes from a second trace]

    def same(self, a, b, what: str):
        """`a`, after checking that trace B saw the same value (it is written as a constant)."""
        if not _equal(a, b):
            raise OnnxExporterError(
                f"{what} depends on the input ({a!r} vs {b!r} in a trace with other values "
                "and larger dynamic axes), which ONNX needs fixed here")
        return a

    def int_vector(self, a, b, what: str) -> str:
        """A 1-D int64 value: the integers `a` of trace A, with those that differ in trace B
        (`b`) computed at run time from the dynamic input sizes."""
        a, b = [int(v) for v in a], [int(v) for v in b]
        if len(a) != len(b):
            self.same(a, b, what)
        if a == b:
            return self.ints(a)
        parts, fixed = [], []
        for va, vb in zip(a, b):
            if va == vb:
                fixed.append(va)
                continue
            if fixed:
                parts.append(self.ints(fixed))
                fixed = []
            parts.append(self._size_expression(va, vb, what))
        if fixed:
            parts.append(self.ints(fixed))
        return parts[0] if len(parts) == 1 else self.add("Concat", parts, axis=0)

    def _size_expression(self, va: int, vb: int, what: str) -> str:
        """k * size + c for the dynamic dim whose sizes explain va (trace A) and vb (B),
        preferring c == 0; a shape-[1] int64 value."""
        best = None
        for dim in self.dynamic:
            if dim.size_b == dim.size_a:
                continue
            k = Fraction(vb - va, dim.size_b - dim.size_a)
            c = va - k * dim.size_a
            exact = k.denominator == 1 and c.denominator == 1
            divided = k.numerator == 1 and c == 0
            if exact or divided:
                rank = (c != 0, abs(c))
                if best is None or rank < best[0]:
                    best = (rank, dim, k, c)
        if best is None:
            raise OnnxExporterError(
                f"{what} changes with the input ({va} vs {vb} in a trace with other values and "
                "larger dynamic axes) in a way that is not a multiple of one dynamic input size")
        _, dim, k, c = best
        size = self._dim(dim)
        if k.denominator != 1:
            size = self.add("Div", [size, self.ints([k.denominator])])
        elif k != 1:
            size = self.add("Mul", [size, self.ints([int(k)])])
        if c != 0:
            size = self.add("Add", [size, self.ints([int(c)])])
        return size

    def _dim(self, dim: DynamicDim) -> str:
        key = (dim.name, dim.axis)
        if key not in self._dims:
            shape = self.add("Shape", [dim.name])
            self._dims[key] = self.add("Gather", [shape, self.ints([dim.axis])], axis=0)
        return self._dims[key]

    def constant_value(self, a, b, what: str) -> str:
        """An array or number seen in forward that no traced op produced, as a value.

        One whose values differ between the traces is refused; one whose shape follows the
        dynamic axes must be filled with one value (zeros, ones): it becomes ConstantOfShape."""
        a, b = np.asarray(a), np.asarray(b)
        if a.shape == b.shape:
            if a.dtype != b.dtype or not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                raise OnnxExporterError(
                    f"{what} (shape {list(a.shape)}, dtype {a.dtype}) changes from one run to the "
                    "next: it is computed from the input by operations the exporter cannot see "
                    "(NumPy, .item(), .tolist()) or drawn at random, and would be frozen as a "
                    "constant")
            return self.constant(a)
        first = a.reshape(-1)[:1]
        if a.ndim != b.ndim or not (a == first).all() or not (b == first).all():
            raise OnnxExporterError(
                f"{what} is a constant of shape {list(a.shape)} that changes with the dynamic "
                "axes and is not filled with one value; it cannot be exported")
        fill = self.onnx.numpy_helper.from_array(first.astype(a.dtype))
        shape = self.int_vector(a.shape, b.shape, f"the shape of {what}")
        return self.add("ConstantOfShape", [shape], value=fill)


def onnx_dtype(onnx, dtype) -> int:
    """The TensorProto type of a NumPy dtype (or of an ndgrad dtype, via its .numpy)."""
    dtype = np.dtype(getattr(dtype, "numpy", dtype))
    return onnx.helper.np_dtype_to_tensor_dtype(dtype)


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and np.array_equal(a, b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b
