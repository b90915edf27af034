"""Random transforms: seed replay through ndgrad's generator, the drawn parameters applied by
torchvision's functional (the RNG streams differ, the maths must not), and the distributions
of what is drawn."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ndgrad
from ndgrad.vision import transforms as T
from tests.vision._torchvision import torchvision  # noqa: F401 - the oracle fixture
from tests.vision.test_transforms import assert_pixels_match

PIL = pytest.importorskip("PIL.Image")

_rng = np.random.default_rng(1)
UINT8 = _rng.integers(0, 256, (3, 21, 26), dtype=np.uint8)

RANDOM = {
    "RandomCrop": lambda: T.RandomCrop(12, padding=3, padding_mode="reflect"),
    "RandomCrop-pad_if_needed": lambda: T.RandomCrop((30, 8), pad_if_needed=True, fill=9),
    "RandomResizedCrop": lambda: T.RandomResizedCrop((9, 11)),
    "RandomHorizontalFlip": lambda: T.RandomHorizontalFlip(),
    "RandomVerticalFlip": lambda: T.RandomVerticalFlip(),
    "ColorJitter": lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.2),
    "RandomRotation": lambda: T.RandomRotation(40, T.InterpolationMode.BILINEAR, fill=5),
    "RandomGrayscale": lambda: T.RandomGrayscale(0.5),
    "RandomApply": lambda: T.RandomApply([T.ColorJitter(0.5)], p=0.5),
    "RandomAffine": lambda: T.RandomAffine(30, (0.2, 0.1), (0.7, 1.3), (-10, 10, -5, 5)),
    "GaussianBlur": lambda: T.GaussianBlur(5, (0.1, 3.0)),
    "RandomInvert": lambda: T.RandomInvert(),
    "RandomPosterize": lambda: T.RandomPosterize(2),
    "RandomSolarize": lambda: T.RandomSolarize(120),
    "RandomAdjustSharpness": lambda: T.RandomAdjustSharpness(3.0),
    "RandomEqualize": lambda: T.RandomEqualize(),
    "RandomChoice": lambda: T.RandomChoice([T.RandomCrop(9), T.CenterCrop(9)], [0.3, 0.7]),
    "RandomOrder": lambda: T.RandomOrder([T.RandomCrop(15), T.Resize(18)]),
}


def _as_array(img) -> np.ndarray:
    return img.numpy() if isinstance(img, ndgrad.Tensor) else np.asarray(img)


def _inputs():
    return [ndgrad.from_numpy(UINT8.copy()), PIL.fromarray(UINT8.transpose(1, 2, 0))]


@pytest.mark.parametrize("name", list(RANDOM))
def test_manual_seed_replays(name):
    transform = RANDOM[name]()
    for img in _inputs():
        outputs = []
        for _ in range(2):
            ndgrad.manual_seed(123)
            outputs.append([_as_array(transform(img)) for _ in range(4)])
        for first, second in zip(*outputs):
            np.testing.assert_array_equal(first, second)
        # Different draws do happen: four calls are not all the same.
        assert any(not np.array_equal(outputs[0][0], o) or o.shape != outputs[0][0].shape
                   for o in outputs[0][1:])


def _replayed(transform, img, draw):
    """(transform's output, the parameters `draw` takes from the same seeded stream)."""
    ndgrad.manual_seed(7)
    params = draw()
    ndgrad.manual_seed(7)
    return transform(img), params


def _torch_pair(img):
    import torch

    if isinstance(img, ndgrad.Tensor):
        return torch.from_numpy(img.numpy().copy())
    return img


@pytest.mark.parametrize("img", _inputs(), ids=["tensor", "pil"])
def test_random_crop_is_torchvisions_crop_at_the_drawn_window(img, torchvision):  # noqa: F811 - the fixture
    TF = torchvision.transforms.functional
    transform = T.RandomCrop(12, padding=3, padding_mode="reflect")
    padded = TF.pad(_torch_pair(img), 3, padding_mode="reflect")
    got, (top, left, h, w) = _replayed(
        transform, img, lambda: T.RandomCrop.get_params(T.functional.pad(
            img, 3, padding_mode="reflect"), (12, 12)))
    assert_pixels_match(got, TF.crop(padded, top, left, h, w))


@pytest.mark.parametrize("img", _inputs(), ids=["tensor", "pil"])
def test_random_resized_crop_is_torchvisions_resized_crop(img, torchvision):  # noqa: F811 - the fixture
    TF = torchvision.transforms.functional
    transform = T.RandomResizedCrop((9, 11))
    got, params = _replayed(transform, img,
                            lambda: T.RandomResizedCrop.get_params(img, (0.08, 1.0),
                                                                   (3 / 4, 4 / 3)))
    assert_pixels_match(got, TF.resized_crop(_torch_pair(img), *params, [9, 11]))


@pytest.mark.parametrize("img", _inputs(), ids=["tensor", "pil"])
def test_color_jitter_is_torchvisions_adjustments_in_the_drawn_order(img, torchvision):  # noqa: F811 - the fixture
    TF = torchvision.transforms.functional
    ranges = [(0.6, 1.4), (0.6, 1.4), (0.6, 1.4), (-0.2, 0.2)]
    got, (order, *factors) = _replayed(T.ColorJitter(0.4, 0.4, 0.4, 0.2), img,
                                       lambda: T.ColorJitter.get_params(*ranges))
    adjust = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue]
    expected = _torch_pair(img)
    for index in order.tolist():
        expected = adjust[index](expected, factors[index])
    assert_pixels_match(got, expected)


