"""torchvision.models: ResNet, VGG, AlexNet and MobileNetV2 with torchvision's module names,
parameter order and initialisation (`weights=None` only: no pretrained weights ship)."""
from ndgrad.vision.models.alexnet import AlexNet, alexnet
from ndgrad.vision.models.mobilenetv2 import MobileNetV2, mobilenet_v2
from ndgrad.vision.models.resnet import (ResNet, resnet18, resnet34, resnet50, resnet101,
                                         resnet152, resnext50_32x4d, resnext101_32x8d,
                                         resnext101_64x4d, wide_resnet50_2, wide_resnet101_2)
from ndgrad.vision.models.vgg import (VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn,
                                      vgg19, vgg19_bn)

__all__ = ["AlexNet", "MobileNetV2", "ResNet", "VGG", "alexnet", "mobilenet_v2", "resnet18",
           "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
           "resnext101_32x8d", "resnext101_64x4d", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "wide_resnet50_2", "wide_resnet101_2"]
