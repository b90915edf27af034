"""Sequence workloads: a word-language-model LSTM step and a Transformer encoder step.

As in workloads.py, data and initial weights are made once with NumPy (float32) and copied by
PyTorch's parameter names into every implementation, so all start from the same numbers.
`lstm_training_steps()` and `transformer_training_steps()` return (steps, final_losses), keyed
'numpy' (LSTM only), 'ndgrad' and 'torch'. `python -m benchmarks.sequence_workloads` checks that
the losses agree after 20 steps.
"""
from __future__ import annotations

import numpy as np

from benchmarks.conv_workloads import softmax_cross_entropy

# word_language_model's sizes for the benchmark: vocabulary, embedding = hidden, layers.
LSTM_SIZES = {"vocab": 1000, "hidden": 128, "layers": 2, "seq": 35, "batch": 20}
LSTM_LR, LSTM_CLIP = 20.0, 0.25  # the example's defaults
TRANSFORMER_SIZES = {"vocab": 1000, "d_model": 128, "heads": 4, "ff": 512, "layers": 2,
                     "seq": 64, "batch": 16, "classes": 10}

# ---------------------------------------------------------------- shared data


def _uniform(rng, bound: float, shape) -> np.ndarray:
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def lstm_data(seed: int = 0, chunks: int = 4):
    """A token stream batchified as the example does ((chunks * seq + 1, batch) int64, one
    column per batch entry), and the model's parameters by PyTorch name, initialised as the
    example initialises them."""
    s = LSTM_SIZES
    rng = np.random.default_rng(seed)
    stream = rng.integers(0, s["vocab"], (chunks * s["seq"] + 1, s["batch"]))
    hidden, bound = s["hidden"], 1 / np.sqrt(s["hidden"])
    params = {"encoder.weight": _uniform(rng, 0.1, (s["vocab"], hidden))}
    for layer in range(s["layers"]):
        for kind in ("weight_ih", "weight_hh"):
            params[f"rnn.{kind}_l{layer}"] = _uniform(rng, bound, (4 * hidden, hidden))
        for kind in ("bias_ih", "bias_hh"):
            params[f"rnn.{kind}_l{layer}"] = _uniform(rng, bound, 4 * hidden)
    params["decoder.weight"] = _uniform(rng, 0.1, (s["vocab"], hidden))
    params["decoder.bias"] = np.zeros(s["vocab"], np.float32)
    return stream, params


