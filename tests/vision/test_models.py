"""ndgrad.vision.models against torchvision's: structure, names, initialisation, outputs and
gradients with the same weights."""
import numpy as np
import pytest

import ndgrad
from ndgrad.vision import models
from tests.vision._torchvision import torchvision  # noqa: F401 - the oracle fixture

# Builders and keyword arguments checked for names, shapes and order (small num_classes keeps
# them cheap).
STRUCTURES = [("resnet18", {}), ("resnet34", {}), ("resnet50", {}), ("resnet101", {}),
              ("resnet152", {"num_classes": 7}), ("resnext50_32x4d", {}),
              ("resnext101_64x4d", {}), ("wide_resnet50_2", {"num_classes": 3}),
              ("alexnet", {"num_classes": 5}), ("mobilenet_v2", {}),
              ("mobilenet_v2", {"width_mult": 0.5})]
STRUCTURES += [(f"vgg{depth}{bn}", {}) for depth in (11, 13, 16, 19) for bn in ("", "_bn")]


@pytest.fixture
def skip_random_init(monkeypatch):
    """Random fills leave tensors as they are: building a VGG's 25088x4096 layers in ndgrad
    otherwise draws 100M numbers twice, seconds that the structure and outputs do not need."""
    for name in ("uniform_", "normal_"):
        monkeypatch.setattr(ndgrad.nn.init, name, lambda tensor, *args, **kwargs: tensor)


def build(torchvision, name, **kwargs):  # noqa: F811 - the fixture
    """The same model from ndgrad and from torchvision, with random weights and batch norm
    statistics (so that eval mode differs from train mode) copied into ndgrad's model through
    NumPy arrays. Weights are uniform with variance 1/fan_in rather than drawn by the models'
    initialisers, which are compared separately and take seconds for the large layers."""
    import torch

    with torch.device("meta"):
        theirs = getattr(torchvision.models, name)(**kwargs)
    theirs.to_empty(device="cpu")
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for key, value in theirs.state_dict().items():
            if key.endswith("num_batches_tracked"):
                value.zero_()
            elif key.endswith("running_var"):
                value.uniform_(0.5, 2.0, generator=generator)
            else:  # unit variance per output for a unit-variance input
                bound = (3 / (value[0].numel() if value.ndim > 1 else 4)) ** 0.5
                value.uniform_(-bound, bound, generator=generator)
    ours = getattr(models, name)(**kwargs)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    return ours, theirs


def layout(model):
    """Module types by name, then (name, shape) of the state_dict entries in order."""
    modules = [(name, type(module).__name__) for name, module in model.named_modules()]
    state = [(key, tuple(value.shape)) for key, value in model.state_dict().items()]
    return modules, state


@pytest.mark.parametrize("name, kwargs", STRUCTURES, ids=lambda x: str(x))
def test_structure_matches_torchvision(torchvision, skip_random_init, name, kwargs):  # noqa: F811 - the fixture
    import torch

    with torch.device("meta"):
        theirs = getattr(torchvision.models, name)(**kwargs)
    ours = getattr(models, name)(**kwargs)
    assert layout(ours) == layout(theirs)
    assert repr(ours) == repr(theirs)  # every layer's hyper-parameters
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


@pytest.mark.parametrize("name, size, kwargs", [
    ("resnet18", 64, {}), ("resnet50", 32, {"num_classes": 10}), ("alexnet", 64, {}),
    ("mobilenet_v2", 32, {}), ("vgg11_bn", 32, {"num_classes": 10}),
], ids=lambda x: str(x))
def test_eval_outputs_match_torchvision(torchvision, skip_random_init, name, size, kwargs):  # noqa: F811 - the fixture
    import torch

    ours, theirs = build(torchvision, name, **kwargs)
    x = np.random.default_rng(0).normal(size=(1, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        expected = theirs.eval()(torch.from_numpy(x)).numpy()
    with ndgrad.no_grad():
        got = ours.eval()(ndgrad.tensor(x)).numpy()
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_a_torchvision_checkpoint_loads_with_ndgrad_load(torchvision, tmp_path):  # noqa: F811
    import torch

    ours, theirs = build(torchvision, "mobilenet_v2", num_classes=10)
    torch.save(theirs.state_dict(), tmp_path / "mobilenet_v2.pth")
    model = models.mobilenet_v2(num_classes=10)
    model.load_state_dict(ndgrad.load(tmp_path / "mobilenet_v2.pth"))
    x = np.random.default_rng(2).normal(size=(2, 3, 32, 32)).astype(np.float32)
    with ndgrad.no_grad():
        got, expected = model.eval()(ndgrad.tensor(x)), ours.eval()(ndgrad.tensor(x))
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_resnet18_train_gradients_match_torchvision(torchvision):  # noqa: F811 - the fixture
    import torch

    ours, theirs = build(torchvision, "resnet18", num_classes=5)
    ours.double().train()
    theirs.double().train()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 3, 32, 32))
    target = np.array([1, 4, 0])
    expected = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)),
                                                 torch.from_numpy(target))
    expected.backward()
    loss = ndgrad.nn.functional.cross_entropy(ours(ndgrad.tensor(x)), ndgrad.tensor(target))
    loss.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-10)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        reference = theirs_params[name].grad.numpy()
        np.testing.assert_allclose(param.grad.numpy(), reference, rtol=1e-6,
                                   atol=1e-9 * np.abs(reference).max(), err_msg=name)
    theirs_buffers = dict(theirs.named_buffers())
    for name, buffer in ours.named_buffers():  # running statistics and batch counts
        np.testing.assert_allclose(buffer.numpy(), theirs_buffers[name].numpy(), rtol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_initialisation_statistics_like_torchvision(torchvision, name):  # noqa: F811 - the fixture
    ndgrad.manual_seed(0)
    ours = dict(getattr(models, name)(num_classes=100).named_parameters())
    theirs = dict(getattr(torchvision.models, name)(num_classes=100).named_parameters())
    for key, param in ours.items():
        got, expected = param.detach().numpy(), theirs[key].detach().numpy()
        if expected.std() == 0 or got.size < 1000:  # constant fills, or too few samples
            np.testing.assert_array_equal(got, expected) if expected.std() == 0 else None
            assert abs(got).max() <= max(abs(expected).max(), 1e-12) * 1.5, key
            continue
        assert abs(got.std() / expected.std() - 1) < 0.1, key
        assert abs(got.mean()) < 0.1 * expected.std(), key


def test_zero_init_residual_zeroes_the_last_norm_of_each_block():
    model = models.resnet18(zero_init_residual=True)
    blocks = [model.layer1[0], model.layer4[1]]
    assert all(float(abs(block.bn2.weight).sum()) == 0 for block in blocks)
    assert float(model.layer1[0].bn1.weight.sum()) == 64
    bottleneck = models.ResNet(models.resnet.Bottleneck, [1, 1, 1, 1],
                               zero_init_residual=True).layer2[0]
    assert float(abs(bottleneck.bn3.weight).sum()) == 0


@pytest.mark.parametrize("kwargs, shown", [({"weights": "IMAGENET1K_V1"}, "weights="),
                                           ({"pretrained": True}, "pretrained=True")])
def test_pretrained_weights_are_refused(kwargs, shown):
    with pytest.raises(ValueError, match=f"resnet18\\({shown}.*no pretrained weights"):
        models.resnet18(**kwargs)
    with pytest.raises(ValueError, match="no pretrained weights"):
        models.mobilenet_v2(**kwargs)
