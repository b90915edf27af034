"""class Tensor: construction, metadata, autograd attributes, conversions to Python and NumPy."""
import numpy as np
import pytest

import ndgrad

# Data that `tensor(data)` accepts; `L` is ndgrad or torch.
DATA = {
    "int": lambda L: 3,
    "float": lambda L: -2.5,
    "bool": lambda L: False,
    "nested lists": lambda L: [[1, 2, 3], [4, 5, 6]],
    "nested floats": lambda L: [[1.5], [2.0]],
    "tuples": lambda L: ((1, 2), (3, 4)),
    "empty": lambda L: [],
    "empty nested": lambda L: [[], []],
    "numpy float64": lambda L: np.arange(6.0).reshape(2, 3),
    "numpy int32 0-d": lambda L: np.array(7, dtype=np.int32),
    "numpy scalar": lambda L: np.float16(0.5),
    "tensor": lambda L: L.tensor([1.5, 2.5], dtype=L.float64),
    "list of 0-d tensors": lambda L: [L.tensor(1.0), L.tensor(2.0)],
}


@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")
@pytest.mark.parametrize("case", DATA, ids=str)
def test_tensor_from_data_matches_torch(case, torch):
    expected = torch.tensor(DATA[case](torch))
    got = ndgrad.tensor(DATA[case](ndgrad))
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.dtype.name == str(expected.dtype)[6:]
    assert got.tolist() == expected.tolist()
    assert got.is_leaf and not got.requires_grad and got.grad is None


def test_tensor_keywords():
    t = ndgrad.tensor([1, 2], dtype=ndgrad.float64, requires_grad=True)
    assert t.dtype is ndgrad.float64 and t.requires_grad and t.is_leaf
    assert ndgrad.tensor([1.7, -1.7], dtype=ndgrad.int32).tolist() == [1, -1]
    assert ndgrad.tensor(1.5, device="cpu").device == ndgrad.device("cpu")


def test_tensor_copies_its_data():
    array = np.zeros(3)
    source = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    from_array, from_tensor = ndgrad.tensor(array), ndgrad.tensor(source)
    array[0] = 5.0
    source.data[0] = 7.0
    assert from_array.tolist() == [0.0, 0.0, 0.0]
    assert from_tensor.tolist() == [1.0, 2.0]
    assert not from_tensor.requires_grad and from_tensor.is_leaf


def test_seed_constructor():
    """Tensor(data, requires_grad=False, dtype=None), as in the seed articles."""
    x = ndgrad.Tensor([1, 2, 3], requires_grad=True)
    assert x.dtype is ndgrad.float32 and x.requires_grad and x.is_leaf
    assert ndgrad.Tensor(np.arange(6).reshape(2, 3)).shape == (2, 3)
    assert ndgrad.Tensor(np.zeros(2)).dtype is ndgrad.float32  # torch.Tensor does the same
    assert ndgrad.Tensor([1, 2], dtype=np.int64).dtype is ndgrad.int64
    assert ndgrad.Tensor([0, 2], dtype=ndgrad.int64).tolist() == [0, 2]
    assert ndgrad.Tensor(2.5).tolist() == 2.5  # a Number, as the seed's ensure_array allows
    assert ndgrad.Tensor().shape == (0,)
    assert ndgrad.Tensor(2, 3).shape == (2, 3)
    assert ndgrad.Tensor(2, 3, dtype=ndgrad.int32).dtype is ndgrad.int32
    source = ndgrad.tensor([1.0, 2.0])
    copy = ndgrad.Tensor(source)
    source.data[0] = 9.0
    assert copy.tolist() == [1.0, 2.0]


def test_from_numpy_shares_memory():
    array = np.zeros((2, 2), dtype=np.float32)
    t = ndgrad.from_numpy(array)
    array[0, 1] = 5.0
    assert t.tolist() == [[0.0, 5.0], [0.0, 0.0]]
    t.numpy()[1, 0] = 3.0
    assert array[1, 0] == 3.0
    assert t.dtype is ndgrad.float32
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ndgrad.from_numpy([1, 2])


def test_numpy_and_array_protocol():
    t = ndgrad.tensor([1.0, 2.0])
    t.numpy()[1] = 4.0  # numpy() shares memory, as with torch
    assert t.tolist() == [1.0, 4.0]
    assert np.shares_memory(np.asarray(t), t.numpy())
    copy = np.array(t)  # np.array copies, as with torch
    copy[0] = 10.0
    assert t.tolist() == [1.0, 4.0]
    assert np.asarray(t, dtype=np.int64).dtype == np.int64
    assert np.asarray(ndgrad.tensor(True)).dtype == np.bool_


