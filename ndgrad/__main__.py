"""`python -m ndgrad`: trains a classifier on the digits data that ships with scikit-learn.

Shows a progress bar per epoch, evaluates on a held-out split, saves a checkpoint with
ndgrad.save and a PNG of the loss and accuracy curves, and prints where both went.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import ndgrad
from ndgrad import nn
from ndgrad.utils.data import DataLoader, TensorDataset, random_split


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option gives one line on stderr and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    parse.__name__ = kind.__name__
    return parse


def parse_args(argv=None) -> argparse.Namespace:
    parser = _Parser(prog="python -m ndgrad", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=_positive(int), default=30, help="passes over the data")
    parser.add_argument("--lr", type=_positive(float), default=2e-3,
                        help="Adam's initial learning rate (decays to 0 on a cosine)")
    parser.add_argument("--batch-size", type=_positive(int), default=64, help="samples per step")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and the split")
    parser.add_argument("--out", default="ndgrad-run", help="folder for the checkpoint and plot")
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp",
                        help="an MLP, or a LeNet-style CNN on the 8x8 images")
    parser.add_argument("--tensorboard", metavar="DIR",
                        help="also log loss and accuracy per epoch for TensorBoard to DIR")
    return parser.parse_args(argv)


def build_model(name: str) -> nn.Module:
    """The classifier for 8x8 digit images given as 64 features."""
    if name == "cnn":
        return nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 4 x 4
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 64 x 2 x 2
            nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(128, 10))
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1),
                         nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def load_data(seed: int):
    """Digits scaled to [0, 1], split 80/20 into train and test sets."""
    features, labels = ndgrad.datasets.load_digits(return_X_y=True)
    dataset = TensorDataset(features / 16.0, labels)
    return random_split(dataset, [0.8, 0.2], generator=ndgrad.Generator().manual_seed(seed))


def evaluate(model: nn.Module, dataset) -> float:
    """The fraction of `dataset` the model classifies correctly."""
    model.eval()
    correct = 0
    with ndgrad.no_grad():
        for features, labels in DataLoader(dataset, batch_size=512):
            correct += int((model(features).argmax(1) == labels).sum())
    model.train()
    return correct / len(dataset)


def train(args: argparse.Namespace) -> dict:
    """Trains, evaluates each epoch, and returns the history of losses and accuracies."""
    from tqdm import tqdm

    ndgrad.manual_seed(args.seed)
    train_set, test_set = load_data(args.seed)
    model = build_model(args.model)
    optimizer = ndgrad.optim.Adam(model.parameters(), lr=args.lr)
    # Cosine decay to zero ends training at a settled point rather than mid-oscillation.
    schedule = ndgrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                        generator=ndgrad.Generator().manual_seed(args.seed))
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    writer = _summary_writer(args.tensorboard)
    for epoch in range(1, args.epochs + 1):
        total, seen = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, file=sys.stdout)
        for features, labels in bar:
            loss = loss_fn(model(features), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            seen += len(labels)
            # refresh=False: a forced redraw every step would show the bar's stale count
            # (tqdm updates it every mininterval) and flood a non-terminal stdout.
            bar.set_postfix(loss=f"{total / seen:.4f}", refresh=False)
        schedule.step()
        history["loss"].append(total / seen)
        history["train_accuracy"].append(evaluate(model, train_set))
        history["test_accuracy"].append(evaluate(model, test_set))
        print(f"epoch {epoch:3d}  loss {history['loss'][-1]:.4f}  "
              f"train accuracy {history['train_accuracy'][-1]:.2%}  "
              f"test accuracy {history['test_accuracy'][-1]:.2%}")
        if writer is not None:
            writer.add_scalar("loss/train", history["loss"][-1], epoch)
            writer.add_scalars("accuracy", {"train": history["train_accuracy"][-1],
                                            "test": history["test_accuracy"][-1]}, epoch)
    if writer is not None:
        writer.close()
    return {"model": model, "optimizer": optimizer, "history": history}


def _summary_writer(log_dir: str | None):
    """A TensorBoard SummaryWriter for --tensorboard DIR, or None."""
    if log_dir is None:
        return None
    from ndgrad.utils.tensorboard import SummaryWriter
    return SummaryWriter(log_dir)


def plot(history: dict, path: str) -> None:
    """Saves the loss and accuracy curves side by side as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["loss"]) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history["loss"], marker="o")
    left.set(title="training loss", xlabel="epoch", ylabel="cross entropy")
    right.plot(epochs, history["train_accuracy"], marker="o", label="train")
    right.plot(epochs, history["test_accuracy"], marker="o", label="test")
    right.set(title="accuracy", xlabel="epoch", ylabel="fraction correct")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    result = train(args)
    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "checkpoint.safetensors")
    ndgrad.save({"model": result["model"].state_dict(),
                 "optimizer": result["optimizer"].state_dict(),
                 "epoch": args.epochs, "history": result["history"]}, checkpoint)
    figure = os.path.join(args.out, "training.png")
    plot(result["history"], figure)
    print(f"test accuracy {result['history']['test_accuracy'][-1]:.2%} after {args.epochs} "
          f"epochs in {time.perf_counter() - start:.1f} s")
    print(f"checkpoint: {checkpoint}")
    print(f"plot: {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
