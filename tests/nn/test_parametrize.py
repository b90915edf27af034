"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal) and
the older hook-based weight_norm / spectral_norm against PyTorch: state_dict keys, values
after loading PyTorch's state, gradients of the originals, assignment, removal, caching."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad import nn

TOL = dict(rtol=1e-7, atol=1e-9)


def pair(torch, build):
    """`build(lib)` in both libraries in float64 (built so, not converted: an orthogonal base
    made in float32 is orthogonal only to float32), ndgrad's holding torch's state."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    ndgrad.set_default_dtype(ndgrad.float64)  # the autouse fixture restores float32
    try:
        theirs, ours = build(torch), build(ndgrad)
    finally:
        torch.set_default_dtype(previous)
    ours.load_state_dict({k: ndgrad.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return theirs, ours


def assert_same(ours, theirs, what=""):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL,
                               err_msg=what)


def check_forward_and_grads(torch, theirs, ours, shape, steps: int = 2):
    """Equal outputs and parameter gradients over a few forward/backward calls (a spectral
    norm updates its vectors on each training forward)."""
    x = np.random.default_rng(0).standard_normal(shape)
    for _ in range(steps):
        outputs = []
        for lib, module in ((torch, theirs), (ndgrad, ours)):
            module.zero_grad()
            y = module(lib.tensor(x))
            (y * y).sum().backward()
            outputs.append(y)
        assert_same(outputs[1], outputs[0], "output")
    theirs_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(theirs_params)
    for name, p in ours.named_parameters():
        assert_same(p.grad, theirs_params[name].grad, name)
    theirs_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(theirs_state)
    for key, value in ours.state_dict().items():
        assert_same(value, theirs_state[key], key)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm(dim, torch):
    def build(lib):
        layer = lib.nn.Conv2d(3, 4, 2)
        return lib.nn.utils.parametrizations.weight_norm(layer, dim=dim)
    theirs, ours = pair(torch, build)
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedConv2d"
    check_forward_and_grads(torch, theirs, ours, (2, 3, 5, 5))


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.nn.Linear(5, 4), (3, 5)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    (lambda lib: lib.nn.ConvTranspose2d(2, 3, 2), (2, 2, 3, 3)),
], ids=["linear", "conv", "conv_transpose"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_spectral_norm(make, shape, training, torch):
    def build(lib):
        return lib.nn.utils.parametrizations.spectral_norm(make(lib), n_power_iterations=2)
    theirs, ours = pair(torch, build)
    theirs.train(training)
    ours.train(training)
    check_forward_and_grads(torch, theirs, ours, shape)


def test_spectral_norm_divides_by_the_largest_singular_value():
    layer = nn.utils.parametrizations.spectral_norm(nn.Linear(6, 4, dtype=ndgrad.float64))
    for _ in range(30):
        layer(ndgrad.zeros(1, 6, dtype=ndgrad.float64))  # power iterations in training mode
    sigma = np.linalg.svd(layer.weight.detach().numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(sigma, 1.0, rtol=1e-6)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("size", [(4, 4), (5, 3), (3, 5)], ids=str)
def test_orthogonal(orthogonal_map, size, torch):
    def build(lib):
        layer = lib.nn.Linear(size[1], size[0])
        return lib.nn.utils.parametrizations.orthogonal(layer, orthogonal_map=orthogonal_map)
    theirs, ours = pair(torch, build)  # the state holds PyTorch's base
    Q = ours.weight.detach().numpy()
    small = min(size)
    product = Q.T @ Q if size[0] >= size[1] else Q @ Q.T
    np.testing.assert_allclose(product, np.eye(small), atol=1e-12)
    with torch.no_grad(), ndgrad.no_grad():  # move away from the base point
        for lib, module in ((torch, theirs), (ndgrad, ours)):
            original = module.parametrizations.weight.original
            original.add_(lib.tensor(np.random.default_rng(1).standard_normal(size) * 0.3))
    check_forward_and_grads(torch, theirs, ours, (2, size[1]))


def test_orthogonal_of_a_square_orthogonal_matrix_keeps_it(torch):
    layer = nn.Linear(3, 3, dtype=ndgrad.float64)
    Q = np.linalg.qr(np.random.default_rng(2).standard_normal((3, 3)))[0]
    with ndgrad.no_grad():
        layer.weight.copy_(ndgrad.tensor(Q))
    nn.utils.parametrizations.orthogonal(layer)
    assert_same(layer.weight, ndgrad.tensor(Q))


class Symmetric(nn.Module):
    """The upper triangle mirrored, as in PyTorch's parametrization tutorial."""

    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.factor = nn.Parameter(ndgrad.tensor(2.0, dtype=ndgrad.float64))

    def forward(self, X):
        return X * self.factor


