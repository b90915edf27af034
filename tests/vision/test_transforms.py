"""transforms.functional and the deterministic transforms against torchvision, on PIL images,
uint8 tensors and float tensors (a batch)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

import ndgrad
from ndgrad.vision import transforms as T
from ndgrad.vision.transforms import functional as F
from tests.vision._torchvision import torchvision  # noqa: F401 - the oracle fixture

PIL = pytest.importorskip("PIL.Image")

_rng = np.random.default_rng(0)
UINT8 = _rng.integers(0, 256, (3, 13, 17), dtype=np.uint8)
FLOAT = _rng.random((2, 3, 13, 17), dtype=np.float32)


def assert_pixels_match(got, expected) -> None:
    """Equal pixels: exactly for PIL images; for uint8 tensors up to 1 on at most 0.5% of
    them (float32 sums that land within an ulp of .5 may round either way); 1e-5 for floats."""
    got, expected = np.asarray(got.numpy() if isinstance(got, ndgrad.Tensor) else got), \
        np.asarray(expected.numpy() if hasattr(expected, "numpy") else expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
        return
    difference = np.abs(got.astype(np.int64) - expected.astype(np.int64))
    assert difference.max(initial=0) <= 1, f"pixels differ by up to {difference.max()}"
    assert np.mean(difference > 0) <= 0.005, f"{np.mean(difference > 0):.2%} pixels differ"


def _pil_rgb():
    return PIL.fromarray(UINT8.transpose(1, 2, 0))


@dataclass
class Spec:
    """One functional call: `args(F, Mode)` builds the arguments with either library's
    functional module and InterpolationMode; `kinds` are the inputs it runs on."""

    name: str
    args: object = lambda F, M: ()
    kinds: tuple = ("pil", "uint8", "float")
    kwargs: dict = field(default_factory=dict)
    label: str = ""


SPECS = [
    Spec("resize", lambda F, M: ([7, 9],), label="down bilinear antialias"),
    Spec("resize", lambda F, M: ([30, 25],), label="up bilinear"),
    Spec("resize", lambda F, M: ([7, 29], M.BICUBIC), label="bicubic antialias"),
    Spec("resize", lambda F, M: ([30, 6], M.BICUBIC), ("uint8", "float"),
         {"antialias": False}, "bicubic plain"),
    Spec("resize", lambda F, M: ([6, 30], M.BILINEAR), ("uint8", "float"),
         {"antialias": False}, "bilinear plain"),
    Spec("resize", lambda F, M: ([6, 30], M.NEAREST), label="nearest"),
    Spec("resize", lambda F, M: ([6, 30], M.NEAREST_EXACT), ("uint8", "float"),
         label="nearest-exact"),
    Spec("resize", lambda F, M: (8,), kwargs={"max_size": 10}, label="short edge max_size"),
    Spec("resize", lambda F, M: ([9], M.BOX), ("pil",), label="box"),
    Spec("rotate", lambda F, M: (33.0,), label="nearest"),
    Spec("rotate", lambda F, M: (33.0, M.BILINEAR), label="bilinear"),
    Spec("rotate", lambda F, M: (-71.0, M.BILINEAR, True, None, [10.0, 20.0, 30.0]),
         label="expand fill"),
    Spec("rotate", lambda F, M: (45.0, M.NEAREST, True, [3, 4], [10.0, 20.0, 30.0]),
         label="center"),
    Spec("affine", lambda F, M: (20.0, [2, -1], 1.2, [10.0, 5.0], M.BILINEAR)),
    Spec("adjust_brightness", lambda F, M: (1.3,)),
    Spec("adjust_contrast", lambda F, M: (0.6,)),
    Spec("adjust_saturation", lambda F, M: (1.7,)),
    Spec("adjust_hue", lambda F, M: (0.2,)),
    Spec("adjust_hue", lambda F, M: (-0.45,), label="negative"),
    Spec("adjust_gamma", lambda F, M: (0.7, 1.1)),
    Spec("adjust_sharpness", lambda F, M: (1.8,)),
    Spec("adjust_sharpness", lambda F, M: (0.3,), label="blur"),
    Spec("autocontrast"),
    Spec("equalize", kinds=("pil", "uint8")),
    Spec("gaussian_blur", lambda F, M: ([5, 3], [1.5, 0.7])),
    Spec("gaussian_blur", lambda F, M: (7,), label="default sigma"),
    Spec("rgb_to_grayscale", lambda F, M: (3,)),
    Spec("rgb_to_grayscale", label="one channel"),
    Spec("pad", lambda F, M: ([1, 2, 3, 4], 7, "constant")),
    Spec("pad", lambda F, M: ([1, 2, 3, 4], 0, "reflect"), label="reflect"),
    Spec("pad", lambda F, M: ([1, 2], 0, "symmetric"), label="symmetric"),
    Spec("pad", lambda F, M: ([-1, 2, 3, -2], 0, "edge"), label="edge crop"),
    Spec("center_crop", lambda F, M: ([20, 9],)),
    Spec("crop", lambda F, M: (-2, 3, 8, 20), label="outside"),
    Spec("hflip"),
    Spec("vflip"),
    Spec("invert"),
    Spec("solarize", lambda F, M: (100,), ("pil", "uint8")),
    Spec("posterize", lambda F, M: (3,), ("pil", "uint8")),
]
CASES = [(spec, kind) for spec in SPECS for kind in spec.kinds]


def _id(case) -> str:
    spec, kind = case
    return "-".join(part for part in (spec.name, spec.label, kind) if part).replace(" ", "_")


def _inputs(kind: str, torch):
    """(ndgrad input, torch input) of one kind."""
    if kind == "pil":
        return _pil_rgb(), _pil_rgb()
    array = UINT8 if kind == "uint8" else FLOAT
    return ndgrad.from_numpy(array.copy()), torch.from_numpy(array.copy())


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_functional_against_torchvision(case, torchvision):  # noqa: F811 - the fixture
    import torch

    spec, kind = case
    TF = torchvision.transforms.functional
    ours, theirs = _inputs(kind, torch)
    expected = getattr(TF, spec.name)(theirs, *spec.args(TF, TF.InterpolationMode),
                                      **spec.kwargs)
    got = getattr(F, spec.name)(ours, *spec.args(F, F.InterpolationMode), **spec.kwargs)
    if kind == "pil":
        assert got.mode == expected.mode
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
        return
    assert isinstance(got, ndgrad.Tensor)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
    assert_pixels_match(got, expected)


@pytest.mark.parametrize("name", ["autocontrast", "equalize", "adjust_sharpness"])
def test_histogram_ops_on_a_dull_image(name, torchvision):  # noqa: F811 - the fixture
    import torch

    dull = (UINT8 // 4 + 50).astype(np.uint8)
    dull[1] = 77  # a flat channel: autocontrast leaves it, equalize has no step
    batch = np.stack([dull, dull[::-1]])
    TF = torchvision.transforms.functional
    args = (0.0,) if name == "adjust_sharpness" else ()
    expected = getattr(TF, name)(torch.from_numpy(batch.copy()), *args)
    assert_pixels_match(getattr(F, name)(ndgrad.from_numpy(batch), *args), expected)
    image = PIL.fromarray(dull.transpose(1, 2, 0))
    assert_pixels_match(getattr(F, name)(image, *args), getattr(TF, name)(image, *args))


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "1", "I", "F"])
def test_to_tensor_and_pil_to_tensor(mode, torchvision):  # noqa: F811 - the fixture
    TF = torchvision.transforms.functional
    image = _pil_rgb().convert(mode)
    for ours, theirs in ((F.to_tensor, TF.to_tensor), (F.pil_to_tensor, TF.pil_to_tensor)):
        got, expected = ours(image), theirs(image)
        assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_to_tensor_from_array(torchvision):  # noqa: F811 - the fixture
    TF = torchvision.transforms.functional
    for array in (UINT8.transpose(1, 2, 0), UINT8[0], FLOAT[0].transpose(1, 2, 0)):
        np.testing.assert_array_equal(F.to_tensor(array).numpy(), TF.to_tensor(array).numpy())


@pytest.mark.parametrize("source,mode", [
    (UINT8, None), (UINT8[:1], None), (FLOAT[0], None), (FLOAT[0, :1], "F"),
    (UINT8[:2], None), (np.concatenate([UINT8, UINT8[:1]]), None), (UINT8, "HSV"),
    (UINT8[:1].astype(np.int32), None),
], ids=["rgb", "gray", "float-rgb", "float-F", "LA", "RGBA", "HSV", "int32"])
def test_to_pil_image(source, mode, torchvision):  # noqa: F811 - the fixture
    import torch

    TF = torchvision.transforms.functional
    expected = TF.to_pil_image(torch.from_numpy(source.copy()), mode)
    got = F.to_pil_image(ndgrad.from_numpy(source.copy()), mode)
    assert got.mode == expected.mode
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    array_got = F.to_pil_image(np.ascontiguousarray(np.moveaxis(source, 0, -1)), mode)
    np.testing.assert_array_equal(np.asarray(array_got), np.asarray(expected))


@pytest.mark.parametrize("source,target", [
    ("uint8", "float32"), ("uint8", "float64"), ("float32", "uint8"), ("float64", "int16"),
    ("uint8", "int32"), ("int32", "uint8"), ("int16", "int64"), ("float32", "float64"),
])
def test_convert_image_dtype(source, target, torchvision):  # noqa: F811 - the fixture
    import torch

    values = FLOAT if source.startswith("float") else \
        _rng.integers(0, np.iinfo(source).max, FLOAT.shape)
    array = values.astype(source)
    expected = torchvision.transforms.functional.convert_image_dtype(
        torch.from_numpy(array.copy()), getattr(torch, target))
    got = T.ConvertImageDtype(getattr(ndgrad, target))(ndgrad.from_numpy(array.copy()))
    assert got.dtype.name == target
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_convert_image_dtype_refuses_unsafe_cast():
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(ndgrad.from_numpy(FLOAT.copy()), ndgrad.int32)


def test_normalize_matches_and_keeps_gradients(torchvision):  # noqa: F811 - the fixture
    import torch

    mean, std = [0.2, 0.4, 0.6], [0.5, 0.25, 2.0]
    expected = torchvision.transforms.Normalize(mean, std)(torch.from_numpy(FLOAT.copy()))
    x = ndgrad.tensor(FLOAT, requires_grad=True)
    got = T.Normalize(mean, std)(x)
    np.testing.assert_allclose(got.detach().numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
    got.sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[0, :, 0, 0], 1 / np.array(std), rtol=1e-6)
    inplace = ndgrad.from_numpy(FLOAT.copy())
    assert F.normalize(inplace, mean, std, inplace=True) is inplace
    np.testing.assert_allclose(inplace.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["pil", "uint8", "float"])
def test_deterministic_transforms_compose(kind, torchvision):  # noqa: F811 - the fixture
    import torch

    def pipeline(T):
        return T.Compose([
            T.Resize(11), T.CenterCrop((9, 10)), T.Pad((1, 2), fill=3), T.Grayscale(3),
            T.Lambda(lambda img: img), T.Resize([7, 8], T.InterpolationMode.BICUBIC),
        ])

    ours, theirs = _inputs(kind, torch)
    assert_pixels_match(pipeline(T)(ours), pipeline(torchvision.transforms)(theirs))


def test_five_and_ten_crop(torchvision):  # noqa: F811 - the fixture
    import torch

    got = T.TenCrop(5, vertical_flip=True)(ndgrad.from_numpy(UINT8.copy()))
    expected = torchvision.transforms.TenCrop(5, vertical_flip=True)(torch.from_numpy(UINT8))
    assert len(got) == 10
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_tensor_transforms_are_modules_with_torchvision_reprs(torchvision):  # noqa: F811 - the fixture
    assert isinstance(T.Resize(4), ndgrad.nn.Module)
    assert isinstance(T.RandomCrop(4), ndgrad.nn.Module)
    for build in (lambda T: T.Resize(4), lambda T: T.Normalize([0.5], [0.5]),
                  lambda T: T.RandomResizedCrop(8), lambda T: T.ColorJitter(0.1, 0.2),
                  lambda T: T.RandomRotation(10), lambda T: T.Pad(2),
                  lambda T: T.RandomAffine(5, (0.1, 0.2), shear=3, fill=1),
                  lambda T: T.GaussianBlur(3), lambda T: T.RandomErasing(),
                  lambda T: T.RandomInvert(0.3)):
        assert repr(build(T)) == repr(build(torchvision.transforms))


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.resize(ndgrad.zeros(3, 4, 4), [2, 2, 2]), ValueError, "1 or 2 element"),
    (lambda: F.resize(ndgrad.zeros(3, 4, 4), [2, 2], max_size=5), ValueError, "max_size"),
    (lambda: F.resize(ndgrad.zeros(3, 4, 4), [2], T.InterpolationMode.LANCZOS), ValueError,
     "unsupported with Tensor"),
    (lambda: F.pad(ndgrad.zeros(3, 4, 4), 1, padding_mode="wrap"), ValueError, "Padding mode"),
    (lambda: F.normalize(ndgrad.zeros(3, 4, 4, dtype=ndgrad.uint8), [0], [1]), TypeError,
     "float tensor"),
    (lambda: F.normalize(ndgrad.zeros(3, 4, 4), [0], [0]), ValueError, "std evaluated to zero"),
    (lambda: F.adjust_hue(ndgrad.zeros(3, 4, 4), 0.7), ValueError, "hue_factor"),
    (lambda: F.adjust_brightness(ndgrad.zeros(2, 4, 4), 1.1), TypeError, "channel"),
    (lambda: F.hflip([[1, 2]]), TypeError, "PIL Image"),
    (lambda: F.to_pil_image(np.zeros((4, 4, 5), np.uint8)), ValueError, "> 4 channels"),
    (lambda: T.RandomCrop(20)(ndgrad.zeros(3, 4, 4)), ValueError, "larger than input"),
    (lambda: T.ColorJitter(hue=0.7), ValueError, "hue values"),
], ids=["resize-size", "resize-max_size", "resize-mode", "pad-mode", "normalize-int",
        "normalize-std", "hue-range", "channels", "not-image", "to_pil-channels",
        "crop-too-big", "jitter-range"])
def test_mistakes(call, error, match):
    with pytest.raises(error, match=match):
        call()
