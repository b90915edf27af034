"""Transforms against torch.distributions.transforms: forward, inverse, log|det J|, sign,
domains; composition and caching."""
import numpy as np
import pytest

import ndgrad
import ndgrad.distributions as D

X = np.array([-2.5, -0.3, 0.0, 0.8, 3.0])
# (name, build(d, lib)) where d is the distributions module and lib makes tensors
TRANSFORMS = [
    ("exp", lambda d, lib: d.ExpTransform()),
    ("sigmoid", lambda d, lib: d.SigmoidTransform()),
    ("tanh", lambda d, lib: d.TanhTransform()),
    ("affine_number", lambda d, lib: d.AffineTransform(1.5, -2.0)),
    ("affine_tensor", lambda d, lib: d.AffineTransform(
        lib.tensor([0.1, 0.2, 0.3, 0.4, 0.5], dtype=lib.float64),
        lib.tensor([1.0, -2.0, 0.5, 3.0, -0.1], dtype=lib.float64))),
    ("compose", lambda d, lib: d.ComposeTransform([d.AffineTransform(0.2, 0.7),
                                                   d.TanhTransform(),
                                                   d.AffineTransform(1.0, 3.0)])),
    ("exp_inverse", lambda d, lib: d.ExpTransform().inv),
]


@pytest.mark.parametrize("row", TRANSFORMS, ids=lambda row: row[0])
def test_transform_matches_torch(row, torch):
    name, build = row
    ours, theirs = build(D, ndgrad), build(torch.distributions, torch)
    x = np.abs(X) + 0.1 if name == "exp_inverse" else X
    x_ours = ndgrad.tensor(x, requires_grad=True)
    x_theirs = torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(y_ours.detach().numpy(), y_theirs.detach().numpy(), rtol=1e-12)
    fresh = y_theirs.detach().numpy()
    np.testing.assert_allclose(ours.inv(ndgrad.tensor(fresh)).numpy(),
                               theirs.inv(torch.tensor(fresh)).numpy(), rtol=1e-9)
    ladj_ours = ours.log_abs_det_jacobian(x_ours, y_ours)
    ladj_theirs = theirs.log_abs_det_jacobian(x_theirs, y_theirs)
    np.testing.assert_allclose(ladj_ours.detach().numpy(), ladj_theirs.detach().numpy(),
                               rtol=1e-10)
    (g,) = ndgrad.autograd.grad((y_ours + ladj_ours).sum(), [x_ours])
    (h,) = torch.autograd.grad((y_theirs + ladj_theirs).sum(), [x_theirs])
    np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-9)
    sign_ours, sign_theirs = ours.sign, theirs.sign
    if isinstance(sign_theirs, torch.Tensor):
        np.testing.assert_array_equal(sign_ours.numpy(), sign_theirs.numpy())
    else:
        assert sign_ours == sign_theirs
    assert repr(ours.codomain) == repr(theirs.codomain)
    assert repr(ours.domain) == repr(theirs.domain)


def test_cached_inverse_returns_the_input_exactly():
    tanh = D.TanhTransform(cache_size=1)
    x = ndgrad.tensor([20.0, -0.5], dtype=ndgrad.float64)
    y = tanh(x)
    assert tanh.inv(y) is x  # atanh(tanh(20)) would be inf
    assert np.isinf(D.TanhTransform().inv(y).numpy()[0])
    with pytest.raises(ValueError, match="cache_size"):
        D.ExpTransform(cache_size=2)


def test_transform_equality_and_inverse_of_inverse():
    assert D.ExpTransform() == D.ExpTransform()
    assert D.ExpTransform() != D.SigmoidTransform()
    assert D.AffineTransform(1.0, 2.0) == D.AffineTransform(1.0, 2.0)
    assert D.AffineTransform(1.0, 2.0) != D.AffineTransform(1.0, 3.0)
    exp = D.ExpTransform()
    assert exp.inv.inv is exp
    compose = D.ComposeTransform([D.ExpTransform(), D.AffineTransform(0.0, 2.0)])
    x = ndgrad.tensor([0.3, -1.0], dtype=ndgrad.float64)
    np.testing.assert_allclose(compose.inv(compose(x)).numpy(), x.numpy(), rtol=1e-12)


def test_transformed_distribution_needs_transforms():
    with pytest.raises(ValueError, match="Transform"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), ["exp"])
