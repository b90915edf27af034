"""Legacy tensor types (FloatTensor, LongTensor, ...): constructors, isinstance, type names."""
import numpy as np
import pytest

import ndgrad

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]

# Constructor calls written once for both libraries (`T` is the legacy type, `L` the library).
CALLS = {
    "sizes": lambda T, L: T(2, 3),
    "one size": lambda T, L: T(4),
    "Size": lambda T, L: T(L.Size([2, 2])),
    "tuple is data": lambda T, L: T((2, 2)),
    "list": lambda T, L: T([1, 0, 2]),
    "nested floats": lambda T, L: T([[1.5, 0.0], [2.0, 3.0]]),
    "empty": lambda T, L: T(),
    "numpy int32": lambda T, L: T(np.arange(3, dtype=np.int32)),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("call", CALLS)
def test_constructor_shape_dtype_and_data_match_torch(name, call, torch):
    expected = CALLS[call](getattr(torch, name), torch)
    got = CALLS[call](getattr(ndgrad, name), ndgrad)
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.dtype.name == str(expected.dtype)[6:]
    if call not in ("sizes", "one size", "Size"):  # the others are uninitialised
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("name", NAMES)
def test_isinstance_holds_exactly_for_the_matching_dtype(name, torch):
    for other in NAMES:
        t = getattr(torch, other)([1])
        n = getattr(ndgrad, other)([1])
        assert isinstance(n, getattr(ndgrad, name)) == isinstance(t, getattr(torch, name))
    assert not isinstance(np.zeros(1), getattr(ndgrad, name))
    assert isinstance(getattr(ndgrad, name)([1]), ndgrad.Tensor)


@pytest.mark.parametrize("name", NAMES)
def test_type_names_and_conversions_match_torch(name, torch):
    t, n = torch.zeros(2), ndgrad.zeros(2)
    for spelled in (f"torch.{name}", getattr(torch, name)):
        expected = t.type(spelled)
        got = n.type(spelled if isinstance(spelled, str) else getattr(ndgrad, name))
        assert got.dtype.name == str(expected.dtype)[6:]
        assert got.type() == expected.type().replace("torch.", "ndgrad.")
    assert n.type(f"ndgrad.{name}").type() == f"ndgrad.{name}"


def test_a_tensor_of_the_type_is_returned_and_another_dtype_is_refused():
    x = ndgrad.tensor([1.0, 2.0])
    assert ndgrad.FloatTensor(x) is x
    with pytest.raises(TypeError, match="float32.*int64"):
        ndgrad.FloatTensor(ndgrad.tensor([1, 2]))
    with pytest.raises(TypeError, match="FloatTensor"):
        ndgrad.FloatTensor([1, 2], 3)
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NoSuchTensor")


def test_new_factories_follow_the_tensor(torch):
    for L in (torch, ndgrad):
        x = L.LongTensor([1, 2])
        made = [x.new_zeros(2), x.new_ones((1, 2)), x.new_full((2,), 3), x.new_empty(3),
                x.new_tensor([4, 5])]
        assert [m.dtype for m in made] == [L.int64] * 5
    assert ndgrad.LongTensor([1]).new_tensor([4, 5]).tolist() == [4, 5]
