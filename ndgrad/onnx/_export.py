"""export(): trace the model, translate each record to ONNX nodes, check and write the file."""
from __future__ import annotations

import importlib
import io
import os
import tempfile

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.nn import Module
from ndgrad.onnx import _registry, _tracer
from ndgrad.onnx._context import DynamicDim, GraphContext, onnx_dtype
from ndgrad.onnx._registry import Node
from ndgrad.onnx.errors import OnnxExporterError, UnsupportedOperatorError

# The families of translations; each registers itself in _registry when imported, which
# export() does on first use so that `import ndgrad.onnx` stays cheap.
_TRANSLATIONS = ("_symbolic_elementwise", "_symbolic_nn", "_symbolic_reduction",
                 "_symbolic_rnn", "_symbolic_shape")

_DEFAULT_OPSET = 20  # torch.onnx's default
_MIN_OPSET = 13
# How much trace B grows each dynamic axis (one per axis name, see _context.py): distinct,
# so that a size computed from two dynamic axes tells which one it follows.
_GROWTH = (3, 7, 11, 13, 17, 19, 23, 29)
# torch.onnx.export's options that only steer PyTorch's own exporters.
_IGNORED_OPTIONS = frozenset({
    "external_data", "custom_translation_table", "report", "optimize", "verify", "profile",
    "dump_exported_program", "artifacts_dir", "custom_opsets", "export_modules_as_functions",
    "autograd_inlining"})
# How the names of dynamic axes given as a list begin (torch names them likewise).
_GENERATED = "dynamic_axes_"


def export(model, args=(), f=None, *, kwargs=None, export_params: bool = True,
           verbose=None, training=0, input_names=None, output_names=None,
           operator_export_type=0, opset_version: int | None = None,
           do_constant_folding: bool = True, dynamic_axes=None,
           keep_initializers_as_inputs: bool = False, dynamo: bool = False,
           dynamic_shapes=None, **unused_options) -> None:
    """Exports `model` to the ONNX file `f` (a path or a binary file object).

    The forward pass `model(*args, **kwargs)` is traced in eval mode (`args` a tensor or a
    tuple whose last item may be a dict of keyword arguments, nested tuples of tensors
    allowed) and every op it runs is written as ONNX nodes; parameters and buffers become
    initializers named as in the state_dict. A second trace with other input values (see
    Note [dynamic sizes from a second trace]) finds the sizes that follow the dynamic axes
    and refuses values computed outside the traced ops. `dynamic_axes` maps input and output names to
    the axes ({axis: name} or [axis, ...]) whose size may change. Options of
    torch.onnx.export that only steer PyTorch's exporters (dynamo, do_constant_folding,
    operator_export_type, optimize, ...) are accepted and change nothing. Returns None.
    """
    unknown = sorted(set(unused_options) - _IGNORED_OPTIONS)
    if unknown:
        raise TypeError(f"export() got an unexpected keyword argument '{unknown[0]}'")
    if dynamic_shapes is not None:
        raise OnnxExporterError("dynamic_shapes (torch.export's form) is not supported; name "
                                "the dynamic axes with dynamic_axes={input_name: {axis: name}}")
    onnx = _import_onnx()
    for family in _TRANSLATIONS:
        importlib.import_module(f"ndgrad.onnx.{family}")
    if not isinstance(model, Module):
        raise TypeError(f"export expects an nn.Module, got {type(model).__name__}")
    if int(training) == 2 or (int(training) == 1 and model.training):
        raise OnnxExporterError("ndgrad.onnx.export exports eval mode only "
                                "(training=TrainingMode.EVAL)")
    opset = _check_opset(onnx, opset_version)
    call_args, call_kwargs = _split_args(args, kwargs)
    inputs = _flatten((call_args, call_kwargs))
    input_names = _names(input_names, len(inputs), "input")
    dynamic = _dynamic_axes(dynamic_axes, input_names, inputs)
    trace_a, trace_b, dims = _traces(model, call_args, call_kwargs, inputs, input_names,
                                     dynamic)
    ctx = GraphContext(onnx, opset, dims)
    for name, tensor in _state(model):
        ctx.add_parameter(tensor, name, initializer=export_params,
                          as_input=keep_initializers_as_inputs or not export_params)
    graph_inputs = [_value_info(onnx, name, t, dynamic.get(i, {}))
                    for i, (name, t) in enumerate(zip(input_names, inputs))]
    for name, tensor in zip(input_names, inputs):
        ctx.bind(tensor, name)
    _translate(ctx, trace_a, trace_b)
    graph_outputs = _outputs(ctx, onnx, trace_a, trace_b, output_names, dynamic_axes)
    graph = onnx.helper.make_graph(ctx.nodes, type(model).__name__,
                                   graph_inputs + ctx.parameter_inputs, graph_outputs,
                                   ctx.initializers)
    proto = onnx.helper.make_model(graph, producer_name="ndgrad",
                                   opset_imports=[onnx.helper.make_opsetid("", opset)])
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(graph))
    _write(proto.SerializeToString(), f)


