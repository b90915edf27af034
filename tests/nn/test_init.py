"""ndgrad.nn.init: gains as torch tabulates them, value ranges and statistics as the formulas
say, in place on parameters that require grad, reproducible under ndgrad.manual_seed."""
import math

import numpy as np
import pytest

import ndgrad
from ndgrad.nn import init

GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
         ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", GAINS)
def test_calculate_gain_matches_torch(nonlinearity, param, torch):
    assert init.calculate_gain(nonlinearity, param) == \
        pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_calculate_gain_rejects_unknown_input():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "steep")


def param(*shape):
    return ndgrad.nn.Parameter(ndgrad.empty(*shape))


def values(t):
    return t.detach().numpy().astype(np.float64)


# One row per initialiser: fill(parameter) -> returns it; then a check of the values.
STATISTICS = [
    ("uniform_", lambda p: init.uniform_(p, -0.5, 1.5), (500, 400),
     lambda v: v.min() >= -0.5 and v.max() <= 1.5 and abs(v.mean() - 0.5) < 0.01),
    ("uniform_default", lambda p: init.uniform_(p), (500, 400),
     lambda v: v.min() >= 0 and v.max() <= 1 and abs(v.std() - math.sqrt(1 / 12)) < 0.005),
    ("normal_", lambda p: init.normal_(p, 2.0, 0.5), (500, 400),
     lambda v: abs(v.mean() - 2) < 0.01 and abs(v.std() - 0.5) < 0.005),
    ("constant_", lambda p: init.constant_(p, 0.3), (3, 4), lambda v: np.all(v == np.float32(0.3))),
    ("ones_", init.ones_, (3, 4), lambda v: np.all(v == 1)),
    ("zeros_", init.zeros_, (3, 4), lambda v: np.all(v == 0)),
    ("eye_", init.eye_, (3, 5), lambda v: np.array_equal(v, np.eye(3, 5))),
    ("xavier_uniform_", lambda p: init.xavier_uniform_(p, gain=2.0), (300, 500),
     lambda v: v.max() <= 2 * math.sqrt(6 / 800) and v.max() > 0.99 * 2 * math.sqrt(6 / 800)),
    ("xavier_normal_", init.xavier_normal_, (300, 500),
     lambda v: abs(v.std() - math.sqrt(2 / 800)) < 0.001 and abs(v.mean()) < 0.001),
    ("xavier_uniform_conv", init.xavier_uniform_, (32, 16, 3, 3),
     lambda v: abs(v).max() <= math.sqrt(6 / (16 * 9 + 32 * 9))),
    ("kaiming_uniform_", init.kaiming_uniform_, (400, 300),
     lambda v: abs(v).max() <= math.sqrt(6 / 300) and abs(v).max() > 0.99 * math.sqrt(6 / 300)),
    ("kaiming_uniform_sqrt5", lambda p: init.kaiming_uniform_(p, a=math.sqrt(5)), (400, 300),
     lambda v: abs(v).max() <= 1 / math.sqrt(300) and abs(v).max() > 0.99 / math.sqrt(300)),
    ("kaiming_normal_fan_out", lambda p: init.kaiming_normal_(p, mode="fan_out",
                                                              nonlinearity="relu"), (300, 400),
     lambda v: abs(v.std() - math.sqrt(2 / 300)) < 0.001),
    ("kaiming_normal_conv_tanh", lambda p: init.kaiming_normal_(p, nonlinearity="tanh"),
     (64, 32, 3, 3), lambda v: abs(v.std() - (5 / 3) / math.sqrt(32 * 9)) < 0.002),
    ("trunc_normal_", lambda p: init.trunc_normal_(p, 1.0, 2.0, -1.0, 2.0), (500, 400),
     lambda v: v.min() >= -1 and v.max() <= 2 and v.min() < -0.99 and v.max() > 1.99),
    ("trunc_normal_default", init.trunc_normal_, (500, 400),
     lambda v: abs(v).max() <= 2 and abs(v.std() - 0.8796) < 0.005),
]


