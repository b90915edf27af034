"""The example scripts reproduce the seed articles' results (seeds/002, seeds/004)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# features, lowest and highest accepted test accuracy in percent. The article reports
# 76.67% (23 of 30) with two features, which we accept within one test sample, and 100%
# with all four.
IRIS = [
    (2, 100 * 22 / 30, 100 * 24 / 30),
    (4, 100.0, 100.0),
]


def _load_example(name: str):
    """Imports examples/<name>.py as a module without touching sys.path."""
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("features, low, high", IRIS, ids=["2-features", "4-features"])
def test_softmax_regression_iris_matches_article(features, low, high, capsys):
    example = _load_example("softmax_regression_iris")
    accuracy = example.run(features, epochs=2000, seed=0)
    printed = capsys.readouterr().out.splitlines()
    losses = [float(line.split(":")[1]) for line in printed if line.startswith("Train - Loss:")]
    assert low - 1e-9 <= accuracy <= high + 1e-9
    assert printed[-1].startswith("Test Accuracy:")
    assert len(losses) == 100  # one line every 20 of 2000 epochs, as in the article
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0]
    assert np.mean(np.diff(losses) < 0) > 0.9


def test_regression_loss_falls_epoch_by_epoch():
    example = _load_example("regression")
    losses = example.run(seed=0, verbose=False)
    assert len(losses) == 20
    assert np.all(np.isfinite(losses))
    assert np.all(np.diff(losses) < 0)
    assert losses[-1] < 0.9 * losses[0]


def test_mlp_digits_accuracy():
    example = _load_example("mlp_digits")
    assert example.run(seed=0, verbose=False) >= 0.97


def test_cnn_digits_accuracy():
    example = _load_example("cnn_digits")
    assert example.run(seed=0, verbose=False) >= 0.98
