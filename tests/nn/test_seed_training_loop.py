"""The seed article's gradflow-style training loop (../shared/seeds/002_*.txt) as written there,
with ndgrad names: model(X), (pred - y) @ (pred - y), loss.backward(), step(), zero_grad()."""
import numpy as np

import ndgrad


class NaiveSGD:
    """The seed's optimizer, minus clipping: p -= lr * p.grad."""

    def __init__(self, parameters, lr):
        self.parameters, self.lr = list(parameters), lr

    def step(self):
        with ndgrad.no_grad():
            for p in self.parameters:
                p -= self.lr * p.grad

    def zero_grad(self):
        for p in self.parameters:
            p.grad = None


def test_seed_training_loop_reduces_the_loss():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((64, 1)).astype(np.float32)
    labels = (2 * features[:, 0] + 1 + 0.1 * rng.standard_normal(64)).astype(np.float32)
    model = ndgrad.nn.Sequential(ndgrad.nn.Linear(1, 8), ndgrad.nn.ReLU(),
                                 ndgrad.nn.Linear(8, 1))
    optimizer = NaiveSGD(model.parameters(), lr=0.01)
    training_loss = []
    for epoch in range(5):
        epoch_loss = 0.0
        for i in range(len(features)):  # the seed's Dataset with batch_size=1
            X, y = ndgrad.tensor(features[i:i + 1]), ndgrad.tensor(labels[i:i + 1])
            pred_y = model(X)
            loss = (pred_y - y) @ (pred_y - y)
            epoch_loss += loss.data.item()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        training_loss.append(epoch_loss / len(features))
    assert training_loss[-1] < training_loss[0] / 5
    assert all(p.grad is None for p in model.parameters())