@pytest.mark.parametrize("name, fill, shape, check", STATISTICS, ids=[s[0] for s in STATISTICS])
def test_initialiser_statistics(name, fill, shape, check):
    p = param(*shape)
    assert fill(p) is p  # in place, on a parameter that requires grad, outside the graph
    assert p.requires_grad and p.is_leaf and p.grad_fn is None and p.dtype == ndgrad.float32
    assert check(values(p)), name


@pytest.mark.parametrize("name, fill, shape, check", STATISTICS, ids=[s[0] for s in STATISTICS])
def test_initialisers_are_reproducible_under_manual_seed(name, fill, shape, check):
    ndgrad.manual_seed(11)
    first = values(fill(param(*shape)))
    ndgrad.manual_seed(11)
    np.testing.assert_array_equal(first, values(fill(param(*shape))))


@pytest.mark.parametrize("fill", [init.uniform_, init.normal_, init.trunc_normal_,
                                  init.xavier_uniform_, init.xavier_normal_,
                                  init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_,
                                  lambda p, generator: init.sparse_(p, 0.5, generator=generator)])
def test_initialisers_draw_from_a_given_generator(fill):
    first = values(fill(param(5, 4), generator=ndgrad.Generator().manual_seed(5)))
    second = values(fill(param(5, 4), generator=ndgrad.Generator().manual_seed(5)))
    np.testing.assert_array_equal(first, second)
    assert np.any(first)
    ndgrad.manual_seed(1)
    expected = ndgrad.rand(3).numpy()
    ndgrad.manual_seed(1)
    fill(param(5, 4), generator=ndgrad.Generator().manual_seed(5))
    np.testing.assert_array_equal(ndgrad.rand(3).numpy(), expected)  # global stream untouched


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (8, 3, 2, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    p = init.orthogonal_(param(*shape), gain=2.0)
    flat = values(p).reshape(shape[0], -1)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, 4 * np.eye(len(gram)), atol=1e-5)


def test_dirac_makes_a_convolution_the_identity():
    p = init.dirac_(param(4, 2, 3, 3), groups=2)
    expected = np.zeros((4, 2, 3, 3))
    for out_channel, in_channel in [(0, 0), (1, 1), (2, 0), (3, 1)]:
        expected[out_channel, in_channel, 1, 1] = 1
    np.testing.assert_array_equal(values(p), expected)
    weight = values(init.dirac_(param(3, 3, 5)))
    assert weight.sum() == 3 and np.all(weight[np.arange(3), np.arange(3), 2] == 1)


def test_sparse_zeros_a_fraction_of_each_column():
    p = values(init.sparse_(param(10, 200), sparsity=0.3, std=0.1))
    assert np.all((p == 0).sum(axis=0) >= 3)
    nonzero = p[p != 0]
    assert abs(nonzero.std() - 0.1) < 0.01


def test_initialisers_keep_dtype_and_work_on_double_and_plain_tensors():
    p = ndgrad.nn.Parameter(ndgrad.empty(50, 40, dtype=ndgrad.float64))
    init.kaiming_normal_(p)
    assert p.dtype == ndgrad.float64 and p.requires_grad
    plain = init.normal_(ndgrad.empty(3, 3))
    assert not plain.requires_grad and np.isfinite(values(plain)).all()
    layer = ndgrad.nn.Linear(3, 2)
    layer(ndgrad.ones(1, 3)).sum().backward()
    init.zeros_(layer.weight)  # no_grad inside: no error on a leaf that requires grad
    assert not np.any(values(layer.weight)) and layer.weight.grad is not None


def test_initialisers_reject_unsupported_shapes():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(param(5))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(param(2, 2, 2))
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions"):
        init.dirac_(param(2, 2))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(param(2, 2), mode="fan_avg")
    assert init.kaiming_uniform_(param(0, 3)).shape == (0, 3)  # torch warns and returns
