"""Sequence workloads: a word-language-model LSTM step and a Transformer encoder step.

As in workloads.py, data and initial weights are made once with NumPy (float32) and copied by
PyTorch's parameter names into every implementation, so all start from the same numbers.
`lstm_training_steps()` and `transformer_training_steps()` return (steps, final_losses), keyed
'numpy' (LSTM only), 'ndgrad' and 'torch'. `python -m benchmarks.sequence_workloads` checks that
the losses agree after 20 steps.
"""
from __future__ import annotations

import numpy as np

from benchmarks.conv_workloads import _libraries, softmax_cross_entropy

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


# ---------------------------------------------------------------- hand-written NumPy Transformer


def _layer_norm(x, gamma, beta, eps: float = 1e-5):
    """LayerNorm over the last dim of rows x (N, D); returns y and (x_hat, 1/std) for backward."""
    centred = x - x.mean(-1, keepdims=True)
    inv_std = 1 / np.sqrt((centred * centred).mean(-1, keepdims=True) + eps)
    x_hat = centred * inv_std
    return x_hat * gamma + beta, (x_hat, inv_std)


def _layer_norm_backward(grad, gamma, saved) -> tuple:
    """(dx, dgamma, dbeta) of _layer_norm for upstream rows grad (N, D)."""
    x_hat, inv_std = saved
    g = grad * gamma
    dx = inv_std * (g - g.mean(-1, keepdims=True) - x_hat * (g * x_hat).mean(-1, keepdims=True))
    return dx, (grad * x_hat).sum(0), grad.sum(0)