@pytest.mark.parametrize("img", _inputs(), ids=["tensor", "pil"])
def test_random_rotation_is_torchvisions_rotate(img, torchvision):  # noqa: F811 - the fixture
    TF = torchvision.transforms.functional
    transform = T.RandomRotation((-40, 40), T.InterpolationMode.BILINEAR, expand=True, fill=5)
    got, angle = _replayed(transform, img, lambda: T.RandomRotation.get_params([-40, 40]))
    fill = [5.0] * 3 if isinstance(img, ndgrad.Tensor) else 5
    assert_pixels_match(got, TF.rotate(_torch_pair(img), angle, TF.InterpolationMode.BILINEAR, True,
                          None, fill))


@pytest.mark.parametrize("img", _inputs(), ids=["tensor", "pil"])
def test_random_affine_is_torchvisions_affine(img, torchvision):  # noqa: F811 - the fixture
    TF = torchvision.transforms.functional
    ranges = ([-30.0, 30.0], (0.2, 0.1), (0.7, 1.3), [-10.0, 10.0, -5.0, 5.0])
    transform = T.RandomAffine(*ranges, interpolation=T.InterpolationMode.BILINEAR, fill=7)
    got, params = _replayed(transform, img, lambda: T.RandomAffine.get_params(*ranges, [26, 21]))
    fill = [7.0] * 3 if isinstance(img, ndgrad.Tensor) else 7
    assert_pixels_match(got, TF.affine(_torch_pair(img), *params,
                                       interpolation=TF.InterpolationMode.BILINEAR, fill=fill))


@pytest.mark.parametrize("img", _inputs(), ids=["tensor", "pil"])
def test_gaussian_blur_is_torchvisions_at_the_drawn_sigma(img, torchvision):  # noqa: F811
    TF = torchvision.transforms.functional
    got, sigma = _replayed(T.GaussianBlur((5, 3), (0.5, 2.0)), img,
                           lambda: T.GaussianBlur.get_params(0.5, 2.0))
    assert_pixels_match(got, TF.gaussian_blur(_torch_pair(img), [5, 3], [sigma, sigma]))


def test_random_erasing_is_torchvisions_erase(torchvision):  # noqa: F811 - the fixture
    import torch

    image = ndgrad.from_numpy(UINT8.astype(np.float32) / 255)
    transform = T.RandomErasing(1.0, value=(0.1, 0.2, 0.3))

    def draw():
        ndgrad.rand(1)  # the p draw comes first
        return T.RandomErasing.get_params(image, (0.02, 0.33), (0.3, 3.3), [0.1, 0.2, 0.3])

    got, (top, left, h, w, fill) = _replayed(transform, image, draw)
    expected = torchvision.transforms.functional.erase(
        torch.from_numpy(image.numpy().copy()), top, left, h, w,
        torch.from_numpy(fill.numpy()))
    assert 0 < h * w < 21 * 26
    assert_pixels_match(got, expected)
    ndgrad.manual_seed(3)
    noisy = T.RandomErasing(1.0, value="random")(image).numpy()
    changed = noisy != image.numpy()
    assert changed.any() and changed.all(axis=0).sum() == changed[0].sum()


