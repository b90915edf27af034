"""Timing, the workload table and the markdown report for benchmarks/run.py."""
from __future__ import annotations

import ctypes
import gc
import statistics
import time

import numpy as np

import ndgrad
from benchmarks import conv_workloads as cw
from benchmarks import sequence_workloads as sw
from benchmarks import workloads as w

try:
    import torch
except ImportError:
    torch = None


def _time(step, inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        step()
    return (time.perf_counter() - start) / inner


def interleaved(steps: dict, rounds: int, inner: int) -> dict:
    """Median seconds per call of each step, timed in turns A B C A B C ... after a warm-up."""
    for step in steps.values():
        step()
    samples = {name: [] for name in steps}
    gc.disable()
    try:
        for _ in range(rounds):
            for name, step in steps.items():
                samples[name].append(_time(step, inner))
    finally:
        gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def _libraries() -> list:
    return [("ndgrad", ndgrad)] + ([("torch", torch)] if torch is not None else [])


def bench_mlp(rounds: int) -> dict:
    """784-256-128-10 ReLU MLP, cross entropy, SGD momentum 0.9, batch 128: ms per step."""
    x, y, weights = w.mlp_data()
    steps, losses = {}, {}
    reference = w.NumpyMLP(x, y, weights, lr=0.01, momentum=0.9)
    steps["numpy"], losses["numpy"] = reference.step, lambda: float(reference.loss)
    for name, lib in _libraries():
        steps[name], losses[name] = w.framework_mlp(lib, x, y, weights, 0.01, 0.9)
    return _report("mlp", "ms/step", 1e3, steps, losses, rounds, inner=5)


def bench_tiny(rounds: int) -> dict:
    """Iris, Linear(4,16)-ReLU-Linear(16,3), full batch, plain SGD: us per step."""
    x, y = w.iris_data()
    _, _, weights = w.mlp_data(batch=1, sizes=(4, 16, 3))
    steps, losses = {}, {}
    reference = w.NumpyMLP(x, y, weights, lr=0.1, momentum=0.0)
    steps["numpy"], losses["numpy"] = reference.step, lambda: float(reference.loss)
    for name, lib in _libraries():
        steps[name], losses[name] = w.framework_mlp(lib, x, y, weights, 0.1, 0.0)
    return _report("tiny", "us/step", 1e6, steps, losses, rounds, inner=200)


def bench_overhead(rounds: int) -> dict:
    """A chain of 100 alternating add/mul/tanh on shape (32,), forward+backward: us per op."""
    x = np.random.default_rng(0).standard_normal(32).astype(np.float32)
    steps = {"numpy": w.numpy_chain(x, 100)}
    for name, lib in _libraries():
        steps[name] = w.framework_chain(lib, x, 100)
    return _report("overhead", "us/op", 1e6 / 100, steps, {}, rounds, inner=20)


def bench_matmul(rounds: int) -> dict:
    """1024x1024 @ 1024x1024, forward+backward (3 products): GFLOP/s (higher is better)."""
    rng = np.random.default_rng(0)
    a, b, g = (rng.standard_normal((1024, 1024)).astype(np.float32) for _ in range(3))
    steps = {"numpy": w.numpy_matmul(a, b, g)}
    for name, lib in _libraries():
        steps[name] = w.framework_matmul(lib, a, b, g)
    medians = interleaved(steps, rounds, inner=1)
    flops = 3 * 2 * 1024 ** 3
    values = {name: flops / seconds / 1e9 for name, seconds in medians.items()}
    return _row("matmul", "GFLOP/s", values, higher_is_better=True)


def bench_conv_lenet(rounds: int) -> dict:
    """conv2d forward+backward, batch 64, 1x28x28 -> 6 channels, 5x5 kernel: ms per call."""
    return _report("conv_lenet", "ms", 1e3, cw.conv_lenet_steps(), {}, rounds, inner=10)


def bench_conv_resnet(rounds: int) -> dict:
    """conv2d forward+backward, batch 32, 64x56x56 -> 64 channels, 3x3, padding 1: ms."""
    return _report("conv_resnet", "ms", 1e3, cw.conv_resnet_steps(), {}, rounds, inner=1)


def bench_cnn(rounds: int) -> dict:
    """LeNet on 1x28x28, batch 64, cross entropy, SGD momentum 0.9: ms per step."""
    steps, losses = cw.lenet_training_steps()
    return _report("cnn", "ms/step", 1e3, steps, losses, rounds, inner=5)


def bench_memory(rounds: int) -> dict:
    """2,000 steps of the mlp workload in ndgrad: Python-heap growth (tracemalloc, after a
    100-step warm-up) and peak RSS. No growth means each step's graph is freed."""
    import resource
    import tracemalloc

    x, y, weights = w.mlp_data()
    step, _ = w.framework_mlp(ndgrad, x, y, weights, 0.01, 0.9)
    tracemalloc.start()  # before the warm-up, so the live state at both readings is traced
    for _ in range(100):
        step()
    gc.collect()
    start, _ = tracemalloc.get_traced_memory()
    for _ in range(1900):
        step()
    gc.collect()
    end, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"workload": "memory", "unit": "MB",
            "ndgrad": f"growth {(end - start) / 2**20:.2f}, traced peak {peak / 2**20:.1f}, "
                      f"peak RSS {rss_mb:.0f}", "numpy": "", "torch": "",
            "ndgrad/numpy": "", "ndgrad/torch": ""}


