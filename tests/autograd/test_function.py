"""ndgrad.autograd.Function: PyTorch's custom-function API, checked on both libraries.

Each custom function below is written once, against whichever library is passed in, so the
same class body runs as a torch.autograd.Function and as an ndgrad.autograd.Function.
"""
import numpy as np
import pytest

import ndgrad
from tests._oracle import assert_close


def make_functions(lib):
    """The custom functions of this file, subclassing `lib.autograd.Function`."""

    class ScaledExp(lib.autograd.Function):
        """scale * exp(x) * y, with a non-Tensor argument between two Tensors."""

        @staticmethod
        def forward(ctx, x, scale, y):
            ctx.scale = scale
            result = x.exp() * scale
            ctx.save_for_backward(result, y)
            return result * y

        @staticmethod
        def backward(ctx, grad):
            result, y = ctx.saved_tensors
            grad_x = grad * result * y if ctx.needs_input_grad[0] else None
            grad_y = grad * result if ctx.needs_input_grad[2] else None
            return grad_x, None, grad_y

    class Cube(lib.autograd.Function):
        """x ** 3, with a backward made of Tensor ops so that it differentiates again."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    class SinCos(lib.autograd.Function):
        """Two outputs: (sin x, cos x)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            (x,) = ctx.saved_tensors
            return grad_sin * x.cos() - grad_cos * x.sin()

    class MaxWithIndex(lib.autograd.Function):
        """(max over dim 0, its index): the index is marked non-differentiable."""

        @staticmethod
        def forward(ctx, x):
            index = x.argmax(0)
            values = x.amax(0)
            scratch = values * 0
            ctx.mark_non_differentiable(index, scratch)
            ctx.save_for_backward(index)
            ctx.rows = x.shape[0]
            return values, index, scratch

        @staticmethod
        def backward(ctx, grad_values, grad_index, grad_scratch):
            (index,) = ctx.saved_tensors
            rows = lib.arange(ctx.rows).reshape(-1, 1)
            mask = (rows == index.reshape(1, -1)).to(grad_values.dtype)
            return mask * grad_values.reshape(1, -1)

    return {"ScaledExp": ScaledExp, "Cube": Cube, "SinCos": SinCos,
            "MaxWithIndex": MaxWithIndex}


def _pair(torch, array):
    return (ndgrad.tensor(array.copy(), requires_grad=True),
            torch.tensor(array.copy(), requires_grad=True))