def _traces(model, args: tuple, kwargs: dict, inputs: list, input_names: list,
            dynamic: dict) -> tuple:
    """Traces A (the given inputs) and B (see _second_inputs) in eval mode, restoring the
    model's mode after. Returns (trace A, trace B, [DynamicDim])."""
    was_training = model.training
    model.eval()
    try:
        trace_a = _tracer.trace(model, args, kwargs, _registry.WATCHED)
        second_args, second_kwargs, dims = _second_inputs(args, kwargs, inputs, input_names,
                                                          dynamic)
        trace_b = _tracer.trace(model, second_args, second_kwargs, _registry.WATCHED)
        if not _same_ops(trace_a, trace_b):
            # A forward may cache what it computed on the module (word_language_model's
            # causal mask): the first trace computed it, the second may have reused it. A
            # third trace of the given inputs runs in the state the second one did.
            trace_a = _tracer.trace(model, args, kwargs, _registry.WATCHED)
    finally:
        model.train(was_training)
    return trace_a, trace_b, dims


def _import_onnx():
    try:
        import onnx
        import onnx.numpy_helper
    except ImportError as error:
        raise ImportError("ndgrad.onnx.export needs the onnx package: "
                          "pip install 'ndgrad[onnx]'") from error
    return onnx


def _check_opset(onnx, opset_version) -> int:
    opset = _DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not _MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset_version must be between {_MIN_OPSET} and {newest} (the onnx "
                         f"package's newest), got {opset}")
    return opset


def _split_args(args, kwargs) -> tuple:
    """torch.onnx's argument convention: a lone tensor, or a tuple whose last item may be a
    dict of keyword arguments."""
    if not isinstance(args, tuple):
        args = (args,)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kwargs.update(args[-1])
        args = args[:-1]
    return args, kwargs


def _flatten(value) -> list:
    """The tensors in a nested structure of tuples, lists and dicts, in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _flatten(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _flatten(item)]
    return []


def _names(names, count: int, prefix: str) -> list:
    names = list(names or [])
    if len(names) > count:
        raise ValueError(f"{len(names)} {prefix} names given for {count} {prefix}s")
    return names + [f"{prefix}_{i}" for i in range(len(names), count)]


def _axes_map(spec, name: str) -> dict:
    """{axis: dim name} from dynamic_axes' {axis: name} or [axis, ...] form."""
    if isinstance(spec, dict):
        return {int(axis): str(dim) for axis, dim in spec.items()}
    return {int(axis): f"{_GENERATED}{name}_{i + 1}" for i, axis in enumerate(spec)}


def _dynamic_axes(dynamic_axes, input_names: list, inputs: list) -> dict:
    """{input position: {axis: dim name}} for the inputs named in dynamic_axes."""
    result = {}
    for i, name in enumerate(input_names):
        if dynamic_axes and name in dynamic_axes:
            axes = _axes_map(dynamic_axes[name], name)
            ndim = inputs[i].ndim
            bad = [a for a in axes if not -ndim <= a < ndim]
            if bad:
                raise ValueError(f"dynamic_axes for '{name}' names axes {bad}, but the input has "
                                 f"{ndim} dims (shape {list(inputs[i].shape)})")
            result[i] = {a % ndim: dim for a, dim in axes.items()}
    return result


def _second_inputs(args: tuple, kwargs: dict, inputs: list, input_names: list,
                   dynamic: dict) -> tuple:
    """The arguments of trace B: every dynamic axis grown by its name's step (data repeated)
    and floating-point data changed, so that a value computed from the input outside
    the traced ops shows up as a difference between the traces.

    Returns (args, kwargs, [DynamicDim])."""
    steps, dims, changed = {}, [], {}
    rng = np.random.default_rng(0)
    for i, tensor in enumerate(inputs):
        data = tensor._data
        for axis, dim_name in dynamic.get(i, {}).items():
            size = tensor.shape[axis]
            # Axes given as a list get generated names; those of one size grow together, so
            # that (input [0], hidden [1]) holding the same batch stay compatible.
            group = (None, size) if dim_name.startswith(_GENERATED) else dim_name
            step = steps.setdefault(group, _GROWTH[len(steps) % len(_GROWTH)])
            dims.append(DynamicDim(input_names[i], axis, size, size + step))
            data = np.take(data, np.arange(size + step) % max(size, 1), axis=axis)
        if data.dtype.kind == "f" and data.size:
            # Shuffled and scaled by up to 10%: the same range and signs (a model may need
            # positive input), in another order with other values.
            shuffled = rng.permutation(data.reshape(-1)).reshape(data.shape)
            data = shuffled * (1 + 0.1 * rng.uniform(-1, 1, data.shape)).astype(data.dtype)
        changed[id(tensor)] = Tensor._make(np.ascontiguousarray(data))
    return _replace(args, changed), _replace(kwargs, changed), dims