def encoder_layer_forward(x, p: dict, batch: int, heads: int):
    """Post-norm TransformerEncoderLayer (ReLU, no dropout) on rows x (batch * seq, D), as
    PyTorch computes it; returns the output rows and what backward needs."""
    n, d = x.shape
    seq, head_dim = n // batch, d // heads
    qkv = x @ p["self_attn.in_proj_weight"].T + p["self_attn.in_proj_bias"]
    q, k, v = qkv.reshape(batch, seq, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
    scores = (q @ k.swapaxes(-1, -2)) * np.float32(1 / np.sqrt(head_dim))
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    context = (probs @ v).transpose(0, 2, 1, 3).reshape(n, d)
    attended = context @ p["self_attn.out_proj.weight"].T + p["self_attn.out_proj.bias"]
    x1, norm1 = _layer_norm(x + attended, p["norm1.weight"], p["norm1.bias"])
    hidden = np.maximum(x1 @ p["linear1.weight"].T + p["linear1.bias"], 0)
    x2, norm2 = _layer_norm(x1 + hidden @ p["linear2.weight"].T + p["linear2.bias"],
                            p["norm2.weight"], p["norm2.bias"])
    return x2, (x, q, k, v, probs, context, x1, norm1, hidden, norm2)


def encoder_layer_backward(grad, saved, p: dict) -> tuple:
    """Backward of encoder_layer_forward for grad (N, D): (dx, gradients by parameter name)."""
    x, q, k, v, probs, context, x1, norm1, hidden, norm2 = saved
    n, d = x.shape
    batch, heads, seq, head_dim = q.shape
    grads = {}
    dz2, grads["norm2.weight"], grads["norm2.bias"] = _layer_norm_backward(
        grad, p["norm2.weight"], norm2)
    grads["linear2.weight"], grads["linear2.bias"] = dz2.T @ hidden, dz2.sum(0)
    dh = (dz2 @ p["linear2.weight"]) * (hidden > 0)
    grads["linear1.weight"], grads["linear1.bias"] = dh.T @ x1, dh.sum(0)
    dz1, grads["norm1.weight"], grads["norm1.bias"] = _layer_norm_backward(
        dz2 + dh @ p["linear1.weight"], p["norm1.weight"], norm1)
    grads["self_attn.out_proj.weight"] = dz1.T @ context
    grads["self_attn.out_proj.bias"] = dz1.sum(0)
    g = (dz1 @ p["self_attn.out_proj.weight"]).reshape(batch, seq, heads, head_dim)
    g = g.transpose(0, 2, 1, 3)
    dprobs, dv = g @ v.swapaxes(-1, -2), probs.swapaxes(-1, -2) @ g
    dscores = probs * (dprobs - (dprobs * probs).sum(-1, keepdims=True))
    dscores *= np.float32(1 / np.sqrt(head_dim))
    dq, dk = dscores @ k, dscores.swapaxes(-1, -2) @ q
    dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(n, 3 * d)
    grads["self_attn.in_proj_weight"] = dqkv.T @ x
    grads["self_attn.in_proj_bias"] = dqkv.sum(0)
    return dz1 + dqkv @ p["self_attn.in_proj_weight"], grads


class NumpyTransformer:
    """The Transformer encoder classifier step written out by hand: embeddings, encoder
    layers, mean pool, head, cross entropy, their backward, and Adam (PyTorch's rule)."""

    def __init__(self, tokens, labels, params: dict, lr: float = 1e-3) -> None:
        self.tokens, self.labels, self.lr, self.loss = tokens, labels, lr, None
        self.p = {name: value.copy() for name, value in params.items()}
        self.m = {name: np.zeros_like(value) for name, value in params.items()}
        self.v = {name: np.zeros_like(value) for name, value in params.items()}
        self.t = 0

    def _layer_params(self, layer: int) -> dict:
        prefix = f"encoder.layers.{layer}."
        return {name[len(prefix):]: v for name, v in self.p.items() if name.startswith(prefix)}

    def forward_backward(self) -> tuple:
        """Loss and gradients by parameter name."""
        p, s = self.p, TRANSFORMER_SIZES
        batch, seq, d = s["batch"], s["seq"], s["d_model"]
        x = (p["token.weight"][self.tokens] + p["position.weight"][:seq]).reshape(-1, d)
        saved = []
        for layer in range(s["layers"]):
            x, keep = encoder_layer_forward(x, self._layer_params(layer), batch, s["heads"])
            saved.append(keep)
        pooled = x.reshape(batch, seq, d).mean(1)
        loss, g = softmax_cross_entropy(pooled @ p["head.weight"].T + p["head.bias"],
                                        self.labels)
        grads = {"head.weight": g.T @ pooled, "head.bias": g.sum(0)}
        g = np.broadcast_to((g @ p["head.weight"])[:, None] / np.float32(seq), (batch, seq, d))
        g = g.reshape(-1, d)
        for layer in range(s["layers"] - 1, -1, -1):
            g, layer_grads = encoder_layer_backward(g, saved[layer], self._layer_params(layer))
            grads.update({f"encoder.layers.{layer}.{k}": v for k, v in layer_grads.items()})
        token = np.zeros_like(p["token.weight"])
        np.add.at(token, self.tokens.reshape(-1), g)
        grads["token.weight"] = token
        grads["position.weight"] = g.reshape(batch, seq, d).sum(0)
        return loss, grads

    def step(self, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        self.loss, grads = self.forward_backward()
        self.t += 1
        step_size = self.lr / (1 - betas[0] ** self.t)
        root_correction = np.sqrt(1 - betas[1] ** self.t)
        for name, grad in grads.items():
            m, v = self.m[name], self.v[name]
            m *= betas[0]
            m += (1 - betas[0]) * grad
            v *= betas[1]
            v += (1 - betas[1]) * grad * grad
            self.p[name] -= step_size * m / (np.sqrt(v) / root_correction + eps)


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


def lstm_training_steps():
    """One word-language-model LSTM step per call, each on the next chunk of the stream."""
    stream, params = lstm_data()
    reference = NumpyWordLM(stream, params)
    steps, losses = {"numpy": reference.step}, {"numpy": lambda: float(reference.loss)}
    for name, lib in _libraries():
        steps[name], losses[name] = framework_word_lm(lib, stream, params)
    return steps, losses


def transformer_training_steps():
    """One Transformer encoder Adam step per call on a fixed batch."""
    tokens, labels, params = transformer_data()
    reference = NumpyTransformer(tokens, labels, params)
    steps, losses = {"numpy": reference.step}, {"numpy": lambda: float(reference.loss)}
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
