"""Convolutions against torch: conv1d/2d/3d, conv_transpose, unfold/fold and the Conv, Fold and
Unfold layers: values, input/weight/bias gradients, second derivatives, gradcheck, init, repr
and errors."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndgrad
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck

# torch warns that its own 'same' padding with an even kernel copies the input.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def F(t):
    """nn.functional of the library t belongs to, so one lambda serves both."""
    return ndgrad.nn.functional if isinstance(t, ndgrad.Tensor) else \
        __import__("torch").nn.functional


def conv(name, shapes, **kwargs):
    """A Spec for F.<name>(x, w[, b], **kwargs)."""
    label = ",".join(f"{k}={v}" for k, v in kwargs.items()) + (",bias" if len(shapes) > 2 else "")
    return Spec(f"{name}({label.strip(',')})", lambda *t: getattr(F(t[0]), name)(*t, **kwargs),
                shapes=shapes)


SPECS = [
    conv("conv1d", [(2, 3, 9), (4, 3, 3), (4,)]),
    conv("conv1d", [(2, 4, 10), (6, 2, 3)], stride=2, padding=2, dilation=2, groups=2),
    conv("conv1d", [(3, 8), (4, 3, 4)], padding="same"),
    conv("conv2d", [(2, 3, 6, 5), (4, 3, 3, 2), (4,)]),
    conv("conv2d", [(2, 4, 7, 6), (6, 2, 3, 3), (6,)], stride=2, padding=1, groups=2),
    conv("conv2d", [(2, 3, 7, 8), (2, 3, 2, 3)], stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
    conv("conv2d", [(2, 3, 6, 6), (5, 3, 4, 3), (5,)], padding="same", dilation=(1, 2)),
    conv("conv2d", [(2, 3, 5, 6), (5, 3, 2, 2)], padding="valid"),
    conv("conv2d", [(2, 4, 6, 5), (8, 1, 3, 3), (8,)], padding=1, groups=4),  # depthwise x2
    conv("conv2d", [(3, 5, 5), (2, 3, 3, 3)], stride=2),                      # unbatched
    conv("conv2d", [(2, 3, 4, 4), (2, 3, 1, 1), (2,)]),
    # Row products (Note [row products]: C/groups * kW >= 16, stride 1 down the rows).
    conv("conv2d", [(2, 8, 6, 5), (4, 8, 3, 2), (4,)]),
    conv("conv2d", [(2, 8, 5, 5), (8, 8, 3, 2)], padding=1),  # its input gradient too
    conv("conv2d", [(2, 16, 7, 8), (6, 8, 3, 2), (6,)], stride=(1, 2), padding=(1, 2),
         dilation=(2, 1), groups=2),
    conv("conv2d", [(2, 8, 5, 6), (3, 8, 2, 3)], padding="same", dilation=(1, 2)),
    conv("conv3d", [(2, 2, 4, 5, 4), (3, 2, 2, 3, 2), (3,)], stride=(1, 2, 1), padding=1),
    conv("conv3d", [(1, 2, 5, 4, 4), (2, 1, 2, 2, 2)], dilation=2, groups=2),
    conv("conv_transpose1d", [(2, 3, 6), (3, 4, 3), (4,)], stride=2, padding=1,
         output_padding=1),
    conv("conv_transpose1d", [(2, 4, 5), (4, 1, 3)], groups=2, dilation=2),
    conv("conv_transpose2d", [(2, 3, 4, 5), (3, 2, 3, 3), (2,)]),
    conv("conv_transpose2d", [(2, 4, 4, 3), (4, 3, 3, 2), (6,)], stride=(2, 3), padding=(1, 0),
         output_padding=(1, 2), groups=2, dilation=(1, 2)),
    conv("conv_transpose2d", [(3, 4, 4), (3, 2, 2, 2)], stride=2, dilation=3, output_padding=2),
    conv("conv_transpose2d", [(2, 4, 4, 5), (4, 8, 3, 2), (8,)], stride=(1, 2),
         padding=(1, 0), dilation=(2, 1)),  # row products
    conv("conv_transpose3d", [(1, 2, 3, 3, 2), (2, 2, 2, 2, 2), (2,)], stride=2, padding=1),
    Spec("unfold", lambda x: F(x).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
         shapes=[(2, 3, 5, 6)]),
    Spec("unfold_unbatched", lambda x: F(x).unfold(x, 2), shapes=[(2, 4, 3)]),
    Spec("fold", lambda x: F(x).fold(x, (5, 6), (2, 3), dilation=(2, 1), padding=1,
                                     stride=(1, 2)), shapes=[(2, 18, 15)]),
    Spec("fold_overlapping", lambda x: F(x).fold(x, 4, 2), shapes=[(1, 8, 9)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)



BLOCKED_SPECS = [
    conv("conv1d", [(5, 4, 10), (6, 2, 3), (6,)], stride=2, padding=2, dilation=2, groups=2),
    conv("conv2d", [(5, 3, 6, 5), (4, 3, 3, 2), (4,)], padding=1),
    conv("conv2d", [(5, 4, 7, 6), (6, 2, 3, 3)], stride=2, padding=(1, 2), groups=2),
    conv("conv2d", [(5, 8, 5, 4), (4, 8, 3, 2), (4,)], padding=1),  # row products
    conv("conv3d", [(5, 2, 4, 5, 4), (3, 2, 2, 3, 2), (3,)], stride=(1, 2, 1), padding=1),
    conv("conv_transpose2d", [(5, 4, 4, 3), (4, 3, 3, 2), (6,)], stride=(2, 3),
         padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2)),
]


@pytest.mark.parametrize("samples", [1, 2])
@pytest.mark.parametrize("spec", BLOCKED_SPECS, ids=str)
def test_sample_blocks_against_torch(spec, samples, torch, monkeypatch):
    """Columns built per block of samples (Note [columns per block of samples]; a batch of 5
    in blocks of 1 or 2 samples, the last one shorter) give the
    same values, gradients and second derivatives as PyTorch."""
    conv_ops = ndgrad.ops.conv
    if samples == 1:
        monkeypatch.setattr(conv_ops, "_BLOCK_BYTES", 1)  # the smallest block: one sample
    else:
        monkeypatch.setattr(conv_ops, "_sample_blocks", lambda x, geometry: [
            (i, min(i + samples, x.shape[0])) for i in range(0, x.shape[0], samples)])
    check_against_torch(spec, torch, "float64")

# Small shapes: finite differences cost one forward per input element.
GRADCHECK_SPECS = [
    conv("conv1d", [(1, 2, 5), (2, 1, 2), (2,)], stride=2, padding=1, groups=2),
    conv("conv2d", [(1, 2, 4, 4), (2, 2, 2, 2), (2,)], stride=2, padding=1, dilation=1),
    conv("conv2d", [(1, 2, 4, 3), (2, 1, 2, 2)], padding="same", groups=2),
    conv("conv2d", [(1, 8, 3, 3), (2, 8, 2, 2), (2,)], padding=1),  # row products
    conv("conv_transpose2d", [(1, 2, 3, 2), (2, 1, 2, 2), (2,)], stride=2, output_padding=1,
         groups=2),
    Spec("unfold", lambda x: F(x).unfold(x, 2, padding=1, stride=2), shapes=[(1, 2, 3, 3)]),
    Spec("fold", lambda x: F(x).fold(x, 3, 2), shapes=[(1, 4, 4)]),
]


@pytest.mark.parametrize("spec", GRADCHECK_SPECS, ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


@st.composite
def conv2d_configs(draw):
    """A conv2d call: stride, padding (incl. 'same'/'valid'), dilation, groups and bias."""
    groups = draw(st.sampled_from([1, 2, 3]))
    in_channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.sampled_from([1, 2, (1, 2), (3, 1)]))
    dilation = draw(st.sampled_from([1, 2, (2, 1)]))
    padding = draw(st.sampled_from([0, 1, (2, 0), "valid"] + (["same"] if stride == 1 else [])))
    bias = draw(st.booleans())
    dtype = draw(st.sampled_from(["float32", "float64"]))
    shapes = [(2, in_channels, 7, 6), (out_channels, in_channels // groups) + kernel]
    shapes += [(out_channels,)] if bias else []
    return dtype, conv("conv2d", shapes, stride=stride, padding=padding, dilation=dilation,
                       groups=groups)


@settings(max_examples=40, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conv2d_configs())
def test_conv2d_grid(torch, config):
    dtype, spec = config
    check_against_torch(spec, torch, dtype)


@settings(max_examples=15, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stride=st.sampled_from([1, 2, (2, 1)]), padding=st.sampled_from([0, 1, (2, 0)]),
       dilation=st.sampled_from([1, 2]), groups=st.sampled_from([1, 2]),
       extra=st.sampled_from([0, 1]), dtype=st.sampled_from(["float32", "float64"]))
def test_conv_transpose2d_grid(torch, stride, padding, dilation, groups, extra, dtype):
    # output_padding must stay below stride or dilation, in each dim
    strides = stride if isinstance(stride, tuple) else (stride, stride)
    output_padding = tuple(min(extra, max(s, dilation) - 1) for s in strides)
    spec = conv("conv_transpose2d", [(2, 2 * groups, 4, 3), (2 * groups, 2, 3, 2), (2 * groups,)],
                stride=stride, padding=padding, dilation=dilation, groups=groups,
                output_padding=output_padding)
    check_against_torch(spec, torch, dtype)


def test_gradient_penalty_through_a_conv_net(torch):
    """d/dw of |d loss / d x|^2 through conv, tanh, conv: the double backward of a GAN critic."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(2, 2, 6, 6), (3, 2, 3, 3), (3,), (1, 3, 2, 2)]]

    def penalty(lib, x, w1, b1, w2):
        h = F(x).conv2d(x, w1, b1, stride=1, padding=1).tanh()
        score = F(x).conv2d(h, w2, stride=2, dilation=2).sum()
        (grad_x,) = lib.autograd.grad(score, x, create_graph=True)
        return (grad_x * grad_x).sum()

    grads = []
    for lib in (ndgrad, torch):
        x, *params = [lib.tensor(a, requires_grad=True) for a in arrays]
        grads.append(lib.autograd.grad(penalty(lib, x, *params), params))
    for k, (ours, theirs) in enumerate(zip(*grads)):
        assert_close(ours, theirs, "float64", f"gradient penalty: parameter {k}")


