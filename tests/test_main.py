"""`python -m ndgrad`: the demo run end to end, its help and its errors."""
import re
import subprocess
import sys

import pytest

import ndgrad
from ndgrad.__main__ import build_model, main

pytest.importorskip("sklearn")
pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")

OPTIONS = ["--epochs", "--lr", "--batch-size", "--seed", "--out", "--model"]

BAD_ARGUMENTS = [
    ["--epochs", "0"],
    ["--epochs", "abc"],
    ["--model", "nope"],
    ["--unknown"],
]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"



def _run_module(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ndgrad", *argv], check=False,
                          capture_output=True, text=True, timeout=300)


def test_one_epoch_writes_checkpoint_and_plot(tmp_path):
    result = _run_module("--epochs", "1", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    checkpoint = tmp_path / "checkpoint.safetensors"
    figure = tmp_path / "training.png"
    assert f"checkpoint: {checkpoint}" in result.stdout
    assert f"plot: {figure}" in result.stdout
    state = ndgrad.load(str(checkpoint))
    model = build_model("mlp")
    assert list(state["model"]) == list(model.state_dict())
    model.load_state_dict(state["model"])
    assert state["epoch"] == 1
    assert len(state["history"]["test_accuracy"]) == 1
    assert figure.read_bytes()[:8] == PNG_MAGIC


def test_help_lists_every_option():
    result = _run_module("--help")
    assert result.returncode == 0
    for option in OPTIONS:
        assert option in result.stdout


@pytest.mark.parametrize("argv", BAD_ARGUMENTS, ids=" ".join)
def test_bad_arguments_give_one_line_and_exit_code_2(argv):
    result = _run_module(*argv)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "error" in result.stderr


def test_default_run_reaches_97_percent(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    last_lines = capsys.readouterr().out.splitlines()[-3:]
    reported = [re.match(r"test accuracy ([\d.]+)% after 30 epochs", line) for line in last_lines]
    accuracies = [float(match.group(1)) for match in reported if match]
    assert len(accuracies) == 1
    assert accuracies[0] >= 97.0


def test_cnn_model_trains_and_checkpoints(tmp_path, capsys):
    assert main(["--model", "cnn", "--epochs", "2", "--out", str(tmp_path)]) == 0
    checkpoint = ndgrad.load(tmp_path / "checkpoint.safetensors")
    build_model("cnn").load_state_dict(checkpoint["model"])
    assert "test accuracy" in capsys.readouterr().out
