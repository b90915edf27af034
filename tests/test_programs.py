"""Programs written for PyTorch run with `torch` mapped to ndgrad (tests/programs/)."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.test_run import ndgrad_run

PROGRAMS = Path(__file__).resolve().parent / "programs"


def run_program(name: str, *args: str, cwd: Path) -> list[str]:
    """The printed lines of tests/programs/<name>.py run with `python -m ndgrad.run`."""
    done = ndgrad_run(str(PROGRAMS / name), *args, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


@pytest.mark.parametrize("args", [["--model", "LSTM", "--onnx-export", "model.onnx"],
                                  ["--model", "GRU", "--tied"], ["--model", "RNN_TANH"],
                                  ["--model", "RNN_RELU"], ["--model", "Transformer"]],
                         ids=lambda a: " ".join(a[:2]))
def test_word_language_model_trains(args, tmp_path):
    lines = run_program("word_language_model.py", *args, cwd=tmp_path)
    losses = [float(line.split()[1]) for line in lines if line.startswith("loss ")]
    valid = float(next(line for line in lines if line.startswith("valid ")).split()[1])
    loaded = float(next(line for line in lines if line.startswith("loaded valid ")).split()[2])
    assert len(losses) >= 30
    uniform = math.log(20)  # the program's default vocabulary of 20 words
    assert sum(losses[-5:]) < 0.9 * sum(losses[:5])
    assert valid < 0.85 * uniform
    assert loaded == valid  # the whole model saved and loaded back computes the same
    if "--onnx-export" in args:
        assert (tmp_path / "model.onnx").stat().st_size > 0