# Run in a fresh process per implementation: the peak RSS of one conv_resnet step (after a
# warm-up step) above the RSS before it. /proc/self/clear_refs resets the high-water mark.
_CONV_PEAK = """
import sys
sys.path.insert(0, {root!r})
from benchmarks import conv_workloads as cw
step = cw.conv_resnet_steps()[{name!r}]
step()
def kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = kib("VmRSS:")
step()
print((kib("VmHWM:") - before) / 1024)
"""


def bench_conv_memory(rounds: int) -> dict:
    """Peak memory of one conv_resnet step (forward+backward) above what was live before it:
    RSS high-water mark in a fresh process per implementation, MB (lower is better)."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    values = {}
    for name in ["ndgrad", "numpy"] + (["torch"] if torch is not None else []):
        # A fixed mmap threshold: every large array is mapped and unmapped on its own, so RSS
        # follows live memory (glibc's adaptive threshold keeps freed blocks for reuse).
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
        done = subprocess.run([sys.executable, "-c", _CONV_PEAK.format(root=root, name=name)],
                              capture_output=True, text=True, timeout=600, check=True, env=env)
        values[name] = float(done.stdout.split()[-1])
    return _row("conv_resnet peak", "MB", values)


def bench_lstm(rounds: int) -> dict:
    """word_language_model step: Embedding(1000, 128), 2-layer LSTM(128), seq 35, batch 20,
    Linear(128, 1000), cross entropy, clip_grad_norm_ 0.25, SGD; state carried: ms per step."""
    steps, losses = sw.lstm_training_steps()
    return _report("lstm", "ms/step", 1e3, steps, losses, rounds, inner=2)


def bench_transformer(rounds: int) -> dict:
    """2-layer TransformerEncoder (d_model 128, 4 heads, feed-forward 512, dropout 0), batch
    16, seq 64, token + position embedding, mean pool, Linear(128, 10), Adam: ms per step."""
    steps, losses = sw.transformer_training_steps()
    return _report("transformer", "ms/step", 1e3, steps, losses, rounds, inner=2)


def _report(name, unit, scale, steps, losses, rounds, inner) -> dict:
    medians = interleaved(steps, rounds, inner)
    if losses:
        final = {k: f() for k, f in losses.items()}
        spread = max(final.values()) - min(final.values())
        if spread > 1e-3 * max(abs(v) for v in final.values()):
            raise AssertionError(f"{name}: final losses disagree: {final}")
    return _row(name, unit, {k: v * scale for k, v in medians.items()})


def _row(name, unit, values: dict, higher_is_better: bool = False) -> dict:
    def ratio(other):
        if other not in values:
            return "n/a"
        r = values["ndgrad"] / values[other]
        return f"{1 / r if higher_is_better else r:.2f}x"
    return {"workload": name, "unit": unit,
            **{k: f"{v:.3g}" for k, v in values.items()},
            "ndgrad/numpy": ratio("numpy"), "ndgrad/torch": ratio("torch")}


# memory runs first: its peak RSS is the process's, which the conv workloads would raise.
WORKLOADS = {"memory": (bench_memory, 1), "mlp": (bench_mlp, 15), "tiny": (bench_tiny, 15),
             "overhead": (bench_overhead, 15),
             "matmul": (bench_matmul, 7), "cnn": (bench_cnn, 15),
             "conv_lenet": (bench_conv_lenet, 21), "conv_resnet": (bench_conv_resnet, 7),
             "conv_memory": (bench_conv_memory, 1),
             "lstm": (bench_lstm, 15), "transformer": (bench_transformer, 15)}


def _keep_freed_memory() -> None:
    """Stops glibc from returning freed memory to the OS after every step, which made the
    hand-written NumPy conv pay ~2,000 page faults per call (an allocator accident, not its
    arithmetic). It applies to all three implementations alike."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    libc.mallopt(-3, 1 << 25)  # M_MMAP_THRESHOLD


def main(names, threads: int, repeats) -> None:
    _keep_freed_memory()
    if torch is not None:
        torch.set_num_threads(threads)
    names = names or list(WORKLOADS)
    rows = []
    for name in names:
        if name not in WORKLOADS:
            raise SystemExit(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}")
        function, default_rounds = WORKLOADS[name]
        rows.append(function(repeats or default_rounds))
        print(f"done: {name}", flush=True)
    columns = ["workload", "unit", "ndgrad", "numpy", "torch", "ndgrad/numpy", "ndgrad/torch"]
    print(f"\nthreads={threads}, numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch is not None else ", torch not installed"))
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "n/a")) for c in columns) + " |")
