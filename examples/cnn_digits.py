"""A LeNet-style CNN on scikit-learn's 8x8 digits, seen as 1x8x8 images: three 3x3 convolutions
with ReLU and two 2x2 max poolings, then two Linear layers. Reaches 98.9-99.4% test accuracy
on a 20% held-out split (seeds 0-2) in about 10 s on one core.
Run: python examples/cnn_digits.py [--tensorboard DIR]   (or: python -m ndgrad --model cnn)
"""
import argparse

import ndgrad
from ndgrad import nn
from ndgrad.utils.data import DataLoader, TensorDataset, random_split


def lenet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 4 x 4
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 64 x 2 x 2
        nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))


def run(epochs: int = 30, seed: int = 0, verbose: bool = True,
        tensorboard: str | None = None) -> float:
    """Trains and returns the test accuracy as a fraction; logs for TensorBoard to the
    folder `tensorboard` if given."""
    writer = None
    if tensorboard:  # imported only when asked for: tensorboard is an optional extra
        from ndgrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(tensorboard)
    ndgrad.manual_seed(seed)
    features, labels = ndgrad.datasets.load_digits(return_X_y=True)
    images = (features / 16.0).reshape(-1, 1, 8, 8)
    train_set, test_set = random_split(TensorDataset(images, labels), [0.8, 0.2],
                                       generator=ndgrad.Generator().manual_seed(seed))
    model = lenet()
    optimizer = ndgrad.optim.Adam(model.parameters(), lr=2e-3)
    schedule = ndgrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train_set, batch_size=64, shuffle=True,
                        generator=ndgrad.Generator().manual_seed(seed))
    for epoch in range(epochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
        if verbose:
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}")
        if writer:
            writer.add_scalar("loss/train", loss.item(), epoch + 1)
    x_test, y_test = next(iter(DataLoader(test_set, batch_size=len(test_set))))
    model.eval()
    with ndgrad.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    if verbose:
        print(f"test accuracy {accuracy:.2%}")
    if writer:
        writer.add_scalar("accuracy/test", accuracy, epochs)
        writer.close()
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tensorboard", metavar="DIR", help="log for TensorBoard to DIR")
    run(tensorboard=parser.parse_args().tensorboard)
