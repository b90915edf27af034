"""In-place ops, version counters and views against torch: values, gradients, errors.

Each scenario is written once as `fn(lib, *leaves) -> scalar` and run on ndgrad and on torch
with the same float64 leaves; values and the gradients of every leaf (and, at order 2, the
gradients of a random projection of those gradients) must agree.
"""
import operator
import re

import numpy as np
import pytest

import ndgrad

TOL = dict(rtol=1e-9, atol=1e-11)
SQ, VEC, MAT = (3, 3), (3,), (3, 4)


def _leaves(lib, shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.uniform(0.5, 2.0, size=s), requires_grad=True) for s in shapes]


def _numpy(t):
    return np.asarray(t.detach().numpy())


def _run(lib, fn, shapes, order=1):
    """The value of fn on fresh leaves and its order-1 or order-2 gradients (None as zeros)."""
    leaves = _leaves(lib, shapes)
    out = fn(lib, *leaves)
    grads = lib.autograd.grad(out, leaves, allow_unused=True, create_graph=order == 2)
    if order == 2:
        rng = np.random.default_rng(1)
        total = sum((g * lib.tensor(rng.standard_normal(tuple(g.shape)))).sum()
                    for g in grads if g is not None)
        if getattr(total, "requires_grad", False):  # else the gradients were constants
            grads = lib.autograd.grad(total, leaves, allow_unused=True)
        else:
            grads = [None] * len(leaves)
    return _numpy(out), [np.zeros(s) if g is None else _numpy(g) for g, s in zip(grads, shapes)]


def _compare(torch, fn, shapes, order=1):
    ours, theirs = _run(ndgrad, fn, shapes, order), _run(torch, fn, shapes, order)
    np.testing.assert_allclose(ours[0], theirs[0], err_msg="value", **TOL)
    for k, (g, h) in enumerate(zip(ours[1], theirs[1])):
        np.testing.assert_allclose(g, h, err_msg=f"order-{order} gradient of leaf {k}", **TOL)


# ---------------------------------------------------------------- each op, chains, operands

def _chain(lib, x, w):
    y = x * 1
    y.mul_(w).add_(w, alpha=2).sub_(x).div_(w + 1).neg_()
    y.pow_(2)
    return (y * x).sum()


def _other_requires_grad(lib, x, w):
    z = lib.zeros(3, dtype=lib.float64)
    z.add_(w)
    z.mul_(x)
    return (z * z).sum()


def _augmented(lib, x, w):
    y = x * 1
    y += w
    y -= 3 * w
    y *= w
    y /= x + 1
    y **= 2
    return y.sum()


def _unary(lib, x, w):
    # exp_, sqrt_, sigmoid_, tanh_, relu_ save their output: nothing may change it afterwards
    y = (x * w).exp_()
    z = (x - 1.2).neg_().abs_().sqrt_()
    r = (w - 1.1).relu_()
    return (y * z).sum() + (r * x).sum() + ((x * 1).sigmoid_() * (w * 1).tanh_()).sum()


def _fills(lib, x, w):
    y = (x * w).zero_().add_(x)
    z = (x * 1).fill_(w[0])
    c = (x * 1).copy_(w * 2)
    m = (x * 1).masked_fill_(x > 1, 0.5) + (x * 1).masked_fill_(x > 1, w[0])
    return (y * z * c * m).sum()


def _index_ops(lib, x, s):
    index = lib.tensor([[0, 1, 2, 0], [1, 2, 0, 1]])
    y = (x * 1).index_add_(0, lib.tensor([0, 2]), s, alpha=2)
    z = (x * 1).scatter_(0, index, s)
    u = (x * 1).scatter_add_(0, lib.tensor([[0, 0, 2, 0], [1, 2, 0, 0]]), s * s)
    v = (x * 1).scatter_(0, index, value=2.0)
    return (y * y).sum() + (z * z * u).sum() + (v * x).sum()


def _setitem(lib, x, w):
    y = x * 1
    y[[0, 2]] = w
    y[y > 1.5] = 0.0
    y[1, 1:3] = w[:2] * 3
    return (y * x).sum()


