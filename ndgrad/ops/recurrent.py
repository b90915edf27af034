"""Recurrent cells: the LSTM and GRU steps as ops, and whole LSTM and GRU layers as fused ops.

`lstm_cell` and `gru_cell` compose one time step from ndgrad ops, so every order of derivative
is exact; the cell modules and packed sequences use them. `LSTMLayer` and `GRULayer` run all
time steps of one layer (one direction) as a single node: the gate maths on arrays in a loop,
and a hand-written backpropagation through time. A training step of the word-language-model LSTM then records 2
nodes where the composed form recorded about 700, and its backward does no per-step gradient
bookkeeping (see benchmarks/ lstm). With create_graph=True the fused backward rebuilds the
composed steps from its saved inputs and differentiates those, so higher-order gradients stay
exact.
"""
from __future__ import annotations

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._dual import composed_backward
from ndgrad.ops.fused import linear
from ndgrad.ops.shape import stack


def lstm_cell(xw: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh, w_hr) -> tuple:
    """One LSTM step from ops, gates in PyTorch's order i, f, g, o; `xw` is the input's
    projection x W_ih^T + b_ih. Returns (h', c'), h' projected by `w_hr` when it is given."""
    i, f, g, o = (xw + linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return (h if w_hr is None else linear(h, w_hr)), c


def gru_cell(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    """One GRU step from ops, gates r, z, n in PyTorch's order, with
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); `xw` is x W_ih^T + b_ih."""
    x_r, x_z, x_n = xw.chunk(3, -1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, -1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (h - n)  # (1 - z) n + z h, with one product fewer


def _sigmoid_(a):
    """sigmoid in place, as tanh(a / 2) / 2 + 1 / 2 (no overflow, one transcendental call)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _gate_constants(hidden: int, dtype) -> tuple:
    """(scale, shift) per gate column such that act = tanh(x * scale) * scale + shift is
    sigmoid for the i, f, o gates and tanh for g: sigmoid(x) = tanh(x / 2) / 2 + 1 / 2. One
    tanh over all four gates is cheaper than a sigmoid and a tanh over column blocks."""
    scale = np.full(4 * hidden, 0.5, dtype)
    scale[2 * hidden:3 * hidden] = 1
    shift = np.full(4 * hidden, 0.5, dtype)
    shift[2 * hidden:3 * hidden] = 0
    return scale, shift


class LSTMLayer(ArrayFunction):
    """All steps of one LSTM layer: given xw (T, B, 4H) = x W_ih^T + b_ih, the initial h0
    (B, P) and c0 (B, H), returns (outputs (T, B, P), h_T, c_T). P is the projection size
    (w_hr of shape (P, H)) or H without projection; b_hh and w_hr may be None."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, xw, h0, c0, w_hh, b_hh, w_hr):
        steps, batch, gates = xw.shape
        hidden = gates // 4
        scale, shift = _gate_constants(hidden, xw.dtype)
        # The pre-activations of every step, already scaled for the one-tanh activation.
        acts = (xw if b_hh is None else xw + b_hh) * scale
        # C-ordered: a product with a transposed view ran 2-3x slower for these shapes
        # ((20, 128) @ (128, 512): 96 against 34 us, OpenBLAS, 1 thread).
        w_scaled = np.ascontiguousarray((w_hh * scale[:, None]).T)
        hs = np.empty((steps + 1,) + h0.shape, xw.dtype)
        cs = np.empty((steps + 1,) + c0.shape, xw.dtype)
        tanh_c = np.empty((steps,) + c0.shape, xw.dtype)
        raw = np.empty_like(tanh_c) if w_hr is not None else None
        w_hr_t = np.ascontiguousarray(w_hr.T) if w_hr is not None else None
        hs[0], cs[0] = h0, c0
        for t in range(steps):
            a = acts[t]
            a += hs[t] @ w_scaled
            np.tanh(a, out=a)
            a *= scale
            a += shift
            i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
            np.multiply(f, cs[t], out=cs[t + 1])
            cs[t + 1] += i * g
            np.tanh(cs[t + 1], out=tanh_c[t])
            if w_hr is None:
                np.multiply(o, tanh_c[t], out=hs[t + 1])
            else:
                np.multiply(o, tanh_c[t], out=raw[t])
                np.matmul(raw[t], w_hr_t, out=hs[t + 1])
        ctx.save_for_backward(xw, h0, c0, w_hh, b_hh, w_hr)
        # Raw arrays for the array backward only; create_graph recomputes from the inputs.
        ctx.acts, ctx.hs, ctx.cs, ctx.tanh_c, ctx.raw = acts, hs, cs, tanh_c, raw
        return hs[1:].copy(), hs[steps].copy(), cs[steps].copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c):
        if isinstance(grad_out, Tensor):
            return composed_backward(ctx, (grad_out, grad_h, grad_c), _lstm_steps)
        return _lstm_array_backward(ctx, grad_out, grad_h, grad_c)


def _lstm_array_backward(ctx, grad_out, grad_h, grad_c) -> tuple:
    """Backpropagation through time on arrays: the gate gradients of every step, then the
    weight gradients as one product over all steps."""
    _, _, _, w_hh, b_hh, w_hr = ctx.saved_tensors
    acts, hs, cs, tanh_c, raw = ctx.acts, ctx.hs, ctx.cs, ctx.tanh_c, ctx.raw
    steps, batch, gates = acts.shape
    hidden = gates // 4
    # d act / d pre-activation: a (1 - a) for the sigmoid gates, 1 - a^2 for the tanh gate.
    slopes = acts * (1 - acts)
    g_block = acts[..., 2 * hidden:3 * hidden]
    slopes[..., 2 * hidden:3 * hidden] = 1 - g_block * g_block
    # d c_t / d h_t's pre-projection value, through h = o tanh(c).
    through_c = acts[..., 3 * hidden:] * (1 - tanh_c * tanh_c)
    grad_gates = np.empty_like(acts)
    grad_hs = np.empty((steps,) + grad_h.shape, acts.dtype) if w_hr is not None else None
    dh, dc = grad_h.copy(), grad_c.copy()
    for t in range(steps - 1, -1, -1):
        dh += grad_out[t]
        if w_hr is not None:
            grad_hs[t] = dh
            dh = dh @ w_hr
        a, d = acts[t], grad_gates[t]
        np.multiply(dh, tanh_c[t], out=d[:, 3 * hidden:])
        dc += dh * through_c[t]
        np.multiply(dc, a[:, 2 * hidden:3 * hidden], out=d[:, :hidden])
        np.multiply(dc, cs[t], out=d[:, hidden:2 * hidden])
        np.multiply(dc, a[:, :hidden], out=d[:, 2 * hidden:3 * hidden])
        d *= slopes[t]
        dc *= a[:, hidden:2 * hidden]
        dh = d @ w_hh
    needs = ctx.needs_input_grad
    rows = grad_gates.reshape(-1, gates)
    grad_w_hh = rows.T @ hs[:steps].reshape(steps * batch, -1) if needs[3] else None
    grad_b_hh = rows.sum(0) if b_hh is not None and needs[4] else None
    grad_w_hr = None
    if w_hr is not None and needs[5]:
        grad_w_hr = grad_hs.reshape(-1, grad_hs.shape[-1]).T @ raw.reshape(-1, hidden)
    return grad_gates, dh, dc, grad_w_hh, grad_b_hh, grad_w_hr


class GRULayer(ArrayFunction):
    """All steps of one GRU layer: given xw (T, B, 3H) = x W_ih^T + b_ih and h0 (B, H), returns
    (outputs (T, B, H), h_T); b_hh may be None."""

    _backward_on_arrays = True

    @staticmethod
    def forward(ctx, xw, h0, w_hh, b_hh):
        steps, batch, gates = xw.shape
        hidden = gates // 3
        w_t = np.ascontiguousarray(w_hh.T)  # see LSTMLayer: transposed views multiply slowly
        hs = np.empty((steps + 1,) + h0.shape, xw.dtype)
        rz = np.empty((steps, batch, 2 * hidden), xw.dtype)  # the r and z gates
        n = np.empty((steps,) + h0.shape, xw.dtype)
        hh_n = np.empty_like(n)  # W_hn h + b_hn, which r multiplies
        hs[0] = h0
        for t in range(steps):
            hh = hs[t] @ w_t
            if b_hh is not None:
                hh += b_hh
            np.add(xw[t, :, :2 * hidden], hh[:, :2 * hidden], out=rz[t])
            _sigmoid_(rz[t])
            r, z = rz[t, :, :hidden], rz[t, :, hidden:]
            hh_n[t] = hh[:, 2 * hidden:]
            np.multiply(r, hh_n[t], out=n[t])
            n[t] += xw[t, :, 2 * hidden:]
            np.tanh(n[t], out=n[t])
            np.subtract(hs[t], n[t], out=hs[t + 1])
            hs[t + 1] *= z
            hs[t + 1] += n[t]
        ctx.save_for_backward(xw, h0, w_hh, b_hh)
        ctx.hs, ctx.rz, ctx.n, ctx.hh_n = hs, rz, n, hh_n  # for the array backward only
        return hs[1:].copy(), hs[steps].copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h):
        if isinstance(grad_out, Tensor):
            return composed_backward(ctx, (grad_out, grad_h), _gru_steps)
        _, _, w_hh, b_hh = ctx.saved_tensors
        hs, rz, n, hh_n = ctx.hs, ctx.rz, ctx.n, ctx.hh_n
        steps, batch, hidden = n.shape
        grad_x = np.empty((steps, batch, 3 * hidden), n.dtype)
        grad_hh = np.empty_like(grad_x)  # d loss / d (h W_hh^T + b_hh) per step
        slopes = rz * (1 - rz)
        dh = grad_h.copy()
        for t in range(steps - 1, -1, -1):
            dh += grad_out[t]
            r, z = rz[t, :, :hidden], rz[t, :, hidden:]
            dx, dhh = grad_x[t], grad_hh[t]
            dn = dh * (1 - z) * (1 - n[t] * n[t])  # through the tanh
            np.multiply(dh, hs[t] - n[t], out=dx[:, hidden:2 * hidden])  # dz
            np.multiply(dn, hh_n[t], out=dx[:, :hidden])  # dr
            dx[:, :2 * hidden] *= slopes[t]
            dx[:, 2 * hidden:] = dn
            dhh[:, :2 * hidden] = dx[:, :2 * hidden]
            np.multiply(dn, r, out=dhh[:, 2 * hidden:])
            dh = dh * z + dhh @ w_hh
        needs = ctx.needs_input_grad
        rows = grad_hh.reshape(-1, 3 * hidden)
        grad_w_hh = rows.T @ hs[:steps].reshape(steps * batch, -1) if needs[2] else None
        grad_b_hh = rows.sum(0) if b_hh is not None and needs[3] else None
        return grad_x, dh, grad_w_hh, grad_b_hh


def _gru_steps(inputs: tuple) -> tuple:
    xw, h, w_hh, b_hh = inputs
    outputs = []
    for xw_t in xw.unbind(0):
        h = gru_cell(xw_t, h, w_hh, b_hh)
        outputs.append(h)
    return stack(outputs), h


def _lstm_steps(inputs: tuple) -> tuple:
    xw, h, c, w_hh, b_hh, w_hr = inputs
    outputs = []
    for xw_t in xw.unbind(0):
        h, c = lstm_cell(xw_t, h, c, w_hh, b_hh, w_hr)
        outputs.append(h)
    return stack(outputs), h, c


def gru_layer(xw: Tensor, h0: Tensor, w_hh: Tensor, b_hh) -> tuple:
    """Runs one GRU layer over all steps of xw as one fused op (see GRULayer)."""
    return GRULayer.apply(xw, h0, w_hh, b_hh)


def lstm_layer(xw: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, b_hh, w_hr) -> tuple:
    """Runs one LSTM layer over all steps of xw as one fused op (see LSTMLayer)."""
    return LSTMLayer.apply(xw, h0, c0, w_hh, b_hh, w_hr)
