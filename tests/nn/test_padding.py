"""Padding layers (Reflection/Replication/Zero/Constant/CircularPad 1-3d), ChannelShuffle and
the NonDynamicallyQuantizableLinear alias: values, gradients, second order and repr vs torch."""
import sys

import numpy as np
import pytest

import ndgrad
from ndgrad.nn.modules.linear import NonDynamicallyQuantizableLinear
from tests._oracle import Spec, check_against_torch, check_gradcheck


def _nn(t):
    """The nn namespace of the library `t` belongs to (the lambdas are written once)."""
    return ndgrad.nn if isinstance(t, ndgrad.Tensor) else sys.modules["torch"].nn


def _layer(name: str, *args):
    # Squared, so that the second derivative is not zero.
    return lambda x: getattr(_nn(x), name)(*args)(x) ** 2


SPECS = [
    Spec("ReflectionPad1d", _layer("ReflectionPad1d", (2, 1)), shapes=[(2, 3, 4)]),
    Spec("ReflectionPad1d 2-D input", _layer("ReflectionPad1d", 1), shapes=[(3, 4)]),
    Spec("ReflectionPad2d", _layer("ReflectionPad2d", (1, 2, 2, 0)), shapes=[(1, 2, 3, 4)]),
    Spec("ReflectionPad3d", _layer("ReflectionPad3d", 1), shapes=[(1, 1, 2, 3, 3)]),
    Spec("ReplicationPad1d", _layer("ReplicationPad1d", (3, 1)), shapes=[(2, 2, 3)]),
    Spec("ReplicationPad2d", _layer("ReplicationPad2d", (0, 2, 1, 3)), shapes=[(2, 1, 2, 3)]),
    Spec("ReplicationPad3d", _layer("ReplicationPad3d", (1, 0, 2, 1, 0, 1)),
         shapes=[(2, 2, 2, 3)]),
    Spec("ZeroPad1d", _layer("ZeroPad1d", (1, 2)), shapes=[(2, 3)]),
    Spec("ZeroPad2d", _layer("ZeroPad2d", (1, 0, 2, 1)), shapes=[(1, 2, 2, 3)]),
    Spec("ZeroPad3d", _layer("ZeroPad3d", 1), shapes=[(1, 1, 2, 2, 2)]),
    Spec("ZeroPad2d crops", _layer("ZeroPad2d", (-1, 1, 0, -1)), shapes=[(1, 2, 3, 4)]),
    Spec("ConstantPad1d", _layer("ConstantPad1d", 2, 1.5), shapes=[(2, 3)]),
    Spec("ConstantPad2d", _layer("ConstantPad2d", (1, 2, 0, 1), -0.5), shapes=[(2, 2, 3)]),
    Spec("ConstantPad3d", _layer("ConstantPad3d", (1, 1, 0, 0, 2, 0), 2.0),
         shapes=[(1, 1, 2, 2, 2)]),
    Spec("ConstantPad2d 5-D input", _layer("ConstantPad2d", 1, 3.0), shapes=[(2, 1, 1, 2, 2)]),
    Spec("CircularPad1d", _layer("CircularPad1d", (2, 3)), shapes=[(2, 2, 3)]),
    Spec("CircularPad2d", _layer("CircularPad2d", (1, 1, 2, 0)), shapes=[(1, 1, 3, 3)]),
    Spec("CircularPad3d", _layer("CircularPad3d", 1), shapes=[(1, 2, 2, 2, 2)]),
    Spec("ChannelShuffle", _layer("ChannelShuffle", 2), shapes=[(2, 6, 2)]),
    Spec("ChannelShuffle 4-D", _layer("ChannelShuffle", 3), shapes=[(1, 6, 2, 2)]),
    Spec("PixelUnshuffle", _layer("PixelUnshuffle", 2), shapes=[(1, 2, 4, 2)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, torch):
    check_against_torch(spec, torch, "float32")


@pytest.mark.parametrize("spec", SPECS[::4], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


# Constructors written once (`nn` is ndgrad.nn or torch.nn) for the repr comparison.
MODULES = [
    lambda nn: nn.ReflectionPad1d(2), lambda nn: nn.ReflectionPad2d((1, 2, 3, 4)),
    lambda nn: nn.ReflectionPad3d(1), lambda nn: nn.ReplicationPad1d((1, 0)),
    lambda nn: nn.ReplicationPad2d(2), lambda nn: nn.ReplicationPad3d(3),
    lambda nn: nn.ZeroPad1d(1), lambda nn: nn.ZeroPad2d((1, 0, 2, 0)), lambda nn: nn.ZeroPad3d(2),
    lambda nn: nn.ConstantPad1d(2, 1.5), lambda nn: nn.ConstantPad2d((1, 2, 3, 4), 0),
    lambda nn: nn.ConstantPad3d(1, -1.0), lambda nn: nn.CircularPad1d(1),
    lambda nn: nn.CircularPad2d((1, 1, 2, 2)), lambda nn: nn.CircularPad3d(1),
    lambda nn: nn.ChannelShuffle(4), lambda nn: nn.PixelUnshuffle(3),
]


@pytest.mark.parametrize("make", MODULES, ids=lambda make: str(make(ndgrad.nn)))
def test_repr_and_padding_attribute_match_torch(make, torch):
    ours, theirs = make(ndgrad.nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert getattr(ours, "padding", None) == getattr(theirs, "padding", None)
    assert not list(ours.parameters())


# (module for both, input shape, error type in torch)
WRONG_INPUTS = [
    (lambda nn: nn.ReflectionPad1d(1), (1, 1, 1, 3), NotImplementedError),
    (lambda nn: nn.ReplicationPad2d(1), (3, 3), NotImplementedError),
    (lambda nn: nn.CircularPad1d(1), (1, 1, 1, 3), ValueError),
    (lambda nn: nn.ReflectionPad1d(3), (1, 1, 3), RuntimeError),
    (lambda nn: nn.ChannelShuffle(4), (1, 6, 2), RuntimeError),
]


@pytest.mark.parametrize("make, shape, error", WRONG_INPUTS)
def test_wrong_inputs_raise_as_torch(make, shape, error, torch):
    with pytest.raises(error):
        make(torch.nn)(torch.zeros(shape))
    with pytest.raises(error, match=r"\d"):
        make(ndgrad.nn)(ndgrad.zeros(shape))


def test_non_dynamically_quantizable_linear_is_a_linear(torch):
    from torch.nn.modules.linear import NonDynamicallyQuantizableLinear as TorchNDQ
    layer = NonDynamicallyQuantizableLinear(3, 2, bias=False)
    assert isinstance(layer, ndgrad.nn.Linear) and issubclass(TorchNDQ, torch.nn.Linear)
    assert repr(layer) == repr(TorchNDQ(3, 2, bias=False))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    expected = x @ layer.weight.detach().numpy().T
    np.testing.assert_allclose(layer(ndgrad.tensor(x)).detach().numpy(), expected, rtol=1e-6)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