SCENARIOS = [
    ("mul_", lambda lib, x, w: (x * 1).mul_(w).pow(2).sum(), [VEC, VEC]),
    ("chain", _chain, [VEC, VEC]),
    ("other_requires_grad", _other_requires_grad, [VEC, VEC]),
    ("augmented", _augmented, [VEC, VEC]),
    ("unary", _unary, [VEC, VEC]),
    ("fills", _fills, [VEC, VEC]),
    ("copy_broadcast", lambda lib, x, w: (x * 1).copy_(w).mul(x).sum(), [MAT, (4,)]),
    ("remainder_fmod_atan2_", lambda lib, x, w: (x * 3).remainder_(w).fmod_(0.7).atan2_(w)
     .mul(x).sum(), [VEC, VEC]),
    ("clamp_", lambda lib, x, w: (x * w).clamp_(0.8, 2.0).pow(2).sum(), [VEC, VEC]),
    ("clamp_tensor", lambda lib, x, w: (x * 1).clamp_(min=w * 0.9).mul(x).sum(), [VEC, VEC]),
    ("index_scatter", _index_ops, [MAT, (2, 4)]),
    ("setitem", _setitem, [MAT, (4,)]),
]


# ---------------------------------------------------------------- through views

def _issue_views(lib, x, w, w2):
    y = x * 1
    y[0].mul_(w)
    y[:, 1] += w2
    y.t().add_(1)
    y.diagonal().zero_()
    v = y[1:]
    y.mul_(2)  # the base changes after the view was taken; the view is used after
    return (v * v).sum()


def _view_of_view(lib, x, w):
    y = x * 1
    v = y[1:3]
    u = v[:, 1:3]
    u.diagonal().mul_(w[:2])
    u.t()[0].add_(w[2])
    return (y * y).sum() + (v * u.sum()).sum()


def _view_family(lib, x, w):
    y = x * 1
    y.view(4, 3)[1].mul_(w[0])
    y.reshape(12)[::2].add_(w.sum())
    y.narrow(1, 1, 2).mul_(w[:2])
    y.select(0, 2).add_(w)
    y.view(2, 2, 3).permute(2, 0, 1)[0].mul_(3)
    y[..., None][0, 0].add_(1)
    y.select(1, 3).exp_()  # exp_ saves its output: the last change to y
    return (y * x).sum()


def _setitem_on_view(lib, x, w):
    y = x * w
    v = y.t()
    v[1] = w[:3]
    v[:, 0] *= w[0]
    y[1:].add_(y[:2].clone())  # overlapping source and target: torch wants the clone
    y[:, :2].copy_(y[:, 2:].clone())
    return (y * y).sum()


def _stale_view(lib, x, w):
    # b does not require grad when taken; the change through a gives the base a history
    z = lib.zeros(3, dtype=lib.float64)
    a, b = z[:2], z[1:]
    a.add_(w)
    y = lib.ones(2, dtype=lib.float64)
    y.add_(b)
    return (b * b).sum() + (y * x[0]).sum()


VIEW_SCENARIOS = [
    ("issue", _issue_views, [SQ, VEC, VEC]),
    ("view_of_view", _view_of_view, [(4, 4), VEC]),
    ("view_family", _view_family, [MAT, (4,)]),
    ("setitem_on_view", _setitem_on_view, [MAT, (4,)]),
    ("stale_view_gains_history", _stale_view, [VEC, (2,)]),
]


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("name,fn,shapes", SCENARIOS + VIEW_SCENARIOS,
                         ids=[s[0] for s in SCENARIOS + VIEW_SCENARIOS])
def test_scenario_against_torch(torch, name, fn, shapes, order):
    _compare(torch, fn, shapes, order)


def test_stale_views_and_retained_grads(torch):
    """Views taken before their base changed, as a root and retained; a retained tensor changed
    in place: its .grad is the gradient of its latest value, as in torch."""
    results = []
    for lib in (ndgrad, torch):
        x = lib.tensor(np.arange(1.0, 13.0).reshape(3, 4), requires_grad=True)
        y = x * 1
        v, r = y[1], y[2:]
        y.retain_grad()
        r.retain_grad()
        y.mul_(2)
        assert v.requires_grad and v.grad_fn is not None
        v.backward(lib.ones(4), retain_graph=True)
        (r * r).sum().backward()
        results.append((_numpy(x.grad), _numpy(y.grad), _numpy(r.grad)))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)
    y = ndgrad.ones(2, 3, requires_grad=True) * 1  # ndgrad only: torch 2.13 crashes on this
    v = y[1]
    y.mul_(2)
    seen = []
    v.register_hook(seen.append)
    (v * v).sum().backward()
    np.testing.assert_allclose(_numpy(seen[0]), [4.0, 4.0, 4.0])


