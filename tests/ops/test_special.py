"""Special functions (lgamma, digamma, polygamma, erfinv, erfc, gammainc, ...) against torch:
values, gradients, second derivatives, gradcheck; the implicit gamma-sample gradient."""
import numpy as np
import pytest

import ndgrad
from ndgrad.ops.special import _standard_gamma_grad, standard_gamma
from tests._oracle import Spec, check_against_torch, check_gradcheck


def special_of(t):
    """torch.special or ndgrad.special, for the tensor's library."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad.special
    import torch
    return torch.special


SPECS = [
    Spec("lgamma", lambda t: special_of(t).gammaln(t), shapes=[(3, 4)], low=0.05, high=30.0),
    Spec("lgamma_scalar", lambda t: special_of(t).gammaln(t), shapes=[()], low=0.5, high=3.0),
    Spec("lgamma_negative", lambda t: special_of(t).gammaln(t), shapes=[(5,)], low=-4.7,
         high=-0.3),
    Spec("digamma", lambda t: special_of(t).digamma(t), shapes=[(3, 4)], low=0.05,
         high=40.0),
    Spec("digamma_negative", lambda t: special_of(t).digamma(t), shapes=[(5,)], low=-3.8,
         high=-0.2),
    Spec("trigamma", lambda t: special_of(t).polygamma(1, t), shapes=[(4,)], low=0.1, high=20),
    Spec("polygamma3", lambda t: special_of(t).polygamma(3, t), shapes=[(4,)], low=0.3,
         high=12),
    Spec("erfinv", lambda t: special_of(t).erfinv(t), shapes=[(3, 4)], low=-0.999,
         high=0.999),
    Spec("erfc", lambda t: special_of(t).erfc(t), shapes=[(3, 4)], low=-3.0, high=6.0),
    Spec("ndtr", lambda t: special_of(t).ndtr(t), shapes=[(5,)], low=-4.0, high=4.0),
    Spec("mvlgamma", lambda t: special_of(t).multigammaln(t, 3), shapes=[(4,)], low=1.2,
         high=9),
    Spec("gammainc", lambda a, x: special_of(a).gammainc(a, x), shapes=[(6,), (6,)], low=0.2,
         high=12, constant_inputs=(0,), gradgrad=False),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, torch):
    check_against_torch(spec, torch, "float64")


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name in ("lgamma", "digamma",
                                                                 "erfinv")], ids=str)
def test_float32_against_torch(spec, torch):
    check_against_torch(spec, torch, "float32")


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name != "gammainc"], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


def test_poles_and_domain_edges(torch):
    x = np.array([0.0, -1.0, -2.0, 1e-300, 1e6])
    for name in ("lgamma", "digamma"):
        ours = getattr(ndgrad, name)(ndgrad.tensor(x)).numpy()
        theirs = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True, err_msg=name)
    y = np.array([-1.0, 1.0, 1.5, 1 - 1e-12, -1 + 1e-15, 1e-200])
    np.testing.assert_allclose(ndgrad.erfinv(ndgrad.tensor(y)).numpy(),
                               torch.erfinv(torch.tensor(y)).numpy(), rtol=1e-10,
                               equal_nan=True)  # y = -1 + 1e-15 is ill-conditioned


def test_gammainc_accuracy(torch):
    a = np.array([0.1, 0.5, 1.0, 3.0, 30.0, 200.0, 7.0])
    x = np.array([0.01, 3.0, 1.0, 0.5, 25.0, 210.0, 0.0])
    ours = ndgrad.special.gammainc(ndgrad.tensor(a), ndgrad.tensor(x)).numpy()
    theirs = torch.special.gammainc(torch.tensor(a), torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-9)


@pytest.mark.parametrize("alpha", [0.05, 0.7, 3.0, 40.0, 800.0, 5000.0])
def test_implicit_gamma_gradient_matches_torch(alpha, torch):
    # d sample / d alpha at fixed quantile; torch's own kernel is an approximation good to
    # about 1e-3 relative, so that is the tolerance.
    x = np.random.default_rng(3).standard_gamma(alpha, size=300)
    a = np.full_like(x, alpha)
    ours = _standard_gamma_grad(a, x)
    theirs = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)


def test_standard_gamma_gradient_is_the_derivative_of_the_quantile():
    # A finite difference of the sample with the same uniform stream: x(alpha) at a fixed
    # generator state moves smoothly only through the implicit function, so compare with
    # the quantile derivative computed from gammainc instead.
    alpha = ndgrad.tensor([0.4, 2.5, 9.0], dtype=ndgrad.float64, requires_grad=True)
    x = standard_gamma(alpha)
    x.sum().backward()
    a, s, h = alpha.detach().numpy(), x.detach().numpy(), 1e-6
    p = ndgrad.special.gammainc(ndgrad.tensor(a), ndgrad.tensor(s)).numpy()
    dp_da = (ndgrad.special.gammainc(ndgrad.tensor(a + h), ndgrad.tensor(s)).numpy()
             - ndgrad.special.gammainc(ndgrad.tensor(a - h), ndgrad.tensor(s)).numpy()) / (2 * h)
    density = np.exp((a - 1) * np.log(s) - s - ndgrad.lgamma(ndgrad.tensor(a)).numpy())
    assert np.all((p > 0) & (p < 1))
    np.testing.assert_allclose(alpha.grad.numpy(), -dp_da / density, rtol=1e-5)