def test_numpy_refuses_tensors_that_require_grad():
    t = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires "
                                           r"grad. Use tensor.detach\(\).numpy\(\) instead."):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0, 2.0]


# Attributes read the same on both libraries, for tensors of these shapes.
SHAPES = [(), (0,), (3,), (2, 3), (2, 1, 4)]
ATTRIBUTES = {
    "shape": lambda t: tuple(t.shape),
    "size()": lambda t: tuple(t.size()),
    "size(-1)": lambda t: t.size(-1) if t.dim() else None,
    "size(dim=0)": lambda t: t.size(dim=0) if t.dim() else None,
    "ndim": lambda t: t.ndim,
    "dim()": lambda t: t.dim(),
    "numel()": lambda t: t.numel(),
    "nelement()": lambda t: t.nelement(),
    "element_size()": lambda t: t.element_size(),
    "len": lambda t: len(t) if t.dim() else None,
    "T": lambda t: tuple(t.T.shape) if t.dim() == 2 else None,
    "tolist": lambda t: t.tolist(),
    "is_floating_point": lambda t: t.is_floating_point(),
    "iter": lambda t: [x.tolist() for x in t] if t.dim() else None,
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ATTRIBUTES)
def test_attributes_match_torch(name, shape, torch):
    data = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    expected = ATTRIBUTES[name](torch.from_numpy(data))
    assert ATTRIBUTES[name](ndgrad.from_numpy(data)) == expected


def test_shape_is_a_size():
    t = ndgrad.zeros(2, 3)
    assert isinstance(t.shape, ndgrad.Size) and isinstance(t.shape, tuple)
    assert t.shape == (2, 3) and t.shape.numel() == 6
    assert repr(t.shape) == "ndgrad.Size([2, 3])"
    assert t.device == ndgrad.device("cpu") and not t.is_cuda
    assert repr(t.device) == "device(type='cpu')"


def test_autograd_attributes():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    assert x.is_leaf and x.grad is None and x.grad_fn is None
    y = x * 3
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert not y.data.requires_grad and y.data.is_leaf
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    assert x.grad is None
    plain = ndgrad.ones(2) * 2
    assert plain.is_leaf and plain.grad_fn is None
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False


def test_data_shares_storage_outside_the_graph():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    x.data[0] = 5.0
    assert x.tolist() == [5.0, 2.0]
    x.data = ndgrad.tensor([7.0, 8.0, 9.0])
    assert x.tolist() == [7.0, 8.0, 9.0] and x.requires_grad


# Python conversions: result on both libraries, or the same error type and message.
CONVERSIONS = {
    "item int": lambda L: L.tensor([[4]]).item(),
    "item float": lambda L: L.tensor(1.1).item(),
    "item bool": lambda L: L.tensor([True]).item(),
    "item of many": lambda L: L.tensor([1, 2]).item(),
    "item of none": lambda L: L.tensor([]).item(),
    "bool of one": lambda L: bool(L.tensor([0.0])),
    "bool of many": lambda L: bool(L.tensor([1, 2])),
    "bool of none": lambda L: bool(L.tensor([])),
    "float": lambda L: float(L.tensor([2.5])),
    "float of many": lambda L: float(L.tensor([1.0, 2.0])),
    "int": lambda L: int(L.tensor(-2.7)),
    "int of none": lambda L: int(L.tensor([])),
    "complex": lambda L: complex(L.tensor(1.5)),
    "index": lambda L: list(range(10))[L.tensor(3)],
    "index one-element": lambda L: list(range(10))[L.tensor([4], dtype=L.int32)],
    "index of float": lambda L: list(range(10))[L.tensor(3.0)],
    "index of many": lambda L: list(range(10))[L.tensor([1, 2])],
    "len of 0-d": lambda L: len(L.tensor(1)),
    "iter of 0-d": lambda L: iter(L.tensor(1)),
    "format 0-d": lambda L: f"{L.tensor(3.14159):.2f}",
    "format 0-d int": lambda L: f"{L.tensor(7):>4}",
    "size of 0-d": lambda L: L.tensor(1.0).size(0),
    "size out of range": lambda L: L.zeros(2, 3).size(2),
    "tolist 0-d": lambda L: L.tensor(2.5).tolist(),
    "tolist bool": lambda L: L.tensor([[True], [False]]).tolist(),
}


