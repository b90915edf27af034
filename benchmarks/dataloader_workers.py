"""DataLoader workers: how much background threads help, for the README's rationale.

    python benchmarks/dataloader_workers.py

Two datasets of 512 samples in batches of 32: one whose samples are NumPy work (a 128x128 FFT
round trip, which releases the GIL) and one whose samples are pure-Python arithmetic (which
holds it), iterated alone and with a NumPy training step per batch. Prints the best of three
epochs for num_workers 0 and 2.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ndgrad  # noqa: E402
from ndgrad.utils.data import DataLoader, Dataset  # noqa: E402


class NumpyHeavy(Dataset):
    """Each sample is a 128x128 FFT round trip."""

    def __init__(self) -> None:
        self.base = np.random.default_rng(0).standard_normal((128, 128))

    def __len__(self) -> int:
        return 512

    def __getitem__(self, i: int):
        return ndgrad.tensor(np.fft.irfft2(np.fft.rfft2(self.base + i)).astype(np.float32))


class PythonHeavy(Dataset):
    """Each sample is a sum over 2,000 Python ints."""

    def __len__(self) -> int:
        return 512

    def __getitem__(self, i: int):
        return ndgrad.tensor([float(sum(j * j for j in range(2000)) % 7)])


def best_epoch_ms(dataset: Dataset, workers: int, train: bool) -> float:
    """Best of three epochs; with `train`, each batch is followed by a NumPy "training step"
    (a 384x384 matrix product chain) that loading in the background can overlap."""
    weights = np.random.default_rng(1).standard_normal((384, 384)).astype(np.float32)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in DataLoader(dataset, batch_size=32, num_workers=workers):
            if train:
                for _ in range(8):
                    weights @ weights
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


if __name__ == "__main__":
    for dataset in (NumpyHeavy(), PythonHeavy()):
        for train in (False, True):
            serial, threaded = best_epoch_ms(dataset, 0, train), best_epoch_ms(dataset, 2, train)
            print(f"{type(dataset).__name__}, {'with' if train else 'without'} a training step: "
                  f"num_workers=0 {serial:.0f} ms, num_workers=2 {threaded:.0f} ms "
                  f"({serial / threaded:.2f}x faster)")
