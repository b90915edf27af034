"""Function: one differentiable op and, once applied, its node in the autograd graph."""
from __future__ import annotations

import itertools
import traceback

from ndgrad._backend import quiet_numpy, restore_numpy
from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import _state, no_grad


class _NullContext:
    """The ctx handed to an op's array forward when no graph is recorded: it remembers nothing."""

    __slots__ = ()
    needs_input_grad = ()

    def save_for_backward(self, *values) -> None:
        pass

    def mark_non_differentiable(self, *values) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        pass

    def __setattr__(self, name: str, value) -> None:
        pass  # forward may store masks on ctx; with no graph nobody reads them


_NULL_CONTEXT = _NullContext()
# Set by autograd/forward_ad.py while a dual level is active, to carry tangents through each
# op; None otherwise, so apply pays one global read for forward mode.
_forward_hook = None
# Numbers nodes in creation order; the engine runs backward in decreasing order.
_sequence = itertools.count()


class Function:
    """Base of every differentiable op, with PyTorch's custom-function API.

    A subclass defines `forward(ctx, *args, **kwargs)` and `backward(ctx, *grads)` as static
    methods and is used through `apply`. Public subclasses receive Tensors in `forward`, as in
    PyTorch; ndgrad's own ops subclass `ArrayFunction` and receive raw arrays. `backward`
    receives and returns Tensors, one gradient (or None) per input; an ArrayFunction marked
    `_backward_on_arrays` gets raw arrays instead during a plain backward (see
    autograd/engine.py). The ctx object is the graph node (`tensor.grad_fn`).
    """

    # What every recorded node sets, as slots (faster than instance-dict entries); a subclass
    # without __slots__ still gets a __dict__ for whatever its forward stores on ctx.
    __slots__ = ("needs_input_grad", "_edges", "_sequence_nr", "_output_meta", "__dict__",
                 "__weakref__")
    _array_forward = False
    # Defaults a node overrides only when forward asks (save_for_backward, ...): a node of an
    # op that saves nothing sets none of them.
    _to_save = ()
    _saved = ()
    _saved_versions = ()
    _non_differentiable = ()
    _materialize_grads = True
    _output_hooks = None
    # An op whose backward formula uses only what NumPy arrays and Tensors share (operators,
    # .sum/.reshape/.T, the helpers in ops/_dual.py) sets this; a plain backward then runs the
    # formula on raw arrays (see autograd/engine.py), and saved_tensors gives arrays there.
    _backward_on_arrays = False
    _unpack_arrays = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Runs forward and, if any input requires grad, records the node for backward."""
        if _forward_hook is not None:
            return _forward_hook(cls, args, kwargs)
        if _state.grad_enabled:
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    return cls._apply_recording(args, kwargs)
        if cls._array_forward:
            arrays = [a._data if isinstance(a, Tensor) else a for a in args]
            quiet = quiet_numpy()
            try:
                result = cls.forward(_NULL_CONTEXT, *arrays, **kwargs)
            finally:
                restore_numpy(quiet)
            if isinstance(result, tuple):
                return tuple(Tensor._make(r) for r in result)
            return Tensor._make(result)
        # A user's forward may keep and read values on ctx, so it gets a real, unrecorded one.
        ctx = cls.__new__(cls)
        ctx.needs_input_grad = (False,) * len(args)
        with no_grad():
            return cls.forward(ctx, *args, **kwargs)

    @classmethod
    def _apply_recording(cls, args: tuple, kwargs: dict):
        ctx = cls.__new__(cls)
        # An edge says where an input's gradient goes: (its node, which output of it), or
        # (None, 0, the tensor) for a leaf; None for an input that needs no gradient.
        needs, edges, arrays = [], [], []
        for a in args:
            if isinstance(a, Tensor):
                if a._view is not None:
                    a._refresh_view()  # an in-place change to its base may have moved its history
                arrays.append(a._data)
                if a._requires_grad:
                    node = a._grad_fn
                    needs.append(True)
                    edges.append((None, 0, a) if node is None else (node, a._output_nr, None))
                    continue
            else:
                arrays.append(a)
            needs.append(False)
            edges.append(None)
        ctx.needs_input_grad = tuple(needs)
        ctx._edges = tuple(edges)
        ctx._sequence_nr = next(_sequence)
        if not cls._array_forward:
            outputs = ctx._record_user_forward(args, kwargs)
        else:
            quiet = quiet_numpy()
            try:
                result = cls.forward(ctx, *arrays, **kwargs) if kwargs else \
                    cls.forward(ctx, *arrays)
            finally:
                restore_numpy(quiet)
            if type(result) is tuple or ctx._non_differentiable:
                outputs = ctx._record_outputs(result, result, arrays, args)
            else:
                # One array out, the common case: _record_outputs written out for speed.
                outputs = Tensor._make(result, True, ctx) if result.dtype.kind == "f" else \
                    Tensor._make(result)
                data = outputs._data
                ctx._output_meta = ((data.shape, data.dtype),)
                if ctx._to_save:
                    ctx._save(arrays, args, (result,), (outputs,))
        if _state.anomaly_enabled:
            ctx._forward_stack = traceback.format_stack()[:-2]
        return outputs

    def _record_user_forward(self, args: tuple, kwargs: dict):
        """Runs a user Function's forward, which takes and returns Tensors, without recording
        inside it, and records its outputs as this node's."""
        with no_grad():
            result = self.forward(self, *args, **kwargs)
        returned = result if isinstance(result, tuple) else (result,)
        raw_outputs = tuple(_user_output_array(r, type(self)) for r in returned)
        return self._record_outputs(result, raw_outputs, args, args)

    def _record_outputs(self, result, raw_outputs: tuple, forward_args, args: tuple):
        """Wraps forward's result (one value or a tuple) as this node's output Tensors and
        keeps what forward saved."""
        returned = result if isinstance(result, tuple) else (result,)
        outputs = []
        for nr, (given, array) in enumerate(zip(returned, raw_outputs)):
            differentiable = (array.dtype.kind == "f"
                              and not any(given is d for d in self._non_differentiable))
            if differentiable:
                outputs.append(Tensor._make(array, True, self, nr))
            else:
                outputs.append(Tensor._make(array))
        self._output_meta = tuple((o._data.shape, o._data.dtype) for o in outputs)
        if self._to_save:
            self._save(forward_args, args, returned, outputs)
        return tuple(outputs) if isinstance(result, tuple) else outputs[0]

    def _save(self, arrays, args: tuple, returned: tuple, outputs: tuple) -> None:
        """Turns what forward saved into graph Tensors (see DESIGN: the saved-tensor contract).

        An input is kept as the input Tensor. An output is kept as its data and version counter
        and rebuilt on access with this node as grad_fn, so the node holds no reference to its
        own output and no reference cycle forms. Another array becomes a constant Tensor;
        anything else (None, Python numbers) is kept as it is, with no version to check.
        """
        saved, versions = [], []
        for value in self._to_save:
            entry = _saved_entry(value, arrays, args, returned, outputs)
            saved.append(entry)
            # Tensors and _SavedOutputs both carry the version counter `_vc`.
            versions.append(None if entry is value and not isinstance(value, Tensor)
                            else entry._vc[0])
        self._saved, self._saved_versions = saved, versions
        self._to_save = ()  # drops forward's references to the raw arrays

    def _rebind_output(self, output: Tensor, target: Tensor) -> None:
        """Makes saved copies of `output` refer to `target`, which took its place in place.

        Only those entries take target's current version: a saved input keeps the version it
        was saved at, so a change to it (e.g. `y.mul_(y)`) is still caught at backward time.
        """
        versions = list(getattr(self, "_saved_versions", ()))
        for i, entry in enumerate(self._saved or ()):
            if isinstance(entry, _SavedOutput) and entry._data is output._data:
                entry._data, entry._vc = target._data, target._vc
                versions[i] = entry._vc[0]
        if versions:
            self._saved_versions = tuple(versions)

    # ---- the ctx API used inside forward and backward ----

    def save_for_backward(self, *values) -> None:
        """Keeps inputs or outputs of forward for backward (see `saved_tensors`)."""
        self._to_save = values

    def mark_non_differentiable(self, *outputs) -> None:
        """Marks outputs of forward that get no gradient (e.g. indices)."""
        self._non_differentiable = outputs

    def set_materialize_grads(self, value: bool) -> None:
        """Whether backward sees zeros (True, the default) or None for unused outputs."""
        self._materialize_grads = value

    def input_shape(self, index: int) -> tuple:
        """The shape of input `index`, which must require grad (an ndgrad extension: ops whose
        backward needs only their inputs' shapes need not record them in forward)."""
        child, output_nr, leaf = self._edges[index]
        return leaf._data.shape if child is None else child._output_meta[output_nr][0]

    @property
    def saved_tensors(self) -> tuple:
        """The values given to save_for_backward, as the graph's own Tensors (raw arrays while
        the engine runs this node's backward on arrays)."""
        if self._saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or if "
                "you need to access saved tensors after calling backward.")
        as_arrays = self._unpack_arrays
        values = []
        versions = self._saved_versions
        i = 0
        for entry in self._saved:  # an index, not zip: this runs once per node in backward
            version = versions[i]
            i += 1
            if version is None:
                values.append(entry)
                continue
            if entry._vc[0] != version:
                self._raise_modified(entry, version)
            if as_arrays:
                values.append(entry._data)  # Tensors and _SavedOutputs alike
            else:
                values.append(entry.unpack(self) if type(entry) is _SavedOutput else entry)
        return tuple(values)

    def _raise_modified(self, entry, version: int) -> None:
        tensor = entry.unpack(self) if isinstance(entry, _SavedOutput) else entry
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{tensor.dtype.name} {list(tensor.shape)}], which is an input "
            f"or output of {self.name()}, is at version {entry._vc[0]}; expected version "
            f"{version} instead.")

    @classmethod
    def name(cls) -> str:
        """The node's name as shown in a tensor's repr, e.g. 'MulBackward'."""
        return cls.__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        """(grad_fn, output_nr) of each input: where backward sends its gradients next."""
        return tuple((None, 0) if e is None else (e[0], e[1]) for e in self._edges)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class ArrayFunction(Function):
    """Base of ndgrad's own ops: forward computes on raw NumPy/CuPy arrays and returns arrays."""

    _array_forward = True