# ---------------------------------------------------------------- version counters

def _saved(code):
    """A scenario from one line of code that leaves its output in `out`."""
    def scenario(lib, x, w):
        env = dict(lib=lib, x=x, w=w)
        exec(code, env)
        return env["out"]
    return scenario


# Mul, Div and Pow save operands their backward does not need (torch saves `self` only when
# `other` requires grad, and no result for a scalar exponent), so ndgrad raises here and torch not.
VERSIONS = [
    ("exp_output", "y = x.exp(); y.add_(1); out = y.sum()"),
    ("mul_input", "a = x * 1; b = a * a; a.add_(1); out = b.sum()"),
    ("add_saves_nothing", "a = x * 2; b = a + 1; a.mul_(3); out = (b * w).sum() + a.sum()"),
    ("twice", "y = x * 1; z = y.log(); y.add_(1); y.mul_(2); out = z.sum()"),
    ("tanh_output_kept", "y = x * 1; z = y.tanh(); y.add_(1); out = z.sum()"),
    ("sigmoid_output_changed", "y = x * 1; z = y.sigmoid(); z.mul_(2); out = z.sum()"),
    ("relu_output", "y = x * 1; z = y.relu(); y.add_(1); out = (z * w).sum()"),
    ("log_input", "y = x * 1; z = y.log(); y.add_(1); out = z.sum()"),
    ("pow_input", "y = x * 1; z = y ** 2; y.add_(1); out = z.sum()"),
    ("rpow_exponent", "y = x * 1; z = 2 ** y; y.add_(1); out = z.sum()"),
    ("matmul_input", "y = x * 1; z = y @ w.t(); y.add_(1); out = z.sum()"),
    ("mul_self", "y = x * w; y.mul_(y); out = y.sum()"),
    ("saved_view_base_changed", "y = x * 1; v = y[0]; z = v * w[0]; y.add_(1); out = z.sum()"),
    ("saved_base_view_changed", "y = x * 1; z = y * w; y[0].add_(1); out = z.sum()"),
    ("sibling_view_changed", "y = x * 1; z = y[0] * w[0]; y[1].add_(1); out = z.sum()"),
    ("exp_of_view_view_changed", "y = x * 1; v = y[0]; z = v.exp(); v.add_(1); out = z.sum()"),
    ("exp__on_view_sibling_changed", "y = x * 1; y[1].exp_(); y[0].mul_(2); out = y.sum()"),
    ("exp__on_view_base_used", "y = x * 1; y[1].exp_(); out = (y * w).sum()"),
    ("shared_by_detach", "y = x.exp(); y.detach().add_(1); out = y.sum()"),
    ("not_shared_by_data", "y = x.exp(); y.data.add_(1); out = y.sum()"),
    ("under_no_grad", "y = x.exp()\nwith lib.no_grad(): y.add_(1)\nout = y.sum()"),
    ("setitem", "y = x.exp(); y[0] = 1.0; out = y.sum()"),
    ("leaf_changed_under_no_grad", "z = x * w\nwith lib.no_grad(): w.mul_(2)\nout = z.sum()"),
    ("clone_kept", "y = x * 1; z = y.clone(); y.add_(1); out = (z * w).sum()"),
    ("mul_python_scalar", "y = x * w; z = y * 2; y.add_(1); out = z.sum()"),
    ("div_python_scalar", "y = x * w; z = y / 2; y.add_(1); out = z.sum()"),
    ("mul_constant", "y = x * w; z = y * x.detach(); y.add_(1); out = z.sum()"),
    ("pow_scalar_output", "y = x * 1; y.pow_(2); y.add_(1); out = y.sum()"),
]


@pytest.mark.parametrize("name,code", VERSIONS,
                         ids=[v.values[0] if hasattr(v, "values") else v[0] for v in VERSIONS])
def test_modified_saved_tensor_raises_as_torch(torch, name, code):
    """ndgrad raises (with torch's versions in the message) exactly where torch raises."""
    outcomes = []
    for lib in (ndgrad, torch):
        try:
            outcomes.append(_run(lib, _saved(code), [(2, 3), (2, 3)]))
        except RuntimeError as error:
            message = str(error)
            assert "modified by an inplace operation" in message, message
            outcomes.append(re.search(r"is at version \d+; expected version \d+", message)[0])
    ours, theirs = outcomes
    if isinstance(theirs, str) or isinstance(ours, str):
        assert ours == theirs
        return
    for g, h in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(g, h, **TOL)


