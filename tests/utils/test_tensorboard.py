"""SummaryWriter: event files read back with TensorBoard's EventAccumulator, against the
same calls on torch.utils.tensorboard."""
import importlib
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import ndgrad

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (
    EventAccumulator,
)
from tensorboard.plugins.hparams import plugin_data_pb2

from ndgrad.utils.tensorboard import SummaryWriter

RNG = np.random.default_rng(0)
WEIGHTS = RNG.standard_normal(500)
IMAGE = RNG.random((3, 6, 5))
BATCH = RNG.random((3, 1, 4, 4))


def _accumulate(folder):
    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0, "images": 0,
                                                               "scalars": 0, "histograms": 0})
    return accumulator.Reload()


def _runs(folder):
    return sorted(name for name in os.listdir(folder) if (folder / name).is_dir())


def _log(writer, as_tensor):
    """The same calls for either library; as_tensor turns arrays into its tensors."""
    for step in range(4):
        writer.add_scalar("loss", as_tensor(np.array(1.0 / (step + 1), np.float32)),
                          global_step=step)
        writer.add_scalar("lr", 0.1 * 0.5 ** step, step)
        writer.add_scalars("accuracy", {"train": step / 4, "test": step / 5}, step)
    writer.add_scalar("precise", 1 / 3, 0, new_style=True, double_precision=True)
    writer.add_histogram("weights", as_tensor(WEIGHTS), 0)
    writer.add_histogram("weights", as_tensor(WEIGHTS * 2), 1, bins=20)
    writer.add_image("image", as_tensor(IMAGE), 0)
    writer.add_image("gray", as_tensor(IMAGE[0]), 0, dataformats="HW")
    writer.add_image("hwc", (IMAGE.transpose(1, 2, 0) * 255).astype(np.uint8), 0,
                     dataformats="HWC")
    writer.add_images("batch", as_tensor(BATCH), 2)
    writer.add_text("notes", "lr **halves** each step", 3)


def test_event_files_match_torchs(torch, tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    with SummaryWriter(tmp_path / "ours") as writer:
        _log(writer, ndgrad.from_numpy)
    with TorchWriter(tmp_path / "theirs") as writer:
        _log(writer, torch.from_numpy)
    ours, theirs = _accumulate(tmp_path / "ours"), _accumulate(tmp_path / "theirs")
    assert ours.Tags() == theirs.Tags()
    assert ours.Tags()["scalars"] == ["loss", "lr"]
    for tag in ("loss", "lr"):
        assert [(e.step, e.value) for e in ours.Scalars(tag)] == [
            (e.step, e.value) for e in theirs.Scalars(tag)]
    assert [e.value for e in ours.Scalars("loss")] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4])
    for tag in ours.Tags()["histograms"]:
        assert [(e.step, e.histogram_value) for e in ours.Histograms(tag)] == [
            (e.step, e.histogram_value) for e in theirs.Histograms(tag)]
    for tag in ours.Tags()["images"]:
        assert [(e.step, e.width, e.height, e.encoded_image_string) for e in ours.Images(tag)] == [
            (e.step, e.width, e.height, e.encoded_image_string) for e in theirs.Images(tag)]
    for tag in ours.Tags()["tensors"]:
        assert [(e.step, e.tensor_proto) for e in ours.Tensors(tag)] == [
            (e.step, e.tensor_proto) for e in theirs.Tensors(tag)]
    assert _runs(tmp_path / "ours") == _runs(tmp_path / "theirs") == [
        "accuracy_test", "accuracy_train"]
    train = _accumulate(tmp_path / "ours" / "accuracy_train")
    assert [(e.step, e.value) for e in train.Scalars("accuracy")] == [
        (0, 0.0), (1, 0.25), (2, 0.5), (3, 0.75)]


