"""Elementwise ops against torch: values, dtypes, gradients, second derivatives, gradcheck."""
import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, check_against_torch, check_gradcheck

UNARY_SHAPES = [(3, 4), (), (0, 3)]
BINARY_SHAPES = [[(2, 1), (1, 3)], [(), (3,)], [(4, 3), (3,)], [(0, 3), (1, 3)]]


def unary(name, fn, **kwargs):
    return [Spec(f"{name}{list(s)}", fn, shapes=[s], **kwargs) for s in UNARY_SHAPES]


def binary(name, fn, **kwargs):
    return [Spec(f"{name}{s}", fn, shapes=s, **kwargs) for s in BINARY_SHAPES]


SPECS = [
    *binary("add", lambda a, b: a + b),
    *binary("add_alpha", lambda a, b: a.add(b, alpha=2.5)),
    *binary("sub", lambda a, b: a - b),
    *binary("mul", lambda a, b: a * b),
    *binary("div", lambda a, b: a / b, min_abs=0.5),
    *binary("pow", lambda a, b: a ** b, low=0.5, high=2.0),
    *binary("atan2", lambda a, b: a.atan2(b), min_abs=0.3),
    *binary("maximum", lambda a, b: a.maximum(b)),
    *binary("minimum", lambda a, b: a.minimum(b)),
    *binary("remainder", lambda a, b: a % b, min_abs=0.5, gradgrad=False),
    *binary("lerp", lambda a, b: a.lerp(b, 0.3)),
    *binary("hypot", lambda a, b: a.hypot(b), min_abs=0.3),
    *binary("logaddexp", lambda a, b: a.logaddexp(b)),
    *binary("logaddexp2", lambda a, b: a.logaddexp2(b)),
    *unary("radd", lambda a: 2.5 + a),
    *unary("rsub", lambda a: 2.5 - a),
    *unary("rmul", lambda a: 2.5 * a),
    *unary("rdiv", lambda a: 2.5 / a, min_abs=0.5),
    *unary("rpow", lambda a: 2.5 ** a),
    *unary("pow_scalar", lambda a: a ** 3),
    *unary("pow_half", lambda a: a ** 0.5, low=0.5),
    *unary("pow_zero", lambda a: a ** 0),
    *unary("neg", lambda a: -a),
    *unary("abs", lambda a: a.abs(), min_abs=0.1),
    *unary("exp", lambda a: a.exp()),
    *unary("exp2", lambda a: a.exp2()),
    *unary("expm1", lambda a: a.expm1()),
    *unary("log", lambda a: a.log(), low=0.2, high=3.0),
    *unary("log2", lambda a: a.log2(), low=0.2, high=3.0),
    *unary("log10", lambda a: a.log10(), low=0.2, high=3.0),
    *unary("log1p", lambda a: a.log1p(), low=-0.5, high=3.0),
    *unary("sqrt", lambda a: a.sqrt(), low=0.2, high=3.0),
    *unary("rsqrt", lambda a: a.rsqrt(), low=0.2, high=3.0),
    *unary("square", lambda a: a.square()),
    *unary("reciprocal", lambda a: a.reciprocal(), min_abs=0.5),
    *unary("sin", lambda a: a.sin()),
    *unary("cos", lambda a: a.cos()),
    *unary("tan", lambda a: a.tan(), low=-1.2, high=1.2),
    *unary("asin", lambda a: a.asin(), low=-0.9, high=0.9),
    *unary("acos", lambda a: a.acos(), low=-0.9, high=0.9),
    *unary("atan", lambda a: a.atan()),
    *unary("sinh", lambda a: a.sinh()),
    *unary("cosh", lambda a: a.cosh()),
    *unary("tanh", lambda a: a.tanh()),
    *unary("sigmoid", lambda a: a.sigmoid()),
    *unary("relu", lambda a: a.relu(), min_abs=0.1),
    *unary("erf", lambda a: a.erf()),
    *unary("sign", lambda a: a.sign(), min_abs=0.1),
    *unary("floor", lambda a: a.floor()),
    *unary("ceil", lambda a: a.ceil()),
    *unary("round", lambda a: a.round()),
    *unary("trunc", lambda a: a.trunc()),
    *unary("frac", lambda a: a.frac()),
    *unary("clamp", lambda a: a.clamp(-0.5, 0.7)),
    *unary("clamp_min", lambda a: a.clamp(min=-0.5)),
    *unary("clip_max", lambda a: a.clip(max=0.7)),
    *unary("floor_divide", lambda a: a // 0.7, grad=False),  # torch: not differentiable
    Spec("where", lambda a, b: ndgrad_or_torch(a).where(a > 0, a, b), shapes=[(3, 1), (1, 4)]),
    Spec("where_scalar", lambda a: ndgrad_or_torch(a).where(a > 0, a, 0.5), shapes=[(3, 4)]),
    Spec("clamp_tensor", lambda a, b, c: a.clamp(b, c + 1), shapes=[(3, 4), (4,), (3, 1)]),
]


def ndgrad_or_torch(t):
    """The module a tensor belongs to, so one lambda can call module-level functions."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad
    import torch
    return torch


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if "(0," not in s.name and "[0," not in s.name
                                  and s.name.split("[")[0].split("(")[0] not in
                                  ("floor", "ceil", "round", "trunc", "sign", "floor_divide")],
                         ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


# ---- erf: a rational approximation, checked against math.erf far beyond torch's tolerance


@pytest.mark.parametrize("dtype, most_ulps", [("float64", 4), ("float32", 3)])
def test_erf_is_within_a_few_ulp_of_math_erf(dtype, most_ulps):
    import math

    import numpy as np
    tiny = np.finfo(dtype).tiny
    grid = np.concatenate([np.linspace(-12, 12, 200_001), np.geomspace(tiny, 1e-2, 2001),
                           -np.geomspace(tiny, 1e-2, 201), [0.4999999999, 0.5, 9.99, 10.0]])
    grid = grid.astype(dtype)
    expected = np.array([math.erf(v) for v in grid.astype(float)]).astype(dtype)
    got = ndgrad.erf(ndgrad.tensor(grid)).numpy()
    assert got.dtype == dtype
    ulps = np.abs(got.astype(float) - expected) / np.spacing(np.abs(expected))
    assert ulps.max() <= most_ulps


def test_erf_special_values_and_dtypes():
    import numpy as np
    special = ndgrad.tensor([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=ndgrad.float64).erf()
    assert np.isnan(special[0].item())
    assert special[1:3].tolist() == [1.0, -1.0]
    assert np.signbit(special[4].item()) and special[3].item() == 0.0
    for dtype in (ndgrad.float16, ndgrad.float32):
        assert ndgrad.erf(ndgrad.ones(2, dtype=dtype)).dtype == dtype
    assert ndgrad.tensor(0.3).erf().shape == ()


# ---- ops with a floating result convert integer operands straight to float, each from its own
# dtype: never through the other operand's integer dtype, where a 0-d int64 tensor would wrap

FLOAT_RESULT_CASES = [
    ("div_uint8_by_0d", lambda m: m.tensor([2, 3], dtype=m.uint8) / m.tensor(-3)),
    ("div_int32_by_big_0d", lambda m: m.tensor([1], dtype=m.int32) / m.tensor(2**40)),
    ("div_by_big_scalar", lambda m: m.tensor([1, 2], dtype=m.int16) / 2**40),
    ("true_divide", lambda m: m.true_divide(m.tensor([2, 3], dtype=m.int8), m.tensor(-300))),
    ("div_bools", lambda m: m.tensor([True, False]) / m.tensor(True)),
    ("div_floor", lambda m: m.tensor([2, 3], dtype=m.uint8).div(m.tensor(-3),
                                                               rounding_mode="floor")),
    ("div_trunc", lambda m: m.tensor([7, -7], dtype=m.int8).div(m.tensor(-300),
                                                               rounding_mode="trunc")),
    ("atan2", lambda m: m.atan2(m.tensor([2, 3], dtype=m.uint8), m.tensor(-3))),
    ("float_power", lambda m: m.float_power(m.tensor([2, 3], dtype=m.uint8), m.tensor(-3))),
    ("float_power_float32", lambda m: m.float_power(m.tensor([2.0, 3.0]), 2)),
    ("rdiv_0d", lambda m: m.tensor(-3) / m.tensor([2, 3], dtype=m.uint8)),
]


@pytest.mark.parametrize("fn", [f for _, f in FLOAT_RESULT_CASES],
                         ids=[name for name, _ in FLOAT_RESULT_CASES])
def test_floating_result_from_integer_operands_matches_torch(fn, torch):
    ours, theirs = fn(ndgrad), fn(torch)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


# ---- clamp with tensor bounds at ties and crossed bounds: x takes the gradient at a tie, high
# takes it wherever low > high, low only where low < high (PyTorch's rule)

CLAMP_TIES = [
    ("min_ties", [0.5, 0.2, 0.9], [0.5, 0.5, 0.5], None),
    ("max_ties", [0.5, 0.2, 0.9], None, [0.5, 0.5, 0.5]),
    ("both_ties", [0.5, 0.2, 0.9, 0.7, 0.3], [0.5, 0.5, 0.5, 0.7, 0.3], [0.7, 0.7, 0.7, 0.7, 0.3]),
    ("crossed_bounds", [0.5, 1.0, 0.0, 0.6], [0.8, 0.8, 0.8, 0.6], [0.6, 0.6, 0.6, 0.5]),
    ("broadcast_bounds", [[0.5, 0.1], [0.7, 0.9]], [0.5], [[0.7], [0.6]]),
]


@pytest.mark.parametrize("x, low, high", [case[1:] for case in CLAMP_TIES],
                         ids=[case[0] for case in CLAMP_TIES])
def test_clamp_tensor_bounds_gradient_at_ties_matches_torch(x, low, high, torch):
    results = []
    for lib in (ndgrad, torch):
        leaves = [None if v is None else lib.tensor(v, requires_grad=True) for v in (x, low, high)]
        out = lib.clamp(leaves[0], min=leaves[1], max=leaves[2])
        (out * lib.tensor(np.arange(1.0, out.numel() + 1).reshape(tuple(out.shape)))).sum()\
            .backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in leaves if t is not None])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


# ---- found by tests/properties/test_promotion.py: alpha is a weak scalar (a bool sum stays
# bool), bool operands of subtraction are refused, a bool tensor to a bool's power stays bool

BOOL_AND_ALPHA_CASES = [
    ("add_bool_alpha", lambda m: m.add(m.tensor([True, False]), True, alpha=2)),
    ("add_bool_alpha_zero", lambda m: m.add(m.tensor([True, False]), m.tensor(True), alpha=0)),
    ("add_int8_alpha", lambda m: m.add(m.tensor([1, 2], dtype=m.int8), m.tensor(3), alpha=2)),
    ("sub_float_alpha", lambda m: m.sub(m.tensor([1.0, 2.0]), 3, alpha=2)),
    ("pow_bool_false", lambda m: m.tensor([True, False]) ** False),
    ("pow_bool_true", lambda m: m.tensor([True, False]) ** True),
    ("fmod_bool_by_int", lambda m: m.fmod(m.tensor([True, False]), m.tensor([2, 3]))),
    ("clamp_bool_by_bool_tensor", lambda m: m.tensor([True, False]).clamp(min=m.tensor(True))),
]


@pytest.mark.parametrize("fn", [f for _, f in BOOL_AND_ALPHA_CASES],
                         ids=[name for name, _ in BOOL_AND_ALPHA_CASES])
def test_bool_operands_and_alpha_match_torch(fn, torch):
    ours, theirs = fn(ndgrad), fn(torch)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


REFUSED_BOOL_AND_ALPHA_CASES = [
    ("float_minus_bool", lambda m: m.tensor([1.0]) - True),
    ("bool_minus_float", lambda m: True - m.tensor([1.0])),
    ("int_minus_bool_tensor", lambda m: m.tensor([1, 2]) - m.tensor([True, False])),
    ("float_alpha_for_int", lambda m: m.add(m.tensor([1, 2]), 1, alpha=1.5)),
    ("bool_alpha_for_float", lambda m: m.add(m.tensor([1.0]), 1, alpha=True)),
    ("floor_divide_bools", lambda m: m.tensor([True]) // m.tensor([True])),
    ("div_trunc_bools", lambda m: m.div(m.tensor([True]), True, rounding_mode="trunc")),
    ("remainder_bools", lambda m: m.tensor([True]) % True),
    ("fmod_bools", lambda m: m.fmod(m.tensor([True]), True)),
    ("pow_bool_tensors", lambda m: m.tensor([True]) ** m.tensor(True)),
    ("clamp_bool_by_bool", lambda m: m.tensor([True]).clamp(max=True)),
]


@pytest.mark.parametrize("fn", [f for _, f in REFUSED_BOOL_AND_ALPHA_CASES],
                         ids=[name for name, _ in REFUSED_BOOL_AND_ALPHA_CASES])
def test_bool_operands_and_alpha_refused_as_in_torch(fn, torch):
    with pytest.raises(RuntimeError):  # torch: RuntimeError or its NotImplementedError
        fn(torch)
    with pytest.raises(RuntimeError):
        fn(ndgrad)


INTEGER_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "bool"]
POWERS = [("pow_int", lambda m, a: a ** 2), ("pow_float", lambda m, a: a ** 2.5),
          ("pow_0d", lambda m, a: a ** m.tensor(3)), ("pow_bool", lambda m, a: a ** True),
          ("pow_int64_tensor", lambda m, a: a ** m.tensor([2, 3])), ("rpow", lambda m, a: 2 ** a),
          ("square", lambda m, a: m.square(a))]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("fn", [f for _, f in POWERS], ids=[name for name, _ in POWERS])
def test_integer_powers_keep_torch_dtype(fn, dtype, torch):
    """An integer base keeps its dtype under a Python or 0-d integer exponent (no int64)."""
    ours, theirs = (fn(m, m.tensor([1, 2] if dtype != "bool" else [True, False],
                                   dtype=getattr(m, dtype))) for m in (ndgrad, torch))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


ZERO_DIVISIONS = [
    ("floor_divide", lambda m, a: a // m.tensor([0, 1])),
    ("remainder", lambda m, a: a % m.tensor([1, 0])),
    ("remainder_scalar", lambda m, a: a % 0),
    ("floor_divide_0d", lambda m, a: m.floor_divide(a, m.tensor(0))),
    ("fmod", lambda m, a: m.fmod(a, 0)),
    ("div_trunc", lambda m, a: a.div(m.tensor([0, 1]), rounding_mode="trunc")),
    ("div_floor_uint8", lambda m, a: a.to(m.uint8).div(0, rounding_mode="floor")),
    ("ifloordiv", lambda m, a: a.__ifloordiv__(0)),
    ("imod", lambda m, a: a.__imod__(m.tensor([0, 0]))),
]


@pytest.mark.parametrize("fn", [f for _, f in ZERO_DIVISIONS],
                         ids=[name for name, _ in ZERO_DIVISIONS])
def test_integer_division_by_zero_raises_as_torch(fn, torch):
    for m in (ndgrad, torch):
        a = m.tensor([7, -7])
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(m, a)
        assert a.tolist() == [7, -7]


def test_integer_division_rounds_exactly_and_empty_division_by_zero_is_empty(torch):
    for m in (ndgrad, torch):
        big = m.tensor([7, -7, 2**62 + 1, -9, 9])
        assert big.div(m.tensor([2, 2, 1, -4, -4]), rounding_mode="trunc").tolist() == \
            [3, -3, 2**62 + 1, 2, -2]
        assert m.zeros(0, dtype=m.int64).floor_divide(0).shape == (0,)


def test_atan2_gradient_at_the_origin_is_zero(torch):
    grads = []
    for lib in (ndgrad, torch):
        a = lib.tensor([0.0, 0.0, 1.0], requires_grad=True)
        b = lib.tensor([0.0, 2.0, 0.0], requires_grad=True)
        lib.atan2(a, b).sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_array_equal(ours, theirs)


# ---- found by tests/properties/test_unary.py: no bool kernels for abs, relu and rounding, no
# integer ones for frac or for rounding to decimals

REFUSED_UNARY = [
    ("abs_bool", lambda m: m.abs(m.tensor([True, False]))),
    ("relu_bool", lambda m: m.relu(m.tensor([True, False]))),
    ("floor_bool", lambda m: m.floor(m.tensor([True]))),
    ("ceil_bool", lambda m: m.tensor([True]).ceil()),
    ("trunc_bool", lambda m: m.trunc(m.tensor([True]))),
    ("round_bool", lambda m: m.round(m.tensor([False]))),
    ("frac_int", lambda m: m.frac(m.tensor([1, 2]))),
    ("round_decimals_int", lambda m: m.round(m.tensor([15, 2]), decimals=1)),
]


@pytest.mark.parametrize("fn", [f for _, f in REFUSED_UNARY],
                         ids=[name for name, _ in REFUSED_UNARY])
def test_unary_ops_refuse_dtypes_torch_has_no_kernel_for(fn, torch):
    with pytest.raises(RuntimeError):  # torch: its NotImplementedError
        fn(torch)
    with pytest.raises(RuntimeError):
        fn(ndgrad)


def test_rounding_integers_to_whole_numbers_keeps_them(torch):
    for fn in (lambda m: m.round(m.tensor([15, -2])), lambda m: m.floor(m.tensor([3, -1]))):
        ours, theirs = fn(ndgrad), fn(torch)
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- found by tests/properties/test_promotion.py (three operands): lerp's dtype rules, clamp
# of bool tensors

LERP_CASES = [
    ("float32", lambda m: m.lerp(m.tensor([1.0, 2.0]), m.tensor([3.0, -1.0]), 0.25)),
    ("uint8_with_0d_float_weight", lambda m: m.lerp(m.tensor([0, 200], dtype=m.uint8),
                                                   m.tensor([10, 5], dtype=m.uint8),
                                                   m.tensor(0.5, dtype=m.float64))),
    ("0d_weight_of_other_float", lambda m: m.lerp(m.tensor([1.0]), m.tensor([3.0]),
                                                 m.tensor(0.5, dtype=m.float64))),
]


@pytest.mark.parametrize("fn", [f for _, f in LERP_CASES], ids=[name for name, _ in LERP_CASES])
def test_lerp_matches_torch(fn, torch):
    ours, theirs = fn(ndgrad), fn(torch)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


REFUSED_LERP_AND_CLAMP = [
    ("lerp_end_of_other_dtype", lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float64), 0.5)),
    ("lerp_weight_of_other_dtype", lambda m: m.lerp(m.ones(2), m.ones(2), m.ones(2).int())),
    ("lerp_integers", lambda m: m.lerp(m.ones(2).long(), m.ones(2).long(), 0.5)),
    ("clamp_bool_by_two_bool_tensors",
     lambda m: m.tensor([True]).clamp(m.tensor(False), m.tensor(True))),
]


@pytest.mark.parametrize("fn", [f for _, f in REFUSED_LERP_AND_CLAMP],
                         ids=[name for name, _ in REFUSED_LERP_AND_CLAMP])
def test_lerp_and_clamp_refused_as_in_torch(fn, torch):
    with pytest.raises(RuntimeError):  # torch: RuntimeError or its NotImplementedError
        fn(torch)
    with pytest.raises(RuntimeError):
        fn(ndgrad)


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "logaddexp2"])
def test_stable_binary_ops_do_not_overflow_and_refuse_integers(name, torch):
    big = [1e30, -1e30, 80.0, 0.5]
    ours = getattr(ndgrad, name)(ndgrad.tensor(big), ndgrad.tensor(big[::-1]))
    theirs = getattr(torch, name)(torch.tensor(big), torch.tensor(big[::-1]))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    for lib in (torch, ndgrad):
        with pytest.raises(RuntimeError, match="not implemented"):
            getattr(lib, name)(lib.tensor([1, 2]), lib.tensor([3, 4]))
