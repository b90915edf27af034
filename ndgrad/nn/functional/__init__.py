"""Functional neural network ops (PyTorch's torch.nn.functional)."""
from ndgrad.nn.functional.activation import (celu, elu, gelu, glu, hardsigmoid, hardswish,
                                             hardtanh, leaky_relu, log_softmax, mish, prelu,
                                             relu, relu6, selu, sigmoid, silu, softmax, softmin,
                                             softplus, softsign, tanh, tanhshrink, threshold)
from ndgrad.nn.functional.dropout import alpha_dropout, dropout
from ndgrad.nn.functional.linear import bilinear, linear
from ndgrad.ops.rearrange import pad

__all__ = ["alpha_dropout", "bilinear", "celu", "dropout", "elu", "gelu", "glu", "hardsigmoid",
           "hardswish", "hardtanh", "leaky_relu", "linear", "log_softmax", "mish", "pad",
           "prelu", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softmin",
           "softplus", "softsign", "tanh", "tanhshrink", "threshold"]
