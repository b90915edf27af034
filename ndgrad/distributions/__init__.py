"""ndgrad.distributions: PyTorch's torch.distributions (probability distributions, their
samples, densities, entropies, KL divergences and transforms)."""
from ndgrad.distributions import constraints, transforms
from ndgrad.distributions.bernoulli import Bernoulli
from ndgrad.distributions.beta import Beta
from ndgrad.distributions.binomial import Binomial
from ndgrad.distributions.categorical import Categorical
from ndgrad.distributions.cauchy import Cauchy
from ndgrad.distributions.dirichlet import Dirichlet
from ndgrad.distributions.distribution import Distribution
from ndgrad.distributions.exponential import Exponential
from ndgrad.distributions.gamma import Gamma
from ndgrad.distributions.geometric import Geometric
from ndgrad.distributions.gumbel import Gumbel
from ndgrad.distributions.independent import Independent
from ndgrad.distributions.kl import kl_divergence, register_kl
from ndgrad.distributions.laplace import Laplace
from ndgrad.distributions.log_normal import LogNormal
from ndgrad.distributions.multivariate_normal import MultivariateNormal
from ndgrad.distributions.normal import Normal
from ndgrad.distributions.one_hot_categorical import OneHotCategorical
from ndgrad.distributions.poisson import Poisson
from ndgrad.distributions.relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from ndgrad.distributions.relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from ndgrad.distributions.studentT import StudentT
from ndgrad.distributions.transformed_distribution import TransformedDistribution
from ndgrad.distributions.transforms import (AffineTransform, ComposeTransform, ExpTransform,
                                             SigmoidTransform, TanhTransform, Transform)
from ndgrad.distributions.uniform import Uniform

__all__ = ["AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy",
           "ComposeTransform", "Dirichlet", "Distribution", "ExpRelaxedCategorical",
           "ExpTransform", "Exponential", "Gamma", "Geometric", "Gumbel", "Independent",
           "Laplace", "LogNormal", "LogitRelaxedBernoulli", "MultivariateNormal", "Normal",
           "OneHotCategorical", "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical",
           "SigmoidTransform", "StudentT", "TanhTransform", "Transform",
           "TransformedDistribution", "Uniform", "constraints", "kl_divergence", "register_kl",
           "transforms"]
