"""The table of distributions under test: one row per family, built the same way on ndgrad
and torch, with parameters and test values as NumPy arrays (float64)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

R = np.random.default_rng(0)
POS = np.array([0.6, 1.7, 3.2])
LOC = np.array([-0.8, 0.3, 1.5])
PROBS = np.array([0.2, 0.55, 0.9])
SIMPLEX = R.dirichlet(np.ones(4), size=3)
COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]])


@dataclass
class Case:
    """`build(dist_module, params)` makes the distribution; `params` are NumPy arrays made
    into float64 tensors requiring grad; `value` is a point set inside the support."""

    name: str
    build: Callable
    params: dict
    value: np.ndarray
    quantiles: np.ndarray | None = None  # for icdf
    integer_params: tuple = ()  # parameters that get no gradient
    moments: bool = True  # sample mean/variance are checked against mean/variance
    rtol: float = 1e-9
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def tensors(lib, params: dict, integer_params=(), requires_grad=True) -> dict:
    out = {}
    for name, array in params.items():
        t = lib.tensor(np.array(array, dtype=np.float64))
        if requires_grad and name not in integer_params:
            t.requires_grad_(True)
        out[name] = t
    return out


Q = np.array([0.05, 0.5, 0.93])
CASES = [
    Case("Normal", lambda d, p: d.Normal(p["loc"], p["scale"]), dict(loc=LOC, scale=POS),
         np.array([0.1, -2.0, 4.0]), Q),
    Case("Bernoulli_probs", lambda d, p: d.Bernoulli(probs=p["probs"]), dict(probs=PROBS),
         np.array([1.0, 0.0, 1.0])),
    Case("Bernoulli_logits", lambda d, p: d.Bernoulli(logits=p["logits"]),
         dict(logits=LOC * 3), np.array([0.0, 1.0, 1.0])),
    Case("Categorical_probs", lambda d, p: d.Categorical(probs=p["probs"]),
         dict(probs=SIMPLEX), np.array([0.0, 3.0, 1.0]), moments=False),
    Case("Categorical_logits", lambda d, p: d.Categorical(logits=p["logits"]),
         dict(logits=R.normal(size=(3, 4))), np.array([2.0, 0.0, 3.0]), moments=False),
    Case("OneHotCategorical", lambda d, p: d.OneHotCategorical(probs=p["probs"]),
         dict(probs=SIMPLEX), np.eye(4)[[1, 3, 0]]),
    Case("Uniform", lambda d, p: d.Uniform(p["low"], p["high"]), dict(low=LOC, high=LOC + POS),
         LOC + 0.3 * POS, Q),
    Case("Beta", lambda d, p: d.Beta(p["a"], p["b"]), dict(a=POS, b=POS[::-1].copy()),
         np.array([0.3, 0.8, 0.05])),
    Case("Gamma", lambda d, p: d.Gamma(p["concentration"], p["rate"]),
         dict(concentration=POS, rate=POS[::-1].copy()), np.array([0.4, 2.0, 5.0])),
    Case("Exponential", lambda d, p: d.Exponential(p["rate"]), dict(rate=POS),
         np.array([0.4, 2.0, 0.01]), Q),
    Case("Laplace", lambda d, p: d.Laplace(p["loc"], p["scale"]), dict(loc=LOC, scale=POS),
         np.array([0.1, -2.0, 4.0]), Q),
    Case("LogNormal", lambda d, p: d.LogNormal(p["loc"], p["scale"] / 3),
         dict(loc=LOC, scale=POS), np.array([0.4, 2.0, 5.0]), Q),
    Case("MultivariateNormal_cov", lambda d, p: d.MultivariateNormal(
        p["loc"], covariance_matrix=p["cov"]), dict(loc=R.normal(size=(2, 3)), cov=COV),
         R.normal(size=(2, 3))),
    Case("MultivariateNormal_tril", lambda d, p: d.MultivariateNormal(
        p["loc"], scale_tril=p["tril"]), dict(loc=R.normal(size=3),
                                              tril=np.linalg.cholesky(COV)),
         R.normal(size=(2, 3))),
    Case("MultivariateNormal_precision", lambda d, p: d.MultivariateNormal(
        p["loc"], precision_matrix=p["precision"]),
         dict(loc=R.normal(size=3), precision=np.linalg.inv(COV)), R.normal(size=(2, 3))),
    Case("Independent_Normal", lambda d, p: d.Independent(d.Normal(p["loc"], p["scale"]), 1),
         dict(loc=LOC, scale=POS), np.array([0.1, -2.0, 4.0])),
    Case("Dirichlet", lambda d, p: d.Dirichlet(p["concentration"]),
         dict(concentration=POS * np.ones((2, 3))), np.array([0.2, 0.3, 0.5])),
    Case("Poisson", lambda d, p: d.Poisson(p["rate"]), dict(rate=POS), np.array([0.0, 2.0, 5.0])),
    Case("Binomial", lambda d, p: d.Binomial(p["n"], probs=p["probs"]),
         dict(n=np.array([5.0, 5.0, 5.0]), probs=PROBS), np.array([0.0, 2.0, 5.0]),
         integer_params=("n",)),
    Case("Binomial_logits", lambda d, p: d.Binomial(p["n"], logits=p["logits"]),
         dict(n=np.array([3.0, 8.0, 20.0]), logits=LOC), np.array([1.0, 8.0, 4.0]),
         integer_params=("n",)),
    Case("Geometric", lambda d, p: d.Geometric(probs=p["probs"]), dict(probs=PROBS),
         np.array([0.0, 2.0, 5.0])),
    Case("StudentT", lambda d, p: d.StudentT(p["df"] + 2, p["loc"], p["scale"]),
         dict(df=POS, loc=LOC, scale=POS), np.array([0.1, -2.0, 4.0])),
    Case("StudentT_heavy", lambda d, p: d.StudentT(p["df"] / 2, p["loc"]),
         dict(df=POS, loc=LOC), np.array([0.1, -2.0, 4.0]), moments=False),
    Case("Cauchy", lambda d, p: d.Cauchy(p["loc"], p["scale"]), dict(loc=LOC, scale=POS),
         np.array([0.1, -2.0, 4.0]), Q, moments=False),
    Case("Gumbel", lambda d, p: d.Gumbel(p["loc"], p["scale"]), dict(loc=LOC, scale=POS),
         np.array([0.1, -2.0, 4.0]), Q),
    Case("RelaxedBernoulli", lambda d, p: d.RelaxedBernoulli(p["t"], probs=p["probs"]),
         dict(t=np.array(0.7), probs=PROBS), np.array([0.3, 0.9, 0.02]), moments=False),
    Case("RelaxedOneHotCategorical", lambda d, p: d.RelaxedOneHotCategorical(
        p["t"], logits=p["logits"]), dict(t=np.array(0.8), logits=R.normal(size=(3, 4))),
         SIMPLEX[::-1].copy(), moments=False),
    Case("Transformed_affine_tanh", lambda d, p: d.TransformedDistribution(
        d.Normal(p["loc"], p["scale"]), [d.AffineTransform(0.5, p["scale"] / 4),
                                         d.TanhTransform()]),
         dict(loc=LOC, scale=POS), np.array([0.1, -0.6, 0.95]), Q, moments=False),
    Case("Transformed_sigmoid_exp", lambda d, p: d.TransformedDistribution(
        d.Laplace(p["loc"], p["scale"]),
        d.ComposeTransform([d.SigmoidTransform(), d.AffineTransform(-1.0, -2.0),
                            d.ExpTransform()])),
         dict(loc=LOC, scale=POS), np.array([0.2, 0.3, 0.35]), moments=False),
]
