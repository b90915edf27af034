"""Random factories: shapes and dtypes as torch's, seeding, generators, value ranges."""
import numpy as np
import pytest

import ndgrad

# Each random factory, written once for both libraries (`L` is ndgrad or torch).
CASES = {
    "rand varargs": lambda L, **kw: L.rand(2, 3, **kw),
    "rand tuple": lambda L, **kw: L.rand((4,), **kw),
    "rand size keyword": lambda L, **kw: L.rand(size=(2, 2), **kw),
    "rand 0-d": lambda L, **kw: L.rand((), **kw),
    "rand zero-size": lambda L, **kw: L.rand(0, 2, **kw),
    "rand float64": lambda L, **kw: L.rand(3, dtype=L.float64, **kw),
    "randn": lambda L, **kw: L.randn(3, 2, **kw),
    "randn float16": lambda L, **kw: L.randn(5, dtype=L.float16, **kw),
    "randint high size": lambda L, **kw: L.randint(5, (3, 4), **kw),
    "randint low high size": lambda L, **kw: L.randint(-3, 3, (10,), **kw),
    "randint keywords": lambda L, **kw: L.randint(low=1, high=4, size=(2,), **kw),
    "randint int32": lambda L, **kw: L.randint(0, 9, (6,), dtype=L.int32, **kw),
    "randint float": lambda L, **kw: L.randint(0, 9, (6,), dtype=L.float64, **kw),
    "normal tensors": lambda L, **kw: L.normal(L.zeros(3), L.ones(3), **kw),
    "normal tensor mean float64": lambda L, **kw: L.normal(L.zeros(2, dtype=L.float64), 1.0,
                                                           **kw),
    "normal tensor std": lambda L, **kw: L.normal(0.0, L.ones(2, 2), **kw),
    "normal size": lambda L, **kw: L.normal(2.0, 3.0, size=(2, 3), **kw),
    "rand_like": lambda L, **kw: L.rand_like(L.zeros(2, 2, dtype=L.float64), **kw),
    "randn_like": lambda L, **kw: L.randn_like(L.zeros(3), **kw),
    "randint_like": lambda L, **kw: L.randint_like(L.zeros(4, dtype=L.int32), 5, **kw),
    "randint_like low high": lambda L, **kw: L.randint_like(L.zeros(4), 2, 5, **kw),
    "randperm": lambda L, **kw: L.randperm(6, **kw),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_shape_and_dtype_match_torch(case, torch):
    expected, got = CASES[case](torch), CASES[case](ndgrad)
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.dtype.name == str(expected.dtype)[6:]
    assert got.is_leaf and not got.requires_grad


@pytest.mark.parametrize("case", CASES, ids=str)
def test_manual_seed_reproduces(case):
    ndgrad.manual_seed(123)
    first = CASES[case](ndgrad).tolist()
    ndgrad.manual_seed(123)
    assert CASES[case](ndgrad).tolist() == first


@pytest.mark.parametrize("case", [c for c in CASES if "zero-size" not in c and "0-d" not in c])
def test_different_seeds_differ(case):
    ndgrad.manual_seed(1)
    first = CASES[case](ndgrad).tolist()
    ndgrad.manual_seed(2)
    assert CASES[case](ndgrad).tolist() != first


@pytest.mark.parametrize("case", CASES, ids=str)
def test_generator_argument(case):
    """A seeded Generator gives its own stream and leaves the default one alone."""
    first = CASES[case](ndgrad, generator=ndgrad.Generator().manual_seed(7)).tolist()
    ndgrad.manual_seed(0)
    untouched = CASES[case](ndgrad).tolist()
    ndgrad.manual_seed(0)
    CASES[case](ndgrad, generator=ndgrad.Generator().manual_seed(99))
    assert CASES[case](ndgrad).tolist() == untouched
    assert CASES[case](ndgrad, generator=ndgrad.Generator().manual_seed(7)).tolist() == first


def test_generator_state():
    generator = ndgrad.Generator()
    assert generator.manual_seed(5) is generator and generator.initial_seed() == 5
    state = generator.get_state()
    first = ndgrad.rand(3, generator=generator).tolist()
    generator.set_state(state)
    assert ndgrad.rand(3, generator=generator).tolist() == first
    ndgrad.manual_seed(11)
    assert ndgrad.initial_seed() == 11
    state = ndgrad.get_rng_state()
    first = ndgrad.randn(4).tolist()
    ndgrad.set_rng_state(state)
    assert ndgrad.randn(4).tolist() == first
    assert isinstance(ndgrad.manual_seed(3), ndgrad.Generator)
    assert isinstance(ndgrad.seed(), int)


def test_value_ranges():
    uniform = ndgrad.rand(10000).numpy()
    assert uniform.min() >= 0.0 and uniform.max() < 1.0
    assert abs(uniform.mean() - 0.5) < 0.02
    normal = ndgrad.randn(10000, dtype=ndgrad.float64).numpy()
    assert abs(normal.mean()) < 0.05 and abs(normal.std() - 1.0) < 0.05
    shifted = ndgrad.normal(3.0, 0.5, size=(10000,)).numpy()
    assert abs(shifted.mean() - 3.0) < 0.05 and abs(shifted.std() - 0.5) < 0.05
    per_element = ndgrad.normal(ndgrad.tensor([-100.0, 100.0]), ndgrad.tensor([0.0, 1e-3]))
    assert per_element.tolist()[0] == -100.0 and abs(per_element.tolist()[1] - 100.0) < 0.1
    integers = ndgrad.randint(-2, 3, (10000,)).numpy()
    assert set(np.unique(integers)) == {-2, -1, 0, 1, 2}
    assert sorted(ndgrad.randperm(50).tolist()) == list(range(50))


def test_requires_grad_and_device_keywords():
    for t in (ndgrad.rand(2, requires_grad=True, device="cpu"),
              ndgrad.randn(2, requires_grad=True),
              ndgrad.normal(0.0, 1.0, size=(2,), requires_grad=True),
              ndgrad.rand_like(ndgrad.zeros(2), requires_grad=True, device="cpu")):
        assert t.requires_grad and t.is_leaf
        assert t.device == ndgrad.device("cpu")


def test_default_dtype_applies():
    ndgrad.set_default_dtype(ndgrad.float64)
    assert ndgrad.rand(2).dtype is ndgrad.float64
    assert ndgrad.randn(2).dtype is ndgrad.float64
    assert ndgrad.normal(0.0, 1.0, size=(2,)).dtype is ndgrad.float64
    assert ndgrad.randint(0, 3, (2,)).dtype is ndgrad.int64


ERRORS = [
    (lambda: ndgrad.rand(2, dtype=ndgrad.int64), RuntimeError, "floating point dtype"),
    (lambda: ndgrad.randn_like(ndgrad.zeros(2, dtype=ndgrad.int64)), RuntimeError,
     "floating point dtype"),
    (lambda: ndgrad.rand(-1), RuntimeError, "negative dimension"),
    (lambda: ndgrad.randn(2.5), TypeError, "size must be a sequence of ints"),
    (lambda: ndgrad.randint(5, 2, (3,)), RuntimeError, "expects 'from' to be less than 'to'"),
    (lambda: ndgrad.randint(5), TypeError, "missing required argument 'size'"),
    (lambda: ndgrad.randint(0, 5, (-2,)), RuntimeError, "negative dimension"),
    (lambda: ndgrad.normal(0.0, -1.0, size=(2,)), RuntimeError, "normal expects std >= 0.0"),
    (lambda: ndgrad.normal(ndgrad.zeros(2), ndgrad.tensor([1.0, -1.0])), RuntimeError,
     "normal expects std >= 0.0"),
]


@pytest.mark.parametrize("fn, error, message", ERRORS)
def test_bad_arguments_raise(fn, error, message):
    with pytest.raises(error, match=message):
        fn()
