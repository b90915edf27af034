"""Regression as in the seed article (seeds/002): make_regression(n_samples=100, n_features=1,
noise=10, random_state=0) with squared targets, a small Linear-ReLU-Linear model, and
per-sample SGD with the article's gradient clipping to [-1000, 1000].

The article's training loop runs as written: model(X), (pred - y) @ (pred - y),
loss.backward(), optimizer.step(), optimizer.zero_grad(). The epoch loss falls epoch by epoch.
Run: python examples/regression.py [--tensorboard DIR]
"""
import argparse

import numpy as np
from sklearn import datasets

import ndgrad
from ndgrad import nn


def make_dataset():
    X, y = datasets.make_regression(n_samples=100, n_features=1, n_informative=1, noise=10,
                                    coef=False, random_state=0)
    y = np.power(y, 2)
    return ndgrad.utils.data.TensorDataset(ndgrad.tensor(X, dtype=ndgrad.float32),
                                           ndgrad.tensor(y, dtype=ndgrad.float32))


def run(epochs: int = 20, lr: float = 1e-5, seed: int = 0, verbose: bool = True,
        tensorboard: str | None = None) -> list:
    """Trains with batch size 1 and returns the mean loss of each epoch; logs for TensorBoard
    to the folder `tensorboard` if given."""
    writer = None
    if tensorboard:  # imported only when asked for: tensorboard is an optional extra
        from ndgrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(tensorboard)
    ndgrad.manual_seed(seed)
    dataset = ndgrad.utils.data.DataLoader(make_dataset(), batch_size=1)
    model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = ndgrad.optim.SGD(model.parameters(), lr=lr)
    training_loss = []
    for epoch in range(epochs):
        epoch_loss = 0.0
        for X, y in dataset:
            pred_y = model(X).reshape(-1)
            loss = (pred_y - y) @ (pred_y - y)
            epoch_loss += loss.data.item()
            loss.backward()
            nn.utils.clip_grad_value_(model.parameters(), 1000)
            optimizer.step()
            optimizer.zero_grad()
        epoch_loss /= len(dataset)
        training_loss.append(epoch_loss)
        if verbose:
            print(f"Epoch {epoch} | Loss: {epoch_loss}")
        if writer:
            writer.add_scalar("loss/train", epoch_loss, epoch)
    if writer:
        writer.close()
    return training_loss


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tensorboard", metavar="DIR", help="log for TensorBoard to DIR")
    run(tensorboard=parser.parse_args().tensorboard)