def test_random_choice_follows_its_weights():
    ndgrad.manual_seed(0)
    choice = T.RandomChoice([T.Lambda(lambda _: 0), T.Lambda(lambda _: 1)], p=[1, 3])
    picks = [choice(None) for _ in range(400)]
    # 400 draws at 0.75: within 5 standard deviations (0.022 each).
    assert abs(np.mean(picks) - 0.75) < 0.11


def test_flip_frequency_follows_p():
    ndgrad.manual_seed(0)
    img = ndgrad.from_numpy(UINT8.copy())
    flipped = UINT8[..., ::-1]
    flips = [np.array_equal(T.RandomHorizontalFlip(0.3)(img).numpy(), flipped)
             for _ in range(400)]
    # 400 draws at p = 0.3: the mean is within 5 standard deviations (0.023 each).
    assert abs(np.mean(flips) - 0.3) < 0.115
    assert all(np.array_equal(T.RandomVerticalFlip(1.0)(img).numpy(), UINT8[:, ::-1])
               for _ in range(3))


def test_random_resized_crop_draws_within_scale_and_ratio():
    ndgrad.manual_seed(0)
    img = ndgrad.zeros(3, 200, 300)
    scale, ratio = (0.2, 0.6), (0.5, 2.0)
    areas, ratios = [], []
    for _ in range(300):
        top, left, h, w = T.RandomResizedCrop.get_params(img, scale, ratio)
        assert 0 <= top and top + h <= 200 and 0 <= left and left + w <= 300
        areas.append(h * w / 60000)
        ratios.append(w / h)
    # Rounding h and w to pixels moves area and ratio a little past the bounds.
    assert 0.19 <= min(areas) and max(areas) <= 0.61
    assert 0.48 <= min(ratios) and max(ratios) <= 2.05
    # Uniform area: the mean is near the middle of the range, and log-ratios spread both ways.
    assert abs(np.mean(areas) - 0.4) < 0.03
    assert np.mean(np.log(ratios) < 0) > 0.3 and np.mean(np.log(ratios) > 0) > 0.3


def test_random_resized_crop_falls_back_to_a_central_crop():
    # No crop of ratio in [4, 5] fits a tall image: the fallback is the widest allowed.
    top, left, h, w = T.RandomResizedCrop.get_params(ndgrad.zeros(1, 40, 10), (0.9, 1.0),
                                                     (4.0, 5.0))
    assert (w, h) == (10, round(10 / 4.0)) and top == (40 - h) // 2 and left == 0


def test_color_jitter_factors_are_uniform_in_range():
    ndgrad.manual_seed(0)
    draws = np.array([T.ColorJitter.get_params((0.5, 1.5), None, (0.0, 2.0), (-0.1, 0.1))[1:]
                      for _ in range(300)], dtype=object)
    brightness, saturation, hue = (draws[:, i].astype(float) for i in (0, 2, 3))
    assert all(d is None for d in draws[:, 1])
    assert 0.5 <= brightness.min() and brightness.max() <= 1.5
    assert abs(brightness.mean() - 1.0) < 0.06 and abs(saturation.mean() - 1.0) < 0.12
    assert -0.1 <= hue.min() and hue.max() <= 0.1
    orders = {tuple(T.ColorJitter.get_params(None, None, None, None)[0].tolist())
              for _ in range(60)}
    assert len(orders) > 10 and all(sorted(o) == [0, 1, 2, 3] for o in orders)


def test_random_rotation_angles_cover_the_range():
    ndgrad.manual_seed(0)
    angles = [T.RandomRotation.get_params([-30.0, 10.0]) for _ in range(300)]
    assert -30 <= min(angles) < -27 and 7 < max(angles) <= 10
    assert abs(np.mean(angles) + 10) < 2.0 and not math.isnan(np.std(angles))
