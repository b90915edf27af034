"""Optimizers and learning-rate schedules (PyTorch's torch.optim)."""
from ndgrad.optim import lr_scheduler
from ndgrad.optim.adadelta import Adadelta
from ndgrad.optim.adagrad import Adagrad
from ndgrad.optim.adam import Adam, AdamW
from ndgrad.optim.adamax import Adamax
from ndgrad.optim.lbfgs import LBFGS
from ndgrad.optim.nadam import NAdam
from ndgrad.optim.optimizer import Optimizer
from ndgrad.optim.radam import RAdam
from ndgrad.optim.rmsprop import RMSprop
from ndgrad.optim.sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "SGD", "lr_scheduler"]