def test_version_counter_matches_torch(torch):
    versions = []
    for lib in (ndgrad, torch):
        x = lib.zeros(3, 4)
        v, d = x[1], x.detach()
        seen = [x._version]
        x.add_(1)
        v.mul_(2)
        d[0, 0] = 5.0
        x.t().zero_()
        y = x + 1  # out of place: no bump
        x.data.add_(1)  # .data has a counter of its own
        seen += [x._version, v._version, d._version, y._version, x.data._version]
        versions.append(seen)
    assert versions[0] == versions[1] == [0, 4, 4, 4, 0, 0]


# ---------------------------------------------------------------- leaves and grad mode

@pytest.mark.parametrize("change", [lambda t: t.add_(1), lambda t: t[0].mul_(2),
                                    lambda t: t.t().zero_(), lambda t: t.__setitem__(0, 1.0),
                                    lambda t: operator.iadd(t, 1), lambda t: t.uniform_(),
                                    lambda t: operator.ifloordiv(t, 2),
                                    lambda t: operator.imod(t, 2), lambda t: t.remainder_(2),
                                    lambda t: t.fmod_(2), lambda t: t[1].floor_divide_(2),
                                    lambda t: t.atan2_(t.detach())],
                         ids=["add_", "view_mul_", "view_zero_", "setitem", "iadd", "uniform_",
                              "ifloordiv", "imod", "remainder_", "fmod_", "view_floor_divide_",
                              "atan2_"])
