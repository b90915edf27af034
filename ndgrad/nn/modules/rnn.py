"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

Each time step is composed from ndgrad ops (linear, sigmoid, tanh, chunk, stack), so values and
gradients of every order are exact. The input-to-hidden product of a layer is computed for all
time steps at once; only the hidden-to-hidden product runs inside the time loop. An LSTM or GRU
layer over a padded batch runs as one fused op instead (ops/recurrent.py), with the same values
and gradients of every order.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ndgrad._creation import empty, zeros
from ndgrad._tensor import Tensor
from ndgrad.nn import functional as F
from ndgrad.nn import init
from ndgrad.nn.modules.module import Module
from ndgrad.nn.parameter import Parameter
from ndgrad.nn.utils.rnn import PackedSequence
from ndgrad.ops.recurrent import gru_cell, gru_layer, lstm_cell, lstm_layer
from ndgrad.ops.shape import cat, stack

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

# Rows of the stacked gate weights per mode, in PyTorch's order.
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_NONLINEARITIES = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}


def _rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh, mode: str) -> Tensor:
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), given xw = x W_ih^T + b_ih."""
    pre = xw + F.linear(h, w_hh, b_hh)
    return pre.tanh() if mode == "RNN_TANH" else pre.relu()


def _step(mode: str, xw: Tensor, state: tuple, weights: tuple) -> tuple:
    """Advances `state` ((h,) or (h, c) for LSTM) by one step of `mode`."""
    w_hh, b_hh, w_hr = weights
    if mode == "LSTM":
        return lstm_cell(xw, state[0], state[1], w_hh, b_hh, w_hr)
    if mode == "GRU":
        return (gru_cell(xw, state[0], w_hh, b_hh),)
    return (_rnn_step(xw, state[0], w_hh, b_hh, mode),)


def _run_direction(mode: str, steps: list, state: tuple, weights: tuple, reverse: bool):
    """Runs one direction of one layer over `steps` (projected inputs, one tensor per time step,
    batch sizes non-increasing as in a packed sequence). Returns the per-step outputs and the
    final state of every sequence, in batch order."""
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    outputs = [None] * len(steps)
    finished = []
    full = state
    if reverse and steps[-1].shape[0] < state[0].shape[0]:
        # Backwards, a sequence starts at its last step: the batch grows from the shortest.
        state = tuple(s[:steps[-1].shape[0]] for s in full)
    for t in order:
        batch = steps[t].shape[0]
        size = state[0].shape[0]
        if batch < size:
            finished.append(tuple(s[batch:] for s in state))
            state = tuple(s[:batch] for s in state)
        elif batch > size:
            # Reverse direction: sequences that end later join with their initial state.
            state = tuple(cat([s, f[size:batch]]) for s, f in zip(state, full))
        state = _step(mode, steps[t], state, weights)
        outputs[t] = state[0]
    # Sequences that ended earlier hold the later batch rows.
    for piece in reversed(finished):
        state = tuple(cat([s, p]) for s, p in zip(state, piece))
    return outputs, state


def _fused_layer(mode: str, xw: Tensor, state: tuple, weights: tuple, reverse: bool) -> tuple:
    """One direction of one LSTM or GRU layer over a padded (T, B, gates) input as one fused
    op (see ops/recurrent.py); the reverse direction runs on the time-flipped input."""
    w_hh, b_hh, w_hr = weights
    if reverse:
        xw = xw.flip(0)
    if mode == "LSTM":
        output, h, c = lstm_layer(xw, state[0], state[1], w_hh, b_hh, w_hr)
        final = (h, c)
    else:
        output, h = gru_layer(xw, state[0], w_hh, b_hh)
        final = (h,)
    return (output.flip(0) if reverse else output), final


def _check_config(hidden_size, num_layers, dropout, proj_size) -> float:
    """Refuses the constructor arguments PyTorch refuses; returns dropout as a float."""
    dropout = float(dropout)
    if not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", UserWarning)
    for name, value in (("hidden_size", hidden_size), ("num_layers", num_layers),
                        ("proj_size", proj_size)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    return dropout


class RNNBase(Module):
    """The multi-layer recurrent network shared by RNN, LSTM and GRU; `mode` is one of
    'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'. Parameters are named, shaped, ordered and
    initialised as in PyTorch, so PyTorch's state_dict loads."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        self.dropout = _check_config(hidden_size, num_layers, dropout, proj_size)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.bidirectional, self.proj_size = bidirectional, proj_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(2 if bidirectional else 1):
                names = self._add_layer(layer, direction, dtype)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def _add_layer(self, layer: int, direction: int, dtype) -> list:
        """Registers one layer-direction's parameters in PyTorch's order; returns their names."""
        gate_size = _GATES[self.mode] * self.hidden_size
        real_hidden = self.proj_size or self.hidden_size
        num_directions = 2 if self.bidirectional else 1
        layer_input = self.input_size if layer == 0 else real_hidden * num_directions
        shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
        if self.bias:
            shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
        if self.proj_size:
            shapes.append(("weight_hr", (self.proj_size, self.hidden_size)))
        suffix = "_reverse" if direction else ""
        names = []
        for base, shape in shapes:
            names.append(f"{base}_l{layer}{suffix}")
            setattr(self, names[-1], Parameter(empty(*shape, dtype=dtype)))
        return names

    def reset_parameters(self) -> None:
        """Draws every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Accepted for compatibility; ndgrad keeps no fused weight buffer, so it does nothing."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters, one list per layer and direction, in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _weights(self, index: int) -> tuple:
        """(w_ih, b_ih, (w_hh, b_hh, w_hr)) of layer-direction `index`; absent ones are None."""
        layer, direction = divmod(index, 2 if self.bidirectional else 1)
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        b_ih = getattr(self, "bias_ih" + suffix) if self.bias else None
        b_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
        w_hr = getattr(self, "weight_hr" + suffix) if self.proj_size else None
        return (getattr(self, "weight_ih" + suffix), b_ih,
                (getattr(self, "weight_hh" + suffix), b_hh, w_hr))

    def _state_shapes(self, batch: int) -> list:
        """Expected shapes of h_0 (and c_0 for LSTM)."""
        rows = self.num_layers * (2 if self.bidirectional else 1)
        shapes = [(rows, batch, self.proj_size or self.hidden_size)]
        if self.mode == "LSTM":
            shapes.append((rows, batch, self.hidden_size))
        return shapes

    def _check_input(self, input: Tensor, packed: bool) -> None:
        if not packed and input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, "
                             f"got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        if not packed and input.shape[-3 if input.dim() == 3 and self.batch_first else 0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")

    def _initial_states(self, hx, batched: bool, batch: int, input: Tensor) -> list:
        """h_0 (and c_0) as 3-D tensors, zeros where not given; checks ranks and shapes."""
        shapes = self._state_shapes(batch)
        if hx is None:
            return [zeros(*shape, dtype=input.dtype) for shape in shapes]
        states = list(hx) if self.mode == "LSTM" else [hx]
        if self.mode == "LSTM" and (not isinstance(hx, (tuple, list)) or len(states) != 2):
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of tensors")
        if not all(isinstance(s, Tensor) for s in states):
            raise TypeError(f"{type(self).__name__}: hx must be a Tensor")
        rank = 3 if batched else 2
        if any(s.dim() != rank for s in states):
            ranks = ", ".join(f"{s.dim()}-D" for s in states)
            raise RuntimeError(f"For {'batched' if batched else 'unbatched'} {rank}-D input, "
                               f"hx should also be {rank}-D but got {ranks} tensor")
        if not batched:
            states = [s.unsqueeze(1) for s in states]
        for i, (state, shape) in enumerate(zip(states, shapes)):
            if tuple(state.shape) != shape:
                which = f"hidden[{i}]" if self.mode == "LSTM" else "hidden"
                raise RuntimeError(f"Expected {which} size {shape}, got {list(state.shape)}")
        return states

    def _layers(self, x: Tensor, batch_sizes, states: list) -> tuple:
        """Runs all layers over x ((T, B, input) or packed data with `batch_sizes`); returns
        the last layer's output and the final states, stacked over layers and directions."""
        num_directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                w_ih, b_ih, recurrent = self._weights(index)
                xw = F.linear(x, w_ih, b_ih)
                state = tuple(s[index] for s in states)
                if self.mode in ("LSTM", "GRU") and batch_sizes is None:
                    output, final = _fused_layer(self.mode, xw, state, recurrent,
                                                 direction == 1)
                else:
                    steps = list(xw.unbind(0) if batch_sizes is None else xw.split(batch_sizes))
                    outs, final = _run_direction(self.mode, steps, state, recurrent,
                                                 direction == 1)
                    output = stack(outs) if batch_sizes is None else cat(outs)
                outputs.append(output)
                finals.append(final)
            x = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, [stack([f[i] for f in finals]) for i in range(len(states))]

    def forward(self, input, hx=None):
        """Returns (output, h_n), or (output, (h_n, c_n)) for LSTM, shaped as in PyTorch."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        self._check_input(input, packed=False)
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        states = self._initial_states(hx, batched, input.shape[1], input)
        output, finals = self._layers(input, None, states)
        if not batched:
            output = output.squeeze(1)
            finals = [f.squeeze(1) for f in finals]
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (tuple(finals) if self.mode == "LSTM" else finals[0])

    def _forward_packed(self, input, hx):
        """forward for a PackedSequence: states are given and returned in the caller's batch
        order, and run in the sequence's sorted order."""
        data, batch_sizes = input.data, [int(b) for b in input.batch_sizes.tolist()]
        self._check_input(data, packed=True)
        states = self._initial_states(hx, True, batch_sizes[0], data)
        if hx is not None and input.sorted_indices is not None:
            states = [s.index_select(1, input.sorted_indices) for s in states]
        output, finals = self._layers(data, batch_sizes, states)
        if input.unsorted_indices is not None:
            finals = [f.index_select(1, input.unsorted_indices) for f in finals]
        packed = PackedSequence(output, input.batch_sizes, input.sorted_indices,
                                input.unsorted_indices)
        return packed, (tuple(finals) if self.mode == "LSTM" else finals[0])

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _refuse_extra(kwargs: dict) -> None:
    """RNN and GRU take no proj_size (PyTorch's ValueError) and no other extra keyword."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"unexpected keyword argument '{next(iter(kwargs))}'")


class RNN(RNNBase):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 **kwargs) -> None:
        _refuse_extra(kwargs)
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(_NONLINEARITIES[nonlinearity], input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o; with proj_size > 0, h_t = W_hr (o * tanh(c_t))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, **kwargs) -> None:
        _refuse_extra(kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


class RNNCellBase(Module):
    """The parameters shared by the single-step cells: weight_ih (chunks * hidden, input),
    weight_hh (chunks * hidden, hidden), bias_ih, bias_hh, initialised as in PyTorch."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(rows, input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(rows, hidden_size, dtype=dtype))
        self.bias_ih = Parameter(empty(rows, dtype=dtype)) if bias else None
        self.bias_hh = Parameter(empty(rows, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draws every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: list) -> tuple:
        """Checks input and states and makes them 2-D (zeros for missing states); returns
        (input, states, batched)."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, not {type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[-1]} expected {self.input_size}")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        batch = input.shape[0]
        states = []
        for i, state in enumerate(hx):
            if state is None:
                state = zeros(batch, self.hidden_size, dtype=input.dtype)
            elif state.dim() != (2 if batched else 1):
                raise RuntimeError(f"{name}: Expected hidden{i} to be {2 if batched else 1}D "
                                   f"for {2 if batched else 1}D input, got {state.dim()}D")
            elif not batched:
                state = state.unsqueeze(0)
            if state.shape[0] != batch:
                raise RuntimeError(f"{name}: Input batch size {batch} doesn't match hidden{i} "
                                   f"batch size {state.shape[0]}")
            if state.shape[1] != self.hidden_size:
                raise RuntimeError(f"{name}: hidden{i} has inconsistent hidden_size: got "
                                   f"{state.shape[1]}, expected {self.hidden_size}")
            states.append(state)
        return input, states, batched


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), batched = self._prepare(input, [hx])
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        h = _rnn_step(xw, h, self.weight_hh, self.bias_hh, _NONLINEARITIES[self.nonlinearity])
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0) of tensors")
        input, (h, c), batched = self._prepare(input, [None, None] if hx is None else list(hx))
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = lstm_cell(xw, h, c, self.weight_hh, self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), batched = self._prepare(input, [hx])
        h = gru_cell(F.linear(input, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh)
        return h if batched else h.squeeze(0)
