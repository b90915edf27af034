"""SummaryWriter: PyTorch's TensorBoard logging API over tensorboard's EventFileWriter."""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from ndgrad.utils.tensorboard import _summary

__all__ = ["FileWriter", "SummaryWriter"]


class FileWriter:
    """Writes Event protos to one event file in `log_dir` (tensorboard's EventFileWriter
    queues them and flushes every `flush_secs` or when `max_queue` are waiting)."""

    def __init__(self, log_dir: str, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs,
                                            filename_suffix)

    def get_logdir(self) -> str:
        return self.event_writer.get_logdir()

    def add_event(self, event: Event, step=None, walltime=None) -> None:
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)  # protobuf refuses NumPy integers and tensors
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None) -> None:
        self.add_event(Event(summary=summary), global_step, walltime)

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()


def _step(global_step):
    return None if global_step is None else int(_summary.to_numpy(global_step).reshape(()))


class SummaryWriter:
    """Logs scalars, histograms, images, text and hyper-parameters for TensorBoard.

    `log_dir` defaults to runs/<date>_<host><comment>. `purge_step`: events at or after this
    step in earlier runs of the same folder are hidden (a restarted run). The writer is a
    context manager; after close() the next add_* opens a new event file.
    """

    def __init__(self, log_dir: str | None = None, comment: str = "", purge_step=None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "") -> None:
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer: FileWriter | None = None
        self.all_writers: dict[str, FileWriter] = {}
        self._get_file_writer()

    def _new_writer(self, log_dir: str) -> FileWriter:
        return FileWriter(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)

    def _get_file_writer(self) -> FileWriter:
        if self.file_writer is None:
            self.file_writer = self._new_writer(self.log_dir)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # TensorBoard drops earlier events from this step on when it reads these.
                step = int(self.purge_step)
                self.file_writer.add_event(Event(step=step, file_version="brain.Event:2"))
                self.file_writer.add_event(
                    Event(step=step, session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        return self.log_dir

    def _add(self, summary, global_step, walltime) -> None:
        self._get_file_writer().add_summary(summary, _step(global_step), walltime)

    # ---- what can be logged

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """Logs one number (a Python number, NumPy scalar or one-element tensor)."""
        self._add(_summary.scalar(tag, scalar_value, new_style, double_precision),
                  global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        """Logs several numbers in one chart: each goes to its own run,
        log_dir/<main_tag>_<tag>, under the tag main_tag."""
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(root, f"{main_tag.replace('/', '_')}_{tag}")
            if folder not in self.all_writers:
                self.all_writers[folder] = self._new_writer(folder)
            self.all_writers[folder].add_summary(_summary.scalar(main_tag, value),
                                                 _step(global_step), walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins: int | None = None) -> None:
        """Logs the distribution of `values` (any shape)."""
        self._add(_summary.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None,
                  dataformats: str = "CHW") -> None:
        """Logs an image: floats in [0, 1] or uint8; dataformats CHW, HWC or HW."""
        self._add(_summary.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None,
                   dataformats: str = "NCHW") -> None:
        """Logs a batch of images as one grid (8 per row); dataformats NCHW or NHWC."""
        if not dataformats.upper().startswith("N"):
            raise ValueError(f"add_images takes a batch: dataformats NCHW or NHWC, "
                             f"got {dataformats!r}")
        self._add(_summary.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_figure(self, tag: str, figure, global_step=None, close: bool = True,
                   walltime=None) -> None:
        """Logs a matplotlib figure (or a list of them, as one grid) as an image."""
        figures = figure if isinstance(figure, list) else [figure]
        images = [_summary.figure_to_hwc(f) for f in figures]
        if close:
            import matplotlib.pyplot as plt
            for f in figures:
                plt.close(f)
        if isinstance(figure, list):
            self.add_images(tag, images, global_step, walltime, dataformats="NHWC")
        else:
            self.add_image(tag, images[0], global_step, walltime, dataformats="HWC")

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Logs text (rendered as Markdown)."""
        self._add(_summary.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete=None,
                    run_name: str | None = None, global_step=None) -> None:
        """Logs one run's hyper-parameters with its final metrics for the HParams tab, in the
        sub-folder run_name (default: the current time), as torch does."""
        summaries = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        folder = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=folder) as run:
            for summary in summaries:
                run._add(summary, global_step, None)
            for tag, value in metric_dict.items():
                run.add_scalar(tag, value, global_step)

    # ---- files

    def flush(self) -> None:
        """Writes everything queued to disk."""
        for writer in self.all_writers.values():
            writer.flush()

    def close(self) -> None:
        """Flushes and closes every event file (a later add_* opens new ones)."""
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = None
        self.all_writers = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
