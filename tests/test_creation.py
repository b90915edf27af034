"""Tensor factories: zeros, ones, full, empty, arange, linspace, eye and their *_like forms."""
import warnings

import numpy as np
import pytest

import ndgrad

# Deterministic factories, written once for both libraries (`L` is ndgrad or torch).
CASES = {
    "zeros varargs": lambda L: L.zeros(2, 3),
    "zeros tuple": lambda L: L.zeros((2, 3)),
    "zeros list": lambda L: L.zeros([4]),
    "zeros size keyword": lambda L: L.zeros(size=(2, 1)),
    "zeros 0-d": lambda L: L.zeros(()),
    "zeros zero-size": lambda L: L.zeros(0, 3),
    "zeros int32": lambda L: L.zeros(2, dtype=L.int32),
    "zeros numpy int size": lambda L: L.zeros(np.int64(3)),
    "zeros 0-d tensor size": lambda L: L.zeros(L.tensor(2), 2),
    "ones": lambda L: L.ones(3, 1),
    "ones bool": lambda L: L.ones(2, dtype=L.bool),
    "ones float64": lambda L: L.ones((2, 2), dtype=L.float64),
    "full int": lambda L: L.full((2, 2), 7),
    "full float": lambda L: L.full((3,), -1.5),
    "full bool": lambda L: L.full((2,), True),
    "full with dtype": lambda L: L.full((2,), 3, dtype=L.float64),
    "full float into int": lambda L: L.full((2,), 2.7, dtype=L.int64),
    "full 0-d": lambda L: L.full((), 4.0),
    "full list size": lambda L: L.full([1, 2], 0),
    "full tensor value": lambda L: L.full((2,), L.tensor(2.5)),
    "arange end": lambda L: L.arange(5),
    "arange start end": lambda L: L.arange(2, 6),
    "arange negative step": lambda L: L.arange(10, 0, -3),
    "arange float end": lambda L: L.arange(5.0),
    "arange 0.1 steps": lambda L: L.arange(0, 1, 0.1),
    "arange 0.3 steps": lambda L: L.arange(0, 0.9, 0.3),
    "arange 0.1 from 1": lambda L: L.arange(1, 1.3, 0.1),
    "arange quarter steps": lambda L: L.arange(-1, 1, 0.25),
    "arange float negative": lambda L: L.arange(1.0, -1.0, -0.4),
    "arange empty": lambda L: L.arange(3, 3),
    "arange keywords": lambda L: L.arange(start=2, end=4),
    "arange end keyword": lambda L: L.arange(end=3),
    "arange float64": lambda L: L.arange(0, 5, dtype=L.float64),
    "arange int dtype float args": lambda L: L.arange(0.5, 5.5, 1, dtype=L.int32),
    "arange int dtype truncates": lambda L: L.arange(-0.5, 3, 1, dtype=L.int64),
    "arange int dtype float step": lambda L: L.arange(0, 5, 1.5, dtype=L.int64),
    "arange tensor end": lambda L: L.arange(L.tensor(4)),
    "arange numpy scalars": lambda L: L.arange(np.int64(3)),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace steps keyword": lambda L: L.linspace(-2, 2, steps=9),
    "linspace one step": lambda L: L.linspace(2, 3, 1),
    "linspace zero steps": lambda L: L.linspace(2, 3, 0),
    "linspace decreasing": lambda L: L.linspace(1, -1, 7, dtype=L.float64),
    "linspace int dtype": lambda L: L.linspace(0, 10, 4, dtype=L.int64),
    "linspace tensor ends": lambda L: L.linspace(L.tensor(0.0), L.tensor(1.0), 3),
    "eye": lambda L: L.eye(3),
    "eye wide": lambda L: L.eye(2, 4),
    "eye tall": lambda L: L.eye(4, 2),
    "eye int": lambda L: L.eye(2, dtype=L.int64),
    "eye empty": lambda L: L.eye(0),
    "zeros_like": lambda L: L.zeros_like(L.tensor([[1, 2]])),
    "zeros_like dtype": lambda L: L.zeros_like(L.tensor([1, 2]), dtype=L.float16),
    "ones_like": lambda L: L.ones_like(L.tensor([1.5, 2.0], dtype=L.float64)),
    "ones_like bool": lambda L: L.ones_like(L.tensor([1, 2]), dtype=L.bool),
    "full_like float into int": lambda L: L.full_like(L.tensor([1, 2]), 2.7),
    "full_like bool value": lambda L: L.full_like(L.tensor([1.0, 2.0]), True),
    "empty_like shape": lambda L: L.zeros_like(L.empty_like(L.zeros(2, 3, dtype=L.int8))),
    "empty shape": lambda L: L.zeros_like(L.empty(2, 3, dtype=L.float64)),
    "empty size keyword": lambda L: L.zeros_like(L.empty(size=(1, 2))),
}


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_factories_match_torch(case, default, torch):
    torch.set_default_dtype(getattr(torch, default))
    ndgrad.set_default_dtype(getattr(ndgrad, default))
    try:
        expected = CASES[case](torch)
    finally:
        torch.set_default_dtype(torch.float32)
    got = CASES[case](ndgrad)
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.dtype.name == str(expected.dtype)[6:]
    assert got.is_leaf and not got.requires_grad
    # float32 ranges may differ from torch's in the last bit (torch steps in float32).
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("factory", [
    lambda: ndgrad.zeros(2, requires_grad=True),
    lambda: ndgrad.ones(2, 3, requires_grad=True),
    lambda: ndgrad.full((2,), 1.5, requires_grad=True),
    lambda: ndgrad.arange(3.0, requires_grad=True),
    lambda: ndgrad.linspace(0, 1, 3, requires_grad=True),
    lambda: ndgrad.eye(2, requires_grad=True),
    lambda: ndgrad.empty(2, requires_grad=True),
    lambda: ndgrad.zeros_like(ndgrad.ones(2), requires_grad=True),
    lambda: ndgrad.tensor([1.0], device="cpu", requires_grad=True),
    lambda: ndgrad.zeros(2, device="cpu", requires_grad=True),
])
def test_factories_make_leaves_that_require_grad(factory):
    t = factory()
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    t.sum().backward()
    assert t.grad.shape == t.shape