def _random(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


# Each case: (test id, function, how to call it on inputs of either library, input shapes).
CASES = [
    ("scaled_exp", "ScaledExp", lambda f, x, y: f.apply(x, 2.5, y), [(3, 4), (3, 4)]),
    ("cube", "Cube", lambda f, x: f.apply(x), [(5,)]),
    ("sin_cos", "SinCos", lambda f, x: sum(o.sum() for o in f.apply(x)), [(2, 3)]),
    ("sin_cos_one_output_used", "SinCos", lambda f, x: f.apply(x)[1] * 2, [(4,)]),
    ("max_with_index", "MaxWithIndex", lambda f, x: f.apply(x)[0] * 3, [(4, 3)]),
]


@pytest.mark.parametrize("name, function, call, shapes", CASES, ids=[c[0] for c in CASES])
def test_custom_function_same_body_on_both_libraries(torch, name, function, call, shapes):
    ours, theirs = make_functions(ndgrad)[function], make_functions(torch)[function]
    pairs = [_pair(torch, _random(s, seed=i)) for i, s in enumerate(shapes)]
    out_ours = call(ours, *[p[0] for p in pairs])
    out_theirs = call(theirs, *[p[1] for p in pairs])
    assert_close(out_ours, out_theirs, "float64", f"{name}: forward")
    seed = _random(tuple(out_theirs.shape), seed=7)
    out_ours.backward(ndgrad.tensor(seed))
    out_theirs.backward(torch.tensor(seed))
    for k, (a, b) in enumerate(pairs):
        assert_close(a.grad, b.grad, "float64", f"{name}: gradient of input {k}")


def test_double_backward_through_custom_function(torch):
    ours, theirs = make_functions(ndgrad)["Cube"], make_functions(torch)["Cube"]
    x, tx = _pair(torch, np.array([0.5, -1.0, 2.0]))
    (g,) = ndgrad.autograd.grad(ours.apply(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(theirs.apply(tx).sum(), tx, create_graph=True)
    assert g.requires_grad
    assert_close(g, tg, "float64", "first derivative 3x^2")
    (gg,) = ndgrad.autograd.grad(g.sum(), x)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    assert_close(gg, tgg, "float64", "second derivative 6x")
    np.testing.assert_allclose(gg.numpy(), 6 * np.array([0.5, -1.0, 2.0]))


def test_needs_input_grad_and_grad_mode_inside_forward(torch):
    def run(lib):
        seen = []

        class Probe(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, k, b):
                seen.append(("forward", lib.is_grad_enabled(), isinstance(a, lib.Tensor)))
                return a * k + b

            @staticmethod
            def backward(ctx, grad):
                seen.append(("backward", tuple(ctx.needs_input_grad)))
                return grad * 2, None, grad

        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2)
        out = Probe.apply(a, 2.0, b)
        assert out.requires_grad and not out.is_leaf
        out.sum().backward()
        return seen, a.grad.tolist()

    assert run(ndgrad) == run(torch)
    assert run(ndgrad)[0] == [("forward", False, True), ("backward", (True, False, False))]


def test_no_input_requires_grad_gives_plain_output(torch):
    for lib in (ndgrad, torch):
        cube = make_functions(lib)["Cube"]
        out = cube.apply(lib.tensor([1.0, 2.0]))
        assert not out.requires_grad and out.grad_fn is None
        assert out.tolist() == [1.0, 8.0]
        with lib.no_grad():
            out = cube.apply(lib.tensor([2.0], requires_grad=True))
        assert not out.requires_grad


def test_forward_reads_ctx_without_graph(torch):
    """Values kept on ctx in forward can be read back there even when nothing is recorded."""
    def run(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.k = k
                ctx.flags = tuple(ctx.needs_input_grad)
                ctx.save_for_backward(x)
                return x * ctx.k

            @staticmethod
            def backward(ctx, grad):
                return grad * ctx.k, None

        x = lib.ones(2, dtype=lib.float64, requires_grad=True)
        with lib.no_grad():
            plain = Scale.apply(x, 2.0).tolist()
        return plain, lib.autograd.gradcheck(lambda t: Scale.apply(t, 3.0), (x,))

    assert run(ndgrad) == run(torch) == ([2.0, 2.0], True)


def test_mark_non_differentiable_outputs(torch):
    for lib in (ndgrad, torch):
        max_with_index = make_functions(lib)["MaxWithIndex"]
        x = lib.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
        values, index, scratch = max_with_index.apply(x)
        assert values.requires_grad
        assert not index.requires_grad and index.tolist() == [1, 0]
        assert not scratch.requires_grad and scratch.grad_fn is None


def test_grad_fn_of_custom_function_is_named_after_the_class():
    cube = make_functions(ndgrad)["Cube"]
    out = cube.apply(ndgrad.tensor([2.0], requires_grad=True))
    assert type(out.grad_fn).__name__ == "Cube"
    assert "CubeBackward" in repr(out.grad_fn)
    assert "grad_fn=<CubeBackward>" in repr(out)


def test_second_backward_through_custom_function_needs_retain_graph():
    cube = make_functions(ndgrad)["Cube"]
    x = ndgrad.tensor([2.0], requires_grad=True)
    y = cube.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_returning_wrong_number_of_gradients_raises():
    class TooFew(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad

    a = ndgrad.ones(2, requires_grad=True)
    b = ndgrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TooFew.apply(a, b).sum().backward()


def test_backward_returning_wrong_shape_raises():
    class BadShape(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    x = ndgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BadShapeBackward.*invalid gradient.*\[3\]"):
        BadShape.apply(x).sum().backward()


def test_forward_returning_an_array_raises():
    class ReturnsArray(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.detach().numpy() * 2

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match="ReturnsArray.forward must return Tensors"):
        ReturnsArray.apply(ndgrad.ones(2, requires_grad=True))


def test_saved_output_of_multi_output_function_survives_when_unused():
    class ExpAndDouble(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            e = x.exp()
            ctx.save_for_backward(e)
            return x * 2, e

        @staticmethod
        def backward(ctx, grad_double, grad_exp):
            (e,) = ctx.saved_tensors
            return grad_double * 2 + grad_exp * e

    x = ndgrad.tensor([0.0, 1.0], requires_grad=True)
    double = ExpAndDouble.apply(x)[0]  # the saved output is dropped at once
    double.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


# A custom function as written for PyTorch; only the import line differs between the runs.
TORCH_SCRIPT = """
class Softplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        ctx.save_for_backward(x)
        ctx.beta = beta
        return (1 + (x * beta).exp()).log() / beta

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (x * ctx.beta).sigmoid(), None


x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
y = Softplus.apply(x, 2.0)
y.sum().backward()
result = (y.detach().numpy(), x.grad.numpy())
"""


def test_torch_script_runs_with_import_ndgrad_as_torch(torch):
    results = []
    for module in ("ndgrad", "torch"):
        namespace = {}
        exec(f"import {module} as torch\n" + TORCH_SCRIPT, namespace)
        results.append(namespace["result"])
    (value, grad), (value_torch, grad_torch) = results
    assert_close(value, value_torch, "float32", "softplus value")
    assert_close(grad, grad_torch, "float32", "softplus gradient")


# ---- ops run with NumPy's floating point warnings off: PyTorch gives inf and nan silently

INF, NAN = float("inf"), float("nan")
SILENT = [
    ("mean_empty", lambda m, x: m.zeros(0).mean() + x.sum()),
    ("mean_empty_dim", lambda m, x: m.zeros(0, 3).mean(0) * x[0]),
    ("std_empty", lambda m, x: m.zeros(0, 3).std(0) + x[0]),
    ("log_outside_domain", lambda m, x: (x - 1).log()),
    ("log2_log10_log1p", lambda m, x: (x - 1).log2() + (x - 1).log10() + (x - 3).log1p()),
    ("sqrt_rsqrt", lambda m, x: (x - 1).sqrt() + (x - 1).rsqrt()),
    ("reciprocal_of_zero", lambda m, x: (x * 0).reciprocal()),
    ("zero_by_zero", lambda m, x: (x * 0) / (x * 0)),
    ("pow", lambda m, x: (x - 1) ** 0.5 + (x * 0) ** -1.0),
    ("exp_overflow", lambda m, x: (x * 1000).exp()),
    ("inf_minus_inf", lambda m, x: (x * INF) - (x * INF)),
    ("asin_acos", lambda m, x: (x + 1).asin() + (x + 1).acos()),
    ("float_remainder_by_zero", lambda m, x: x % 0.0 + m.fmod(x, 0.0) + (x // 0.0).detach()),
    ("cast_overflow", lambda m, x: (x * 1e6).to(m.float16).to(x.dtype)),
    ("cross_entropy_empty", lambda m, x: m.nn.functional.cross_entropy(
        m.zeros(0, 3), m.zeros(0, dtype=m.int64)) + x.sum()),
    ("normalize_zero", lambda m, x: m.nn.functional.normalize((x * 0)[None], dim=1)),
]


@pytest.mark.parametrize("fn", [f for _, f in SILENT], ids=[name for name, _ in SILENT])
def test_ops_and_their_gradients_raise_no_numpy_warning(fn, torch):
    """Under warnings-as-errors, forward and backward give torch's inf and nan, no warning."""
    import warnings
    results = []
    for m in (ndgrad, torch):
        x = m.tensor([0.0, 0.5, 2.0], requires_grad=True)
        with warnings.catch_warnings():
            # torch itself warns about std's degrees of freedom
            warnings.simplefilter("error" if m is ndgrad else "ignore")
            out = fn(m, x)
            out.sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, equal_nan=True)