def _outcome(fn, L):
    try:
        return fn(L)
    except (TypeError, ValueError, RuntimeError, IndexError) as error:
        return type(error).__name__, str(error)


@pytest.mark.parametrize("case", CONVERSIONS, ids=str)
def test_python_conversions_match_torch(case, torch):
    assert _outcome(CONVERSIONS[case], ndgrad) == _outcome(CONVERSIONS[case], torch)


def test_item_and_tolist_give_python_types():
    assert type(ndgrad.tensor([3]).item()) is int
    assert type(ndgrad.tensor(3.0).item()) is float
    assert type(ndgrad.tensor(True).item()) is bool
    assert type(ndgrad.tensor([1.5]).tolist()[0]) is float


def test_grad_assignment_is_checked(torch):
    for L in (torch, ndgrad):
        x = L.zeros(2, requires_grad=True)
        with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
            x.grad = 3
        with pytest.raises(RuntimeError, match=r"assign a gradient of size '\[3\]' to a tensor "
                                               r"of size '\[2\]'"):
            x.grad = L.ones(3)
        for dtype in (L.float64, L.int64):
            with pytest.raises(RuntimeError, match="assign a gradient with dtype"):
                x.grad = L.ones(2, dtype=dtype)
        assert x.grad is None
        x.grad = L.ones(2)
        assert x.grad.tolist() == [1.0, 1.0]


def test_integer_data_refused_for_a_tensor_that_requires_grad(torch):
    for L in (torch, ndgrad):
        x, plain = L.zeros(2, requires_grad=True), L.zeros(2)
        with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients"):
            x.data = L.ones(3, dtype=L.int64)
        assert x.dtype == L.float32 and x.shape == (2,)
        plain.data = L.ones(3, dtype=L.int64)
        assert plain.dtype == L.int64 and plain.shape == (3,)


# Data a tensor cannot be built from, and the error it gets.
BAD_DATA = [
    ([[1, 2], [3]], ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ([[[1, 2], [3]], [[1, 2], [3, 4]]], ValueError, r"expected sequence of length 2 at dim 2"),
    ([1, [2]], ValueError, "numbers and sequences are mixed at dim 1"),
    ([[1], 2], ValueError, "numbers and sequences are mixed at dim 1"),
    (None, RuntimeError, "Could not infer dtype of NoneType"),
    ([1.0, None], RuntimeError, "Could not infer dtype of NoneType"),
    ({"a": 1}, RuntimeError, "Could not infer dtype of dict"),
    ("abc", TypeError, "could not build a tensor from str 'abc'"),
    ([2 ** 63], ValueError, "Overflow when unpacking long long"),
    (-2 ** 70, ValueError, "Overflow when unpacking long long"),
]


@pytest.mark.parametrize("data, error, message", BAD_DATA, ids=repr)
def test_bad_data_raises(data, error, message):
    with pytest.raises(error, match=message):
        ndgrad.tensor(data)


def test_bad_sizes_raise():
    with pytest.raises(TypeError, match="Tensor\\(data, ...\\) takes sizes only as ints"):
        ndgrad.Tensor([1, 2], 3)
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        ndgrad.Tensor(2, -1)


def test_hash_is_identity():
    a, b = ndgrad.zeros(1), ndgrad.zeros(1)
    assert len({a, b, a}) == 2


NEW_TENSORS = [
    ("new_zeros", lambda x, m: x.new_zeros(2, 3)),
    ("new_zeros_tuple", lambda x, m: x.new_zeros((2, 3))),
    ("new_ones_dtype", lambda x, m: x.new_ones(2, dtype=m.int64)),
    ("new_empty", lambda x, m: x.new_empty(0, 2)),
    ("new_full", lambda x, m: x.new_full((2,), 3)),
    ("new_tensor", lambda x, m: x.new_tensor([1, 2])),
    ("new_zeros_grad", lambda x, m: x.new_zeros(2, requires_grad=True)),
]


@pytest.mark.parametrize("name, make", NEW_TENSORS, ids=[n for n, _ in NEW_TENSORS])
def test_new_tensors_take_dtype_and_device_from_self(name, make, torch):
    ours = make(ndgrad.ones(2, dtype=ndgrad.float64, requires_grad=True), ndgrad)
    theirs = make(torch.ones(2, dtype=torch.float64, requires_grad=True), torch)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert ours.requires_grad == theirs.requires_grad and ours.is_leaf
    if name != "new_empty":
        assert ours.tolist() == theirs.tolist()