def lstm_batch(stream, index: int):
    """The `index`-th (input, target) pair of the stream, cycling: (seq, batch) each."""
    seq = LSTM_SIZES["seq"]
    start = (index % ((len(stream) - 1) // seq)) * seq
    return stream[start:start + seq], stream[start + 1:start + 1 + seq]


def transformer_data(seed: int = 0):
    """Tokens (batch, seq), labels (batch,), and parameters by PyTorch name: linear weights
    uniform in +-1/sqrt(fan_in), biases uniform small, LayerNorm 1 and 0, embeddings N(0, 1)."""
    s = TRANSFORMER_SIZES
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, s["vocab"], (s["batch"], s["seq"]))
    labels = rng.integers(0, s["classes"], s["batch"])
    d, ff = s["d_model"], s["ff"]
    params = {"token.weight": rng.standard_normal((s["vocab"], d)).astype(np.float32),
              "position.weight": rng.standard_normal((s["seq"], d)).astype(np.float32)}
    shapes = {"self_attn.in_proj_weight": (3 * d, d), "self_attn.in_proj_bias": (3 * d,),
              "self_attn.out_proj.weight": (d, d), "self_attn.out_proj.bias": (d,),
              "linear1.weight": (ff, d), "linear1.bias": (ff,),
              "linear2.weight": (d, ff), "linear2.bias": (d,)}
    for layer in range(s["layers"]):
        for name, shape in shapes.items():
            fan_in = shape[1] if len(shape) == 2 else d
            params[f"encoder.layers.{layer}.{name}"] = _uniform(rng, 1 / np.sqrt(fan_in), shape)
        for norm in ("norm1", "norm2"):
            params[f"encoder.layers.{layer}.{norm}.weight"] = np.ones(d, np.float32)
            params[f"encoder.layers.{layer}.{norm}.bias"] = np.zeros(d, np.float32)
    params["head.weight"] = _uniform(rng, 1 / np.sqrt(d), (s["classes"], d))
    params["head.bias"] = _uniform(rng, 1 / np.sqrt(d), s["classes"])
    return tokens, labels, params


def _load(lib, model, params: dict) -> None:
    """Copies `params` into the model's parameters of the same names (all must match)."""
    named = dict(model.named_parameters())
    if set(named) != set(params):
        raise AssertionError(f"parameter names differ: {sorted(set(named) ^ set(params))}")
    with lib.no_grad():
        for name, value in params.items():
            named[name].copy_(lib.tensor(value))


# ---------------------------------------------------------------- hand-written NumPy LSTM


def _sigmoid(x):
    # One transcendental instead of exp plus a division: sigmoid(x) = (1 + tanh(x / 2)) / 2.
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def _gates(a, hidden: int) -> tuple:
    """The i, f, g, o blocks of gate rows a (B, 4H), as views (np.split costs 10x more)."""
    return tuple(a[:, k * hidden:(k + 1) * hidden] for k in range(4))


def lstm_layer_forward(x, h, c, w_ih, w_hh, bias):
    """One LSTM layer over x (T, B, in) from state (h, c) (B, H); gates i, f, g, o as PyTorch.
    Returns the outputs (T, B, H), the final (h, c), and what backward needs."""
    steps, hidden = len(x), h.shape[1]
    xw = (x.reshape(-1, x.shape[2]) @ w_ih.T + bias).reshape(steps, len(h), 4 * hidden)
    acts = np.empty_like(xw)      # gate activations, for backward
    cells = np.empty((steps + 1,) + c.shape, c.dtype)
    hs = np.empty((steps + 1,) + h.shape, h.dtype)  # hs[0] is the initial state
    tanh_c = np.empty((steps,) + c.shape, c.dtype)
    hs[0], cells[0] = h, c
    tanh = slice(2 * hidden, 3 * hidden)  # the g gate; i, f and o are sigmoids
    for t in range(steps):
        pre = xw[t] + hs[t] @ w_hh.T
        a = acts[t]
        a[:] = _sigmoid(pre)
        a[:, tanh] = np.tanh(pre[:, tanh])
        i, f, g, o = _gates(a, hidden)
        cells[t + 1] = f * cells[t] + i * g
        tanh_c[t] = np.tanh(cells[t + 1])
        hs[t + 1] = o * tanh_c[t]
    return hs[1:], (hs[-1], cells[-1]), (x, hs, cells, tanh_c, acts)


def lstm_layer_backward(grad_out, saved, w_ih, w_hh):
    """Backward through time of lstm_layer_forward for grad_out (T, B, H), the initial state
    taken as a constant (it is detached): returns (dx, dw_ih, dw_hh, dbias)."""
    x, hs, cells, tanh_c, acts = saved
    steps, hidden = len(grad_out), grad_out.shape[2]
    dpre = np.empty_like(acts)
    dh = np.zeros_like(hs[0])
    dc = np.zeros_like(cells[0])
    for t in range(steps - 1, -1, -1):
        i, f, g, o = _gates(acts[t], hidden)
        dh = dh + grad_out[t]
        dc = dc + dh * o * (1 - tanh_c[t] * tanh_c[t])
        d = dpre[t]
        d[:, :hidden] = dc * g * i * (1 - i)
        d[:, hidden:2 * hidden] = dc * cells[t] * f * (1 - f)
        d[:, 2 * hidden:3 * hidden] = dc * i * (1 - g * g)
        d[:, 3 * hidden:] = dh * tanh_c[t] * o * (1 - o)
        dc = dc * f
        dh = d @ w_hh
    flat = dpre.reshape(-1, 4 * hidden)
    dw_hh = flat.T @ hs[:-1].reshape(-1, hidden)
    dw_ih = flat.T @ x.reshape(-1, x.shape[2])
    dx = (flat @ w_ih).reshape(x.shape)
    return dx, dw_ih, dw_hh, flat.sum(0)


class NumpyWordLM:
    """word_language_model's LSTM step written out by hand: embedding, LSTM layers, decoder,
    cross entropy, backward through time, clip_grad_norm_ and plain SGD (PyTorch's rules)."""

    def __init__(self, stream, params: dict) -> None:
        self.stream, self.index, self.loss = stream, 0, None
        self.p = {name: value.copy() for name, value in params.items()}
        s = LSTM_SIZES
        self.state = [(np.zeros((s["batch"], s["hidden"]), np.float32),) * 2
                      for _ in range(s["layers"])]

    def forward_backward(self, tokens, targets) -> tuple:
        """Loss and gradients by parameter name; carries the (detached) state on."""
        p, layers = self.p, len(self.state)
        x = p["encoder.weight"][tokens]
        saved = []
        for layer in range(layers):
            w_ih, w_hh = p[f"rnn.weight_ih_l{layer}"], p[f"rnn.weight_hh_l{layer}"]
            bias = p[f"rnn.bias_ih_l{layer}"] + p[f"rnn.bias_hh_l{layer}"]
            x, self.state[layer], keep = lstm_layer_forward(x, *self.state[layer], w_ih, w_hh,
                                                            bias)
            saved.append(keep)
        flat = x.reshape(-1, x.shape[2])
        loss, g = softmax_cross_entropy(flat @ p["decoder.weight"].T + p["decoder.bias"],
                                        targets.reshape(-1))
        grads = {"decoder.weight": g.T @ flat, "decoder.bias": g.sum(0)}
        g = (g @ p["decoder.weight"]).reshape(x.shape)
        for layer in range(layers - 1, -1, -1):
            w_ih, w_hh = p[f"rnn.weight_ih_l{layer}"], p[f"rnn.weight_hh_l{layer}"]
            g, dw_ih, dw_hh, dbias = lstm_layer_backward(g, saved[layer], w_ih, w_hh)
            grads[f"rnn.weight_ih_l{layer}"], grads[f"rnn.weight_hh_l{layer}"] = dw_ih, dw_hh
            grads[f"rnn.bias_ih_l{layer}"] = grads[f"rnn.bias_hh_l{layer}"] = dbias
        embedding = np.zeros_like(p["encoder.weight"])
        np.add.at(embedding, tokens.reshape(-1), g.reshape(-1, g.shape[2]))
        grads["encoder.weight"] = embedding
        return loss, grads

    def step(self) -> None:
        tokens, targets = lstm_batch(self.stream, self.index)
        self.index += 1
        self.loss, grads = self.forward_backward(tokens, targets)
        # clip_grad_norm_: the norm of the per-tensor norms, then one scale for all.
        total = np.sqrt(sum(np.float32(np.vdot(g, g)) for g in grads.values()))
        scale = min(1.0, LSTM_CLIP / (total + 1e-6))
        for name, grad in grads.items():
            self.p[name] -= LSTM_LR * (grad * np.float32(scale))


# ---------------------------------------------------------------- frameworks (same API)


def framework_word_lm(lib, stream, params: dict):
    """The LSTM word language model step in ndgrad or torch (same code): (step, final_loss)."""
    s, nn = LSTM_SIZES, lib.nn
    model = nn.ModuleDict({"encoder": nn.Embedding(s["vocab"], s["hidden"]),
                           "rnn": nn.LSTM(s["hidden"], s["hidden"], s["layers"]),
                           "decoder": nn.Linear(s["hidden"], s["vocab"])})
    _load(lib, model, params)
    optimizer = lib.optim.SGD(model.parameters(), lr=LSTM_LR)
    zeros = lib.zeros(s["layers"], s["batch"], s["hidden"])
    state = {"index": 0, "hidden": (zeros, zeros)}

    def step():
        tokens, targets = (lib.tensor(a) for a in lstm_batch(stream, state["index"]))
        state["index"] += 1
        hidden = tuple(h.detach() for h in state["hidden"])  # the example's repackage_hidden
        output, state["hidden"] = model["rnn"](model["encoder"](tokens), hidden)
        logits = model["decoder"](output).view(-1, s["vocab"])
        loss = nn.functional.cross_entropy(logits, targets.view(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), LSTM_CLIP)
        optimizer.step()
        state["loss"] = loss
    return step, lambda: float(state["loss"].item())


def framework_transformer(lib, tokens, labels, params: dict):
    """The Transformer encoder classifier step in ndgrad or torch: (step, final_loss)."""
    s, nn = TRANSFORMER_SIZES, lib.nn
    layer = nn.TransformerEncoderLayer(s["d_model"], s["heads"], s["ff"], dropout=0.0,
                                       batch_first=True)
    model = nn.ModuleDict({"token": nn.Embedding(s["vocab"], s["d_model"]),
                           "position": nn.Embedding(s["seq"], s["d_model"]),
                           "encoder": nn.TransformerEncoder(layer, s["layers"],
                                                            enable_nested_tensor=False),
                           "head": nn.Linear(s["d_model"], s["classes"])})
    _load(lib, model, params)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    inputs, targets = lib.tensor(tokens), lib.tensor(labels)
    positions = lib.arange(s["seq"])
    state = {}

    def step():
        x = model["token"](inputs) + model["position"](positions)
        pooled = model["encoder"](x).mean(1)
        loss = nn.functional.cross_entropy(model["head"](pooled), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        state["loss"] = loss
    return step, lambda: float(state["loss"].item())


# ---------------------------------------------------------------- factories


def _libraries() -> list:
    """ndgrad, and torch where it is installed."""
    import ndgrad
    try:
        import torch
        return [("ndgrad", ndgrad), ("torch", torch)]
    except ImportError:
        return [("ndgrad", ndgrad)]


def lstm_training_steps():
    """One word-language-model LSTM step per call, each on the next chunk of the stream."""
    stream, params = lstm_data()
    reference = NumpyWordLM(stream, params)
    steps, losses = {"numpy": reference.step}, {"numpy": lambda: float(reference.loss)}
    for name, lib in _libraries():
        steps[name], losses[name] = framework_word_lm(lib, stream, params)
    return steps, losses


def transformer_training_steps():
    """One Transformer encoder Adam step per call on a fixed batch (no NumPy twin yet)."""
    tokens, labels, params = transformer_data()
    steps, losses = {}, {}
    for name, lib in _libraries():
        steps[name], losses[name] = framework_transformer(lib, tokens, labels, params)
    return steps, losses


if __name__ == "__main__":
    for make in (lstm_training_steps, transformer_training_steps):
        steps, losses = make()
        for _ in range(20):
            for step in steps.values():
                step()
        final = {name: loss() for name, loss in losses.items()}
        print(make.__name__, "losses after 20 steps:", final)
        for name, value in final.items():
            np.testing.assert_allclose(value, final["torch"], rtol=1e-3, err_msg=name)
    print("ok")