def _replace(value, grown: dict):
    if isinstance(value, Tensor):
        return grown.get(id(value), value)
    if isinstance(value, (tuple, list)):
        return type(value)(_replace(v, grown) for v in value)
    if isinstance(value, dict):
        return {k: _replace(v, grown) for k, v in value.items()}
    return value


def _state(model) -> list:
    """(state_dict name, tensor) of every parameter and buffer."""
    return list(model.named_parameters()) + [
        (name, b) for name, b in model.named_buffers() if b is not None]


def _value_info(onnx, name: str, tensor: Tensor, dims: dict):
    shape = [dims.get(axis, size) for axis, size in enumerate(tensor.shape)]
    return onnx.helper.make_tensor_value_info(name, onnx_dtype(onnx, tensor._data.dtype), shape)


def _same_ops(trace_a, trace_b) -> bool:
    return len(trace_a.records) == len(trace_b.records) and all(
        (a.kind, a.target) == (b.kind, b.target)
        for a, b in zip(trace_a.records, trace_b.records))


def _describe(trace, step: int) -> str:
    if step >= len(trace.records):
        return "the end"
    target = trace.records[step].target
    return getattr(target, "__name__", target) or trace.records[step].kind


def _translate(ctx: GraphContext, trace_a, trace_b) -> None:
    if not _same_ops(trace_a, trace_b):
        step = next((i for i, (a, b) in enumerate(zip(trace_a.records, trace_b.records))
                     if (a.kind, a.target) != (b.kind, b.target)),
                    min(len(trace_a.records), len(trace_b.records)))
        raise OnnxExporterError(
            "the model runs different operations for other input values or sizes of the "
            f"dynamic axes (from operation {step}: {_describe(trace_a, step)} vs "
            f"{_describe(trace_b, step)}), so one ONNX graph cannot describe it")
    for record, twin in zip(trace_a.records, trace_b.records):
        node = Node(ctx, record, twin)
        if record.kind == "write":
            ctx.bind(record.args["target"], node.input("values"))
            continue
        if record.kind == "copy":
            ctx.bind(record.args["self"], _copy(node))
            continue
        translate = _registry.OPS.get(record.target) if record.kind == "op" \
            else _registry.CALLS[record.target]
        if translate is None:
            cls = record.target
            raise UnsupportedOperatorError(
                f"ONNX export of the op {cls.__name__} ({cls.__module__}.{cls.__qualname__}) "
                "is not supported")
        names = translate(node)
        names = [names] if isinstance(names, str) else names
        results = _flatten(record.result)
        if len(names) != len(results):
            raise OnnxExporterError(f"internal: {node.name} gave {len(names)} values for "
                                    f"{len(results)} results")
        for tensor, name in zip(results, names):
            ctx.bind(tensor, name)


def _copy(node) -> str:
    """target.copy_(src): src cast to target's dtype and expanded to its shape."""
    target, src = node.arg("self"), node.arg("src")
    value = node.input("src", target._data.dtype)
    if not isinstance(src, Tensor) or src.shape != target.shape:
        shape = node.ints(target.shape, node.twin_arg("self").shape, "the shape")
        value = node.add("Expand", [value, shape])
    return value


def _outputs(ctx, onnx, trace_a, trace_b, output_names, dynamic_axes) -> list:
    outputs_a, outputs_b = _flatten(trace_a.outputs), _flatten(trace_b.outputs)
    if not outputs_a:
        raise OnnxExporterError("the model returned no tensors")
    names = _names(output_names, len(outputs_a), "output")
    infos = []
    for name, a, b in zip(names, outputs_a, outputs_b):
        source = ctx.lookup(a)
        if source is None:
            source = ctx.constant_value(a._data, b._data, f"output '{name}'")
        ctx.nodes.append(onnx.helper.make_node("Identity", [source], [name],
                                               name=ctx.fresh("Identity")))
        dims = _axes_map(dynamic_axes[name], name) if dynamic_axes and name in dynamic_axes \
            else {}
        dims.update({axis: dims.get(axis, f"{name}_dim_{axis}")
                     for axis, (sa, sb) in enumerate(zip(a.shape, b.shape)) if sa != sb})
        infos.append(_value_info(onnx, name, a, {k % max(a.ndim, 1): v
                                                  for k, v in dims.items()}))
    return infos


def _write(data: bytes, f) -> None:
    """Writes the file in one go once the whole model is built: to a temporary file renamed
    over the path, so a failure never leaves a partial file behind."""
    if f is None:
        raise ValueError("export needs f, a path or a binary file object")
    if isinstance(f, (str, os.PathLike)):
        directory = os.path.dirname(os.path.abspath(f))
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".onnx.tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, f)
        except BaseException:
            os.unlink(temporary)
            raise
    elif isinstance(f, io.TextIOBase):
        raise TypeError("export writes bytes: open the file in binary mode ('wb')")
    else:
        f.write(data)