def test_leaf_requiring_grad(torch, change):
    for lib in (ndgrad, torch):
        p = lib.ones(2, 2, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            change(p)
        with lib.no_grad():
            change(p)
        assert p._version == 1 and p.requires_grad and p.is_leaf


def test_optimizer_style_update_keeps_identity():
    p = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    before = id(p)
    with ndgrad.no_grad():
        p -= 0.5 * p.grad
    assert id(p) == before and p.is_leaf and p.requires_grad and p._version == 1
    np.testing.assert_allclose(_numpy(p), [0.0, 0.0])


# ---------------------------------------------------------------- storage shared with views

VIEWS = [
    ("view", lambda t: t.view(4, 3)), ("reshape", lambda t: t.reshape(2, 6)),
    ("slice", lambda t: t[1:, ::2]), ("int_index", lambda t: t[2]),
    ("transpose", lambda t: t.transpose(0, 1)), ("t", lambda t: t.t()),
    ("diagonal", lambda t: t.diagonal()), ("narrow", lambda t: t.narrow(1, 1, 2)),
    ("select", lambda t: t.select(1, 2)), ("unbind", lambda t: t.unbind(0)[1]),
    ("view_of_view", lambda t: t[1:].t()[1:]),
]
COPIES = [("reshape_of_transposed", lambda t: t.t().reshape(12)),
          ("advanced_index", lambda t: t[[0, 2]]), ("bool_mask", lambda t: t[t > 4])]


@pytest.mark.parametrize("name,make", VIEWS + COPIES, ids=[v[0] for v in VIEWS + COPIES])
def test_views_share_storage_as_torch(torch, name, make):
    states = []
    for lib in (ndgrad, torch):
        base = lib.tensor(np.arange(12.0).reshape(3, 4))
        view = make(base)
        view.mul_(10)
        after_view = _numpy(base).copy()
        base.add_(1)
        states.append((after_view, _numpy(view), base._version, view._version))
    for ours, theirs in zip(*states):
        np.testing.assert_array_equal(ours, theirs)


AUGMENTED = [(operator.iadd, "float64"), (operator.isub, "float64"), (operator.imul, "float64"),
             (operator.itruediv, "float64"), (operator.ipow, "float64"),
             (operator.ifloordiv, "float64"), (operator.imod, "float64"),
             (operator.ifloordiv, "int32"), (operator.imod, "int64"), (operator.iand, "int64"),
             (operator.ior, "uint8"), (operator.ixor, "int16")]


@pytest.mark.parametrize("op,dtype", AUGMENTED,
                         ids=["+=", "-=", "*=", "/=", "**=", "//=", "%=", "//=int", "%=int",
                              "&=", "|=", "^="])
def test_augmented_assignment_is_inplace(torch, op, dtype):
    states = []
    for lib in (ndgrad, torch):
        x = lib.tensor([[1, 2], [3, 7]], dtype=getattr(lib, dtype))
        view, before = x[1], id(x)
        result = op(x, 2)
        assert result is x and id(x) == before
        states.append((_numpy(x), _numpy(view), x._version))
    for ours, theirs in zip(*states):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("empty_view", [lambda b: b[:, 3:], lambda b: b[2:],
                                        lambda b: b.narrow(1, 1, 0), lambda b: b[:, 3:].t()],
                         ids=["slice_cols", "slice_rows", "narrow", "slice_then_t"])
def test_in_place_op_on_an_empty_view_joins_the_graph(empty_view, torch):
    """The other operand gets a zero gradient, not None: the empty view is still a view."""
    grads = []
    for lib in (ndgrad, torch):
        x = lib.zeros(2, 3, requires_grad=True)
        u = lib.ones(1, requires_grad=True)
        b = x.clone()
        empty_view(b).mul_(u)
        assert b._version == 1
        b.sum().backward()
        grads.append((_numpy(x.grad), _numpy(u.grad)))
    for ours, theirs in zip(*grads):
        np.testing.assert_array_equal(ours, theirs)


def test_writing_into_expanded_tensor_raises(torch):
    for lib in (ndgrad, torch):
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
            lib.ones(3).expand(2, 3).add_(1)


# ---------------------------------------------------------------- dtypes and shapes

@pytest.mark.parametrize("dtype,other,call", [
    ("int64", 1.5, "add_"), ("int64", 2, "div_"), ("bool", 1, "add_"),
    ("int64", "float32", "mul_"), ("int32", 0.5, "__iadd__"),
])
def test_refused_cast_raises_as_torch(torch, dtype, other, call):
    messages = []
    for lib in (ndgrad, torch):
        t = lib.ones(3, dtype=getattr(lib, dtype))
        operand = lib.ones(3, dtype=getattr(lib, other)) if isinstance(other, str) else other
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type") as e:
            getattr(t, call)(operand)
        messages.append(re.search(r"result type .*", str(e.value))[0])
    assert messages[0] == messages[1]


@pytest.mark.parametrize("dtype,other", [("float32", "float64"), ("int32", "int64"),
                                         ("uint8", "int64"), ("float16", "float32"),
                                         ("float32", "int64"), ("int64", "bool")])
def test_allowed_cast_keeps_dtype(torch, dtype, other):
    results = []
    for lib in (ndgrad, torch):
        t = lib.full((3,), 3, dtype=getattr(lib, dtype))
        t.add_(lib.tensor([1, 0, 1], dtype=getattr(lib, other)))
        t.mul_(2)
        results.append((str(t.dtype).split(".")[-1], _numpy(t).tolist()))
    assert results[0] == results[1]


def test_result_broadcast_past_target_raises(torch):
    for lib in (ndgrad, torch):
        with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match"):
            lib.ones(3).add_(lib.ones(2, 3))


# ---------------------------------------------------------------- random fills

@pytest.mark.parametrize("fill,args", [("uniform_", (2.0, 3.0)), ("normal_", (5.0, 0.5))])
def test_random_fills(torch, fill, args):
    x = ndgrad.zeros(200, 50, dtype=ndgrad.float64)
    row = x[3]
    ndgrad.manual_seed(7)
    assert getattr(x, fill)(*args) is x and x.dtype == ndgrad.float64 and x._version == 1
    data = _numpy(x)
    np.testing.assert_array_equal(_numpy(row), data[3])
    moments = args
    if fill == "uniform_":
        assert args[0] <= data.min() and data.max() < args[1]
        moments = (sum(args) / 2, (args[1] - args[0]) / 12 ** 0.5)
    np.testing.assert_allclose([data.mean(), data.std()], moments, rtol=0.01)
    ndgrad.manual_seed(7)
    again = getattr(ndgrad.zeros(200, 50, dtype=ndgrad.float64), fill)(*args)
    np.testing.assert_array_equal(_numpy(again), data)
    for lib in (ndgrad, torch):  # the overwritten value gets no gradient
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = getattr(w * 2, fill)()
        (y * w).sum().backward()
        np.testing.assert_allclose(_numpy(w.grad), _numpy(y))
