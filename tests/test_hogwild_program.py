"""PyTorch's mnist_hogwild example (tests/programs/mnist_hogwild.py) runs unchanged on ndgrad:
two spawned processes train the parent's shared model, and its test loss falls."""
from __future__ import annotations

import math
import re
from pathlib import Path

from tests.test_run import ndgrad_run

PROGRAM = Path(__file__).resolve().parent / "programs" / "mnist_hogwild.py"


def test_two_processes_train_one_shared_model():
    done = ndgrad_run(str(PROGRAM), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    test_losses = [float(x) for x in re.findall(r"Test set: Average loss: ([\d.]+)", done.stdout)]
    trainers = {line.split("\t")[0] for line in done.stdout.splitlines() if "Train Epoch" in line}
    assert len(test_losses) == 2 and len(trainers) == 2, done.stdout
    before, after = test_losses
    # The parent never trains: its model improves only through the children's in-place updates.
    assert abs(before - math.log(10)) < 0.1
    assert after < 0.9 * before, done.stdout