def test_register_parametrization_chain_keys_assignment_and_removal():
    layer = nn.Linear(3, 3, dtype=ndgrad.float64)
    weight = layer.weight
    nn.utils.parametrize.register_parametrization(layer, "weight", Symmetric())
    nn.utils.parametrize.register_parametrization(layer, "weight", Scale())
    assert list(layer.state_dict()) == ["bias", "parametrizations.weight.original",
                                        "parametrizations.weight.1.factor"]
    assert layer.parametrizations.weight.original is weight  # the same Parameter object
    W = layer.weight.detach().numpy()
    np.testing.assert_allclose(W, W.T)
    assert nn.utils.parametrize.is_parametrized(layer, "weight")
    assert nn.utils.parametrize.type_before_parametrizations(layer) is nn.Linear
    assert type(nn.Linear(2, 2)) is nn.Linear  # other modules of the class are untouched
    with nn.utils.parametrize.cached():
        assert layer.weight is layer.weight
    assert layer.weight is not layer.weight
    with pytest.raises(RuntimeError, match="right_inverse"):
        layer.weight = ndgrad.zeros(3, 3, dtype=ndgrad.float64)  # Scale has no inverse
    nn.utils.parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear and "parametrizations" not in layer._modules
    assert layer.weight is weight
    np.testing.assert_allclose(layer.weight.detach().numpy(), W)


def test_assignment_goes_through_right_inverse_and_remove_can_restore_the_original():
    layer = nn.Linear(3, 3, dtype=ndgrad.float64)
    nn.utils.parametrize.register_parametrization(layer, "weight", Symmetric())
    A = ndgrad.tensor(np.arange(9.0).reshape(3, 3))
    layer.weight = A + A.T
    assert_same(layer.weight, A + A.T)
    original = layer.parametrizations.weight.original.detach().numpy().copy()
    nn.utils.parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
    np.testing.assert_allclose(layer.weight.detach().numpy(), original)


def test_parametrization_changing_the_shape_needs_unsafe():
    class Half(nn.Module):
        def forward(self, X):
            return X[:1]
    with pytest.raises(ValueError, match="unsafe"):
        nn.utils.parametrize.register_parametrization(nn.Linear(2, 2), "weight", Half())
    layer = nn.utils.parametrize.register_parametrization(nn.Linear(2, 2), "weight", Half(),
                                                          unsafe=True)
    assert tuple(layer.weight.shape) == (1, 2)


def test_missing_tensor_is_named():
    with pytest.raises(ValueError, match="'weights'"):
        nn.utils.parametrize.register_parametrization(nn.Linear(2, 2), "weights", Symmetric())


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
def test_older_hook_based_forms(kind, torch):
    def build(lib):
        return getattr(lib.nn.utils, kind)(lib.nn.Linear(4, 3))
    theirs = build(torch).double()
    ours = build(ndgrad).double()
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: ndgrad.tensor(v.numpy()) for k, v in state.items()})
    check_forward_and_grads(torch, theirs, ours, (2, 4))
    getattr(torch.nn.utils, f"remove_{kind}")(theirs)
    getattr(nn.utils, f"remove_{kind}")(ours)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert_same(ours.weight, theirs.weight)
