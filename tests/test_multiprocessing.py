"""ndgrad.multiprocessing: tensors in shared memory, seen by every process that holds them."""
from __future__ import annotations

import multiprocessing

import numpy as np
import pytest

import ndgrad
import ndgrad.multiprocessing as mp


def _add_rank_plus_one(rank: int, tensor: ndgrad.Tensor, model: ndgrad.nn.Module) -> None:
    with ndgrad.no_grad():
        tensor[rank].add_(rank + 1)
        model.weight.add_(1)


def _fail(rank: int) -> None:
    raise ValueError(f"boom in {rank}")


def test_share_memory_moves_data_and_keeps_values():
    t = ndgrad.arange(6.0).reshape(2, 3)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0).reshape(2, 3))
    assert t[1].is_shared()  # views of shared data are in shared memory too
    model = ndgrad.nn.Sequential(ndgrad.nn.Linear(3, 2), ndgrad.nn.BatchNorm1d(2))
    weight, values = model[0].weight, model[0].weight.detach().clone()
    assert model.share_memory() is model
    assert all(p.is_shared() for p in model.parameters())
    assert all(b.is_shared() for b in model.buffers())
    assert model[0].weight is weight  # the same Parameter, so optimizers stay valid
    np.testing.assert_array_equal(weight.detach().numpy(), values.numpy())
    assert ndgrad.zeros(0).share_memory_().is_shared()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_childs_in_place_update_is_seen_by_the_parent(method):
    tensor = ndgrad.zeros(3).share_memory_()
    model = ndgrad.nn.Linear(2, 2).share_memory()
    before = model.weight.detach().clone()
    process = mp.get_context(method).Process(target=_add_rank_plus_one,
                                             args=(1, tensor, model))
    process.start()
    process.join(120)
    assert process.exitcode == 0
    assert tensor.tolist() == [0.0, 2.0, 0.0]
    np.testing.assert_allclose(model.weight.detach().numpy(), before.numpy() + 1)


def test_spawn_runs_fn_with_each_index_and_raises_a_childs_error():
    tensor = ndgrad.zeros(2).share_memory_()
    model = ndgrad.nn.Linear(1, 1).share_memory()
    # fork: spawn children cost seconds each, and spawn's pickling is tested above.
    assert mp.spawn(_add_rank_plus_one, args=(tensor, model), nprocs=2,
                    start_method="fork") is None
    assert tensor.tolist() == [1.0, 2.0]
    with pytest.raises(mp.ProcessRaisedException, match="ValueError: boom in 0") as caught:
        mp.start_processes(_fail, nprocs=1, start_method="fork")
    assert caught.value.error_index == 0


def test_a_queue_sends_shared_tensors_as_the_same_memory_and_others_as_copies():
    queue = mp.get_context("fork").SimpleQueue()
    shared = ndgrad.arange(8.0).share_memory_()
    queue.put(shared[1:7:2])
    view = queue.get()
    assert view.is_shared() and view.tolist() == [1.0, 3.0, 5.0]
    view.mul_(-1)
    assert shared.tolist() == [0.0, -1.0, 2.0, -3.0, 4.0, -5.0, 6.0, 7.0]
    private = ndgrad.ones(2)
    queue.put(private)
    copy = queue.get()
    copy.add_(1)
    assert private.tolist() == [1.0, 1.0] and not copy.is_shared()
    queue.put(ndgrad.nn.Parameter(ndgrad.ones(2)).share_memory_())
    parameter = queue.get()
    assert type(parameter) is ndgrad.nn.Parameter and parameter.requires_grad


def test_a_non_leaf_that_requires_grad_is_refused():
    leaf = ndgrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf tensor which requires_grad"):
        multiprocessing.reduction.ForkingPickler.dumps(leaf * 2)


def test_sharing_strategies_and_the_standard_names():
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(ValueError, match="sharing strategy"):
        mp.set_sharing_strategy("carrier_pigeon")
    assert mp.Process is multiprocessing.Process and mp.cpu_count() >= 1
