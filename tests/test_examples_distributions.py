"""Smoke tests of the distributions examples at tiny settings: the VAE's loss falls and its
PNG grid is written; REINFORCE's episodes get longer."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load_example(name: str):
    """Imports examples/<name>.py as a module without touching sys.path."""
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vae_digits_loss_falls_and_writes_the_grid(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    example = _load_example("vae_digits")
    out = tmp_path / "grid.png"
    losses = example.run(epochs=1, seed=0, out=str(out), verbose=False)
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0]  # 46 -> 31 nats per image after one epoch
    with Image.open(out) as image:
        assert image.size == (8 * 9 + 1, 8 * 9 + 1)  # 8 x 8 tiles of 8 px, 1 px padding


def test_reinforce_episodes_get_longer():
    example = _load_example("reinforce")
    lengths = example.run(iterations=10, episodes=8, max_steps=100, seed=0, verbose=False)
    assert len(lengths) == 10
    assert np.mean(lengths[-3:]) > 2 * np.mean(lengths[:3])  # about 30 -> 90 steps
