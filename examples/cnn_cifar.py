"""A small ResNet on CIFAR10 with torchvision-style data augmentation, on ndgrad.

A 3x3 stem and three stages of ndgrad.vision's BasicBlock (16, 32 and 64 channels, strides 1,
2, 2), global average pooling and a Linear layer, trained with SGD (momentum, weight decay)
and a cosine schedule on RandomCrop(32, padding=4) + RandomHorizontalFlip + Normalize images.

Reads CIFAR10's python batches from --root (root/cifar-10-batches-py/; --download fetches
them). Without them it says so and trains on FakeData (random images, so only the training
loss has meaning). The default run is short: --max-batches caps the steps per epoch.
Run: python examples/cnn_cifar.py --root data --epochs 1 --max-batches 50
"""
import argparse
import os

import ndgrad
from ndgrad import nn
from ndgrad.utils.data import DataLoader
from ndgrad.vision import datasets, transforms
from ndgrad.vision.models.resnet import BasicBlock, conv1x1

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)  # CIFAR10's channel statistics


class SmallResNet(nn.Module):
    """A ResNet for 32x32 images: 3x3 stem, `blocks` BasicBlocks per stage, no max pooling."""

    def __init__(self, num_classes: int = 10, blocks: int = 1, widths=(16, 32, 64)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        stages, channels = [], widths[0]
        for index, width in enumerate(widths):
            stride = 1 if index == 0 else 2
            downsample = None
            if stride != 1 or channels != width:
                downsample = nn.Sequential(conv1x1(channels, width, stride), nn.BatchNorm2d(width))
            layers = [BasicBlock(channels, width, stride, downsample)]
            layers += [BasicBlock(width, width) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*layers))
            channels = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        return self.fc(ndgrad.flatten(self.pool(self.stages(self.stem(x))), 1))


def load(root: str, download: bool, fake_size: int, verbose: bool):
    """CIFAR10's train and test sets with the transforms, or FakeData stand-ins."""
    train_transform = transforms.Compose([
        transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    test_transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    folder = os.path.join(root, datasets.CIFAR10.base_folder)
    if download or os.path.isdir(folder):
        return (datasets.CIFAR10(root, train=True, download=download, transform=train_transform),
                datasets.CIFAR10(root, train=False, transform=test_transform))
    if verbose:
        print(f"CIFAR10 not found in {folder} (use --download to fetch it): training on "
              f"FakeData, {fake_size} random 3x32x32 images")
    size = (3, 32, 32)
    return (datasets.FakeData(fake_size, size, 10, transform=train_transform),
            datasets.FakeData(fake_size // 4, size, 10, transform=test_transform,
                              random_offset=fake_size))


def run(root: str = "data", epochs: int = 1, batch_size: int = 64, lr: float = 0.1,
        max_batches: int | None = 20, download: bool = False, fake_size: int = 512,
        seed: int = 0, verbose: bool = True,
        tensorboard: str | None = None) -> tuple[list[float], float]:
    """Trains the model; returns the training losses and the test accuracy, and logs them for
    TensorBoard in the folder `tensorboard` if given."""
    writer = None
    if tensorboard:  # imported only when asked for: tensorboard is an optional extra
        from ndgrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(tensorboard)
    ndgrad.manual_seed(seed)
    train_set, test_set = load(root, download, fake_size, verbose)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    model = SmallResNet()
    optimizer = ndgrad.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    steps = epochs * min(len(train_loader), max_batches or len(train_loader))
    schedule = ndgrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        for step, (images, targets) in enumerate(train_loader):
            if max_batches is not None and step == max_batches:
                break
            loss = loss_fn(model(images), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            if writer:
                writer.add_scalar("loss/train", losses[-1], len(losses))
            if verbose and step % 10 == 0:
                print(f"epoch {epoch} step {step}: loss {loss.item():.4f}")
    accuracy = evaluate(model, DataLoader(test_set, batch_size=256))
    if verbose:
        print(f"test accuracy {accuracy:.2%}")
    if writer:
        writer.add_scalar("accuracy/test", accuracy, len(losses))
        writer.close()
    return losses, accuracy


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    """Accuracy over the loader's dataset."""
    model.eval()
    correct = 0
    with ndgrad.no_grad():
        for images, targets in loader:
            correct += (model(images).argmax(1) == targets).sum().item()
    return correct / len(loader.dataset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="data", help="folder holding cifar-10-batches-py/")
    parser.add_argument("--download", action="store_true", help="fetch CIFAR10 if missing")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--max-batches", type=int, default=20,
                        help="training steps per epoch (0: the whole epoch)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tensorboard", metavar="DIR", help="log for TensorBoard to DIR")
    args = parser.parse_args()
    run(args.root, args.epochs, args.batch_size, args.lr, args.max_batches or None,
        args.download, seed=args.seed, tensorboard=args.tensorboard)


if __name__ == "__main__":
    main()
