"""The CNN of PyTorch's `mnist` example, on ndgrad: two 3x3 convolutions (32 and 64 channels),
max pooling, dropout, two Linear layers and log_softmax, trained with Adadelta (lr 1.0) and a
StepLR schedule (gamma 0.7) on MNIST images through ToTensor and Normalize.

Reads MNIST's IDX files from --root (root/MNIST/raw/, gz or not; --download fetches them).
One epoch on all 60000 images takes long on a CPU: --max-batches caps the steps per epoch.
Run: python examples/mnist_cnn.py --root data --download --epochs 1 --max-batches 100
"""
import argparse

import ndgrad
import ndgrad.nn.functional as F
from ndgrad import nn
from ndgrad.optim.lr_scheduler import StepLR
from ndgrad.utils.data import DataLoader
from ndgrad.vision import datasets, transforms


class Net(nn.Module):
    """The mnist example's network: 1x28x28 images to 10 log-probabilities."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = self.dropout2(F.relu(self.fc1(ndgrad.flatten(self.dropout1(x), 1))))
        return F.log_softmax(self.fc2(x), dim=1)


def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, float]:
    """Mean negative log-likelihood and accuracy over the loader's dataset."""
    model.eval()
    total, correct = 0.0, 0
    with ndgrad.no_grad():
        for images, targets in loader:
            output = model(images)
            total += F.nll_loss(output, targets, reduction="sum").item()
            correct += (output.argmax(1) == targets).sum().item()
    return total / len(loader.dataset), correct / len(loader.dataset)


def run(root: str = "data", epochs: int = 1, batch_size: int = 64, lr: float = 1.0,
        gamma: float = 0.7, max_batches: int | None = 100, download: bool = False,
        seed: int = 1, verbose: bool = True, tensorboard: str | None = None) -> float:
    """Trains the network and returns its test accuracy as a fraction; logs the losses and
    accuracy for TensorBoard in the folder `tensorboard` if given."""
    writer = None
    if tensorboard:  # imported only when asked for: tensorboard is an optional extra
        from ndgrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(tensorboard)
    ndgrad.manual_seed(seed)
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(root, train=True, download=download, transform=transform)
    test_set = datasets.MNIST(root, train=False, transform=transform)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = Net()
    optimizer = ndgrad.optim.Adadelta(model.parameters(), lr=lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=gamma)
    for epoch in range(1, epochs + 1):
        model.train()
        for step, (images, targets) in enumerate(train_loader):
            if max_batches is not None and step == max_batches:
                break
            optimizer.zero_grad()
            loss = F.nll_loss(model(images), targets)
            loss.backward()
            optimizer.step()
            if verbose and step % 10 == 0:
                print(f"epoch {epoch} step {step}: loss {loss.item():.4f}")
        scheduler.step()
        test_loss, accuracy = evaluate(model, test_loader)
        if writer:
            writer.add_scalar("loss/train", loss.item(), epoch)
            writer.add_scalar("loss/test", test_loss, epoch)
            writer.add_scalar("accuracy/test", accuracy, epoch)
        if verbose:
            print(f"epoch {epoch}: test loss {test_loss:.4f}, accuracy {accuracy:.2%}")
    if writer:
        writer.close()
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="data", help="folder holding MNIST/raw/")
    parser.add_argument("--download", action="store_true", help="fetch missing MNIST files")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--max-batches", type=int, default=100,
                        help="training steps per epoch (0: the whole epoch)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tensorboard", metavar="DIR", help="log for TensorBoard to DIR")
    args = parser.parse_args()
    run(args.root, args.epochs, args.batch_size, args.lr, args.gamma, args.max_batches or None,
        args.download, args.seed, tensorboard=args.tensorboard)


if __name__ == "__main__":
    main()
