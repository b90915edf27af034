"""Learning-rate schedules (PyTorch's torch.optim.lr_scheduler).

Where PyTorch computes the next rate from the group's current one (the "chainable" form), so
do these schedulers, with the same arithmetic in the same order: rates agree with PyTorch's
step for step, and schedulers stacked on one optimizer compose. `step(epoch)` uses the closed
form where PyTorch has one. State dicts have PyTorch's keys, so either library's loads in the
other. Unlike PyTorch, no warning is given when `scheduler.step()` runs before
`optimizer.step()`: that check needs the optimizer's `step` patched, which ndgrad avoids.
"""
from ndgrad.optim.lr_scheduler._base import LRScheduler
from ndgrad.optim.lr_scheduler._composite import ChainedScheduler, SequentialLR
from ndgrad.optim.lr_scheduler._cyclic import CyclicLR, OneCycleLR
from ndgrad.optim.lr_scheduler._decay import (ConstantLR, CosineAnnealingLR,
                                              CosineAnnealingWarmRestarts, ExponentialLR,
                                              LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR,
                                              PolynomialLR, StepLR)
from ndgrad.optim.lr_scheduler._plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
           "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
           "PolynomialLR"]
