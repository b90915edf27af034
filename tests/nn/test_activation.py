"""Activations, as nn modules and as nn.functional calls, against torch: value, gradient and
second derivative, in-place variants, and softmax's stability for huge logits."""
import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck


def nn(t):
    """The nn package of the library a tensor belongs to, so one lambda serves both."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad.nn
    import torch
    return torch.nn


def F(t):
    return nn(t).functional


def both(name, module, function, **kwargs):
    """One row for the module and one for the functional form of an activation."""
    return [Spec(f"{name}-module", lambda x: module(nn(x))(x), **kwargs),
            Spec(f"{name}-functional", lambda x: function(F(x), x), **kwargs)]


KINKED = {"min_abs": 0.05}  # relu-like kinks at 0: draw away from them
SPECS = [
    *both("relu", lambda n: n.ReLU(), lambda f, x: f.relu(x), **KINKED),
    *both("relu6", lambda n: n.ReLU6(), lambda f, x: f.relu6(x * 4), **KINKED),
    *both("leaky_relu", lambda n: n.LeakyReLU(0.2), lambda f, x: f.leaky_relu(x, 0.3), **KINKED),
    *both("elu", lambda n: n.ELU(alpha=0.7), lambda f, x: f.elu(x, 1.3), **KINKED),
    *both("selu", lambda n: n.SELU(), lambda f, x: f.selu(x), **KINKED),
    *both("celu", lambda n: n.CELU(alpha=0.5), lambda f, x: f.celu(x, 2.0), **KINKED),
    *both("gelu", lambda n: n.GELU(), lambda f, x: f.gelu(x)),
    *both("gelu_tanh", lambda n: n.GELU(approximate="tanh"),
          lambda f, x: f.gelu(x, approximate="tanh")),
    *both("silu", lambda n: n.SiLU(), lambda f, x: f.silu(x)),
    *both("mish", lambda n: n.Mish(), lambda f, x: f.mish(x)),
    *both("sigmoid", lambda n: n.Sigmoid(), lambda f, x: f.sigmoid(x)),
    *both("tanh", lambda n: n.Tanh(), lambda f, x: f.tanh(x)),
    *both("hardtanh", lambda n: n.Hardtanh(-0.5, 1.5), lambda f, x: f.hardtanh(x), min_abs=0.05),
    *both("hardsigmoid", lambda n: n.Hardsigmoid(), lambda f, x: f.hardsigmoid(x * 3),
          gradgrad=False, **KINKED),  # torch has no hardsigmoid double backward
    *both("hardswish", lambda n: n.Hardswish(), lambda f, x: f.hardswish(x * 3), **KINKED),
    *both("softplus", lambda n: n.Softplus(), lambda f, x: f.softplus(x, beta=2, threshold=3)),
    *both("softplus_large", lambda n: n.Softplus(beta=0.5, threshold=1),
          lambda f, x: f.softplus(x * 30)),
    *both("softsign", lambda n: n.Softsign(), lambda f, x: f.softsign(x), **KINKED),
    *both("tanhshrink", lambda n: n.Tanhshrink(), lambda f, x: f.tanhshrink(x)),
    *both("threshold", lambda n: n.Threshold(0.1, 20.0), lambda f, x: f.threshold(x, -0.3, -1.0),
          min_abs=0.4),
    *both("hardshrink", lambda n: n.Hardshrink(0.3), lambda f, x: f.hardshrink(x)),
    *both("softshrink", lambda n: n.Softshrink(0.3), lambda f, x: f.softshrink(x, 0.7)),
    *both("logsigmoid", lambda n: n.LogSigmoid(), lambda f, x: f.logsigmoid(x * 10)),
    *both("glu", lambda n: n.GLU(), lambda f, x: f.glu(x, 0), shapes=[(4, 6)]),
    *both("softmax", lambda n: n.Softmax(dim=1), lambda f, x: f.softmax(x, dim=0)),
    *both("log_softmax", lambda n: n.LogSoftmax(dim=-1), lambda f, x: f.log_softmax(x, 0)),
    *both("softmin", lambda n: n.Softmin(dim=1), lambda f, x: f.softmin(x, dim=-1)),
    *both("softmax_3d", lambda n: n.Softmax(dim=2), lambda f, x: f.log_softmax(x, dim=1),
          shapes=[(2, 3, 4)]),
    Spec("softmax_scalar", lambda x: F(x).softmax(x, dim=0), shapes=[()]),
    Spec("softmax_empty", lambda x: F(x).log_softmax(x, dim=1), shapes=[(0, 3)]),
    Spec("relu_empty", lambda x: F(x).relu(x), shapes=[(0, 3)]),
    Spec("gelu_scalar", lambda x: F(x).gelu(x), shapes=[()]),
    Spec("prelu-module", lambda x: nn(x).PReLU(dtype=x.dtype)(x), **KINKED),
    Spec("prelu_channels", lambda x, w: F(x).prelu(x, w), shapes=[(2, 3, 4), (3,)], **KINKED),
    Spec("prelu_shared", lambda x, w: F(x).prelu(x, w), shapes=[(2, 3), (1,)], **KINKED),
]

# In-place forms act on a non-leaf copy (in-place on a leaf that requires grad is an error).
INPLACE_SPECS = [
    Spec(f"{name}-inplace", lambda x, fn=fn: fn(nn(x), x * 1.5), gradgrad=name != "hardsigmoid",
         **KINKED) for name, fn in [
        ("relu", lambda n, x: n.ReLU(inplace=True)(x)),
        ("relu6", lambda n, x: n.functional.relu6(x * 3, inplace=True)),
        ("leaky_relu", lambda n, x: n.LeakyReLU(0.1, inplace=True)(x)),
        ("elu", lambda n, x: n.ELU(inplace=True)(x)),
        ("celu", lambda n, x: n.functional.celu(x, 0.5, inplace=True)),
        ("selu", lambda n, x: n.SELU(inplace=True)(x)),
        ("silu", lambda n, x: n.SiLU(inplace=True)(x)),
        ("mish", lambda n, x: n.Mish(inplace=True)(x)),
        ("hardtanh", lambda n, x: n.Hardtanh(-1.0, 1.0, inplace=True)(x)),
        ("hardsigmoid", lambda n, x: n.Hardsigmoid(inplace=True)(x * 2)),
        ("hardswish", lambda n, x: n.Hardswish(inplace=True)(x * 2)),
        ("threshold", lambda n, x: n.Threshold(0.3, -2.0, inplace=True)(x)),
    ]
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS + INPLACE_SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if "functional" in s.name
                                  or s.name.startswith("prelu_")], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


INPLACE_MODULES = [
    lambda n: n.ReLU(inplace=True), lambda n: n.ReLU6(inplace=True),
    lambda n: n.LeakyReLU(inplace=True), lambda n: n.ELU(inplace=True),
    lambda n: n.CELU(inplace=True), lambda n: n.SELU(inplace=True),
    lambda n: n.SiLU(inplace=True), lambda n: n.Mish(inplace=True),
    lambda n: n.Hardtanh(inplace=True), lambda n: n.Hardsigmoid(inplace=True),
    lambda n: n.Hardswish(inplace=True), lambda n: n.Threshold(0.0, 1.0, inplace=True),
]


@pytest.mark.parametrize("build", INPLACE_MODULES)
def test_inplace_module_overwrites_and_returns_its_input(build, torch):
    data = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    x, expected = ndgrad.tensor(data), torch.tensor(data)
    out = build(ndgrad.nn)(x)
    build(torch.nn)(expected)
    assert out is x
    assert_close(x, expected, "float32", "in-place result")
    assert "inplace=True" in repr(build(ndgrad.nn))


def test_inplace_bumps_version_so_saved_tensors_are_checked():
    x = ndgrad.tensor([-1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y.exp()  # saves its result y.exp(); y itself is saved by nothing
    w = y.sigmoid()  # saves its output
    ndgrad.nn.functional.relu(w, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (z + w).sum().backward()


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_family_is_finite_for_huge_logits(name, torch):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 3.0]], np.float32)
    for dtype in ("float32", "float64"):
        x = ndgrad.tensor(logits.astype(dtype), requires_grad=True)
        out = getattr(ndgrad.nn.functional, name)(x, dim=1)
        out.backward(ndgrad.ones_like(out))
        assert np.isfinite(out.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
        t = torch.tensor(logits.astype(dtype), requires_grad=True)
        expected = getattr(torch.nn.functional, name)(t, dim=1)
        expected.backward(torch.ones_like(expected))
        assert_close(out, expected, dtype, f"{name} value")
        assert_close(x.grad, t.grad, dtype, f"{name} gradient")


def test_softmax_rows_sum_to_one_and_default_dim_follows_torch(torch):
    data = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    probs = ndgrad.nn.Softmax(dim=-1)(ndgrad.tensor(data))
    np.testing.assert_allclose(probs.numpy().sum(-1), 1.0, rtol=1e-6)
    for shape in [(5,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:  # implicit dim: torch's legacy rule
        x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        with pytest.warns(UserWarning):
            expected = torch.nn.functional.softmax(torch.tensor(x), dim=None)
        assert_close(ndgrad.nn.functional.softmax(ndgrad.tensor(x)), expected, "float32", shape)


def test_softmax_dtype_argument(torch):
    x = ndgrad.tensor([[1.0, 2.0, 3.0]])
    out = ndgrad.nn.functional.log_softmax(x, dim=1, dtype=ndgrad.float64)
    expected = torch.nn.functional.log_softmax(torch.tensor([[1.0, 2.0, 3.0]]), 1,
                                               dtype=torch.float64)
    assert out.dtype == ndgrad.float64
    assert_close(out, expected, "float64", "log_softmax(dtype=float64)")
    positional = ndgrad.nn.functional.softmin(x, 1, 3, ndgrad.float64)  # torch's _stacklevel
    assert positional.dtype == ndgrad.float64


def test_relu_at_the_kink_has_torch_gradient(torch):
    data = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0])
    infinite = np.array([-np.inf, np.inf])
    for name, args in [("relu", ()), ("relu6", ()), ("leaky_relu", (0.2,)), ("hardtanh", ()),
                       ("elu", (0.5,)), ("celu", (2.0,)), ("selu", ()), ("hardsigmoid", ()),
                       ("hardswish", ()), ("threshold", (0.0, 5.0)), ("softplus", (1, 0.0)),
                       ("softsign", ()), ("gelu", ()), ("hardshrink", ()), ("softshrink", ()),
                       ("logsigmoid", ())]:
        x, t = ndgrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        getattr(ndgrad.nn.functional, name)(x, *args).sum().backward()
        getattr(torch.nn.functional, name)(t, *args).sum().backward()
        assert_close(x.grad, t.grad, "float64", f"{name} gradient at the kink")
        assert_close(getattr(ndgrad.nn.functional, name)(ndgrad.tensor(infinite), *args),
                     getattr(torch.nn.functional, name)(torch.tensor(infinite), *args),
                     "float64", f"{name} at infinity")


# (hardsigmoid too, but torch has no double backward for it)
PIECEWISE_LINEAR = ["abs", "relu", "relu6", "leaky_relu", "hardtanh", "threshold", "hardshrink",
                    "softshrink", "l1_loss"]


@pytest.mark.parametrize("name", PIECEWISE_LINEAR)
def test_create_graph_gradient_of_piecewise_linear_op_is_differentiable(name, torch):
    """Its gradient is a mask times the incoming gradient, yet connected to the input, so a
    second backward gives zeros, as in PyTorch (not an error about a missing grad_fn)."""
    args = {"threshold": (0.1, 2.0)}.get(name, ())
    results = []
    for lib in (ndgrad, torch):
        x = lib.tensor([1.5, -2.0, 0.3, -0.2, 0.0], requires_grad=True)
        if name == "abs":
            out = x.abs()
        elif name == "l1_loss":
            out = lib.nn.functional.l1_loss(x, lib.zeros(5))
        else:
            out = getattr(lib.nn.functional, name)(x, *args)
        (g,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        assert g.requires_grad
        (g * g).sum().backward()
        # torch's x.grad may be a ZeroTensor, which has no storage to read until added to
        results.append((g.detach().numpy(), (lib.zeros(5) + x.grad).numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_prelu_module_learns_per_channel_slopes(torch):
    ours, theirs = ndgrad.nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert repr(ours) == repr(theirs) and ours.weight.shape == (3,)
    data = np.random.default_rng(0).standard_normal((4, 3, 2)).astype(np.float32)
    ours(ndgrad.tensor(data)).sum().backward()
    theirs(torch.tensor(data)).sum().backward()
    assert_close(ours.weight.grad, theirs.weight.grad, "float32", "PReLU weight gradient")
    with pytest.raises(RuntimeError, match="Mismatch"):
        ours(ndgrad.zeros(4, 5))


def test_module_reprs_match_torch(torch):
    builds = [lambda n: n.ReLU(), lambda n: n.LeakyReLU(0.2, True), lambda n: n.ELU(0.5),
              lambda n: n.CELU(), lambda n: n.GELU("tanh"), lambda n: n.Hardtanh(-2.0, 2.0),
              lambda n: n.Softplus(2, 10), lambda n: n.Threshold(0.1, 20),
              lambda n: n.GLU(1), lambda n: n.Softmax(0), lambda n: n.LogSoftmax(dim=1),
              lambda n: n.Softmin(-1), lambda n: n.SELU(inplace=True), lambda n: n.Sigmoid(),
              lambda n: n.Hardswish(), lambda n: n.Tanhshrink(), lambda n: n.SiLU(),
              lambda n: n.Hardshrink(), lambda n: n.Softshrink(0.25), lambda n: n.LogSigmoid()]
    for build in builds:
        assert repr(build(ndgrad.nn)) == repr(build(torch.nn))


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(RuntimeError, match="approximate"):
        ndgrad.nn.functional.gelu(ndgrad.ones(2), approximate="fast")
    with pytest.raises(RuntimeError, match="even"):
        ndgrad.nn.functional.glu(ndgrad.ones(3))


# ---- found by tests/properties/test_unary.py: 0-d inputs of the piecewise-linear ops, and the
# integer and bool inputs PyTorch has no kernel for

@pytest.mark.parametrize("name", ["leaky_relu", "hardtanh", "relu6", "hardsigmoid", "hardswish",
                                  "hardshrink", "softshrink"])
def test_piecewise_linear_activation_of_a_0d_tensor_matches_torch(name, torch):
    results = []
    for lib in (ndgrad, torch):
        x = lib.tensor(-0.75, requires_grad=True)
        y = getattr(lib.nn.functional, name)(x)
        y.backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7)


REFUSED_ACTIVATION_INPUTS = [(name, "int32") for name in (
    "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "leaky_relu", "hardsigmoid",
    "hardswish", "logsigmoid", "hardshrink", "softshrink")]
REFUSED_ACTIVATION_INPUTS += [("relu6", "bool"), ("hardtanh", "uint8"), ("hardtanh", "bool"),
                              ("softsign", "bool"), ("tanhshrink", "bool")]


@pytest.mark.parametrize("name, dtype", REFUSED_ACTIVATION_INPUTS)
def test_activation_refuses_input_dtypes_torch_has_no_kernel_for(name, dtype, torch):
    for lib in (torch, ndgrad):
        x = lib.tensor([1, 0, 2], dtype=getattr(lib, dtype))
        with pytest.raises(RuntimeError):  # torch: its NotImplementedError
            getattr(lib.nn.functional, name)(x)


@pytest.mark.parametrize("name, dtype", [("relu6", "uint8"), ("hardtanh", "int8"),
                                         ("softsign", "int64"), ("tanhshrink", "uint8")])
def test_activation_of_integers_matches_torch(name, dtype, torch):
    ours, theirs = (getattr(lib.nn.functional, name)(lib.tensor([7, 0, 2], dtype=getattr(
        lib, dtype))) for lib in (ndgrad, torch))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
