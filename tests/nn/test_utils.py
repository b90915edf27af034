"""nn.utils against torch: gradient clipping by norm and by value, and flattening parameters
to a vector and back."""
import math
from dataclasses import dataclass

import numpy as np
import pytest

import ndgrad

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]
RTOL = {"float32": 1e-6, "float64": 1e-12}


def _parameters(lib, dtype: str, with_grads: bool = True, scale: float = 1.0) -> list:
    """Leaf parameters of SHAPES; all but the third get a gradient."""
    rng = np.random.default_rng(5)
    params = []
    for i, shape in enumerate(SHAPES):
        p = lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
        grad = (scale * rng.standard_normal(shape)).astype(dtype)
        if with_grads and i != 2:
            p.grad = lib.tensor(grad)
        params.append(p)
    return params


def _grads(params) -> list:
    return [None if p.grad is None else np.array(p.grad.numpy()) for p in params]


def _assert_grads_close(ours, theirs, rtol: float) -> None:
    for mine, other in zip(_grads(ours), _grads(theirs)):
        if other is None:
            assert mine is None
        else:
            np.testing.assert_allclose(mine, other, rtol=rtol, atol=rtol, equal_nan=True)


@dataclass
class ClipCase:
    max_norm: float
    norm_type: float
    dtype: str = "float32"
    scale: float = 1.0

    @property
    def id(self) -> str:
        return f"max={self.max_norm}-p={self.norm_type}-{self.dtype}-scale={self.scale}"


CLIP_CASES = [
    ClipCase(1.0, 2.0),
    ClipCase(1.0, 2.0, "float64"),
    ClipCase(100.0, 2.0, "float64"),  # under the limit: gradients unchanged
    ClipCase(0.5, 1.0, "float64"),
    ClipCase(0.5, math.inf),
    ClipCase(0.5, math.inf, "float64"),
    ClipCase(2.0, 3.5, "float64"),
    ClipCase(0.1, 0.5, "float64"),
    ClipCase(1.0, 2, "float32", scale=1e-4),
    ClipCase(1.0, "inf", "float64", scale=10.0),
]


