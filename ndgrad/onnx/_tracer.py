"""Tracing: one forward pass run with a profile hook that records what it applies.

The hook watches a fixed set of code objects ("units") and nothing else:
- `Function.apply` of an array op: the op, its inputs, options and outputs;
- functionals and module forwards that have a translation of their own (pooling, LSTM, ...):
  their arguments and result, with everything they apply inside left out;
- the in-place writes of ndgrad.ops.inplace, which give a tensor a new value.
Everything is read from the frames as they are called and returned from, so ndgrad's own
code needs no hook and pays nothing while no export runs.
"""
from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field

from ndgrad.autograd.function import Function
from ndgrad.autograd.grad_mode import no_grad
from ndgrad.ops import inplace

_exporting = False


def is_in_onnx_export() -> bool:
    """Whether an ONNX export is tracing the model right now."""
    return _exporting


@dataclass
class Record:
    """One unit seen during the trace: `kind` is 'op' (an array Function; `target` its class),
    'write' (an in-place write), 'copy' (copy_) or 'call' (a translated functional or module
    forward; `target` its key). `args` maps argument positions (ops) or names (calls) to
    values; `result` is what the unit returned."""

    kind: str
    target: object
    args: dict
    result: object = None


@dataclass
class Trace:
    """The records of one forward pass, in the order the units returned."""

    records: list = field(default_factory=list)
    outputs: object = None


_APPLY = Function.apply.__func__.__code__
_WRITE = inplace._write.__code__
_COPY = inplace.copy_.__code__


_PARAMETERS = {}  # Function class -> names of forward's positional parameters after ctx


def _op_args(cls, frame_locals: dict) -> dict:
    """An op's arguments by position and, for named parameters, by name too."""
    names = _PARAMETERS.get(cls)
    if names is None:
        parameters = list(inspect.signature(cls.forward).parameters.values())[1:]
        names = _PARAMETERS[cls] = [p.name for p in parameters if p.kind in (
            p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    args = dict(enumerate(frame_locals["args"]))
    args.update(zip(names, frame_locals["args"]))
    args.update(frame_locals["kwargs"])
    return args


class _Recorder:
    """The profile hook: pushes a watched unit on call, records it when it returns."""

    def __init__(self, calls: dict) -> None:
        self.calls = calls  # code object -> key of a functional or module translation
        self.open = None    # (frame, kind, target, args) of the unit now running
        self.records = []

    def __call__(self, frame, event, arg) -> None:
        if event == "call":
            if self.open is None:
                self._enter(frame)
        elif event == "return" and self.open is not None and self.open[0] is frame:
            _, kind, target, args = self.open
            self.open = None
            self.records.append(Record(kind, target, args, arg))

    def _enter(self, frame) -> None:
        code = frame.f_code
        if code is _APPLY:
            cls = frame.f_locals["cls"]
            # A user Function's forward applies ndgrad ops itself: those are recorded instead.
            if cls._array_forward:
                self.open = (frame, "op", cls, _op_args(cls, frame.f_locals))
        elif code is _WRITE:
            self.open = (frame, "write", None, dict(frame.f_locals))
        elif code is _COPY:
            self.open = (frame, "copy", None, dict(frame.f_locals))
        elif code in self.calls:
            self.open = (frame, "call", self.calls[code], dict(frame.f_locals))


def trace(model, args: tuple, kwargs: dict, calls: dict) -> Trace:
    """Runs model(*args, **kwargs) once without grad, recording the units it runs.

    `calls` maps the code objects of translated functionals and module forwards to their keys.
    """
    global _exporting
    recorder = _Recorder(calls)
    previous = sys.getprofile()
    _exporting = True
    sys.setprofile(recorder)
    try:
        with no_grad():
            outputs = model(*args, **kwargs)
    finally:
        sys.setprofile(previous)
        _exporting = False
    return Trace(recorder.records, outputs)
