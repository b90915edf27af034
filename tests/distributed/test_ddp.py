"""DistributedDataParallel on 2 and 3 processes against single-process training, and the
digits example through the launcher."""
import re

import pytest

import ndgrad
from ndgrad import nn
from tests.distributed._launch import HERE, ROOT, launch


@pytest.mark.parametrize("via, processes", [("launcher", 3), ("mpiexec", 2)])
def test_ddp_matches_single_process_training(via, processes):
    """Training equal to 1e-6 (float64), no_sync, unused parameters, buffer broadcasts and
    errors: see _ddp_worker.py."""
    done, _ = launch(via, processes, [str(HERE / "_ddp_worker.py")])
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(line for line in done.stdout.splitlines() if "ddp ok" in line) == \
        [f"ddp ok on rank {r} of {processes}" for r in range(processes)]


def test_ddp_needs_an_initialized_process_group():
    with pytest.raises(RuntimeError, match="init_process_group"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


def test_post_accumulate_grad_hook_sees_the_whole_gradient_once():
    """DDP's trigger: called once per backward per leaf, after .grad holds every
    contribution (here the weight is used twice)."""
    weight = ndgrad.randn(3, 3, requires_grad=True)
    seen = []
    handle = weight.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    x = ndgrad.randn(2, 3)
    ((x @ weight).tanh() @ weight).sum().backward()
    assert len(seen) == 1 and ndgrad.equal(seen[0], weight.grad)
    handle.remove()
    (x @ weight).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="non-leaf"):
        (weight * 2).register_post_accumulate_grad_hook(print)


def test_post_accumulate_grad_hooks_fire_while_backward_runs():
    """The last layer's parameters are complete before backward reaches the first layer:
    that is when DDP starts their all-reduce, overlapping the rest of backward."""
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    events = []
    for name, p in model.named_parameters():
        p.register_post_accumulate_grad_hook(lambda t, name=name: events.append(name))
    hidden = model[0](ndgrad.randn(3, 4))
    hidden.register_hook(lambda grad: events.append("first layer reached"))
    model[2](model[1](hidden)).sum().backward()
    assert sorted(events[:2]) == ["2.bias", "2.weight"]
    assert events[2] == "first layer reached"
    assert sorted(events[3:]) == ["0.bias", "0.weight"]


def test_ddp_digits_example_through_the_launcher():
    pytest.importorskip("sklearn")
    done, _ = launch("launcher", 2, [str(ROOT / "examples" / "ddp_digits.py"), "--epochs", "2"])
    assert done.returncode == 0, done.stderr[-3000:]
    found = re.search(r"test accuracy ([\d.]+)% with 2 processes", done.stdout)
    assert found and float(found.group(1)) > 50, done.stdout
