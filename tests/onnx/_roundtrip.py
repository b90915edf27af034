"""Round trips for the ONNX export tests: export, run in onnxruntime, compare with the model."""
from __future__ import annotations

import io

import numpy as np
import pytest

import ndgrad
import ndgrad.onnx


def runtime():
    """onnx and onnxruntime, or a skip (they are test dependencies, not ndgrad's)."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    return onnx, ort


def grow(t: ndgrad.Tensor, axis: int, size: int) -> ndgrad.Tensor:
    """A tensor like t with `size` along `axis`: random floats, or ints in t's range."""
    shape = list(t.shape)
    shape[axis] = size
    if t.dtype.is_floating_point:
        return ndgrad.randn(*shape)
    high = int(t.max()) + 1
    return ndgrad.randint(0, high, tuple(shape), dtype=t.dtype)


def outputs(model, args: tuple) -> list:
    kwargs = args[-1] if args and isinstance(args[-1], dict) else {}
    result = model(*args[:len(args) - bool(kwargs)], **kwargs)
    flat = []
    pending = [result]
    while pending:
        item = pending.pop(0)
        if isinstance(item, (tuple, list)):
            pending[:0] = list(item)
        else:
            flat.append(item.detach().numpy())
    return flat


def check_roundtrip(model, args: tuple, dynamic: dict | None = None, sizes=(5,),
                    **options) -> bytes:
    """Exports model(*args) and checks onnxruntime's outputs against the model's, for the
    traced inputs and for inputs whose dynamic axes ({input position: axis}) take `sizes`.
    `options` go to export. Returns the file's bytes."""
    onnx, ort = runtime()
    model.eval()
    names = [f"in{i}" for i in range(len(_tensors(args)))]
    dynamic = dynamic or {}
    buffer = io.BytesIO()
    ndgrad.onnx.export(model, args, buffer, input_names=names,
                       dynamic_axes={names[i]: [axis] for i, axis in dynamic.items()},
                       **options)
    data = buffer.getvalue()
    onnx.checker.check_model(onnx.load_from_string(data))
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    trials = [args] + [_grown(args, dynamic, size) for size in (sizes if dynamic else ())]
    for trial in trials:
        feed = {n: t.numpy() for n, t in zip(names, _tensors(trial))}
        got = session.run(None, feed)
        want = outputs(model, trial)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    return data


def _tensors(args) -> list:
    if isinstance(args, ndgrad.Tensor):
        return [args]
    if isinstance(args, dict):
        args = list(args.values())
    if isinstance(args, (tuple, list)):
        return [t for a in args for t in _tensors(a)]
    return []


def _grown(args: tuple, dynamic: dict, size: int) -> tuple:
    flat = iter(range(len(_tensors(args))))

    def rebuild(a):
        if isinstance(a, ndgrad.Tensor):
            i = next(flat)
            return grow(a, dynamic[i], size) if i in dynamic else a
        if isinstance(a, (tuple, list)):
            return type(a)(rebuild(x) for x in a)
        if isinstance(a, dict):
            return {k: rebuild(v) for k, v in a.items()}
        return a
    return rebuild(args)