def test_no_graph_when_nothing_requires_grad():
    x, w = ndgrad.randn(1, 2, 5, 5), ndgrad.randn(3, 2, 3, 3)
    y = ndgrad.nn.functional.conv2d(x, w)
    assert y.grad_fn is None and not y.requires_grad


# ---------------------------------------------------------------- layers

LAYERS = [  # (layer, positional arguments, keyword arguments, input shape)
    ("Conv1d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 9)),
    ("Conv1d", (3, 2, 4), {"padding": "same", "padding_mode": "reflect"}, (2, 3, 7)),
    ("Conv2d", (3, 4, 3), {}, (2, 3, 6, 5)),
    ("Conv2d", (2, 4, (3, 2)), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2),
                                "bias": False, "padding_mode": "replicate"}, (2, 2, 6, 6)),
    ("Conv2d", (2, 2, 3), {"padding": 1, "padding_mode": "circular", "groups": 2}, (3, 2, 4, 5)),
    ("Conv2d", (3, 2, 3), {"padding": "same", "padding_mode": "reflect"}, (3, 5, 5)),
    ("Conv3d", (2, 3, 2), {"padding": 1, "padding_mode": "zeros"}, (1, 2, 3, 4, 3)),
    ("ConvTranspose1d", (4, 2, 3), {"stride": 2, "output_padding": 1, "groups": 2}, (2, 4, 5)),
    ("ConvTranspose2d", (3, 4, (3, 2)), {"stride": 2, "padding": 1, "dilation": 2},
     (2, 3, 4, 3)),
    ("Unfold", (2,), {}, (2, 3, 4, 5)),
    ("Unfold", ((2, 3),), {"dilation": (2, 1), "padding": 1, "stride": (1, 2)}, (2, 3, 5, 6)),
    ("Unfold", (3,), {"stride": 2, "dilation": 2}, (2, 7, 6)),                  # unbatched
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("Fold", ((5, 6), (2, 3)), {"dilation": (2, 1), "padding": 1, "stride": (1, 2)},
     (2, 18, 15)),
    ("Fold", (4, 2), {"padding": 1, "stride": 2}, (8, 9)),                      # unbatched
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS,
                         ids=[f"{name}-{i}" for i, (name, *_) in enumerate(LAYERS)])
