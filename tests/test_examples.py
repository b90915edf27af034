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


def test_char_lstm_text_is_deterministic_and_its_entropy_exact():
    example = _load_example("char_lstm")
    text = example.generate_text(5000, seed=3)
    assert len(text) == 5000 and text == example.generate_text(5000, seed=3)
    assert text != example.generate_text(5000, seed=4)
    assert example.unigram_entropy("aabbbbcc") == pytest.approx(1.5 * np.log(2))


def test_char_lstm_loss_falls_well_below_unigram_entropy(tmp_path):
    example = _load_example("char_lstm")
    figure = tmp_path / "loss.png"
    result = example.run(chars=20_000, steps=120, hidden=64, seq_len=32, lr=1e-2, seed=0,
                         plot_path=str(figure), samples=1, verbose=False)
    entropy, held_out = result["entropy"], [loss for _, loss in result["held_out"]]
    assert 2.9 < entropy < 3.2  # letters of English-like text, spaces and punctuation
    assert result["losses"][0] > entropy  # an untrained model is no better than unigrams
    assert held_out[-1] < 0.75 * entropy
    assert held_out[-1] < held_out[0]
    assert figure.stat().st_size > 0
    assert len(result["samples"][0]) == len("The ") + 200


@pytest.mark.parametrize("task", ["sort", "reverse"])
def test_transformer_sort_accuracy_on_held_out_sequences(task, tmp_path):
    example = _load_example("transformer_sort")
    figure = tmp_path / "sort.png"
    result = example.run(length=8, task=task, steps=150, train_size=20_000, test_size=500,
                         seed=0, plot_path=str(figure), verbose=False)
    assert result["token_accuracy"] > 0.97
    assert result["sequence_accuracy"] > 0.85
    assert result["losses"][-1] < 0.1 * result["losses"][0]
    assert figure.stat().st_size > 0


def test_transformer_sort_test_set_avoids_training_set():
    example = _load_example("transformer_sort")
    generator = example.ndgrad.Generator().manual_seed(0)
    train, test = example.make_splits(300, 200, 3, generator)
    assert len(test) == 200
    assert not set(map(tuple, train.tolist())) & set(map(tuple, test.tolist()))
    with pytest.raises(ValueError, match="held-out sequences"):
        example.make_splits(1000, 100, 2, generator)  # 100 sequences exist; most are seen
