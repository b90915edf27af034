"""repr(tensor) in PyTorch's format, compared character for character with torch's."""
import re

import numpy as np
import pytest

import ndgrad

# Tensors to print, written once for both libraries (`L` is ndgrad or torch).
CASES = {
    "ints": lambda L: L.tensor([1, 2, 3]),
    "ints of mixed width": lambda L: L.tensor([[1, 2], [30, -4]]),
    "integral floats": lambda L: L.tensor([1.0, 2.0]),
    "integral floats negative": lambda L: L.tensor([-1.0, 20.0]),
    "non-integral floats": lambda L: L.tensor([1.5, 2.25, 3.0]),
    "non-integral negative": lambda L: L.tensor([-1.5, 2.25, 1 / 3]),
    "2-d": lambda L: L.tensor([[1.5, 2.0], [3.0, -4.25]]),
    "3-d": lambda L: L.arange(8.0).reshape(2, 2, 2) / 3,
    "3-d ints": lambda L: L.arange(12).reshape(2, 3, 2),
    "4-d": lambda L: L.arange(16.0).reshape(2, 2, 2, 2) - 7.5,
    "single element 2-d": lambda L: L.tensor([[5.0]]),
    "scalar int": lambda L: L.tensor(3),
    "scalar float": lambda L: L.tensor(3.5),
    "scalar integral float": lambda L: L.tensor(3.0),
    "scalar negative": lambda L: L.tensor(-0.25),
    "bool": lambda L: L.tensor([True, False]),
    "bool scalar": lambda L: L.tensor(True),
    "bool 2-d": lambda L: L.tensor([[True, False], [False, True]]),
    "zeros": lambda L: L.zeros(3),
    "negative zero": lambda L: L.tensor([-0.0, 1.0]),
    "float64": lambda L: L.tensor([1.5, 2.0], dtype=L.float64),
    "float64 scalar": lambda L: L.tensor(1.5, dtype=L.float64),
    "float64 precision": lambda L: L.tensor([1 / 3, 2 / 3], dtype=L.float64),
    "float16": lambda L: L.tensor([1.5, 2.0], dtype=L.float16),
    "float16 large": lambda L: L.tensor([60000.0, 1.0], dtype=L.float16),
    "int32": lambda L: L.tensor([1, 2], dtype=L.int32),
    "int8 negative": lambda L: L.tensor([-1, 2], dtype=L.int8),
    "uint8": lambda L: L.tensor([1, 255], dtype=L.uint8),
    "requires_grad": lambda L: L.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad scalar": lambda L: L.tensor(1.5, requires_grad=True),
    "requires_grad float64": lambda L: L.tensor([1.0], dtype=L.float64, requires_grad=True),
    "grad_fn": lambda L: L.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn float64": lambda L: L.tensor([1.0], dtype=L.float64, requires_grad=True) * 2,
    "empty": lambda L: L.tensor([]),
    "empty 2-d": lambda L: L.zeros(0, 3),
    "empty trailing zero": lambda L: L.zeros(3, 0),
    "empty int64": lambda L: L.zeros(0, dtype=L.int64),
    "empty int64 2-d": lambda L: L.zeros(2, 0, dtype=L.int64),
    "empty bool": lambda L: L.zeros(0, dtype=L.bool),
    "empty float64": lambda L: L.zeros(0, 2, dtype=L.float64),
    "empty int32 3-d": lambda L: L.zeros(2, 0, 3, dtype=L.int32),
    "empty requires_grad": lambda L: L.zeros(0, requires_grad=True),
    "summarised 1-d": lambda L: L.arange(2000.0),
    "summarised ints": lambda L: L.arange(2000),
    "summarised 2-d": lambda L: L.arange(2000.0).reshape(40, 50),
    "summarised 2-d ints": lambda L: L.arange(4000).reshape(100, 40),
    "summarised 3-d": lambda L: L.arange(3000.0).reshape(10, 10, 30) / 7,
    "summarised wide rows": lambda L: L.arange(3000).reshape(3, 1000),
    "summarised bool": lambda L: L.arange(2000) % 3 == 0,
    "threshold not reached": lambda L: L.arange(1000),
    "threshold passed": lambda L: L.arange(1001.0),
    "scientific large": lambda L: L.tensor([1e10, 1.0]),
    "scientific small": lambda L: L.tensor([1e-5, 1.0]),
    "scientific by ratio": lambda L: L.tensor([0.001, 10.5]),
    "fixed below ratio": lambda L: L.tensor([0.01, 5.5]),
    "scientific integral floats": lambda L: L.tensor([1e7, 2.0]),
    "scientific 1e8 integral": lambda L: L.tensor([1e8, 2.0]),
    "scientific integral by ratio": lambda L: L.tensor([123456.0, 1.0]),
    "scientific scalar small": lambda L: L.tensor(1e-5),
    "scientific scalar large": lambda L: L.tensor(1.5e10),
    "scientific float16": lambda L: L.tensor([1e-5, 1.0], dtype=L.float16),
    "big ints": lambda L: L.tensor([10 ** 12, 2]),
    "nan and inf": lambda L: L.tensor([float("nan"), float("inf"), 1.5]),
    "nan and inf integral": lambda L: L.tensor([float("nan"), float("-inf"), 1.0]),
    "only nan": lambda L: L.tensor([float("nan")]),
    "wrapped row": lambda L: L.arange(30.0) / 7,
    "wrapped row ints": lambda L: L.arange(40),
    "wrapped 2-d": lambda L: (L.arange(40.0) / 7).reshape(2, 20),
    "wrapped with dtype suffix": lambda L: L.arange(30.0, dtype=L.float64) / 7,
    "suffix on a new line": lambda L: (L.arange(11.0, dtype=L.float64) / 7).requires_grad_(),
    "grad_fn after wrap": lambda L: (L.arange(10.0, requires_grad=True) / 7) * 3,
    "random normal": lambda L: L.tensor(np.random.default_rng(0).standard_normal((3, 4))
                                        .astype(np.float32)),
}


def _torch_repr(t) -> str:
    # torch numbers its backward nodes (MulBackward0); ndgrad does not.
    return re.sub(r"(Backward)\d+", r"\1", repr(t).replace("torch.", "ndgrad."))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_repr_matches_torch(case, torch):
    assert repr(CASES[case](ndgrad)) == _torch_repr(CASES[case](torch))


@pytest.mark.parametrize("case", ["integral floats", "float64", "float16", "empty",
                                  "empty float64", "non-integral floats"])
def test_repr_matches_torch_with_float64_default(case, torch):
    torch.set_default_dtype(torch.float64)
    ndgrad.set_default_dtype(ndgrad.float64)
    try:
        expected = _torch_repr(CASES[case](torch))
    finally:
        torch.set_default_dtype(torch.float32)
    assert repr(CASES[case](ndgrad)) == expected


def test_str_is_repr():
    t = ndgrad.tensor([[1.5, 2.0]], requires_grad=True)
    assert str(t) == repr(t) == "tensor([[1.5000, 2.0000]], requires_grad=True)"
    assert f"{t}" == repr(t)


def test_repr_of_a_view_shows_its_own_values():
    t = ndgrad.arange(12.0).reshape(3, 4)
    assert repr(t[1]) == "tensor([4., 5., 6., 7.])"
    assert repr(t.T[0]) == "tensor([0., 4., 8.])"