def test_hparams_match_torchs(torch, tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    hparams = {"lr": 0.01, "optimizer": "adam", "layers": 3, "skipped": None}
    for name, writer_class in (("ours", SummaryWriter), ("theirs", TorchWriter)):
        with writer_class(tmp_path / name) as writer:
            writer.add_hparams(hparams, {"hparam/accuracy": 0.9}, run_name="run",
                               hparam_domain_discrete={"optimizer": ["adam", "sgd"]})
    ours, theirs = (_accumulate(tmp_path / name / "run") for name in ("ours", "theirs"))
    # Compared as messages: protobuf writes map entries in no fixed order, so the
    # bytes of the same hparams map differ from one process to the next.
    content, their_content = (
        {tag: plugin_data_pb2.HParamsPluginData.FromString(data)
         for tag, data in run.PluginTagToContent("hparams").items()}
        for run in (ours, theirs))
    assert content == their_content
    start = content["_hparams_/session_start_info"].session_start_info
    assert start.hparams["lr"].number_value == 0.01
    assert start.hparams["optimizer"].string_value == "adam"
    assert [e.value for e in ours.Scalars("hparam/accuracy")] == pytest.approx([0.9])


def test_boolean_hparams_are_booleans(tmp_path):
    """torch.utils.tensorboard logs True as the number 1.0; ndgrad logs a boolean."""
    with SummaryWriter(tmp_path) as writer:
        writer.add_hparams({"nesterov": True}, {"loss": 0.5}, run_name="run")
    content = _accumulate(tmp_path / "run").PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["nesterov"].bool_value is True


def test_purge_step_hides_the_steps_a_restarted_run_rewrites(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(5):
            writer.add_scalar("loss", 10.0 + step, step)
    with SummaryWriter(tmp_path, purge_step=2, filename_suffix=".restart") as writer:
        for step in range(2, 4):
            writer.add_scalar("loss", float(step), step)
    assert any(name.endswith(".restart") for name in os.listdir(tmp_path))
    assert [(e.step, e.value) for e in _accumulate(tmp_path).Scalars("loss")] == [
        (0, 10.0), (1, 11.0), (2, 2.0), (3, 3.0)]


def test_default_log_dir_flush_and_reopen(tmp_path, monkeypatch):
    import socket
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_lr0.1")
    (folder,) = os.listdir(tmp_path / "runs")
    assert folder.endswith(f"_{socket.gethostname()}_lr0.1")
    assert writer.get_logdir() == os.path.join("runs", folder)
    writer.add_scalar("x", 1.0, 0)
    writer.flush()
    assert [e.value for e in _accumulate(writer.get_logdir()).Scalars("x")] == [1.0]
    writer.close()
    writer.add_scalar("x", 2.0, 1)  # a closed writer opens a new event file
    writer.close()
    assert [e.value for e in _accumulate(writer.get_logdir()).Scalars("x")] == [1.0, 2.0]
    assert len(os.listdir(writer.get_logdir())) == 2


def test_figure(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as writer:
        writer.add_figure("curve", figure, 0)
    (event,) = _accumulate(tmp_path).Images("curve")
    assert (event.width, event.height) == (100, 50)
    assert not plt.fignum_exists(figure.number)  # close=True closed it


@pytest.mark.parametrize("call, match", [
    (lambda w: w.add_image("x", np.zeros((5, 4))), r"shape \(5, 4\) does not match .*'CHW'"),
    (lambda w: w.add_image("x", np.zeros((2, 4, 4))), "1, 3 or 4 channels, got 2"),
    (lambda w: w.add_images("x", np.zeros((3, 4, 4)), dataformats="CHW"), "takes a batch"),
    (lambda w: w.add_scalar("x", ndgrad.ones(2)), r"single number, got shape \(2,\)"),
    (lambda w: w.add_histogram("x", []), "no values"),
    (lambda w: w.add_histogram("x", [1.0, np.nan]), "inf or nan"),
    (lambda w: w.add_hparams({"lr": [0.1]}, {}), "bool, int, float, str or tensor"),
])
def test_bad_input_is_named(tmp_path, call, match):
    with SummaryWriter(tmp_path) as writer, pytest.raises((ValueError, TypeError), match=match):
        call(writer)


def test_missing_tensorboard_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m.startswith("ndgrad.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match=r"pip install 'ndgrad\[tensorboard\]'"):
        importlib.import_module("ndgrad.utils.tensorboard")


def test_demo_logs_loss_and_accuracy(tmp_path):
    from ndgrad.__main__ import parse_args, train
    history = train(parse_args(["--epochs", "2", "--tensorboard", str(tmp_path)]))["history"]
    loss = _accumulate(tmp_path).Scalars("loss/train")
    assert [e.step for e in loss] == [1, 2]
    assert [e.value for e in loss] == pytest.approx(history["loss"])
    test_accuracy = _accumulate(tmp_path / "accuracy_test").Scalars("accuracy")
    assert [e.value for e in test_accuracy] == pytest.approx(history["test_accuracy"])


EXAMPLES = {  # short runs: name, run() arguments, tags it logs
    "mlp_digits": ({"epochs": 1}, ["accuracy/test", "loss/train"]),
    "regression": ({"epochs": 2}, ["loss/train"]),
    "softmax_regression_iris": ({"epochs": 40}, ["accuracy/test", "loss/train"]),
    "char_lstm": ({"chars": 2000, "steps": 3, "hidden": 8, "seq_len": 8, "samples": 1},
                  ["loss/held_out", "loss/train"]),
    "transformer_sort": ({"length": 4, "steps": 3, "train_size": 256, "test_size": 32,
                          "d_model": 16, "batch_size": 32},
                         ["accuracy/held_out_sequences", "accuracy/held_out_tokens",
                          "loss/train", "lr"]),
    "vae_digits": ({"epochs": 1, "out": None}, ["elbo/test_negative"]),
    "reinforce": ({"iterations": 2, "episodes": 2, "max_steps": 20}, ["episode_length/mean"]),
    "cnn_cifar": ({"epochs": 1, "max_batches": 2, "fake_size": 32, "batch_size": 16},
                  ["accuracy/test", "loss/train"]),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_log_for_tensorboard(tmp_path, name):
    pytest.importorskip("sklearn")
    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_tensorboard_example_{name}", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    arguments, tags = EXAMPLES[name]
    if name == "cnn_cifar":  # no CIFAR10 files there: it trains on FakeData
        arguments = dict(arguments, root=str(tmp_path / "data"))
    runs = tmp_path / "runs"
    example.run(**arguments, verbose=False, tensorboard=str(runs))
    assert sorted(_accumulate(runs).Tags()["scalars"]) == tags
