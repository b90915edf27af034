"""Programs written for PyTorch run with `torch` mapped to ndgrad (tests/programs/)."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent / "programs"
# Until ndgrad ships its own runner, the mapping is these lines, run before the program.
TORCH_AS_NDGRAD = (
    "import runpy, sys\n"
    "import ndgrad, ndgrad.nn, ndgrad.nn.functional\n"
    "sys.modules.update({'torch': ndgrad, 'torch.nn': ndgrad.nn,\n"
    "                    'torch.nn.functional': ndgrad.nn.functional})\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def run_program(name: str, *args: str) -> list[str]:
    """The printed lines of tests/programs/<name>.py run under ndgrad as `torch`."""
    done = subprocess.run([sys.executable, "-c", TORCH_AS_NDGRAD, str(PROGRAMS / name), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


@pytest.mark.parametrize("args", [["--model", "LSTM"], ["--model", "GRU", "--tied"],
                                  ["--model", "RNN_TANH"], ["--model", "RNN_RELU"],
                                  ["--model", "Transformer"]], ids=" ".join)
def test_word_language_model_trains(args):
    lines = run_program("word_language_model.py", *args)
    losses = [float(line.split()[1]) for line in lines if line.startswith("loss ")]
    valid = float(lines[-1].split()[1])
    assert lines[-1].startswith("valid ") and len(losses) >= 30
    uniform = math.log(20)  # the program's default vocabulary of 20 words
    assert sum(losses[-5:]) < 0.9 * sum(losses[:5])
    assert valid < 0.85 * uniform
