"""functional_call against torch.func.functional_call: Linear/Conv models, buffers, ties."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad import func
from tests.func._compare import arrays, assert_trees_close


def build(L):
    """A small conv net with a BatchNorm (buffers), the same weights in both libraries."""
    nn = L.nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                        nn.Linear(8, 3)).double()
    values = arrays(*[tuple(p.shape) for p in net.parameters()], seed=5)
    with L.no_grad():
        for p, v in zip(net.parameters(), values):
            p.copy_(L.tensor(v))
    return net


def replacements(L, net):
    return {name: L.tensor(np.full(tuple(p.shape), 0.1 * (i + 1)))
            for i, (name, p) in enumerate(net.named_parameters())}


def test_values_and_gradients_match_torch(torch):
    x = arrays((2, 1, 4, 4))[0]
    results = []
    for L, lib_func in ((ndgrad, func), (torch, torch.func)):
        net = build(L)
        params = replacements(L, net)
        buffers = {k: v.clone() for k, v in net.named_buffers()}

        def loss(params, x, net=net, buffers=buffers, lib_func=lib_func):
            return lib_func.functional_call(net, (params, buffers), (x,)).pow(2).sum()
        # training mode updates the given running statistics, not the module's
        out = lib_func.functional_call(net, (params, buffers), L.tensor(x))
        net.eval()  # torch refuses in-place buffer updates inside grad
        results.append((out, buffers, lib_func.grad(loss)(params, L.tensor(x)),
                        dict(net.named_buffers())))
    assert_trees_close(results[0], results[1])


def test_the_module_is_restored_even_on_error():
    net = ndgrad.nn.Linear(3, 2)
    weight, bias = net.weight, net.bias
    with pytest.raises(RuntimeError):
        func.functional_call(net, {"weight": ndgrad.zeros(2, 3)}, (ndgrad.ones(4),))
    assert net.weight is weight and net.bias is bias
    out = func.functional_call(net, {"weight": ndgrad.zeros(2, 3)}, (ndgrad.ones(3),))
    assert_trees_close(out, bias.detach())
    assert net.weight is weight


class Tied(ndgrad.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = ndgrad.nn.Linear(2, 2, bias=False)
        self.b = ndgrad.nn.Linear(2, 2, bias=False)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


def test_tied_weights():
    net = Tied()
    w = ndgrad.tensor([[2.0, 0.0], [0.0, 3.0]])
    x = ndgrad.ones(2)
    tied = func.functional_call(net, {"a.weight": w}, (x,))
    assert_trees_close(tied, np.array([4.0, 9.0], dtype=np.float32))
    untied = func.functional_call(net, {"a.weight": w}, (x,), tie_weights=False)
    assert_trees_close(untied, net.a.weight.detach().numpy() @ np.array([2.0, 3.0], np.float32))
    with pytest.raises(ValueError, match="tied"):
        func.functional_call(net, {"a.weight": w, "b.weight": w * 1}, (x,))


def test_strict_and_bad_dicts():
    net = ndgrad.nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match=r"Missing key\(s\): 'bias'"):
        func.functional_call(net, {"weight": ndgrad.ones(2, 2)}, (ndgrad.ones(2),), strict=True)
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): 'scale'"):
        func.functional_call(net, {"weight": ndgrad.ones(2, 2), "bias": ndgrad.ones(2),
                                   "scale": ndgrad.ones(1)}, (ndgrad.ones(2),), strict=True)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        func.functional_call(net, ({"bias": ndgrad.ones(2)}, {"bias": ndgrad.ones(2)}),
                             (ndgrad.ones(2),))
    with pytest.raises(AttributeError, match="'scale'"):
        func.functional_call(net, {"scale": ndgrad.ones(1)}, (ndgrad.ones(2),))
