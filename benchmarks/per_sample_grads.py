"""Per-sample gradients of a small MLP: vmap(grad(loss)) against a Python loop of grad calls.

    python benchmarks/per_sample_grads.py

An MLP 64 -> 128 -> 10 (tanh, cross-entropy), a batch of 64 samples, float32. Prints the best
of five runs of each way in ndgrad and, when torch is installed, in torch.func for reference.
ndgrad's vmap runs the function once per sample (see ndgrad/func/_vmap.py), so its ratio to the
loop is its own overhead; torch's batching rules run the batch at once.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ndgrad  # noqa: E402

BATCH, FEATURES, HIDDEN, CLASSES = 64, 64, 128, 10


def data():
    rng = np.random.default_rng(0)
    params = {"w1": rng.standard_normal((FEATURES, HIDDEN)) * 0.1, "b1": np.zeros(HIDDEN),
              "w2": rng.standard_normal((HIDDEN, CLASSES)) * 0.1, "b2": np.zeros(CLASSES)}
    x = rng.standard_normal((BATCH, FEATURES))
    y = rng.integers(0, CLASSES, BATCH)
    return {k: v.astype(np.float32) for k, v in params.items()}, x.astype(np.float32), y


def loss_fn(L):
    def loss(params, x, y):
        hidden = (x.unsqueeze(0) @ params["w1"] + params["b1"]).tanh()
        logits = hidden @ params["w2"] + params["b2"]
        return L.nn.functional.cross_entropy(logits, y.unsqueeze(0))
    return loss


def best_ms(run, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def measure(L, func) -> tuple[float, float]:
    params, x, y = data()
    params = {k: L.tensor(v) for k, v in params.items()}
    x, y = L.tensor(x), L.tensor(y)
    loss = loss_fn(L)
    per_sample = func.vmap(func.grad(loss), in_dims=(None, 0, 0))
    grad = func.grad(loss)
    vmapped = best_ms(lambda: per_sample(params, x, y))
    looped = best_ms(lambda: [grad(params, x[i], y[i]) for i in range(BATCH)])
    return vmapped, looped


def main() -> None:
    rows = [("ndgrad", *measure(ndgrad, ndgrad.func))]
    try:
        import torch
        torch.set_num_threads(1)
        rows.append(("torch", *measure(torch, torch.func)))
    except ImportError:
        pass
    print(f"per-sample gradients, MLP {FEATURES}-{HIDDEN}-{CLASSES}, batch {BATCH} (best of 5)")
    for name, vmapped, looped in rows:
        print(f"{name:7s} vmap(grad) {vmapped:8.2f} ms   loop of grad {looped:8.2f} ms   "
              f"loop / vmap = {looped / vmapped:.2f}x")


if __name__ == "__main__":
    main()
