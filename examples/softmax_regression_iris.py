"""Softmax regression on iris, as in the seed article (seeds/004): one Linear layer, SGD with
lr 0.1, 2000 full-batch epochs, a 20% test split with scikit-learn's random_state=2.

The article reports 76.67% test accuracy with the first two features and 100% with all four.
Run: python examples/softmax_regression_iris.py [--features 2|4] [--tensorboard DIR]
"""
import argparse

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

import ndgrad
from ndgrad import nn


class SoftmaxRegression(nn.Module):
    """Logits of a linear map; the softmax is inside the cross entropy loss."""

    def __init__(self, input_dim: int, output_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x: ndgrad.Tensor) -> ndgrad.Tensor:
        return self.linear(x)


def generate_dataset(features: int):
    """The article's split: one-hot targets, test_size=0.2, random_state=2."""
    iris = datasets.load_iris()
    X = iris["data"][:, :features]
    y = np.eye(3)[iris["target"]]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=2)
    return (ndgrad.Tensor(X_train), ndgrad.Tensor(X_test), ndgrad.Tensor(y_train),
            ndgrad.Tensor(y_test))


def run(features: int = 2, epochs: int = 2000, seed: int = 0, verbose: bool = True,
        tensorboard: str | None = None) -> float:
    """Trains as the article does and returns the test accuracy in percent; logs for
    TensorBoard to the folder `tensorboard` if given."""
    writer = None
    if tensorboard:  # imported only when asked for: tensorboard is an optional extra
        from ndgrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(tensorboard)
    ndgrad.manual_seed(seed)
    X_train, X_test, y_train, y_test = generate_dataset(features)
    model = SoftmaxRegression(features, 3)
    optimizer = ndgrad.optim.SGD(model.parameters(), lr=1e-1)
    loss = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        outputs = model(X_train)
        l = loss(outputs, y_train)
        optimizer.zero_grad()
        l.backward()
        optimizer.step()
        if verbose and (epoch + 1) % 20 == 0:
            print(f"Train - Loss: {l.item()}")
        if writer and (epoch + 1) % 20 == 0:
            writer.add_scalar("loss/train", l.item(), epoch + 1)
    with ndgrad.no_grad():
        outputs = model(X_test)
    correct = np.sum(outputs.numpy().argmax(-1) == y_test.numpy().argmax(-1))
    accuracy = 100 * correct / len(y_test)
    if verbose:
        print(f"Test Accuracy:{accuracy}")
    if writer:
        writer.add_scalar("accuracy/test", accuracy, epochs)
        writer.close()
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, choices=[2, 4], default=2)
    parser.add_argument("--tensorboard", metavar="DIR", help="log for TensorBoard to DIR")
    args = parser.parse_args()
    run(args.features, tensorboard=args.tensorboard)
