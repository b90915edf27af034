"""Every distribution against torch.distributions in float64: values of log_prob, cdf, icdf,
entropy, mean, mode, variance, stddev; gradients of log_prob and entropy; shapes of batches,
events, samples and expand."""
import numpy as np
import pytest

import ndgrad
import ndgrad.distributions as D
from tests.distributions._cases import CASES, tensors

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

PROPERTIES = ("mean", "mode", "variance", "stddev")


def build_both(case, torch, requires_grad=True):
    ours_params = tensors(ndgrad, case.params, case.integer_params, requires_grad)
    theirs_params = tensors(torch, case.params, case.integer_params, requires_grad)
    return (case.build(D, ours_params), case.build(torch.distributions, theirs_params),
            ours_params, theirs_params)


def outcome(fn):
    """fn()'s value as an array, or the NotImplementedError class if it raises that."""
    try:
        result = fn()
    except NotImplementedError:
        return NotImplementedError
    return np.asarray(result.detach().numpy(), dtype=np.float64)


def quantities(case, dist, lib):
    """(label, thunk) for every quantity compared."""
    value = lib.tensor(case.value)
    items = [(name, lambda name=name: getattr(dist, name)) for name in PROPERTIES]
    items += [("entropy", dist.entropy), ("log_prob", lambda: dist.log_prob(value)),
              ("cdf", lambda: dist.cdf(value))]
    if case.quantiles is not None:
        items.append(("icdf", lambda: dist.icdf(lib.tensor(case.quantiles))))
    return items


@pytest.mark.parametrize("case", CASES, ids=str)
def test_values_match_torch(case, torch):
    ours, theirs, _, _ = build_both(case, torch)
    for (label, mine), (_, reference) in zip(quantities(case, ours, ndgrad),
                                             quantities(case, theirs, torch)):
        expected, actual = outcome(reference), outcome(mine)
        if expected is NotImplementedError:
            assert actual is NotImplementedError, f"{case}.{label} exists only in ndgrad"
            continue
        assert actual is not NotImplementedError, f"{case}.{label} is missing"
        assert actual.shape == expected.shape, f"{case}.{label} shape"
        np.testing.assert_allclose(actual, expected, rtol=case.rtol, atol=1e-12,
                                   equal_nan=True, err_msg=f"{case}.{label}")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradients_of_log_prob_and_entropy_match_torch(case, torch):
    ours, theirs, ours_params, theirs_params = build_both(case, torch)
    objectives = [lambda d, lib: d.log_prob(lib.tensor(case.value)).sum()]
    if outcome(theirs.entropy) is not NotImplementedError:
        objectives.append(lambda d, lib: d.entropy().sum())
    names = [n for n in case.params if n not in case.integer_params]
    for objective in objectives:
        mine = ndgrad.autograd.grad(objective(ours, ndgrad), [ours_params[n] for n in names],
                                    retain_graph=True, allow_unused=True)
        reference = torch.autograd.grad(objective(theirs, torch),
                                        [theirs_params[n] for n in names],
                                        retain_graph=True, allow_unused=True)
        for name, g, h in zip(names, mine, reference):
            h = np.zeros(case.params[name].shape) if h is None else h.numpy()
            g = np.zeros(case.params[name].shape) if g is None else g.numpy()
            np.testing.assert_allclose(g, h, rtol=1e-7, atol=1e-10, err_msg=f"{case}: d/d{name}")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_shapes_match_torch(case, torch):
    ours, theirs, _, _ = build_both(case, torch, requires_grad=False)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support
    assert tuple(ours.sample((2, 5)).shape) == tuple(theirs.sample((2, 5)).shape)
    assert tuple(ours.sample().shape) == tuple(theirs.sample().shape)
    batch = (4,) + tuple(ours.batch_shape)
    big_ours, big_theirs = ours.expand(batch), theirs.expand(batch)
    assert tuple(big_ours.batch_shape) == tuple(big_theirs.batch_shape)
    assert tuple(big_ours.sample((2,)).shape) == tuple(big_theirs.sample((2,)).shape)
    value = big_ours.sample().numpy()
    np.testing.assert_allclose(big_ours.log_prob(ndgrad.tensor(value)).detach().numpy(),
                               big_theirs.log_prob(torch.tensor(value)).detach().numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("case", [c for c in CASES if c.name in (
    "Bernoulli_probs", "Categorical_logits", "OneHotCategorical", "Binomial")], ids=str)
def test_enumerate_support_matches_torch(case, torch):
    ours, theirs, _, _ = build_both(case, torch, requires_grad=False)
    for expand in (True, False):
        np.testing.assert_array_equal(ours.enumerate_support(expand).numpy(),
                                      theirs.enumerate_support(expand).numpy())


@pytest.mark.parametrize("case", [c for c in CASES if c.name in (
    "Normal", "Gamma", "Beta", "Dirichlet", "MultivariateNormal_cov", "StudentT",
    "RelaxedOneHotCategorical", "Transformed_affine_tanh", "Gumbel", "Laplace")], ids=str)
def test_rsample_is_differentiable_in_every_parameter(case, torch):
    params = tensors(ndgrad, case.params, case.integer_params)
    dist = case.build(D, params)
    draws = dist.rsample((7,))
    (draws * ndgrad.tensor(np.arange(draws.numel()).reshape(draws.shape) % 3 + 1.0)).sum() \
        .backward()
    for name, t in params.items():
        assert t.grad is not None and np.all(np.isfinite(t.grad.numpy())), name
        assert np.any(t.grad.numpy() != 0), f"{case}: no gradient reaches {name}"


def test_scalar_parameters_give_an_empty_batch_shape(torch):
    for build in (lambda d: d.Normal(0.0, 1.0), lambda d: d.Gamma(2.0, 3.0),
                  lambda d: d.Beta(2.0, 3.0), lambda d: d.Uniform(0.0, 2.0),
                  lambda d: d.Exponential(2.0), lambda d: d.Bernoulli(0.3)):
        ours, theirs = build(D), build(torch.distributions)
        assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) == ()
        assert tuple(ours.sample((3,)).shape) == (3,)
        assert ours.sample().dtype == ndgrad.float32  # the default dtype, as torch's float32


def test_lazy_probs_and_logits_agree_with_torch(torch):
    logits = np.array([[0.3, -1.2, 2.0], [0.0, 0.1, -0.1]])
    ours = D.Categorical(logits=ndgrad.tensor(logits))
    theirs = torch.distributions.Categorical(logits=torch.tensor(logits))
    assert "probs" not in ours.__dict__  # computed on first use only
    np.testing.assert_allclose(ours.probs.numpy(), theirs.probs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.logits.numpy(), theirs.logits.numpy(), rtol=1e-12)
    bern = D.Bernoulli(probs=ndgrad.tensor([0.0, 0.5, 1.0], dtype=ndgrad.float64))
    tbern = torch.distributions.Bernoulli(probs=torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
    np.testing.assert_allclose(bern.logits.numpy(), tbern.logits.numpy(), rtol=1e-12)
