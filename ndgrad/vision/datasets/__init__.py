"""torchvision.datasets: MNIST, FashionMNIST, CIFAR10/100, ImageFolder, DatasetFolder,
FakeData; samples are (PIL image, int) as in torchvision."""
from ndgrad.vision.datasets.cifar import CIFAR10, CIFAR100
from ndgrad.vision.datasets.fakedata import FakeData
from ndgrad.vision.datasets.folder import DatasetFolder, ImageFolder
from ndgrad.vision.datasets.mnist import MNIST, FashionMNIST
from ndgrad.vision.datasets.vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "DatasetFolder", "FakeData", "FashionMNIST", "ImageFolder",
           "MNIST", "VisionDataset"]
