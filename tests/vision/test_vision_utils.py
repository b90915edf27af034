"""ndgrad.vision.utils against torchvision.utils: make_grid values, save_image pixels."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad.vision import utils
from tests.vision._torchvision import torchvision  # noqa: F401 - the oracle fixture

_rng = np.random.default_rng(2)
BATCH = (_rng.standard_normal((5, 3, 6, 7)) * 0.6 + 0.4).astype(np.float32)

GRIDS = {
    "defaults": (BATCH, {}),
    "nrow-padding": (BATCH, {"nrow": 2, "padding": 3, "pad_value": 0.7}),
    "normalize": (BATCH, {"normalize": True}),
    "value_range": (BATCH, {"normalize": True, "value_range": (-0.5, 1.0)}),
    "scale_each": (BATCH, {"normalize": True, "scale_each": True, "nrow": 3}),
    "gray": (BATCH[:, :1], {"padding": 0}),
    "single": (BATCH[0], {}),
    "single-2d": (BATCH[0, 0], {}),
    "rgba": (np.concatenate([BATCH, BATCH[:, :1]], axis=1), {"nrow": 4}),
    "uint8": ((BATCH * 100).clip(0, 255).astype(np.uint8), {"pad_value": 255}),
}


@pytest.mark.parametrize("name", list(GRIDS))
def test_make_grid_matches(name, torchvision):  # noqa: F811 - the fixture
    import torch

    images, kwargs = GRIDS[name]
    expected = torchvision.utils.make_grid(torch.from_numpy(images.copy()), **kwargs)
    got = utils.make_grid(ndgrad.from_numpy(images.copy()), **kwargs)
    assert isinstance(got, ndgrad.Tensor) and got.dtype.name == str(expected.dtype)[6:]
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=0, atol=1e-6)


def test_make_grid_takes_a_list_and_leaves_its_input_alone(torchvision):  # noqa: F811 - the fixture
    import torch

    tensors = [ndgrad.from_numpy(image.copy()) for image in BATCH]
    expected = torchvision.utils.make_grid([torch.from_numpy(i.copy()) for i in BATCH],
                                           normalize=True)
    np.testing.assert_allclose(utils.make_grid(tensors, normalize=True).numpy(),
                               expected.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(tensors[0].numpy(), BATCH[0])


@pytest.mark.parametrize("name", ["defaults", "normalize", "gray", "rgba", "single"])
def test_save_image_writes_torchvisions_pixels(name, tmp_path, torchvision):  # noqa: F811 - the fixture
    import torch
    from PIL import Image

    images, kwargs = GRIDS[name]
    torchvision.utils.save_image(torch.from_numpy(images.copy()), tmp_path / "theirs.png",
                                 **kwargs)
    utils.save_image(ndgrad.from_numpy(images.copy()), tmp_path / "ours.png", **kwargs)
    with Image.open(tmp_path / "ours.png") as ours, Image.open(tmp_path / "theirs.png") as theirs:
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_save_image_to_a_file_object_with_format(tmp_path):
    from PIL import Image

    path = tmp_path / "grid.bmp"
    with open(path, "wb") as handle:
        utils.save_image(ndgrad.from_numpy(BATCH.clip(0, 1)), handle, format="BMP", nrow=5)
    with Image.open(path) as image:
        assert image.format == "BMP" and image.size == (5 * 9 + 2, 10)


@pytest.mark.parametrize("value,error", [
    ([np.zeros((3, 2, 2))], TypeError), ("image", TypeError),
], ids=["list-of-arrays", "string"])
def test_make_grid_mistakes(value, error):
    with pytest.raises(error, match="tensor or list of tensors expected"):
        utils.make_grid(value)


def test_make_grid_value_range_must_be_a_tuple():
    with pytest.raises(TypeError, match="value_range"):
        utils.make_grid(ndgrad.from_numpy(BATCH), normalize=True, value_range=[0, 1])