class _SavedOutput:
    """An output saved for backward: its data and version counter, without the Tensor."""

    # Named like a Tensor's fields, so saved_tensors reads either the same way.
    __slots__ = ("_data", "_vc", "output_nr")

    def __init__(self, output: Tensor) -> None:
        self._data, self._vc, self.output_nr = output._data, output._vc, output._output_nr

    def unpack(self, node) -> Tensor:
        t = Tensor._make(self._data, True, node, self.output_nr)
        t._vc = self._vc
        return t


def _saved_entry(value, arrays, args: tuple, returned: tuple, outputs: tuple):
    """What a node keeps for one saved value: the input Tensor it is the data of, a
    _SavedOutput for an output, a constant Tensor for another array; anything else as is.

    (Written with plain index loops: zip and tuple membership tests made this 3x slower, and
    it runs for most recorded ops.)
    """
    if value is None:
        return None
    kind = type(value)
    if kind is float or kind is int or kind is bool:  # exact: NumPy's float64 is a float
        return value
    i = 0
    for array in arrays:
        if value is array and isinstance(args[i], Tensor):
            return args[i]
        i += 1
    i = 0
    for array in returned:
        if value is array:
            return _SavedOutput(outputs[i])
        i += 1
    if isinstance(value, Tensor) or not hasattr(value, "dtype"):
        return value
    return Tensor._make(value)


def _user_output_array(output, cls):
    if not isinstance(output, Tensor):
        raise TypeError(f"{cls.__name__}.forward must return Tensors, got {type(output).__name__}")
    return output._data
