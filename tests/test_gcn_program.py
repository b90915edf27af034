"""PyTorch's gcn example style (tests/programs/gcn.py) runs unchanged on ndgrad through the
runner: a two-layer GCN over a sparse normalised adjacency learns the synthetic topics."""
from __future__ import annotations

import re
from pathlib import Path

from tests.test_run import ndgrad_run

PROGRAM = Path(__file__).resolve().parent / "programs" / "gcn.py"


def test_gcn_on_a_sparse_citation_graph_learns():
    done = ndgrad_run(str(PROGRAM), "--epochs", "40", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    before = re.search(r"Before training: loss ([\d.]+) accuracy ([\d.]+)", done.stdout)
    after = re.search(r"Test set results: loss ([\d.]+) accuracy ([\d.]+)", done.stdout)
    train_losses = [float(x) for x in re.findall(r"loss_train: ([\d.]+)", done.stdout)]
    assert before and after and len(train_losses) == 4, done.stdout
    # Four topics: about chance before training, well above it after.
    assert float(before.group(2)) < 0.45
    assert float(after.group(2)) > 0.8
    assert float(after.group(1)) < 0.7 * float(before.group(1))
    assert train_losses == sorted(train_losses, reverse=True), train_losses
