"""Sampling: multinomial, bernoulli and the in-place fills (random_, exponential_, ...) by
moments and frequencies, manual_seed replay, and torch's dtypes, shapes and errors."""
import math

import numpy as np
import pytest

import ndgrad

N = 20000

# Each sampler written once for both libraries (`L` is ndgrad or torch), on N draws.
SAMPLERS = {
    "exponential_": lambda L: L.zeros(N).exponential_(2.0),
    "geometric_": lambda L: L.zeros(N).geometric_(0.25),
    "log_normal_": lambda L: L.zeros(N, dtype=L.float64).log_normal_(0.5, 0.25),
    "uniform_": lambda L: L.zeros(N).uniform_(-1.0, 3.0),
    "normal_": lambda L: L.zeros(N).normal_(1.0, 2.0),
    "random_ to": lambda L: L.zeros(N).random_(10),
    "random_ from to": lambda L: L.zeros(N, dtype=L.int64).random_(-5, 5),
    "random_ int8": lambda L: L.zeros(N, dtype=L.int8).random_(),
    "bernoulli_ float": lambda L: L.zeros(N).bernoulli_(0.3),
    "bernoulli_ tensor p": lambda L: L.zeros(N, dtype=L.int64).bernoulli_(L.full((N,), 0.7)),
    "bernoulli tensor": lambda L: L.bernoulli(L.full((N,), 0.2)),
    "bernoulli p": lambda L: L.bernoulli(L.zeros(N, dtype=L.float64), 0.6),
    "bernoulli method": lambda L: L.full((N,), 0.9).bernoulli(),
}
# The mean and std each sampler's distribution has.
MOMENTS = {
    "exponential_": (0.5, 0.5),
    "geometric_": (4.0, math.sqrt(0.75) / 0.25),
    "log_normal_": (math.exp(0.5 + 0.25 ** 2 / 2),
                    math.sqrt((math.exp(0.25 ** 2) - 1) * math.exp(1 + 0.25 ** 2))),
    "uniform_": (1.0, 4 / math.sqrt(12)),
    "normal_": (1.0, 2.0),
    "random_ to": (4.5, math.sqrt(99 / 12)),
    "random_ from to": (-0.5, math.sqrt(99 / 12)),
    "random_ int8": (63.5, math.sqrt((128 ** 2 - 1) / 12)),
    "bernoulli_ float": (0.3, math.sqrt(0.21)),
    "bernoulli_ tensor p": (0.7, math.sqrt(0.21)),
    "bernoulli tensor": (0.2, 0.4),
    "bernoulli p": (0.6, math.sqrt(0.24)),
    "bernoulli method": (0.9, 0.3),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_moments_dtype_and_shape(name, torch):
    got, expected = SAMPLERS[name](ndgrad), SAMPLERS[name](torch)
    assert got.dtype.name == str(expected.dtype)[6:] and tuple(got.shape) == (N,)
    mean, std = MOMENTS[name]
    values = got.numpy().astype(np.float64)
    # Five standard errors of the mean; the std within 5%.
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(N)
    assert abs(values.std() - std) < 0.05 * std


@pytest.mark.parametrize("name", SAMPLERS)
def test_manual_seed_replays(name):
    ndgrad.manual_seed(7)
    first = SAMPLERS[name](ndgrad).numpy()
    ndgrad.manual_seed(7)
    np.testing.assert_array_equal(SAMPLERS[name](ndgrad).numpy(), first)


def test_value_ranges():
    assert set(ndgrad.zeros(500).random_(3).tolist()) == {0.0, 1.0, 2.0}
    assert ndgrad.zeros(500).geometric_(0.5).min().item() >= 1
    assert ndgrad.zeros(500).exponential_().min().item() >= 0
    assert set(ndgrad.zeros(100, dtype=ndgrad.bool).random_().tolist()) == {False, True}
    wide = ndgrad.zeros(1000).random_()
    assert wide.min().item() >= 0 and wide.max().item() <= 2 ** 24
    above = ndgrad.zeros(1000).random_(3, None)
    assert above.min().item() >= 3 and above.max().item() > 2 ** 20
    assert set(ndgrad.zeros(200).random_(**{"from": 2, "to": 4}).tolist()) == {2.0, 3.0}


def test_multinomial_frequencies_with_replacement(torch):
    weights = [1.0, 2.0, 0.0, 5.0]
    got = ndgrad.multinomial(ndgrad.tensor(weights), N, replacement=True)
    expected = torch.multinomial(torch.tensor(weights), N, replacement=True)
    assert got.dtype.name == str(expected.dtype)[6:] and tuple(got.shape) == (N,)
    frequencies = np.bincount(got.numpy(), minlength=4) / N
    np.testing.assert_allclose(frequencies, np.array(weights) / 8, atol=0.015)


def test_multinomial_without_replacement_draws_each_category_once(torch):
    rows = ndgrad.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 3.0, 1.0, 0.0]])
    got = ndgrad.multinomial(rows, 4)
    assert tuple(got.shape) == tuple(torch.multinomial(torch.tensor(rows.tolist()), 4).shape)
    assert sorted(got[0].tolist()) == [0, 1, 2, 3]
    # Zero-weight categories come last, in index order, as torch's.
    assert got[1].tolist()[2:] == [0, 3]
    assert got[1].tolist()[2:] == torch.multinomial(torch.tensor(rows.tolist()), 4)[1].tolist()[2:]


def test_multinomial_first_draw_without_replacement_follows_the_weights():
    weights = ndgrad.tensor([1.0, 3.0])
    firsts = [ndgrad.multinomial(weights, 2)[0].item() for _ in range(2000)]
    assert abs(np.mean(firsts) - 0.75) < 0.04


def test_generator_argument_replays():
    draws = []
    for _ in range(2):
        g = ndgrad.Generator().manual_seed(3)
        draws.append((ndgrad.multinomial(ndgrad.ones(5), 3, generator=g).tolist(),
                      ndgrad.bernoulli(ndgrad.full((6,), 0.5), generator=g).tolist(),
                      ndgrad.zeros(4).exponential_(generator=g).tolist()))
    assert draws[0] == draws[1]


# (call, expected message): each raises RuntimeError in both libraries.
ERRORS = {
    "sum zero": (lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1), "sum of probabilities"),
    "negative": (lambda L: L.multinomial(L.tensor([-1.0, 1.0]), 1), "element < 0"),
    "too many": (lambda L: L.multinomial(L.tensor([1.0, 1.0]), 3), "n_sample > prob_dist"),
    "3-d": (lambda L: L.multinomial(L.ones(1, 1, 2), 1), "1 or 2 dim"),
    "zero samples": (lambda L: L.multinomial(L.ones(2), 0), "n_sample <= 0"),
    "bernoulli p": (lambda L: L.bernoulli(L.tensor([1.5])), "p to be in \\[0, 1\\]"),
    "geometric p": (lambda L: L.zeros(2).geometric_(0), "geometric_ expects p"),
    "exponential": (lambda L: L.zeros(2).exponential_(-1), "exponential_ expects lambda"),
    "random_ range": (lambda L: L.zeros(2).random_(3, 2), "from=3 >= to=2"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name, torch):
    call, message = ERRORS[name]
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=message):
        call(ndgrad)


def test_fill_of_a_leaf_requiring_grad_is_refused_and_a_fill_cuts_the_gradient():
    leaf = ndgrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.exponential_()
    x = ndgrad.ones(3, requires_grad=True)
    y = (x * 2).bernoulli_(0.5)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))
