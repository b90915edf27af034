"""validate_args: invalid parameters and values raise ValueError as in torch; the default can
be switched off; constraints check values as torch's do."""
import re

import numpy as np
import pytest

import ndgrad
import ndgrad.distributions as D
from ndgrad.distributions import constraints

T = ndgrad.tensor
# (name, build(d, lib)) whose parameters are invalid
BAD_PARAMETERS = [
    ("Normal_scale", lambda d, lib: d.Normal(lib.tensor([0.0]), lib.tensor([-1.0]))),
    ("Normal_loc_nan", lambda d, lib: d.Normal(lib.tensor([float("nan")]), lib.tensor([1.0]))),
    ("Bernoulli_probs", lambda d, lib: d.Bernoulli(probs=lib.tensor([1.5]))),
    ("Categorical_probs", lambda d, lib: d.Categorical(probs=lib.tensor([0.5, -0.1]))),
    ("Uniform_order", lambda d, lib: d.Uniform(lib.tensor([1.0]), lib.tensor([0.0]))),
    ("Gamma_rate", lambda d, lib: d.Gamma(lib.tensor([1.0]), lib.tensor([0.0]))),
    ("Beta", lambda d, lib: d.Beta(lib.tensor([-1.0]), lib.tensor([1.0]))),
    ("Dirichlet", lambda d, lib: d.Dirichlet(lib.tensor([1.0, 0.0]))),
    ("Exponential", lambda d, lib: d.Exponential(lib.tensor([-2.0]))),
    ("Poisson", lambda d, lib: d.Poisson(lib.tensor([-2.0]))),
    ("Binomial_count", lambda d, lib: d.Binomial(lib.tensor([2.5]), lib.tensor([0.5]))),
    ("Geometric_zero", lambda d, lib: d.Geometric(lib.tensor([0.0]))),
    ("StudentT_df", lambda d, lib: d.StudentT(lib.tensor([-1.0]))),
    ("MVN_not_pd", lambda d, lib: d.MultivariateNormal(
        lib.zeros(2), covariance_matrix=lib.tensor([[1.0, 2.0], [2.0, 1.0]]))),
    ("MVN_not_lower", lambda d, lib: d.MultivariateNormal(
        lib.zeros(2), scale_tril=lib.tensor([[1.0, 2.0], [0.0, 1.0]]))),
]
# (name, build(d, lib), value outside the support)
BAD_VALUES = [
    ("Bernoulli", lambda d, lib: d.Bernoulli(lib.tensor([0.3])), [0.5]),
    ("Exponential", lambda d, lib: d.Exponential(lib.tensor([1.0])), [-1.0]),
    ("Beta", lambda d, lib: d.Beta(lib.tensor([2.0]), lib.tensor([2.0])), [1.5]),
    ("Poisson", lambda d, lib: d.Poisson(lib.tensor([2.0])), [1.5]),
    ("Categorical", lambda d, lib: d.Categorical(lib.tensor([0.5, 0.5])), [2.0]),
    ("Uniform", lambda d, lib: d.Uniform(lib.tensor([0.0]), lib.tensor([1.0])), [1.5]),
    ("Dirichlet", lambda d, lib: d.Dirichlet(lib.tensor([1.0, 2.0])), [0.7, 0.7]),
    ("LogNormal", lambda d, lib: d.LogNormal(lib.tensor([0.0]), lib.tensor([1.0])), [-1.0]),
]


@pytest.mark.parametrize("row", BAD_PARAMETERS, ids=lambda row: row[0])
def test_invalid_parameters_raise_value_error_as_torch(row, torch):
    name, build = row
    with pytest.raises(ValueError):
        build(torch.distributions, torch)
    with pytest.raises(ValueError):
        build(D, ndgrad)


@pytest.mark.parametrize("row", BAD_VALUES, ids=lambda row: row[0])
def test_values_outside_the_support_raise_value_error_as_torch(row, torch):
    name, build, value = row
    with pytest.raises(ValueError, match="within the support"):
        build(torch.distributions, torch).log_prob(torch.tensor(value))
    with pytest.raises(ValueError, match="within the support"):
        build(D, ndgrad).log_prob(ndgrad.tensor(value))


