"""PyTorch's mnist example, in tests/programs/mnist_example.py, runs on ndgrad with `torch` and
`torchvision` mapped to it (python -m ndgrad.run) on synthetic MNIST files."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.datasets.test_datasets import write_idx

REPO = Path(__file__).resolve().parents[2]
PROGRAM = REPO / "tests" / "programs" / "mnist_example.py"


def synthetic_mnist(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 28x28 images whose label k is a bright 5x5 square at the k-th of ten places."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        row, col = 3 + 7 * (label // 4), 3 + 6 * (label % 4)
        image[row:row + 5, col:col + 5] = 255
    return images, labels


def test_mnist_example_trains_one_short_epoch(tmp_path):
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n, seed in (("train", 320, 0), ("t10k", 100, 1)):
        images, labels = synthetic_mnist(n, seed)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    done = subprocess.run(
        [sys.executable, "-m", "ndgrad.run", str(PROGRAM), "--data", str(tmp_path / "data"),
         "--epochs", "1", "--log-interval", "1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = [float(x) for x in re.findall(r"Loss: ([0-9.]+)", done.stdout)]
    assert len(losses) == 5  # 320 images in batches of 64
    assert losses[-1] < 0.5 * losses[0]
    accuracy = re.search(r"Accuracy: (\d+)/100", done.stdout)
    assert accuracy is not None and int(accuracy.group(1)) > 30, done.stdout
