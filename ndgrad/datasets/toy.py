"""The iris and digits datasets, read from the copies that ship with scikit-learn."""
from __future__ import annotations

import numpy as np

from ndgrad._creation import tensor
from ndgrad.utils.data.dataset import TensorDataset


def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError("this dataset is read from scikit-learn's bundled copy: "
                          "pip install scikit-learn (or pip install 'ndgrad[demo]')") from None
    return datasets


def _as_result(features: np.ndarray, targets: np.ndarray, return_X_y: bool):
    X = tensor(features.astype(np.float32))
    y = tensor(targets.astype(np.int64))
    return (X, y) if return_X_y else TensorDataset(X, y)


def load_iris(return_X_y: bool = False):
    """Fisher's iris: 150 samples, 4 float32 features, 3 classes (int64 labels).

    Returns a TensorDataset, or the (features, labels) tensors with return_X_y=True.
    """
    bunch = _sklearn_datasets().load_iris()
    return _as_result(bunch.data, bunch.target, return_X_y)


def load_digits(return_X_y: bool = False):
    """8x8 images of handwritten digits: 1797 samples, 64 float32 features in [0, 16],
    10 classes (int64 labels).

    Returns a TensorDataset, or the (features, labels) tensors with return_X_y=True.
    """
    bunch = _sklearn_datasets().load_digits()
    return _as_result(bunch.data, bunch.target, return_X_y)