@pytest.mark.parametrize("case", CLIP_CASES, ids=lambda c: c.id)
def test_clip_grad_norm_matches_torch(case, torch):
    ours, theirs = _parameters(ndgrad, case.dtype, scale=case.scale), \
        _parameters(torch, case.dtype, scale=case.scale)
    grads = [p.grad for p in ours]
    total = ndgrad.nn.utils.clip_grad_norm_(ours, case.max_norm, case.norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, case.max_norm, case.norm_type)
    assert isinstance(total, ndgrad.Tensor) and total.shape == ()
    assert str(total.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    np.testing.assert_allclose(total.item(), expected.item(), rtol=RTOL[case.dtype])
    _assert_grads_close(ours, theirs, RTOL[case.dtype])
    assert all(p.grad is g for p, g in zip(ours, grads))  # clipped in place


def test_clip_grad_norm_reaches_max_norm():
    params = _parameters(ndgrad, "float64", scale=5.0)
    before = ndgrad.nn.utils.clip_grad_norm_(params, 1.0).item()
    after = ndgrad.nn.utils.clip_grad_norm_(params, 1.0).item()
    assert before > 1.0
    assert math.isclose(after, 1.0, rel_tol=1e-5)


def test_clip_grad_norm_accepts_one_tensor_and_generators(torch):
    ours, theirs = _parameters(ndgrad, "float64"), _parameters(torch, "float64")
    total = ndgrad.nn.utils.clip_grad_norm_(ours[0], 0.3)
    expected = torch.nn.utils.clip_grad_norm_(theirs[0], 0.3)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    total = ndgrad.nn.utils.clip_grad_norm_((p for p in ours), 0.2, norm_type=1)
    expected = torch.nn.utils.clip_grad_norm_((p for p in theirs), 0.2, norm_type=1)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    _assert_grads_close(ours, theirs, 1e-12)


def test_clip_grad_norm_mixed_dtypes_promote(torch):
    results = {}
    for lib in (ndgrad, torch):
        a = lib.tensor(np.ones(3, dtype="float32"), requires_grad=True)
        b = lib.tensor(np.full(2, 2.0), requires_grad=True)
        a.grad, b.grad = lib.ones(3), lib.tensor(np.full(2, 2.0))
        total = lib.nn.utils.clip_grad_norm_([a, b], 1.0)
        results[lib.__name__] = (str(total.dtype).split(".")[-1], total.item(),
                                 str(a.grad.dtype).split(".")[-1])
    assert results["ndgrad"][0] == results["torch"][0] == "float64"
    assert results["ndgrad"][2] == results["torch"][2] == "float32"
    assert math.isclose(results["ndgrad"][1], results["torch"][1], rel_tol=1e-12)


def test_clip_grad_norm_without_gradients(torch):
    params = _parameters(ndgrad, "float64", with_grads=False)
    total = ndgrad.nn.utils.clip_grad_norm_(params, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(_parameters(torch, "float64", False), 1.0)
    assert total.item() == expected.item() == 0.0
    assert total.dtype == ndgrad.float32 and expected.dtype == torch.float32
    assert all(p.grad is None for p in params)
    with pytest.warns(UserWarning, match="empty generator"):
        ndgrad.nn.utils.clip_grad_norm_((p for p in []), 1.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's warnings for inf * 0 and nan
@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_grad_norm_nonfinite(bad, norm_type, torch):
    ours, theirs = _parameters(ndgrad, "float64"), _parameters(torch, "float64")
    for params in (ours, theirs):
        params[0].grad.numpy()[1, 2] = bad
    for lib, params in ((ndgrad, ours), (torch, theirs)):
        with pytest.raises(RuntimeError, match="non-finite"):
            lib.nn.utils.clip_grad_norm_(params, 1.0, norm_type, error_if_nonfinite=True)
    _assert_grads_close(ours, theirs, 1e-12)  # nothing clipped when it raises
    total = ndgrad.nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    np.testing.assert_equal(total.item(), expected.item())
    _assert_grads_close(ours, theirs, 1e-12)


def test_get_total_norm_and_clip_grads_with_norm(torch):
    ours, theirs = _parameters(ndgrad, "float64"), _parameters(torch, "float64")
    total = ndgrad.nn.utils.get_total_norm([p.grad for p in ours if p.grad is not None], 3.0)
    expected = torch.nn.utils.get_total_norm([p.grad for p in theirs if p.grad is not None], 3.0)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    ndgrad.nn.utils.clip_grads_with_norm_(ours, 0.5, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.5, expected)
    _assert_grads_close(ours, theirs, 1e-12)


def test_clip_grad_norm_deprecated_alias():
    params = _parameters(ndgrad, "float64")
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        ndgrad.nn.utils.clip_grad_norm(params, 1.0)


@pytest.mark.parametrize("clip_value", [0.5, 1, 0.0, 10.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_value_matches_torch(clip_value, dtype, torch):
    ours, theirs = _parameters(ndgrad, dtype), _parameters(torch, dtype)
    grads = [p.grad for p in ours]
    assert ndgrad.nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _assert_grads_close(ours, theirs, 0.0)
    assert all(p.grad is g for p, g in zip(ours, grads))
    ndgrad.nn.utils.clip_grad_value_(ours[0], 0.1)
    torch.nn.utils.clip_grad_value_(theirs[0], 0.1)
    _assert_grads_close(ours, theirs, 0.0)


def test_parameters_to_vector_matches_torch_and_is_differentiable(torch):
    results = {}
    for lib in (ndgrad, torch):
        params = _parameters(lib, "float64", with_grads=False)
        vec = lib.nn.utils.parameters_to_vector(params)
        weights = lib.tensor(np.arange(vec.numel(), dtype="float64"))
        (vec * weights).sum().backward()
        results[lib.__name__] = (vec.detach().numpy(), tuple(vec.shape), _grads(params))
    np.testing.assert_array_equal(results["ndgrad"][0], results["torch"][0])
    assert results["ndgrad"][1] == results["torch"][1] == (sum(math.prod(s) for s in SHAPES),)
    for mine, other in zip(results["ndgrad"][2], results["torch"][2]):
        np.testing.assert_array_equal(mine, other)


def test_vector_to_parameters_matches_torch(torch):
    results = {}
    for lib in (ndgrad, torch):
        params = _parameters(lib, "float64", with_grads=False)
        total = sum(p.numel() for p in params)
        vec = lib.tensor(np.linspace(-1.0, 1.0, total))
        lib.nn.utils.vector_to_parameters(vec, params)
        values = [np.array(p.detach().numpy()) for p in params]
        vec.numpy()[0] = 42.0  # the parameters now view the vector, in both libraries
        results[lib.__name__] = values + [params[0].detach().numpy()[0, 0]]
        assert [tuple(p.shape) for p in params] == SHAPES
        assert all(p.requires_grad for p in params)
    for mine, other in zip(results["ndgrad"], results["torch"]):
        np.testing.assert_array_equal(mine, other)
    round_trip = ndgrad.nn.utils.parameters_to_vector(_parameters(ndgrad, "float64"))
    params = _parameters(ndgrad, "float64")
    ndgrad.nn.utils.vector_to_parameters(round_trip * 2, params)
    np.testing.assert_array_equal(ndgrad.nn.utils.parameters_to_vector(params).detach().numpy(),
                                  2 * round_trip.detach().numpy())


def test_vector_to_parameters_wants_a_tensor(torch):
    for lib in (ndgrad, torch):
        with pytest.raises(TypeError, match="expected"):
            lib.nn.utils.vector_to_parameters(np.zeros(3), [lib.zeros(3, requires_grad=True)])