def test_layer_against_torch(name, args, kwargs, shape, dtype, torch):
    theirs = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    ours = getattr(ndgrad.nn, name)(*args, **kwargs).to(getattr(ndgrad, dtype))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    array = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x, t = ndgrad.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, expected = ours(x), theirs(t)
    assert_close(out, expected, dtype, f"{name}: output")
    seed = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(ndgrad.tensor(seed))
    expected.backward(torch.tensor(seed))
    assert_close(x.grad, t.grad, dtype, f"{name}: input gradient")
    for (key, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad, dtype, f"{name}: gradient of {key}")


ROUND_TRIPS = [  # Fold(Unfold(x)) with shared arguments, input shape
    ({"kernel_size": 2}, (2, 3, 4, 5)),                                     # overlapping
    ({"kernel_size": 3, "stride": 3}, (2, 2, 6, 6)),                        # exact inverse
    ({"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}, (1, 2, 5, 6)),
    ({"kernel_size": 2, "stride": 2}, (3, 5, 4)),                           # unbatched, odd H
]


@pytest.mark.parametrize("kwargs, shape", ROUND_TRIPS, ids=[str(k) for k, _ in ROUND_TRIPS])
def test_fold_of_unfold(kwargs, shape, torch):
    """Fold(Unfold(x)) == x * Fold(Unfold(ones)) (PyTorch's documented identity), value and
    gradient against torch."""
    array = np.random.default_rng(0).standard_normal(shape)
    results = []
    for lib in (ndgrad, torch):
        unfold, fold = lib.nn.Unfold(**kwargs), lib.nn.Fold(shape[-2:], **kwargs)
        x = lib.tensor(array, requires_grad=True)
        out = fold(unfold(x))
        (out * out).sum().backward()
        divisor = fold(unfold(lib.ones(shape, dtype=lib.float64)))
        results.append((out, x.grad, divisor))
    (out, grad, divisor), (expected, expected_grad, _) = results
    assert_close(out, expected, "float64", "Fold(Unfold(x))")
    assert_close(grad, expected_grad, "float64", "Fold(Unfold(x)): input gradient")
    np.testing.assert_allclose(out.detach().numpy(), array * divisor.numpy())


def test_conv_transpose_output_size(torch):
    kwargs = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 3, "padding": 1}
    theirs, ours = torch.nn.ConvTranspose2d(**kwargs), ndgrad.nn.ConvTranspose2d(**kwargs)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    array = np.random.default_rng(0).standard_normal((1, 2, 3, 4)).astype("float32")
    for size in [(7, 10), (9, 12), [1, 3, 8, 11]]:
        out = ours(ndgrad.tensor(array), output_size=size)
        assert_close(out, theirs(torch.tensor(array), output_size=size), "float32", str(size))
    with pytest.raises(ValueError, match="requested an output size of"):
        ours(ndgrad.tensor(array), output_size=(10, 10))


@pytest.mark.parametrize("layer", [lambda nn: nn.Conv2d(4, 6, (3, 5), groups=2),
                                   lambda nn: nn.ConvTranspose1d(3, 8, 4)])
def test_default_init_is_pytorchs(layer):
    """kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and so is the bias."""
    module = layer(ndgrad.nn)
    weight, bias = module.weight.detach().numpy(), module.bias.detach().numpy()
    fan_in = weight.shape[1] * math.prod(weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.25 * bound
    assert weight.dtype == np.float32


# ---------------------------------------------------------------- errors

ERRORS = [
    (lambda: F_nd.conv2d(randn(2, 3), randn(4, 3, 1, 1)), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[2, 3"),
    (lambda: F_nd.conv2d(randn(1, 4, 8, 8), randn(6, 3, 5, 5)), RuntimeError,
     r"expected input\[1, 4, 8, 8\] to have 3 channels, but got 4 channels instead"),
    (lambda: F_nd.conv2d(randn(1, 3, 2, 2), randn(6, 3, 3, 3)), RuntimeError,
     r"padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel size can't"),
    (lambda: F_nd.conv2d(randn(1, 3, 3, 5), randn(6, 3, 2, 2), dilation=3), RuntimeError,
     r"Kernel size: \(4 x 4\)"),
    (lambda: F_nd.conv2d(randn(1, 4, 8, 8), randn(3, 2, 3, 3), groups=2), RuntimeError,
     r"Given groups=2, expected weight to be divisible by 2 at dimension 0"),
    (lambda: F_nd.conv1d(randn(1, 3, 8), randn(4, 1, 3), groups=2), RuntimeError,
     r"expected input\[1, 3, 8\] to have 2 channels"),
    (lambda: F_nd.conv2d(randn(1, 3, 8, 8), randn(4, 3, 3, 3), stride=2, padding="same"),
     ValueError, "padding='same' is not supported for strided convolutions"),
    (lambda: F_nd.conv2d(randn(1, 3, 8, 8), randn(4, 3, 3, 3), padding="full"), ValueError,
     "Invalid padding string 'full'"),
    (lambda: F_nd.conv2d(randn(1, 3, 8, 8), randn(4, 3, 3, 3), stride=0), RuntimeError,
     "non-positive stride"),
    (lambda: F_nd.conv2d(randn(1, 3, 8, 8).double(), randn(4, 3, 3, 3)), RuntimeError,
     "should be the same"),
    (lambda: F_nd.conv2d(randn(1, 3, 8, 8), randn(4, 3, 3, 3), randn(3)), RuntimeError,
     r"expected bias of shape \[4\]"),
    (lambda: F_nd.conv_transpose2d(randn(1, 3, 4, 4), randn(3, 2, 3, 3), stride=2,
                                   output_padding=2), RuntimeError,
     "output padding must be smaller than either stride or dilation"),
    (lambda: F_nd.conv_transpose2d(randn(1, 5, 4, 4), randn(3, 2, 3, 3)), RuntimeError,
     r"Given transposed=1, weight of size \[3, 2, 3, 3\], expected input\[1, 5, 4, 4\]"),
    (lambda: F_nd.fold(randn(1, 5, 9), 4, 2), RuntimeError, "divisible by the product of"),
    (lambda: F_nd.fold(randn(1, 8, 8), 4, 2), RuntimeError,
     r"number of sliding blocks 3 \* 3 = 9, but got input.size\(2\)=8"),
    (lambda: ndgrad.nn.Unfold(2)(randn(3, 4)), RuntimeError,
     r"unfold: Expected 3D or 4D \(batch mode\) tensor for input, but got input of size: \[3, 4\]"),
    (lambda: ndgrad.nn.Fold(4, 2)(randn(8)), RuntimeError,
     r"fold: Expected 2D or 3D \(batch mode\) input tensor, but got input of size: \[8\]"),
    (lambda: ndgrad.nn.Conv2d(4, 6, 3, groups=3), ValueError, "in_channels must be divisible"),
    (lambda: ndgrad.nn.Conv2d(4, 6, 3, padding_mode="mirror"), ValueError, "padding_mode must"),
    (lambda: ndgrad.nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
]
F_nd = ndgrad.nn.functional
randn = ndgrad.randn


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
