"""torchvision.transforms: image transforms (classes here, functions in `functional`)."""
from ndgrad.vision.transforms import functional
from ndgrad.vision.transforms.functional import InterpolationMode
from ndgrad.vision.transforms.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    ConvertImageDtype,
    FiveCrop,
    Grayscale,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomApply,
    RandomCrop,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
    TenCrop,
    ToPILImage,
    ToTensor,
)

__all__ = [
    "CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "FiveCrop", "Grayscale",
    "InterpolationMode", "Lambda", "Normalize", "Pad", "PILToTensor", "RandomApply",
    "RandomCrop", "RandomGrayscale", "RandomHorizontalFlip", "RandomResizedCrop",
    "RandomRotation", "RandomVerticalFlip", "Resize", "TenCrop", "ToPILImage", "ToTensor",
    "functional",
]
