"""The benchmark workloads, each in three implementations: ndgrad, hand-written NumPy, torch.

Every workload builds its data and initial weights once with NumPy, so all implementations
start from the same numbers; `make(name, impl)` returns (step, final_loss) callables.
"""
from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- shared data


def mlp_data(batch: int = 128, sizes=(784, 256, 128, 10), seed: int = 0):
    """Synthetic inputs and labels, and Linear-layer weights stored as (in, out) matrices."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(n_in)
        weights.append(rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32))
        weights.append(rng.uniform(-bound, bound, n_out).astype(np.float32))
    return x, y, weights


def iris_data():
    """Iris features (standardised) and labels, from scikit-learn's bundled copy."""
    from sklearn.datasets import load_iris
    bunch = load_iris()
    x = bunch.data.astype(np.float32)
    x = (x - x.mean(0)) / x.std(0)
    return x, bunch.target


# ---------------------------------------------------------------- hand-written NumPy


class NumpyMLP:
    """Forward and backward of a ReLU MLP with mean cross entropy, and SGD with momentum, all
    written out by hand: the practical limit for a NumPy framework."""

    def __init__(self, x, y, weights, lr: float, momentum: float) -> None:
        self.x, self.y = x, y
        self.params = [w.copy() for w in weights]
        self.velocity = [np.zeros_like(w) for w in weights]
        self.lr, self.momentum = lr, momentum
        self.loss = None

    def step(self) -> None:
        params, n = self.params, len(self.x)
        activations, pre = [self.x], []
        for i in range(0, len(params), 2):
            z = activations[-1] @ params[i] + params[i + 1]
            pre.append(z)
            activations.append(np.maximum(z, 0) if i + 2 < len(params) else z)
        logits = activations[-1]
        shifted = logits - logits.max(1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        self.loss = -log_probs[np.arange(n), self.y].mean()
        grad = np.exp(log_probs)
        grad[np.arange(n), self.y] -= 1
        grad /= n
        grads = [None] * len(params)
        for i in range(len(params) - 2, -1, -2):
            grads[i] = activations[i // 2].T @ grad
            grads[i + 1] = grad.sum(0)
            if i:
                grad = (grad @ params[i].T) * (pre[i // 2 - 1] > 0)
        for p, v, g in zip(params, self.velocity, grads):
            if self.momentum:
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g


def numpy_chain(x: np.ndarray, length: int):
    """Forward and backward of add/mul/tanh alternating `length` times, sum at the end."""
    def step():
        values = [x]
        for i in range(length):
            kind = i % 3
            v = values[-1]
            values.append(v + 1.0 if kind == 0 else v * 0.5 if kind == 1 else np.tanh(v))
        grad = np.ones_like(x)
        for i in range(length - 1, -1, -1):
            kind = i % 3
            if kind == 1:
                grad = grad * 0.5
            elif kind == 2:
                grad = grad * (1 - values[i + 1] * values[i + 1])
        return grad
    return step


# ---------------------------------------------------------------- frameworks (same API)


def framework_mlp(lib, x, y, weights, lr: float, momentum: float):
    """The MLP in ndgrad or torch (same code, `lib` is the module)."""
    layers = []
    for i in range(0, len(weights), 2):
        linear = lib.nn.Linear(*weights[i].shape)
        with lib.no_grad():
            linear.weight.copy_(lib.tensor(weights[i].T.copy()))
            linear.bias.copy_(lib.tensor(weights[i + 1]))
        layers.append(linear)
        if i + 2 < len(weights):
            layers.append(lib.nn.ReLU())
    model = lib.nn.Sequential(*layers)
    optimizer = lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    inputs, targets = lib.tensor(x), lib.tensor(y)
    state = {}

    def step():
        loss = lib.nn.functional.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        state["loss"] = loss
    return step, lambda: float(state["loss"].item())


def framework_chain(lib, x: np.ndarray, length: int):
    leaf = lib.tensor(x, requires_grad=True)

    def step():
        v = leaf
        for i in range(length):
            kind = i % 3
            v = v + 1.0 if kind == 0 else v * 0.5 if kind == 1 else v.tanh()
        v.sum().backward()
        leaf.grad = None
    return step


def framework_matmul(lib, a: np.ndarray, b: np.ndarray, g: np.ndarray):
    ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
    tg = lib.tensor(g)

    def step():
        (ta @ tb).backward(tg)
        ta.grad = tb.grad = None
    return step


def numpy_matmul(a, b, g):
    def step():
        a @ b
        g @ b.T
        a.T @ g
    return step
