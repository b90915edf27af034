"""Samples checked by their moments (CLT tolerances, fixed seed) and reparameterized
gradients checked in expectation: d E[x] / d theta from rsample equals d mean / d theta."""
import numpy as np
import pytest

import ndgrad
import ndgrad.distributions as D
from tests.distributions._cases import CASES, tensors

N = 20000
# Five standard errors: a false alarm has probability ~6e-7 per check.
Z = 5.0


@pytest.mark.parametrize("case", [c for c in CASES if c.moments], ids=str)
def test_sample_mean_and_variance(case):
    dist = case.build(D, tensors(ndgrad, case.params, requires_grad=False))
    draws = dist.sample((N,)).numpy().astype(np.float64)
    mean, variance = dist.mean.numpy(), dist.variance.numpy()
    assert draws.shape == (N,) + tuple(dist.batch_shape) + tuple(dist.event_shape)
    assert np.all(dist.support.check(ndgrad.tensor(draws)).numpy())
    tolerance = Z * np.sqrt(variance / N)
    np.testing.assert_array_less(np.abs(draws.mean(0) - mean), tolerance + 1e-12,
                                 err_msg=f"{case}: sample mean")
    if case.name.startswith("StudentT"):
        return  # df < 4: the sample variance has no finite variance of its own
    squared = (draws - mean) ** 2
    tolerance = Z * squared.std(0) / np.sqrt(N)
    np.testing.assert_array_less(np.abs(squared.mean(0) - variance), tolerance + 1e-12,
                                 err_msg=f"{case}: sample variance")


def test_categorical_frequencies():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    draws = D.Categorical(ndgrad.tensor(probs)).sample((N,)).numpy()
    assert draws.dtype == np.int64
    for row in range(2):
        frequencies = np.bincount(draws[:, row], minlength=3) / N
        np.testing.assert_array_less(np.abs(frequencies - probs[row]),
                                     Z * np.sqrt(probs[row] * (1 - probs[row]) / N))


def test_multivariate_normal_sample_covariance():
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    mvn = D.MultivariateNormal(ndgrad.tensor([1.0, -1.0], dtype=ndgrad.float64),
                               covariance_matrix=ndgrad.tensor(cov))
    draws = mvn.sample((N,)).numpy()
    # var of a product of two normals is at most 2 * max var^2 here: 5 sigma ~ 0.1
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.1)


def test_relaxed_distributions_tend_to_their_discrete_limits():
    probs = ndgrad.tensor([0.2, 0.8], dtype=ndgrad.float64)
    cold = D.RelaxedBernoulli(ndgrad.tensor(0.01), probs=probs).sample((N,)).numpy()
    np.testing.assert_array_less(np.abs((cold > 0.5).mean(0) - [0.2, 0.8]), 0.02)
    onehot = D.RelaxedOneHotCategorical(ndgrad.tensor(0.01), probs=ndgrad.tensor(
        [0.3, 0.7], dtype=ndgrad.float64)).sample((N,)).numpy()
    np.testing.assert_allclose(onehot.sum(-1), 1.0, rtol=1e-9)
    np.testing.assert_array_less(np.abs(onehot.argmax(-1).mean() - 0.7), 0.02)


# (name, build(params), params, d mean / d param in closed form)
REPARAMETERIZED = [
    ("Gamma", lambda p: D.Gamma(p["a"], p["b"]), dict(a=[0.3, 2.0, 15.0], b=[2.0, 1.0, 0.5]),
     lambda a, b: {"a": 1 / b, "b": -a / b ** 2}),
    ("Beta", lambda p: D.Beta(p["a"], p["b"]), dict(a=[0.5, 2.0, 6.0], b=[1.5, 0.8, 3.0]),
     lambda a, b: {"a": b / (a + b) ** 2, "b": -a / (a + b) ** 2}),
    ("Normal", lambda p: D.Normal(p["a"], p["b"]), dict(a=[0.0, 1.0, -2.0], b=[1.0, 2.0, 0.5]),
     lambda a, b: {"a": np.ones_like(a), "b": np.zeros_like(b)}),
    ("LogNormal", lambda p: D.LogNormal(p["a"], p["b"]), dict(a=[0.0, 0.3, -1.0],
                                                               b=[0.2, 0.5, 0.1]),
     lambda a, b: {"a": np.exp(a + b * b / 2), "b": b * np.exp(a + b * b / 2)}),
]


@pytest.mark.parametrize("row", REPARAMETERIZED, ids=lambda row: row[0])
def test_rsample_gradient_is_the_gradient_of_the_mean_in_expectation(row):
    name, build, params, exact = row
    arrays = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    # One copy of the parameters per draw, so each draw's gradient comes back separately.
    tiled = tensors(ndgrad, {k: np.tile(v, (N, 1)) for k, v in arrays.items()})
    build(tiled).rsample().sum().backward()
    expected = exact(*arrays.values())
    for key, t in tiled.items():
        per_draw = t.grad.numpy()
        assert np.all(np.isfinite(per_draw)), f"{name}: d x / d {key}"
        error = np.abs(per_draw.mean(0) - expected[key])
        np.testing.assert_array_less(error, Z * per_draw.std(0) / np.sqrt(N) + 1e-9,
                                     err_msg=f"{name}: d mean / d {key}")


def test_dirichlet_rsample_gradient_in_expectation():
    a = np.array([0.7, 2.0, 4.0])
    alpha = ndgrad.tensor(np.tile(a, (N, 1)), requires_grad=True)
    D.Dirichlet(alpha).rsample()[:, 0].sum().backward()
    expected = -a[0] / a.sum() ** 2 * np.ones(3)  # d (a_0 / sum a) / d a
    expected[0] += 1 / a.sum()
    per_draw = alpha.grad.numpy()
    np.testing.assert_array_less(np.abs(per_draw.mean(0) - expected),
                                 Z * per_draw.std(0) / np.sqrt(N))


def test_samples_follow_the_generator_seed():
    normal = D.Normal(ndgrad.zeros(3), ndgrad.ones(3))
    ndgrad.manual_seed(11)
    first = normal.sample((4,)).numpy()
    ndgrad.manual_seed(11)
    np.testing.assert_array_equal(normal.sample((4,)).numpy(), first)
    gamma = D.Gamma(ndgrad.ones(2), ndgrad.ones(2))
    ndgrad.manual_seed(5)
    first = gamma.sample((3,)).numpy()
    ndgrad.manual_seed(5)
    np.testing.assert_array_equal(gamma.sample((3,)).numpy(), first)
