"""Convolution workloads, each in three implementations: hand-written NumPy, ndgrad, torch.

As in workloads.py, data and initial weights are made once with NumPy (float32), so all three
start from the same numbers. `conv_lenet_steps()` and `conv_resnet_steps()` return
{'numpy', 'ndgrad', 'torch': step}; `lenet_training_steps()` returns (steps, final_losses).
`python -m benchmarks.conv_workloads` checks the NumPy reference against torch.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# ---------------------------------------------------------------- shared data


def _uniform(rng, fan_in: int, shape) -> np.ndarray:
    bound = 1 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def conv_data(batch, channels, size, out_channels, kernel, seed: int = 0):
    """Input x (N, C, H, W), weight (O, C, k, k), bias (O,), and the generator for more."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, channels, size, size)).astype(np.float32)
    fan_in = channels * kernel * kernel
    w = _uniform(rng, fan_in, (out_channels, channels, kernel, kernel))
    b = _uniform(rng, fan_in, out_channels)
    return x, w, b, rng


def lenet_data(batch: int = 64, seed: int = 0):
    """Random 1x28x28 inputs, labels 0..9, and LeNet's parameters in torch's layout/order."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    params = []
    for shape in [(6, 1, 5, 5), (16, 6, 5, 5), (120, 256), (84, 120), (10, 84)]:
        fan_in = int(np.prod(shape[1:]))  # as torch's default initialisation bounds
        params += [_uniform(rng, fan_in, shape), _uniform(rng, fan_in, shape[0])]
    return x, y, params


# ---------------------------------------------------------------- hand-written NumPy


def conv_forward(x, w, b, padding: int = 0):
    """im2col convolution (stride 1): returns y and the columns (C*k*k, N*Ho*Wo) for backward."""
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k = w.shape[2]
    view = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, Ho, Wo, k, k)
    n, _, ho, wo = view.shape[:4]
    cols = view.transpose(1, 4, 5, 0, 2, 3).reshape(-1, n * ho * wo)
    y = (w.reshape(len(w), -1) @ cols).reshape(len(w), n, ho, wo).transpose(1, 0, 2, 3)
    return y + b[:, None, None], cols


def conv_backward(g, cols, w, x_shape, padding: int = 0, input_grad: bool = True):
    """Gradients (dx, dw, db) of conv_forward for upstream gradient g (N, O, Ho, Wo); dx is
    None unless input_grad."""
    n, o, ho, wo = g.shape
    rows = g.transpose(1, 0, 2, 3).reshape(o, -1)
    dw, db = (rows @ cols.T).reshape(w.shape), rows.sum(1)
    if not input_grad:
        return None, dw, db
    c, k = w.shape[1], w.shape[2]
    dcols = (w.reshape(o, -1).T @ rows).reshape(c, k, k, n, ho, wo)
    h, wd = x_shape[2] + 2 * padding, x_shape[3] + 2 * padding
    dx = np.zeros((c, n, h, wd), dtype=g.dtype)
    for i in range(k):  # col2im: one shifted-slice add per kernel offset
        for j in range(k):
            dx[:, :, i:i + ho, j:j + wo] += dcols[:, i, j]
    return dx[:, :, padding:h - padding, padding:wd - padding].transpose(1, 0, 2, 3), dw, db


def pool_forward(x):
    """2x2 max pool, stride 2: the output and the argmax mask (4, N, C, H/2, W/2).

    The window axis goes first so that max and argmax reduce over contiguous planes (about 3x
    faster than reducing a trailing axis of length 4)."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(3, 5, 0, 1, 2, 4)
    windows = windows.reshape(4, n, c, h // 2, w // 2)
    mask = windows.argmax(0) == np.arange(4).reshape(4, 1, 1, 1, 1)  # first max wins, as torch
    return windows.max(0), mask


def pool_backward(g, mask):
    """Routes g (N, C, h, w) to the argmax of each window: (N, C, 2h, 2w)."""
    n, c, h, w = g.shape
    grad = (g * mask).reshape(2, 2, n, c, h, w).transpose(2, 3, 4, 0, 5, 1)
    return grad.reshape(n, c, 2 * h, 2 * w)


def softmax_cross_entropy(logits, y):
    """Mean cross entropy and its gradient with respect to the logits."""
    n = len(y)
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    grad = np.exp(log_probs)
    grad[np.arange(n), y] -= 1
    return -log_probs[np.arange(n), y].mean(), grad / n


class NumpyLeNet:
    """LeNet forward, backward and momentum SGD written out by hand (torch's SGD rule)."""

    def __init__(self, x, y, params, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.x, self.y, self.lr, self.momentum = x, y, lr, momentum
        self.params = [p.copy() for p in params]
        self.velocity = [np.zeros_like(p) for p in params]
        self.loss = None

    def forward_backward(self):
        """Loss and the gradients of all parameters, in self.params' order."""
        w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = self.params
        z1, cols1 = conv_forward(self.x, w1, b1)
        p1, mask1 = pool_forward(np.maximum(z1, 0))
        z2, cols2 = conv_forward(p1, w2, b2)
        p2, mask2 = pool_forward(np.maximum(z2, 0))
        a2 = p2.reshape(len(p2), -1)
        z3 = a2 @ w3.T + b3
        a3 = np.maximum(z3, 0)
        z4 = a3 @ w4.T + b4
        a4 = np.maximum(z4, 0)
        loss, g = softmax_cross_entropy(a4 @ w5.T + b5, self.y)
        grads = [g.T @ a4, g.sum(0)]
        g = (g @ w5) * (z4 > 0)
        grads = [g.T @ a3, g.sum(0)] + grads
        g = (g @ w4) * (z3 > 0)
        grads = [g.T @ a2, g.sum(0)] + grads
        g = pool_backward((g @ w3).reshape(p2.shape), mask2) * (z2 > 0)
        g, dw2, db2 = conv_backward(g, cols2, w2, p1.shape)
        g = pool_backward(g, mask1) * (z1 > 0)
        _, dw1, db1 = conv_backward(g, cols1, w1, self.x.shape, input_grad=False)
        return loss, [dw1, db1, dw2, db2] + grads

    def step(self) -> None:
        self.loss, grads = self.forward_backward()
        for p, v, g in zip(self.params, self.velocity, grads):
            v *= self.momentum
            v += g
            p -= self.lr * v


def numpy_conv(x, w, b, g, padding: int):
    """conv2d forward + backward in NumPy; the step returns (y, dx, dw, db)."""
    def step():
        y, cols = conv_forward(x, w, b, padding)
        return (y,) + conv_backward(g, cols, w, x.shape, padding)
    return step


# ---------------------------------------------------------------- frameworks (same API)


def framework_conv(lib, x, w, b, g, padding: int):
    """conv2d forward + backward to input, weight and bias in ndgrad or torch."""
    tx, tw, tb = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
    tg = lib.tensor(g)

    def step():
        lib.nn.functional.conv2d(tx, tw, tb, padding=padding).backward(tg)
        tx.grad = tw.grad = tb.grad = None
    return step


def framework_lenet(lib, x, y, params, lr: float = 0.01, momentum: float = 0.9):
    """LeNet in ndgrad or torch (same code, `lib` is the module): (step, final_loss)."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    with lib.no_grad():
        for param, value in zip(model.parameters(), params):
            param.copy_(lib.tensor(value))
    optimizer = lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    inputs, targets = lib.tensor(x), lib.tensor(y)
    state = {}

    def step():
        loss = nn.functional.cross_entropy(model(inputs), targets)
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


def _conv_steps(batch, channels, size, out_channels, kernel, padding) -> dict:
    x, w, b, rng = conv_data(batch, channels, size, out_channels, kernel)
    out = size + 2 * padding - kernel + 1
    g = rng.standard_normal((batch, out_channels, out, out)).astype(np.float32)
    steps = {"numpy": numpy_conv(x, w, b, g, padding)}
    for name, lib in _libraries():
        steps[name] = framework_conv(lib, x, w, b, g, padding)
    return steps


def conv_lenet_steps() -> dict:
    """conv2d fwd+bwd, batch 64, 1x28x28 -> 6 channels, 5x5 kernel, no padding."""
    return _conv_steps(64, 1, 28, 6, 5, padding=0)


def conv_resnet_steps() -> dict:
    """conv2d fwd+bwd, batch 32, 64x56x56 -> 64 channels, 3x3 kernel, padding 1."""
    return _conv_steps(32, 64, 56, 64, 3, padding=1)


def lenet_training_steps():
    """One LeNet SGD (momentum 0.9, lr 0.01) step on a batch of 64: (steps, final_losses)."""
    x, y, params = lenet_data()
    reference = NumpyLeNet(x, y, params)
    steps, losses = {"numpy": reference.step}, {"numpy": lambda: float(reference.loss)}
    for name, lib in _libraries():
        steps[name], losses[name] = framework_lenet(lib, x, y, params)
    return steps, losses


# ---------------------------------------------------------------- self-check


def check_conv_against_torch(padding: int, shape) -> None:
    """The NumPy conv's output and three gradients equal torch's to float32 tolerance."""
    import torch
    x, w, b, rng = conv_data(*shape)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=padding)
    g = rng.standard_normal(ty.shape).astype(np.float32)
    ty.backward(torch.tensor(g))
    ours = numpy_conv(x, w, b, g, padding)()
    theirs_all = (ty, tx.grad, tw.grad, tb.grad)
    for name, mine, theirs in zip(("y", "dx", "dw", "db"), ours, theirs_all):
        theirs = theirs.detach().numpy()
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max(),
                                   err_msg=name)


if __name__ == "__main__":
    check_conv_against_torch(0, (64, 1, 28, 6, 5))
    check_conv_against_torch(1, (32, 64, 56, 64, 3))
    steps, losses = lenet_training_steps()
    for _ in range(20):
        for step in steps.values():
            step()
    final = {name: loss() for name, loss in losses.items()}
    print("LeNet losses after 20 steps:", final)
    for name in ("ndgrad", "torch"):
        np.testing.assert_allclose(final[name], final["numpy"], rtol=1e-3, err_msg=name)
    print("ok")
