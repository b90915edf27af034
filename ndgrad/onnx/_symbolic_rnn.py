"""RNN, LSTM and GRU modules translated whole, one ONNX RNN/LSTM/GRU node per layer.

PyTorch and ONNX order the gates differently (LSTM: i f g o vs i o f c; GRU: r z n vs
z r h); the weights are reordered into new initializers. PyTorch's GRU applies the reset
gate after the recurrent product, which is ONNX's linear_before_reset=1.
"""
from __future__ import annotations

import numpy as np

from ndgrad.nn.modules.rnn import RNNBase
from ndgrad.nn.utils.rnn import PackedSequence
from ndgrad.onnx._registry import call, unsupported

_ONNX_OP = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}
_GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def _gates(array, mode: str):
    """Rows of a (gates * hidden, ...) weight or bias in ONNX's gate order."""
    blocks = np.split(np.asarray(array), len(_GATE_ORDER[mode]))
    return np.concatenate([blocks[i] for i in _GATE_ORDER[mode]])


def _parameter(module, name: str, layer: int, direction: int):
    """A weight or bias by PyTorch's name (weight_ih_l0, bias_hh_l1_reverse, ...), its rows in
    ONNX's gate order."""
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    return _gates(getattr(module, name + suffix)._data, module.mode)


def _layer_weights(module, layer: int, directions: int) -> tuple:
    """W, R and B of one layer, stacked over directions as ONNX wants them."""
    w, r, b = [], [], []
    for d in range(directions):
        w.append(_parameter(module, "weight_ih", layer, d))
        r.append(_parameter(module, "weight_hh", layer, d))
        if module.bias:
            b.append(np.concatenate([_parameter(module, "bias_ih", layer, d),
                                     _parameter(module, "bias_hh", layer, d)]))
    return np.stack(w), np.stack(r), (np.stack(b) if b else None)


@call("rnn", RNNBase.forward)
def _rnn(node):
    """(output, h_n) or (output, (h_n, c_n)): the layers in sequence, each an ONNX node whose
    output (T, directions, B, H) is reshaped to the next layer's input (T, B, directions * H)."""
    module, input, hx = node.arg("self"), node.arg("input"), node.arg("hx")
    if isinstance(input, PackedSequence):
        unsupported(node, "a recurrent module on a PackedSequence")
    if module.proj_size:
        unsupported(node, "an LSTM with proj_size")
    ctx, mode = node.ctx, module.mode
    directions = 2 if module.bidirectional else 1
    batched = input.ndim == 3
    x = node.input("input")
    if not batched:
        x = node.add("Unsqueeze", [x, ctx.ints([1])])
    elif module.batch_first:
        x = node.add("Transpose", [x], perm=[1, 0, 2])
    states = _initial_states(node, mode, hx, batched)
    finals = [[] for _ in range(2 if mode == "LSTM" else 1)]
    for layer in range(module.num_layers):
        w, r, b = _layer_weights(module, layer, directions)
        initial = [None if s is None else
                   node.add("Slice", [s, ctx.ints([layer * directions]),
                                      ctx.ints([(layer + 1) * directions]), ctx.ints([0])])
                   for s in states]
        inputs = [x, ctx.constant(w), ctx.constant(r),
                  None if b is None else ctx.constant(b), None] + initial
        outputs = node.add(_ONNX_OP[mode], inputs, 1 + len(finals), **_attrs(module, directions))
        y = node.add("Transpose", [outputs[0]], perm=[0, 2, 1, 3])
        x = node.add("Reshape", [y, ctx.ints([0, 0, -1])])
        for i, final in enumerate(outputs[1:]):
            finals[i].append(final)
    finals = [f[0] if len(f) == 1 else node.add("Concat", f, axis=0) for f in finals]
    if not batched:
        x = node.add("Squeeze", [x, ctx.ints([1])])
        finals = [node.add("Squeeze", [f, ctx.ints([1])]) for f in finals]
    elif module.batch_first:
        x = node.add("Transpose", [x], perm=[1, 0, 2])
    return [x] + finals


def _attrs(module, directions: int) -> dict:
    attrs = {"hidden_size": module.hidden_size,
                 "direction": "bidirectional" if directions == 2 else "forward"}
    if module.mode == "GRU":
        attrs["linear_before_reset"] = 1
    elif module.mode.startswith("RNN"):
        attrs["activations"] = ["Tanh" if module.mode == "RNN_TANH" else "Relu"] * directions
    return attrs


def _initial_states(node, mode: str, hx, batched: bool) -> list:
    """[h_0] or [h_0, c_0] as 3-D values, None where not given (ONNX then starts at zeros)."""
    count = 2 if mode == "LSTM" else 1
    if hx is None:
        return [None] * count
    names = []
    for i in range(count):
        key = ("hx", i) if mode == "LSTM" else ("hx",)
        state = _input_at(node, key)
        names.append(state if batched else node.add("Unsqueeze", [state, node.ctx.ints([1])]))
    return names


def _input_at(node, key: tuple) -> str:
    """The value of hx or hx[i] (the LSTM pair)."""
    value = node.arg(key[0])
    if len(key) == 2:
        value = value[key[1]]
    name = node.ctx.lookup(value)
    if name is None:
        twin = node.twin_arg(key[0])
        twin = twin[key[1]] if len(key) == 2 else twin
        name = node.ctx.constant_value(value._data, twin._data, f"the state of {node.name}")
    return name
