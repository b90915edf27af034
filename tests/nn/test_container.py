"""Containers (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict) and the
shape layers Identity, Flatten, Unflatten, compared with torch."""
from collections import OrderedDict

import numpy as np
import pytest

import ndgrad
from tests._oracle import assert_close


def test_sequential_indexing_slicing_append_and_del_match_torch(torch):
    def build(nn):
        return nn.Sequential(OrderedDict([("a", nn.Linear(2, 3)), ("b", nn.ReLU()),
                                          ("c", nn.Linear(3, 3)), ("d", nn.Tanh())]))

    ours, theirs = build(ndgrad.nn), build(torch.nn)
    assert len(ours) == 4 and ours[-1] is ours.d and ours[0] is ours.a
    assert list(ours) == [ours.a, ours.b, ours.c, ours.d]
    head = ours[1:3]
    assert isinstance(head, ndgrad.nn.Sequential) and list(head._modules) == ["b", "c"]
    assert head[1] is ours.c and repr(head) == repr(theirs[1:3])
    for seq in (ours, theirs):
        assert isinstance(seq.pop(1), (ndgrad.nn.ReLU, torch.nn.ReLU))
        seq.append(type(seq[0])(3, 1))
        del seq[0:1]
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    with pytest.raises(IndexError):
        ours[7]
    positional = ndgrad.nn.Sequential(ndgrad.nn.Linear(2, 2), ndgrad.nn.ReLU())
    assert list(positional._modules) == ["0", "1"] and len(positional.append(positional[1])) == 3
    x = ndgrad.randn(3, 2)
    assert_close(positional(x), positional[0](x).relu(), "float32", "Sequential forward")


def test_module_list_and_dict_register_and_index(torch):
    layers = ndgrad.nn.ModuleList([ndgrad.nn.Linear(2, 2) for _ in range(3)])
    layers.append(ndgrad.nn.ReLU())
    layers.insert(0, ndgrad.nn.Tanh())
    layers += [ndgrad.nn.Identity()]
    assert len(layers) == 6 and isinstance(layers[-1], ndgrad.nn.Identity)
    assert isinstance(layers[1:3], ndgrad.nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert isinstance(layers.pop(-1), ndgrad.nn.Identity)
    assert [type(m).__name__ for m in layers] == ["Linear"] * 3 + ["ReLU"]
    assert list(layers.state_dict()) == [f"{i}.{p}" for i in range(3) for p in ("weight", "bias")]
    table = ndgrad.nn.ModuleDict({"b": ndgrad.nn.Linear(2, 2), "a": ndgrad.nn.ReLU()})
    table["c"] = ndgrad.nn.Identity()
    table.update([("d", ndgrad.nn.Tanh())])
    assert list(table) == ["b", "a", "c", "d"] and "a" in table and len(table) == 4
    assert isinstance(table.pop("c"), ndgrad.nn.Identity) and list(table.keys()) == ["b", "a", "d"]
    assert list(table.state_dict()) == ["b.weight", "b.bias"]


CONTAINER_LAYOUTS = [
    ("list_of_two_equal", lambda nn: nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])),
    ("list_runs", lambda nn: nn.ModuleList([nn.ReLU(), nn.Linear(2, 3), nn.Linear(2, 3),
                                            nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2),
                                            nn.Linear(2, 3), nn.Linear(2, 3)])),
    ("list_of_different", lambda nn: nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 2)])),
    ("list_of_one", lambda nn: nn.ModuleList([nn.Tanh()])),
    ("empty_list", lambda nn: nn.ModuleList()),
    ("list_of_equal_blocks", lambda nn: nn.ModuleList(
        [nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(3)])),
    ("nested_lists", lambda nn: nn.ModuleList([nn.ModuleList([nn.ReLU(), nn.ReLU()]),
                                               nn.ModuleList([nn.ReLU(), nn.ReLU()])])),
    ("sequential_of_equal", lambda nn: nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8),
                                                     nn.ReLU(), nn.ReLU())),
    ("sequential_holding_a_list", lambda nn: nn.Sequential(
        nn.ModuleList([nn.Linear(4, 4)] * 3), nn.Sequential())),
    ("named_sequential", lambda nn: nn.Sequential(OrderedDict(a=nn.ReLU(), b=nn.ReLU()))),
    ("dict_of_equal", lambda nn: nn.ModuleDict({"a": nn.ReLU(), "b": nn.ReLU()})),
]


@pytest.mark.parametrize("build", [b for _, b in CONTAINER_LAYOUTS],
                         ids=[name for name, _ in CONTAINER_LAYOUTS])
def test_container_reprs_match_torch(build, torch):
    """ModuleList folds runs of equal children ("(0-1): 2 x Linear(...)"); the others do not."""
    assert repr(build(ndgrad.nn)) == repr(build(torch.nn))


def test_parameter_list_and_dict_register_parameters():
    plist = ndgrad.nn.ParameterList([ndgrad.ones(2), ndgrad.nn.Parameter(ndgrad.zeros(3))])
    plist.append(ndgrad.randn(4))
    assert all(isinstance(p, ndgrad.nn.Parameter) and p.requires_grad for p in plist)
    assert len(plist) == 3 and plist[-1].shape == (4,)
    assert [n for n, _ in plist.named_parameters()] == ["0", "1", "2"]
    pdict = ndgrad.nn.ParameterDict({"w": ndgrad.ones(2)})
    pdict["b"] = ndgrad.nn.Parameter(ndgrad.zeros(1))
    assert list(pdict) == ["w", "b"] and isinstance(pdict["w"], ndgrad.nn.Parameter)
    assert list(dict(pdict.named_parameters())) == ["w", "b"]
    holder = ndgrad.nn.Module()
    holder.plist, holder.pdict = plist, pdict
    assert len(list(holder.parameters())) == 5 and "pdict.b" in holder.state_dict()


def test_identity_flatten_unflatten_match_torch(torch):
    data = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    cases = [lambda nn: nn.Identity(54, unused=True), lambda nn: nn.Flatten(),
             lambda nn: nn.Flatten(0, 2), lambda nn: nn.Flatten(-2),
             lambda nn: nn.Unflatten(1, (3, 1)), lambda nn: nn.Unflatten(-1, (5, 1, 1))]
    for build in cases:
        ours, theirs = build(ndgrad.nn), build(torch.nn)
        assert repr(ours) == repr(theirs)
        x, t = ndgrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        out, expected = ours(x), theirs(t)
        assert out.shape == tuple(expected.shape)
        out.backward(ndgrad.ones_like(out))
        assert x.grad.shape == data.shape


def test_parameter_container_reprs_match_torch(torch):
    for lib in (ndgrad, torch):
        lib.manual_seed(0)
    for build in [lambda lib: lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)),
                                                    lib.nn.Parameter(lib.zeros(4))]),
                  lambda lib: lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(2, 3))}),
                  lambda lib: lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(2)),
                                                    "b": lib.nn.Parameter(lib.ones(1))})]:
        assert repr(build(ndgrad)) == repr(build(torch)).replace("torch.", "ndgrad.")
