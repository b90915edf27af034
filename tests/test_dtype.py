"""dtypes: the objects, the default float dtype, inference from data, promotion, casts."""
import itertools
import pickle

import numpy as np
import pytest

import ndgrad

NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
ALIASES = {"half": "float16", "float": "float32", "double": "float64", "short": "int16",
           "int": "int32", "long": "int64"}


@pytest.fixture
def default_float64(torch):
    """Both libraries with float64 as the default dtype, restored afterwards."""
    torch.set_default_dtype(torch.float64)
    ndgrad.set_default_dtype(ndgrad.float64)
    yield
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes_match_torch(name, torch):
    d, t = getattr(ndgrad, name), getattr(torch, name)
    assert repr(d) == str(d) == f"ndgrad.{name}"
    assert d.is_floating_point == t.is_floating_point
    assert d.is_signed == t.is_signed
    assert d.is_complex is False
    assert d.itemsize == t.itemsize
    assert pickle.loads(pickle.dumps(d)) is d


@pytest.mark.parametrize("alias, name", ALIASES.items())
def test_aliases(alias, name):
    assert getattr(ndgrad, alias) is getattr(ndgrad, name)


def test_default_dtype():
    assert ndgrad.get_default_dtype() is ndgrad.float32
    ndgrad.set_default_dtype(ndgrad.float64)
    assert ndgrad.get_default_dtype() is ndgrad.float64
    assert ndgrad.tensor(1.5).dtype is ndgrad.float64
    assert ndgrad.zeros(2).dtype is ndgrad.float64
    with pytest.raises(TypeError, match="only floating-point types"):
        ndgrad.set_default_dtype(ndgrad.int64)


# Data and the dtype both libraries infer for it; `L` is ndgrad or torch.
INFERENCE = {
    "int": lambda L: 3,
    "float": lambda L: 3.5,
    "bool": lambda L: True,
    "int list": lambda L: [[1, 2], [3, 4]],
    "mixed int float": lambda L: [1, 2.5],
    "mixed bool int": lambda L: [True, 2],
    "mixed bool float": lambda L: [True, 2.5],
    "empty list": lambda L: [],
    "tuple": lambda L: (1, 2),
    "np float64 array": lambda L: np.ones(2),
    "np int32 array": lambda L: np.ones(2, dtype=np.int32),
    "np uint8 array": lambda L: np.ones(2, dtype=np.uint8),
    "np float32 scalar": lambda L: np.float32(1.5),
    "list of np float64": lambda L: [np.float64(1.5), 2.0],
    "list of np float32": lambda L: [np.float32(1.5), 2.0],
    "list of np int32 and int": lambda L: [np.int32(1), 2],
    "list of np float16 and int": lambda L: [np.float16(1), 2],
    "list of int32 arrays": lambda L: [np.zeros(2, dtype=np.int32), np.ones(2, dtype=np.int32)],
    "list of float64 tensors": lambda L: [L.tensor(1.5, dtype=L.float64), L.tensor(2.5)],
    "list of int32 tensors": lambda L: [L.tensor(1, dtype=L.int32), L.tensor(2, dtype=L.int32)],
    "float64 tensor": lambda L: L.ones(2, dtype=L.float64),
}


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy")
@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")
@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("case", INFERENCE, ids=str)
def test_inferred_dtype_matches_torch(case, default, torch):
    torch.set_default_dtype(getattr(torch, default))
    ndgrad.set_default_dtype(getattr(ndgrad, default))
    try:
        expected = torch.tensor(INFERENCE[case](torch)).dtype
    finally:
        torch.set_default_dtype(torch.float32)
    assert ndgrad.tensor(INFERENCE[case](ndgrad)).dtype.name == str(expected)[6:]


# Operands for the promotion table: dimensioned tensors, zero-dim tensors, Python scalars.
OPERANDS = ([("tensor", n) for n in NAMES] + [("zero-dim", n) for n in NAMES]
            + [("scalar", v) for v in (True, 3, 2.5)])
BINARY_OPS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
              "lt": lambda a, b: a < b, "eq": lambda a, b: a == b}


def _operand(L, kind, value):
    if kind == "scalar":
        return value
    return L.ones((2,) if kind == "tensor" else (), dtype=getattr(L, value))


def _dtype_name(fn, L, a, b) -> str:
    try:
        return str(fn(_operand(L, *a), _operand(L, *b))).rpartition(".")[2]
    except RuntimeError:
        return "error"


PAIRS = [(a, b) for a, b in itertools.product(OPERANDS, OPERANDS)
         if "scalar" not in (a[0], b[0]) or a[0] != b[0]]


@pytest.mark.parametrize("op", BINARY_OPS)
def test_promotion_table_matches_torch(op, torch):
    """Every pair of operand kinds and dtypes promotes as in torch."""
    fn = BINARY_OPS[op]
    mismatches = []
    for a, b in PAIRS:
        expected = _dtype_name(lambda x, y: fn(x, y).dtype, torch, a, b)
        got = _dtype_name(lambda x, y: fn(x, y).dtype, ndgrad, a, b)
        if expected != got:
            mismatches.append((a, b, expected, got))
    assert not mismatches


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_result_type_matches_torch(default, torch):
    torch.set_default_dtype(getattr(torch, default))
    ndgrad.set_default_dtype(getattr(ndgrad, default))
    try:
        expected = [_dtype_name(torch.result_type, torch, a, b) for a, b in PAIRS]
    finally:
        torch.set_default_dtype(torch.float32)
    got = [_dtype_name(ndgrad.result_type, ndgrad, a, b) for a, b in PAIRS]
    assert [(p, e, g) for p, e, g in zip(PAIRS, expected, got) if e != g] == []


