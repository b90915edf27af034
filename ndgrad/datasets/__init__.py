"""Datasets: iris and digits from scikit-learn's bundled copies, MNIST-format IDX files."""
from ndgrad.datasets.mnist import MNIST, FashionMNIST, read_idx
from ndgrad.datasets.toy import load_digits, load_iris

__all__ = ["MNIST", "FashionMNIST", "load_digits", "load_iris", "read_idx"]