def test_message_names_parameter_constraint_and_distribution(torch):
    with pytest.raises(ValueError) as ours:
        D.Normal(T([0.0, 1.0]), T([1.0, -1.0]))
    expected = ("Expected parameter scale (Tensor of shape (2,)) of distribution "
                "Normal(loc: ndgrad.Size([2]), scale: ndgrad.Size([2])) to satisfy the "
                "constraint GreaterThan(lower_bound=0.0), but found invalid values:")
    assert str(ours.value).startswith(expected)


def test_value_shape_errors():
    normal = D.Normal(T([0.0, 1.0]), T([1.0, 1.0]))
    with pytest.raises(ValueError, match="not broadcastable"):
        normal.log_prob(T([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="must be a Tensor"):
        normal.log_prob([0.0, 1.0])
    mvn = D.MultivariateNormal(ndgrad.zeros(3), ndgrad.eye(3))
    with pytest.raises(ValueError, match=re.escape("must match event_shape")):
        mvn.log_prob(ndgrad.zeros(2))


def test_validate_args_false_and_the_default_switch():
    assert np.isnan(D.Normal(T([0.0]), T([-1.0]), validate_args=False).log_prob(
        T([0.0])).numpy()).all()
    D.Distribution.set_default_validate_args(False)
    try:
        D.Exponential(T([-1.0])).log_prob(T([-3.0]))  # no error
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Exponential(T([-1.0]))
    with pytest.raises(ValueError, match="True or False"):
        D.Distribution.set_default_validate_args("yes")


def test_probs_and_logits_are_exclusive():
    with pytest.raises(ValueError, match="not both"):
        D.Bernoulli(probs=T([0.5]), logits=T([0.0]))
    with pytest.raises(ValueError, match="not both"):
        D.Categorical()
    with pytest.raises(ValueError, match="Exactly one"):
        D.MultivariateNormal(ndgrad.zeros(2))


# (constraint name, value rows) checked against torch's constraint of the same name
CONSTRAINT_VALUES = [
    ("real", [0.0, float("nan"), float("inf")]),
    ("positive", [0.0, 1.0, -1.0]),
    ("nonnegative", [0.0, 1.0, -1.0]),
    ("unit_interval", [0.0, 1.0, 1.5, -0.1]),
    ("boolean", [0.0, 1.0, 0.5]),
    ("nonnegative_integer", [0.0, 3.0, 1.5, -1.0]),
    ("positive_integer", [0.0, 3.0, 1.5]),
    ("simplex", [[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]]),
    ("real_vector", [[0.0, 1.0], [float("nan"), 0.0]]),
    ("lower_cholesky", [[[1.0, 0.0], [2.0, 1.0]], [[1.0, 1.0], [0.0, 1.0]],
                        [[-1.0, 0.0], [0.0, 1.0]]]),
    ("positive_definite", [[[2.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]),
]


@pytest.mark.parametrize("row", CONSTRAINT_VALUES, ids=lambda row: row[0])
def test_constraints_check_as_torch(row, torch):
    name, values = row
    ours = getattr(constraints, name).check(ndgrad.tensor(values)).numpy()
    theirs = getattr(torch.distributions.constraints, name).check(torch.tensor(values)).numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert repr(getattr(constraints, name)) == repr(
        getattr(torch.distributions.constraints, name))


def test_interval_constraints_and_support(torch):
    uniform = D.Uniform(T([0.0, 1.0]), T([2.0, 3.0]))
    assert uniform.support.check(T([1.0, 3.5])).tolist() == [True, False]
    assert repr(D.Normal(0.0, 1.0).support) == repr(torch.distributions.Normal(0.0, 1.0).support)
    assert D.Binomial(4, T([0.5])).support.check(T([4.0])).tolist() == [True]
    assert constraints.is_dependent(D.Uniform.arg_constraints["low"])
