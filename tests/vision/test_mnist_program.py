"""PyTorch's mnist example, in tests/programs/mnist_example.py, runs on ndgrad with `torch` and
`torchvision` mapped to it (python -m ndgrad.run) on synthetic MNIST files; so do short runs of
the vision examples (examples/mnist_cnn.py, examples/cnn_cifar.py)."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.datasets.test_datasets import write_idx
from tests.vision.test_datasets import write_cifar

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


def write_mnist(root, n_train: int, n_test: int) -> None:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        images, labels = synthetic_mnist(n, seed)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)


def load_example(name: str):
    """Imports examples/<name>.py as a module without touching sys.path."""
    spec = importlib.util.spec_from_file_location(f"_example_{name}",
                                                  REPO / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mnist_example_trains_one_short_epoch(tmp_path):
    write_mnist(tmp_path / "data", 160, 100)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    done = subprocess.run(
        [sys.executable, "-m", "ndgrad.run", str(PROGRAM), "--data", str(tmp_path / "data"),
         "--epochs", "1", "--batch-size", "32", "--log-interval", "1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = [float(x) for x in re.findall(r"Loss: ([0-9.]+)", done.stdout)]
    assert len(losses) == 5  # 160 images in batches of 32
    assert losses[-1] < 0.5 * losses[0]
    accuracy = re.search(r"Accuracy: (\d+)/100", done.stdout)
    assert accuracy is not None and int(accuracy.group(1)) > 30, done.stdout


def test_mnist_cnn_example_learns_the_synthetic_digits(tmp_path):
    write_mnist(tmp_path, 96, 50)
    accuracy = load_example("mnist_cnn").run(str(tmp_path), batch_size=32, max_batches=3,
                                             verbose=False)
    assert accuracy > 0.3  # chance is 0.1


def test_cnn_cifar_example_reads_cifar_or_falls_back_to_fake_data(tmp_path, capsys):
    example = load_example("cnn_cifar")
    losses, accuracy = example.run(str(tmp_path), batch_size=8, max_batches=2, fake_size=16)
    assert "training on FakeData" in capsys.readouterr().out
    assert len(losses) == 2 and all(np.isfinite(losses)) and 0 <= accuracy <= 1
    write_cifar(tmp_path, protocol=2)
    losses, accuracy = example.run(str(tmp_path), batch_size=8, max_batches=2)
    assert "FakeData" not in capsys.readouterr().out
    assert len(losses) == 2 and all(np.isfinite(losses)) and 0 <= accuracy <= 1