def _shape_dtype(t):
    return tuple(t.shape), t.dtype.name


def test_seed_classmethod_constructors():
    assert _shape_dtype(ndgrad.Tensor.zeros(2, 3, dtype=ndgrad.int64)) == ((2, 3), "int64")
    assert _shape_dtype(ndgrad.Tensor.ones((4,))) == ((4,), "float32")
    assert _shape_dtype(ndgrad.Tensor.empty(1, 2, dtype=np.float64)) == ((1, 2), "float64")
    like = ndgrad.Tensor.ones_like(ndgrad.zeros(3, dtype=ndgrad.int32), dtype=ndgrad.float64)
    assert _shape_dtype(like) == ((3,), "float64") and like.tolist() == [1.0] * 3
    assert ndgrad.Tensor.zeros_like(ndgrad.ones(2)).tolist() == [0.0, 0.0]
    assert ndgrad.Tensor.ones(2, requires_grad=True).requires_grad
    assert ndgrad.Tensor.zeros(2, 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_arange_element_count_with_float_steps(torch):
    for start, end, step in [(0, 1, 0.1), (0, 2.2, 0.2), (1, 2, 1 / 3), (-3, 3, 0.7),
                             (0, 1e-3, 1e-4), (5, 0, -0.35)]:
        assert ndgrad.arange(start, end, step).numel() == torch.arange(start, end, step).numel()


def test_as_tensor_shares_when_it_can():
    array = np.zeros(3, dtype=np.float32)
    t = ndgrad.as_tensor(array)
    array[0] = 1.0
    assert t.tolist() == [1.0, 0.0, 0.0]
    assert ndgrad.as_tensor(t) is t
    assert ndgrad.as_tensor(array, dtype=ndgrad.float64).dtype is ndgrad.float64
    assert ndgrad.as_tensor([1, 2]).dtype is ndgrad.int64


# Bad arguments: the error type and part of the message.
ERRORS = [
    (lambda: ndgrad.zeros(2.5), TypeError, "size must be a sequence of ints, but got float"),
    (lambda: ndgrad.ones("a"), TypeError, "but got str"),
    (lambda: ndgrad.ones(2, (3,)), TypeError, "but got tuple"),
    (lambda: ndgrad.zeros(True), TypeError, "but got bool"),
    (lambda: ndgrad.zeros(2, 3, size=(2, 3)), TypeError, "size given both"),
    (lambda: ndgrad.ones(-1), RuntimeError, r"negative dimension -1: \[-1\]"),
    (lambda: ndgrad.empty(2, -3), RuntimeError, "negative dimension -3"),
    (lambda: ndgrad.full((-1,), 0), RuntimeError, "negative dimension"),
    (lambda: ndgrad.zeros(ndgrad.tensor(2.0)), TypeError, "only integer tensors"),
    (lambda: ndgrad.arange(0, 5, 0), RuntimeError, "step must be nonzero"),
    (lambda: ndgrad.arange(0, 1, 0.5, dtype=ndgrad.int64), RuntimeError, "step must be nonzero"),
    (lambda: ndgrad.arange(0, 5, -1), RuntimeError,
     "upper bound and lower bound inconsistent with step sign"),
    (lambda: ndgrad.arange(0, float("nan")), RuntimeError, "unsupported range: 0 -> nan"),
    (lambda: ndgrad.arange(float("inf")), RuntimeError, "unsupported range"),
    (lambda: ndgrad.linspace(0, 1, -1), RuntimeError, "number of steps must be non-negative"),
    (lambda: ndgrad.linspace(0, 1, 2.5), TypeError, "integer"),
    (lambda: ndgrad.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1"),
    (lambda: ndgrad.eye(2, -1), RuntimeError, "m must be greater or equal to 0, got -1"),
    (lambda: ndgrad.zeros(2, device="xpu"), RuntimeError, "Expected one of cpu, cuda"),
]


@pytest.mark.parametrize("fn, error, message", ERRORS)
def test_bad_arguments_raise(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


def _error_type(call, L):
    try:
        call(L)
    except Exception as error:  # any type: the type is what is compared
        return type(error)
    return None


@pytest.mark.parametrize("call", [
    lambda L: L.ones(-1), lambda L: L.arange(0, 5, 0), lambda L: L.arange(0, 5, -1),
    lambda L: L.eye(-1), lambda L: L.linspace(0, 1, -1), lambda L: L.zeros(2.5),
    lambda L: L.arange(0, float("nan")), lambda L: L.ones("a"),
])
def test_error_types_agree_with_torch(call, torch):
    assert _error_type(call, ndgrad) is _error_type(call, torch) is not None


# Python numbers into a dtype: integers out of range raise, floats overflow to inf silently.
OVERFLOW_CASES = [("uint8", [-255, -1, 255]), ("uint8", [-256]), ("uint8", [256]),
                  ("uint8", [-1.0]), ("uint8", [255.5]), ("int8", [-129]), ("int8", [128.0]),
                  ("int8", [1.5, -128]), ("int16", [float("nan")]), ("int32", [2 ** 40]),
                  ("int8", [[1, 300]]), ("float16", [70000.0]), ("float32", [1e40, -1e40]),
                  ("float64", [1e300])]


@pytest.mark.parametrize("dtype, data", OVERFLOW_CASES, ids=str)
def test_python_numbers_out_of_a_dtypes_range(dtype, data, torch):
    try:
        expected = torch.tensor(data, dtype=getattr(torch, dtype)).tolist()
    except RuntimeError:
        with pytest.raises(RuntimeError, match=f"cannot be converted to type {dtype} without "
                                               "overflow"):
            ndgrad.tensor(data, dtype=getattr(ndgrad, dtype))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's cast warnings stay inside
        assert ndgrad.tensor(data, dtype=getattr(ndgrad, dtype)).tolist() == expected
