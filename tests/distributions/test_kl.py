"""kl_divergence against torch for every registered pair, register_kl dispatch, errors."""
import numpy as np
import pytest

import ndgrad
import ndgrad.distributions as D
from tests.distributions._cases import COV, LOC, POS, PROBS, SIMPLEX, tensors

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

P2 = np.array([0.3, 0.5, 0.6])
# (name, build(d, params) -> (p, q), params)
PAIRS = [
    ("Normal", lambda d, p: (d.Normal(p["a"], p["s"]), d.Normal(p["b"], p["t"])),
     dict(a=LOC, s=POS, b=LOC[::-1].copy(), t=POS[::-1].copy())),
    ("Bernoulli", lambda d, p: (d.Bernoulli(p["p"]), d.Bernoulli(p["q"])),
     dict(p=PROBS, q=P2)),
    ("Bernoulli_edges", lambda d, p: (d.Bernoulli(p["p"]), d.Bernoulli(p["q"])),
     dict(p=np.array([0.0, 1.0, 0.4, 0.3]), q=np.array([0.5, 0.2, 0.0, 1.0]))),
    ("Categorical", lambda d, p: (d.Categorical(p["p"]), d.Categorical(p["q"])),
     dict(p=SIMPLEX, q=SIMPLEX[::-1].copy())),
    ("Categorical_zero", lambda d, p: (d.Categorical(p["p"]), d.Categorical(p["q"])),
     dict(p=np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]]),
          q=np.array([[0.2, 0.8, 0.0], [0.0, 0.5, 0.5]]))),
    ("OneHotCategorical", lambda d, p: (d.OneHotCategorical(p["p"]),
                                        d.OneHotCategorical(p["q"])),
     dict(p=SIMPLEX, q=SIMPLEX[::-1].copy())),
    ("Uniform", lambda d, p: (d.Uniform(p["a"], p["a"] + 1), d.Uniform(p["b"], p["b"] + 3)),
     dict(a=np.array([0.0, 0.5, -2.0]), b=np.array([-1.0, -1.0, -1.0]))),
    ("Exponential", lambda d, p: (d.Exponential(p["a"]), d.Exponential(p["b"])),
     dict(a=POS, b=P2)),
    ("Gamma", lambda d, p: (d.Gamma(p["a"], p["b"]), d.Gamma(p["b"], p["a"])),
     dict(a=POS, b=P2)),
    ("Beta", lambda d, p: (d.Beta(p["a"], p["b"]), d.Beta(p["b"], p["a"] + 1)),
     dict(a=POS, b=P2)),
    ("Dirichlet", lambda d, p: (d.Dirichlet(p["a"]), d.Dirichlet(p["b"])),
     dict(a=SIMPLEX * 4, b=SIMPLEX[::-1] * 3 + 0.5)),
    ("MultivariateNormal", lambda d, p: (
        d.MultivariateNormal(p["a"], covariance_matrix=p["c"]),
        d.MultivariateNormal(p["b"], scale_tril=p["l"])),
     dict(a=np.array([[0.1, 0.2, -0.3], [1.0, 0.0, 0.5]]), c=COV, b=LOC,
          l=np.linalg.cholesky(COV[::-1, ::-1] + np.eye(3)))),
    ("Laplace", lambda d, p: (d.Laplace(p["a"], p["s"]), d.Laplace(p["b"], p["t"])),
     dict(a=LOC, s=POS, b=LOC[::-1].copy(), t=P2)),
    ("Poisson", lambda d, p: (d.Poisson(p["a"]), d.Poisson(p["b"])), dict(a=POS, b=P2)),
    ("Geometric", lambda d, p: (d.Geometric(p["a"]), d.Geometric(p["b"])),
     dict(a=PROBS, b=P2)),
    ("Binomial", lambda d, p: (d.Binomial(6, p["a"]), d.Binomial(6, p["b"])),
     dict(a=PROBS, b=P2)),
    ("Cauchy", lambda d, p: (d.Cauchy(p["a"], p["s"]), d.Cauchy(p["b"], p["t"])),
     dict(a=LOC, s=POS, b=LOC[::-1].copy(), t=P2)),
    ("Gumbel", lambda d, p: (d.Gumbel(p["a"], p["s"]), d.Gumbel(p["b"], p["t"])),
     dict(a=LOC, s=POS, b=LOC[::-1].copy(), t=P2)),
    ("Independent", lambda d, p: (d.Independent(d.Normal(p["a"], p["s"]), 1),
                                  d.Independent(d.Normal(p["b"], p["t"]), 1)),
     dict(a=LOC, s=POS, b=LOC[::-1].copy(), t=P2)),
    ("LogNormal", lambda d, p: (d.LogNormal(p["a"], p["s"]), d.LogNormal(p["b"], p["t"])),
     dict(a=LOC, s=POS, b=LOC[::-1].copy(), t=P2)),
]


@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: pair[0])
def test_kl_matches_torch_value_and_gradient(pair, torch):
    name, build, params = pair
    ours_params, theirs_params = tensors(ndgrad, params), tensors(torch, params)
    ours = D.kl_divergence(*build(D, ours_params))
    theirs = torch.distributions.kl_divergence(*build(torch.distributions, theirs_params))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9,
                               atol=1e-12, err_msg=name)
    finite = np.isfinite(theirs.detach().numpy())
    if not finite.any():
        return
    weights = np.where(finite, 1.0, 0.0)
    objective_ours = (ndgrad.where(ndgrad.tensor(finite), ours, 0.0)
                      * ndgrad.tensor(weights)).sum()
    objective_theirs = (torch.where(torch.tensor(finite), theirs, 0.0)
                        * torch.tensor(weights)).sum()
    grads_ours = ndgrad.autograd.grad(objective_ours, list(ours_params.values()),
                                      allow_unused=True)
    grads_theirs = torch.autograd.grad(objective_theirs, list(theirs_params.values()),
                                       allow_unused=True)
    for key, g, h in zip(params, grads_ours, grads_theirs):
        g = np.zeros(params[key].shape) if g is None else g.numpy()
        h = np.zeros(params[key].shape) if h is None else h.numpy()
        np.testing.assert_allclose(g, h, rtol=1e-7, atol=1e-10, err_msg=f"{name}: d/d{key}")


def test_kl_of_a_distribution_with_itself_is_zero():
    normal = D.Normal(ndgrad.tensor([0.0, 1.0]), ndgrad.tensor([1.0, 2.0]))
    np.testing.assert_allclose(D.kl_divergence(normal, normal).numpy(), 0.0, atol=1e-7)


def test_unregistered_pair_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="Normal.*Exponential"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Exponential(1.0))


def test_register_kl_dispatches_to_the_most_specific_pair():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)
    assert float(D.kl_divergence(p, q)) == pytest.approx(0.5)  # inherited Normal-Normal

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return ndgrad.tensor(-1.0)

    assert float(D.kl_divergence(p, q)) == -1.0
    assert float(D.kl_divergence(q, q)) == 0.0


def test_register_kl_refuses_non_distribution_types():
    with pytest.raises(TypeError, match="subclasses of Distribution"):
        D.register_kl(int, D.Normal)


def test_binomial_kl_with_larger_q_count_is_not_implemented(torch):
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Binomial(3, probs=ndgrad.tensor(0.5)),
                        D.Binomial(5, probs=ndgrad.tensor(0.5)))
