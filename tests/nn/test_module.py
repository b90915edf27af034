"""The Module system: registration, traversal, modes, conversions, hooks, repr and state_dict,
compared with torch's twins. Containers: test_container.py; the seed's training loop:
test_seed_training_loop.py."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import ndgrad
from tests._oracle import assert_close


def make_net(lib):
    """The same model in ndgrad or torch: nested, a shared module, a tied weight, buffers."""
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU())
            self.head = nn.Linear(4, 2)
            self.alias = self.head  # one module, two names: iterated once, saved twice
            self.extra = nn.Linear(4, 2)
            self.extra.weight = self.head.weight  # tied: listed once, keeps its place
            self.scale = nn.Parameter(lib.ones(2))
            self.register_buffer("steps", lib.zeros(()))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.blocks = nn.ModuleList([nn.Tanh(), nn.Identity()])

        def forward(self, x):
            h = self.encoder(x)
            return self.blocks[0](self.head(h) + self.extra(h)) * self.scale

    return Net()


def names(pairs):
    return [name for name, _ in pairs]


# ---- registration and traversal


def test_attribute_assignment_registers_parameters_modules_and_buffers():
    net = make_net(ndgrad)
    assert isinstance(net.scale, ndgrad.nn.Parameter) and net.scale.requires_grad
    assert list(net._parameters) == ["scale"] and list(net._buffers) == ["steps", "cache"]
    assert list(net._modules) == ["encoder", "head", "alias", "extra", "blocks"]
    net.plain = ndgrad.ones(2)  # a plain tensor is an ordinary attribute
    assert "plain" not in dict(net.named_buffers()) and "plain" not in net.state_dict()
    net.steps = ndgrad.ones(())  # assigning to a registered buffer replaces it
    net.hidden = ndgrad.nn.Buffer(ndgrad.ones(1), persistent=False)
    assert net.state_dict()["steps"].item() == 1 and "hidden" in dict(net.named_buffers())
    assert "hidden" not in net.state_dict()
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="parameter 'scale'"):
        net.scale = ndgrad.ones(2)
    with pytest.raises(TypeError, match="child module 'head'"):
        net.head = ndgrad.ones(2)
    for register in [lambda: net.register_buffer("plain", ndgrad.ones(1)),  # an attribute
                     lambda: net.add_module("steps", None),
                     lambda: net.register_parameter("cache", None)]:  # another kind's name
        with pytest.raises(KeyError, match="already exists"):
            register()
    with pytest.raises(KeyError, match='"."'):
        net.register_parameter("a.b", None)
    del net.head
    assert "head" not in net._modules and "alias" in net._modules
    with pytest.raises(AttributeError, match="missing"):
        _ = net.missing


def test_parameter_shares_storage_and_modules_need_init():
    data = ndgrad.zeros(3)
    param = ndgrad.nn.Parameter(data)
    data.add_(1)
    assert param.tolist() == [1.0, 1.0, 1.0] and param.is_leaf
    assert not ndgrad.nn.Parameter(data, requires_grad=False).requires_grad
    assert repr(param).startswith("Parameter containing:\ntensor([1., 1., 1.]")

    class Broken(ndgrad.nn.Module):
        def __init__(self):
            self.weight = ndgrad.nn.Parameter(ndgrad.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()
    with pytest.raises(NotImplementedError, match="forward"):
        ndgrad.nn.Module()(ndgrad.ones(1))


TRAVERSALS = [lambda m: m.named_parameters(), lambda m: m.named_parameters(recurse=False),
              lambda m: m.named_parameters(prefix="m", remove_duplicate=False),
              lambda m: m.named_buffers(), lambda m: m.named_buffers(recurse=False),
              lambda m: m.named_children(), lambda m: m.named_modules(),
              lambda m: m.named_modules(remove_duplicate=False),
              lambda m: m.state_dict().items(), lambda m: m.state_dict(prefix="m.").items()]


def test_traversal_and_state_dict_names_match_torch(torch):
    ours, theirs = make_net(ndgrad), make_net(torch)
    for traverse in TRAVERSALS:
        assert names(traverse(ours)) == names(traverse(theirs))
    ours.load_state_dict(theirs.state_dict())  # the shared module is saved under both names


def test_iterators_return_the_registered_objects_once():
    net = make_net(ndgrad)
    params = list(net.parameters())
    assert len(params) == len({id(p) for p in params}) == 8
    assert params[0] is net.scale and any(p is net.head.weight for p in params)
    assert len(list(net.parameters(recurse=False))) == 1
    assert [type(m).__name__ for m in net.children()] == \
        ["Sequential", "Linear", "Linear", "ModuleList"]
    assert next(net.modules()) is net and len(list(net.modules())) == 10
    assert [b.shape for b in net.buffers()] == [(), (2,), (4,), (4,), ()]
    assert net.get_submodule("encoder.1") is net.encoder[1] and net.get_submodule("") is net
    assert net.get_parameter("encoder.0.bias") is net.encoder[0].bias
    with pytest.raises(AttributeError, match="nothing"):
        net.get_submodule("encoder.nothing")


# ---- modes and conversions


def test_train_eval_zero_grad_requires_grad_and_apply(torch):
    net = make_net(ndgrad)
    assert net.training and net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    net.encoder.train(False)
    assert net.training and not net.encoder[0].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")
    net(ndgrad.randn(5, 3)).sum().backward()
    grad = net.head.weight.grad
    net.zero_grad(set_to_none=False)
    assert not np.any(grad.numpy()) and all(p.grad is not None and not np.any(p.grad.numpy()) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    visited = {lib: [] for lib in ("ndgrad", "torch")}
    make_net(ndgrad).apply(lambda m: visited["ndgrad"].append(type(m).__name__))
    make_net(torch).apply(lambda m: visited["torch"].append(type(m).__name__))
    assert visited["ndgrad"] == visited["torch"]


@pytest.mark.parametrize("convert, dtype", [(lambda m: m.double(), "float64"),
                                            (lambda m: m.half(), "float16"),
                                            (lambda m: m.to(ndgrad.float64).float(), "float32"),
                                            (lambda m: m.to(dtype=ndgrad.float64), "float64"),
                                            (lambda m: m.to("cpu", ndgrad.float64), "float64")])
def test_dtype_conversion_keeps_parameter_identity(convert, dtype):
    net = make_net(ndgrad)
    params = list(net.parameters())
    assert convert(net) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype.name == dtype and p.requires_grad for p in net.parameters())
    assert net.steps.dtype.name == dtype and net.encoder[1].running_mean.dtype.name == dtype
    assert net.encoder[1].num_batches_tracked.dtype == ndgrad.int64  # integers stay
    assert net(ndgrad.randn(4, 3, dtype=getattr(ndgrad, dtype))).dtype.name == dtype


@pytest.mark.parametrize("args", [(ndgrad.int64,), (ndgrad.bool,), ("cpu", ndgrad.int32),
                                  (ndgrad.ones(1, dtype=ndgrad.int64),)],
                         ids=["int64", "bool", "device_and_int32", "like_int_tensor"])
def test_to_a_non_floating_dtype_raises_as_torch(args, torch):
    theirs = tuple(getattr(torch, a.name) if isinstance(a, ndgrad.dtype) else
                   torch.ones(1, dtype=torch.int64) if isinstance(a, ndgrad.Tensor) else a
                   for a in args)
    for lib, given in ((torch, theirs), (ndgrad, args)):
        net = lib.nn.Linear(2, 3)
        with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
            net.to(*given)
        assert net.weight.dtype == lib.float32 and net.weight.requires_grad
    with pytest.raises(RuntimeError, match="must be floating point"):
        ndgrad.nn.Linear(2, 3).type(ndgrad.int64)


# ---- hooks


def test_call_runs_pre_hooks_forward_then_forward_hooks():
    log = []

    class Doubler(ndgrad.nn.Module):
        def forward(self, x):
            log.append("forward")
            return x * 2

    layer = Doubler()
    pre = layer.register_forward_pre_hook(lambda m, args: log.append("pre") or (args[0] + 1,))
    post = layer.register_forward_hook(lambda m, args, out: log.append("post") or out - args[0])
    assert layer(ndgrad.tensor(1.0)).item() == 2.0  # (1 + 1) * 2 - (1 + 1)
    assert log == ["pre", "forward", "post"]
    pre.remove()
    post.remove()
    assert layer(ndgrad.tensor(1.0)).item() == 2.0 and log[-1] == "forward"


def run_kwargs_and_prepend_hooks(lib):
    """Hooks registered with with_kwargs and prepend around a forward(x, scale)."""

    class Scaled(lib.nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    layer, log = Scaled(), []
    layer.register_forward_pre_hook(lambda m, args: log.append("pre"))
    layer.register_forward_pre_hook(lambda m, args, kwargs: (args, {"scale": 3.0}),
                                    with_kwargs=True, prepend=True)
    layer.register_forward_hook(lambda m, args, kwargs, out: log.append(kwargs) or out + 1,
                                with_kwargs=True)
    layer.register_forward_hook(lambda m, args, out: log.append("first"), prepend=True)
    return layer(lib.tensor(2.0), scale=5.0).item(), log


def test_hooks_with_kwargs_and_prepend_match_torch(torch):
    assert run_kwargs_and_prepend_hooks(ndgrad) == run_kwargs_and_prepend_hooks(torch) == \
        (7.0, ["pre", "first", {"scale": 3.0}])


BACKWARD_HOOK_MODELS = [
    ("Linear", lambda nn: nn.Linear(3, 2), [(5, 3)]),
    ("Sequential", lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), [(5, 3)]),
    ("Bilinear", lambda nn: nn.Bilinear(3, 2, 4), [(5, 3), (5, 2)]),  # input 1 needs no grad
]


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
@pytest.mark.parametrize("name, build, shapes", BACKWARD_HOOK_MODELS, ids=lambda c: str(c)[:10])
@pytest.mark.parametrize("first_requires_grad", [True, False])
@pytest.mark.parametrize("replace", [False, True])
def test_full_backward_hook_sees_torch_gradients(name, build, shapes, first_requires_grad,
                                                 replace, torch):
    models, seen, inputs = {}, {}, {}
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    for lib in (ndgrad, torch):
        models[lib], seen[lib] = build(lib.nn), []

        def hook(module, grad_input, grad_output, seen=seen[lib]):
            seen.append([[None if g is None else g.detach().numpy().copy() for g in grads]
                         for grads in (grad_input, grad_output)])
            if replace:  # a returned grad_input replaces the inputs' gradients
                return tuple(None if g is None else g * 3 for g in grad_input)

        models[lib].register_full_backward_hook(hook)
        inputs[lib] = [lib.tensor(a, requires_grad=first_requires_grad and i == 0)
                       for i, a in enumerate(arrays)]
    models[ndgrad].load_state_dict(models[torch].state_dict())
    for lib in (ndgrad, torch):
        (models[lib](*inputs[lib]) ** 2).sum().backward()
    assert len(seen[ndgrad]) == len(seen[torch]) == 1
    for got, expected in zip(seen[ndgrad][0], seen[torch][0]):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert (g is None) == (e is None)
            if e is not None:
                assert_close(g, e, "float32", f"{name}: hook gradient")
    for x, t in zip(inputs[ndgrad], inputs[torch]):
        assert (x.grad is None) == (t.grad is None)
        if t.grad is not None:
            assert_close(x.grad, t.grad, "float32", f"{name}: input gradient")
    for p, q in zip(models[ndgrad].parameters(), models[torch].parameters()):
        assert_close(p.grad, q.grad, "float32", f"{name}: parameter gradient")


def test_backward_hook_must_return_one_gradient_per_input():
    layer = ndgrad.nn.Bilinear(2, 2, 1)
    layer.register_full_backward_hook(lambda module, grad_input, grad_output: grad_input[:1])
    out = layer(ndgrad.ones(1, 2, requires_grad=True), ndgrad.ones(1, 2))
    with pytest.raises(RuntimeError, match="got 1, but expected 2"):
        out.sum().backward()


# ---- repr


def layer_zoo(nn):
    return nn.Sequential(OrderedDict([
        ("fc", nn.Linear(4, 8)), ("act", nn.LeakyReLU(0.2, inplace=True)),
        ("drop", nn.Dropout(0.3)), ("bn", nn.BatchNorm1d(8, momentum=None)),
        ("block", nn.Sequential(nn.LayerNorm(8), nn.GELU(approximate="tanh"),
                                nn.Sequential(nn.Linear(8, 2, bias=False), nn.Softmax(dim=1)))),
        ("heads", nn.ModuleList([nn.Identity(), nn.Flatten(), nn.Unflatten(1, (2, 4))])),
        ("named", nn.ModuleDict({"elu": nn.ELU(0.5), "prelu": nn.PReLU(3)})),
        ("emb", nn.Embedding(10, 3, padding_idx=0)), ("bag", nn.EmbeddingBag(5, 2, mode="max")),
        ("norms", nn.Sequential(nn.GroupNorm(2, 4), nn.RMSNorm([4]), nn.InstanceNorm2d(3),
                                nn.BatchNorm2d(3, affine=False, track_running_stats=False),
                                nn.LayerNorm((2, 3), elementwise_affine=False))),
        ("bilinear", nn.Bilinear(2, 3, 4)), ("cos", nn.CosineSimilarity()),
        ("dist", nn.PairwiseDistance()), ("alpha", nn.AlphaDropout(0.2)), ("empty", nn.Sequential()),
        ("params", nn.ParameterList([nn.Parameter(nn.init.zeros_(nn.Linear(3, 2).weight))])),
    ]))


def test_repr_matches_torch_for_a_nested_model(torch):
    assert repr(layer_zoo(ndgrad.nn)) == repr(layer_zoo(torch.nn)).replace("torch.", "ndgrad.")


# ---- state_dict


def mlp(nn):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def normed(nn):
    return nn.Sequential(OrderedDict([
        ("emb", nn.Embedding(10, 6, padding_idx=0)), ("flat", nn.Flatten()),
        ("bn", nn.BatchNorm1d(12)), ("drop", nn.Dropout(0.5)), ("ln", nn.LayerNorm(12)),
        ("fc", nn.Linear(12, 3)), ("bn_plain", nn.BatchNorm1d(3, affine=False))]))


@pytest.mark.parametrize("build", [mlp, normed])
def test_state_dict_keys_and_shapes_match_torch_and_torch_weights_load(build, torch):
    ours, theirs = build(ndgrad.nn), build(torch.nn)
    state = ours.state_dict()
    assert [(k, tuple(v.shape), v.dtype.name) for k, v in state.items()] == \
        [(k, tuple(v.shape), str(v.dtype)[6:]) for k, v in theirs.state_dict().items()]
    assert not any(v.requires_grad for v in state.values())
    assert all(isinstance(v, ndgrad.nn.Parameter) for k, v in ours.state_dict(keep_vars=True)
               .items() if "running" not in k and "tracked" not in k)
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, 10, (6, 2)) if build is normed else rng.standard_normal((6, 4))
    inputs = inputs.astype(np.int64 if build is normed else np.float32)
    for _ in range(3):  # moves torch's running statistics away from their initial values
        theirs(torch.tensor(inputs))
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    ours.eval()
    theirs.eval()
    assert_close(ours(ndgrad.tensor(inputs)), theirs(torch.tensor(inputs)), "float32", "output")
    ours.load_state_dict(theirs.state_dict())  # torch tensors themselves are accepted too


def test_deepcopy_copies_parameters_buffers_and_keeps_ties():
    net = make_net(ndgrad)
    net(ndgrad.randn(3, 3)).sum().backward()
    twin = copy.deepcopy(net)
    assert twin.extra.weight is twin.head.weight and twin.alias is twin.head
    assert twin.head.weight is not net.head.weight and twin.head.weight.grad is not None
    with ndgrad.no_grad():
        twin.head.weight.add_(1)
        twin.encoder[1].running_mean.add_(1)
    assert not np.any(net.encoder[1].running_mean.numpy() == 1)
    assert list(twin.state_dict()) == list(net.state_dict())
    twin(ndgrad.randn(3, 3)).sum().backward()


def test_state_dict_shares_storage_and_round_trips():
    net = make_net(ndgrad)
    state = net.state_dict()
    assert "cache" not in state and "steps" in state  # non-persistent buffers are left out
    state["head.weight"].add_(1)  # detached, but the same storage, as in torch
    assert np.allclose(net.head.weight.detach().numpy(), state["head.weight"].numpy())
    other = make_net(ndgrad)
    other.load_state_dict(state)
    for (k, v), w in zip(state.items(), other.state_dict().values()):
        np.testing.assert_array_equal(v.numpy(), w.numpy(), err_msg=k)


def test_failed_load_lists_every_problem_and_changes_nothing():
    net = normed(ndgrad.nn)
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    state = {k: v.numpy() + 1 for k, v in net.state_dict().items()}
    del state["fc.bias"]
    state["fc.extra"] = np.zeros(3)
    state["ln.weight"] = np.zeros(5)
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert 'Missing key(s) in state_dict: "fc.bias"' in message
    assert 'Unexpected key(s) in state_dict: "fc.extra"' in message
    assert "size mismatch for ln.weight" in message and "[5]" in message and "[12]" in message
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    with pytest.raises(RuntimeError, match="size mismatch"):  # shapes are checked when lax too
        net.load_state_dict(state, strict=False)
    state["ln.weight"] = np.zeros(12)
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc.bias"] and result.unexpected_keys == ["fc.extra"]
    np.testing.assert_array_equal(net.fc.bias.detach().numpy(), before["fc.bias"])
    np.testing.assert_array_equal(net.fc.weight.detach().numpy(), before["fc.weight"] + 1)