@pytest.mark.parametrize("a, b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_matches_torch(a, b, torch):
    expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert ndgrad.promote_types(getattr(ndgrad, a), getattr(ndgrad, b)).name == str(expected)[6:]


def test_python_float_follows_default_dtype(default_float64, torch):
    for L in (torch, ndgrad):
        assert str(L.tensor(2.5).dtype).endswith("float64")
        assert str((L.ones(2, dtype=L.int32) * 2.5).dtype).endswith("float64")
        assert str((L.ones(2, dtype=L.float16) * 2.5).dtype).endswith("float16")
        assert str((L.ones(2, dtype=L.int64) / 2).dtype).endswith("float64")


def test_integer_data_requiring_grad_becomes_default_float():
    """Seed behaviour (torch raises instead): int data with requires_grad is made float."""
    assert ndgrad.tensor([1, 2], requires_grad=True).dtype is ndgrad.float32
    assert ndgrad.Tensor(np.arange(3), requires_grad=True).dtype is ndgrad.float32
    assert ndgrad.tensor([True], requires_grad=True).dtype is ndgrad.float32
    assert ndgrad.tensor([1, 2]).requires_grad_().dtype is ndgrad.float32
    ndgrad.set_default_dtype(ndgrad.float64)
    assert ndgrad.tensor([1, 2], requires_grad=True).dtype is ndgrad.float64


CASTS = {
    "to": lambda t, L: t.to(L.float64),
    "to keyword": lambda t, L: t.to(dtype=L.int32),
    "to other tensor": lambda t, L: t.to(L.zeros(1, dtype=L.int16)),
    "to cpu and dtype": lambda t, L: t.to("cpu", L.float16),
    "float": lambda t, L: t.float(),
    "double": lambda t, L: t.double(),
    "half": lambda t, L: t.half(),
    "long": lambda t, L: t.long(),
    "int": lambda t, L: t.int(),
    "short": lambda t, L: t.short(),
    "bool": lambda t, L: t.bool(),
    "byte": lambda t, L: t.byte(),
    "type(dtype)": lambda t, L: t.type(L.float64),
    "type(legacy name)": lambda t, L: t.type(L.__name__ + ".IntTensor"),
}


@pytest.mark.parametrize("case", CASTS, ids=str)
def test_casts_match_torch(case, torch):
    data = [[-1.5, 0.0], [2.7, 300.0]]
    expected = CASTS[case](torch.tensor(data), torch)
    got = CASTS[case](ndgrad.tensor(data), ndgrad)
    assert got.dtype.name == str(expected.dtype)[6:]
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_type_name_matches_torch(dtype, torch):
    expected = torch.zeros(1, dtype=getattr(torch, dtype)).type()
    assert ndgrad.zeros(1, dtype=getattr(ndgrad, dtype)).type() == expected.replace(
        "torch.", "ndgrad.")
    with pytest.raises(ValueError, match="invalid type"):
        ndgrad.zeros(1).type("ndgrad.ComplexTensor")


def test_conversion_to_same_dtype_or_device_returns_self():
    t = ndgrad.ones(2, requires_grad=True)
    assert t.to(ndgrad.float32) is t
    assert t.float() is t
    assert t.to("cpu") is t
    assert t.cpu() is t
    assert t.to(ndgrad.device("cpu")) is t


@pytest.mark.parametrize("source, target", [("float32", "float64"), ("float64", "float16"),
                                            ("float16", "float32")])
def test_float_casts_are_differentiable(source, target, torch):
    results = []
    for L in (torch, ndgrad):
        x = L.tensor([1.5, -2.0, 3.25], dtype=getattr(L, source), requires_grad=True)
        y = x.to(getattr(L, target))
        (y * y).sum().backward()
        results.append((y.requires_grad, str(x.grad.dtype).rpartition(".")[2], x.grad.tolist()))
    assert results[1] == results[0]


def test_cast_to_integer_leaves_the_graph(torch):
    for L in (torch, ndgrad):
        x = L.tensor([1.5, 2.5], requires_grad=True)
        assert not x.long().requires_grad
        assert not x.bool().requires_grad
        assert x.double().grad_fn is not None


@pytest.mark.parametrize("numpy_dtype", [np.complex64, np.complex128, object, np.uint16,
                                         np.uint32, np.uint64, np.longdouble])
def test_unsupported_numpy_dtypes_raise(numpy_dtype):
    array = np.zeros(2, dtype=numpy_dtype)
    for build in (ndgrad.tensor, ndgrad.from_numpy, ndgrad.as_tensor, ndgrad.Tensor):
        with pytest.raises(TypeError, match="can't convert np.ndarray of type .* The only "
                                            "supported types are: float16, float32"):
            build(array)


@pytest.mark.parametrize("bad", [np.complex64, np.uint16, 5, "not a dtype"])
def test_bad_dtype_arguments_raise(bad):
    with pytest.raises(TypeError, match="is not a supported dtype"):
        ndgrad.zeros(2, dtype=bad)
    with pytest.raises(TypeError, match="is not a supported dtype"):
        ndgrad.zeros(2).to(dtype=bad)
