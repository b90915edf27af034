"""Pooling (1-D to 3-D), unpooling, interpolation, pixel shuffle and channel dropout
(Dropout1d/2d/3d) against torch: values, indices, gradients, second derivatives, gradcheck, the
layers' repr, and errors."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndgrad
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck


def F(t):
    """nn.functional of the library t belongs to, so one lambda serves both."""
    return ndgrad.nn.functional if isinstance(t, ndgrad.Tensor) else \
        __import__("torch").nn.functional


def call(name, shape, *args, **kwargs):
    """A Spec for F.<name>(x, *args, **kwargs)."""
    label = ",".join([str(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()])
    return Spec(f"{name}({label}){list(shape)}",
                lambda x: getattr(F(x), name)(x, *args, **kwargs), shapes=[shape])


def unpool(x):
    values, indices = F(x).max_pool2d(x, 2, stride=2, padding=1, return_indices=True)
    return F(x).max_unpool2d(values * 2, indices, 2, stride=2, padding=1, output_size=(5, 6))


def unpool3d(x):
    """max_pool3d -> max_unpool3d round trip; output_size (5, 4, 6) differs from the default
    (4, 4, 6) and is passed with the leading (N, C) when batched."""
    values, indices = F(x).max_pool3d(x, 2, stride=2, padding=1, return_indices=True)
    size = tuple(x.shape[:-3]) + (5, 4, 6) if x.ndim == 5 else None
    return F(x).max_unpool3d(values * 2, indices, 2, stride=2, padding=1, output_size=size)


SPECS = [
    call("max_pool1d", (2, 3, 9), 3, return_indices=True),
    call("max_pool1d", (3, 10), 3, 2, 1, 2, ceil_mode=True, return_indices=True),
    call("max_pool2d", (2, 3, 6, 7), 2),
    call("max_pool2d", (2, 3, 7, 8), 3, 2, 1, return_indices=True),
    call("max_pool2d", (2, 2, 8, 7), (3, 2), (2, 1), (1, 0), dilation=(2, 1), ceil_mode=True,
         return_indices=True),
    call("max_pool2d", (3, 7, 7), 3, 3, ceil_mode=True, return_indices=True),
    call("max_pool2d", (2, 2, 16, 17), 16, return_indices=True),  # 256 offsets in one tile
    call("max_pool3d", (2, 2, 4, 6, 6), 2, return_indices=True),                  # tiles
    call("max_pool3d", (2, 2, 5, 6, 7), (3, 2, 2), (2, 1, 2), (1, 0, 1), dilation=(1, 2, 1),
         ceil_mode=True, return_indices=True),
    call("max_pool3d", (1, 2, 5, 5, 5), 3, 2, ceil_mode=True),
    call("max_pool3d", (2, 5, 4, 5), 2, 1, 1, return_indices=True),               # unbatched
    call("avg_pool1d", (2, 3, 9), 3, 2, 1, ceil_mode=True, count_include_pad=False),
    call("avg_pool1d", (3, 8), 4),
    call("avg_pool2d", (2, 3, 6, 7), 2),
    call("avg_pool2d", (2, 3, 7, 8), 3, 2, 1, ceil_mode=True),
    call("avg_pool2d", (2, 3, 7, 8), (3, 2), (2, 3), (1, 1), ceil_mode=True,
         count_include_pad=False),
    call("avg_pool2d", (3, 6, 5), (2, 3), 1, (1, 0), divisor_override=4),
    call("avg_pool3d", (2, 2, 4, 6, 6), 2),
    call("avg_pool3d", (2, 2, 5, 6, 7), 3, 2, 1, ceil_mode=True),
    call("avg_pool3d", (2, 2, 5, 6, 7), (3, 2, 2), (2, 1, 3), (1, 1, 0), ceil_mode=True,
         count_include_pad=False),
    call("avg_pool3d", (2, 4, 5, 6), (2, 3, 2), 1, (1, 0, 1), divisor_override=5),
    call("adaptive_avg_pool1d", (2, 3, 10), 4),
    call("adaptive_avg_pool1d", (3, 5), 7),
    call("adaptive_avg_pool2d", (2, 3, 7, 9), (3, 4)),
    call("adaptive_avg_pool2d", (2, 3, 5, 6), 1),
    call("adaptive_avg_pool2d", (3, 5, 6), (None, 4)),
    call("adaptive_avg_pool3d", (2, 2, 5, 7, 6), (2, 3, 4)),
    call("adaptive_avg_pool3d", (2, 2, 3, 4, 5), 1),
    call("adaptive_avg_pool3d", (2, 4, 5, 3), (None, 2, 5)),
    call("adaptive_max_pool1d", (2, 3, 10), 4, True),
    call("adaptive_max_pool2d", (2, 3, 7, 9), (3, 4), True),
    call("adaptive_max_pool2d", (2, 3, 4, 5), (6, 2), return_indices=True),
    call("adaptive_max_pool2d", (3, 5, 6), 1),
    call("adaptive_max_pool3d", (2, 2, 5, 7, 6), (2, 3, 4), True),
    call("adaptive_max_pool3d", (2, 3, 4, 5), (4, None, 2), return_indices=True),
    call("lp_pool2d", (2, 3, 6, 7), 2, 2),
    Spec("lp_pool2d_p1.5", lambda x: F(x).lp_pool2d(x, 1.5, (3, 2), (2, 1), ceil_mode=True),
         shapes=[(2, 3, 7, 7)], low=0.1),
    call("lp_pool1d", (2, 3, 8), 2, 3, 2),
    Spec("lp_pool2d_p3", lambda x: F(x).lp_pool2d(x, 3, 2), shapes=[(2, 2, 4, 4)], low=0.1),
    Spec("max_unpool2d", unpool, shapes=[(2, 3, 5, 6)]),
    call("lp_pool3d", (2, 2, 4, 5, 6), 2, 2),
    Spec("lp_pool3d_p1.5", lambda x: F(x).lp_pool3d(x, 1.5, (3, 2, 2), (2, 1, 2), ceil_mode=True),
         shapes=[(2, 2, 5, 5, 6)], low=0.1),
    call("lp_pool3d", (2, 4, 5, 5), 4, (2, 3, 2), 1),                              # unbatched
    call("lp_pool3d", (2, 2, 4, 4, 5), float("inf"), (2, 2, 3), ceil_mode=True),
    Spec("max_unpool3d", unpool3d, shapes=[(2, 2, 5, 4, 6)]),
    Spec("max_unpool3d_unbatched", unpool3d, shapes=[(2, 4, 4, 6)]),
    call("interpolate", (2, 3, 4, 5), scale_factor=2),
    call("interpolate", (2, 3, 7, 5), size=(4, 9)),
    call("interpolate", (2, 3, 7, 5), scale_factor=(1.7, 0.6)),
    call("interpolate", (2, 3, 6), size=13, mode="nearest-exact"),
    call("interpolate", (2, 3, 5, 4), scale_factor=2, mode="bilinear"),
    call("interpolate", (2, 3, 5, 4), size=(8, 3), mode="bilinear", align_corners=True),
    call("interpolate", (2, 3, 5, 4), size=(3, 9), mode="bilinear", align_corners=False),
    call("interpolate", (2, 3, 5, 4), scale_factor=(1.5, 2.3), mode="bilinear",
         align_corners=True),
    call("interpolate", (2, 3, 5, 4), scale_factor=1.7, mode="bilinear",
         recompute_scale_factor=True),
    call("interpolate", (2, 3, 5), scale_factor=2.5, mode="linear"),
    call("interpolate", (1, 2, 3, 4, 2), size=(4, 3, 5), mode="trilinear", align_corners=True),
    call("interpolate", (2, 3, 7, 8), size=(3, 5), mode="area"),
    call("interpolate", (2, 3, 5, 4), scale_factor=2, mode="bicubic"),
    call("interpolate", (2, 3, 5, 4), size=(8, 3), mode="bicubic", align_corners=True),
    call("interpolate", (2, 3, 7, 6), size=(3, 2), mode="bicubic", align_corners=False),
    call("interpolate", (2, 3, 5, 4), scale_factor=(1.7, 0.6), mode="bicubic",
         align_corners=True),
    call("interpolate", (2, 3, 9, 7), scale_factor=0.45, mode="bicubic"),
    call("interpolate", (2, 3, 5, 4), scale_factor=(1.3, 2.6), mode="bicubic",
         recompute_scale_factor=True),
    call("pixel_shuffle", (2, 12, 3, 4), 2),
    call("pixel_shuffle", (18, 2, 3), 3),
    call("pixel_unshuffle", (2, 3, 4, 6), 2),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


GRADCHECK_SPECS = [
    call("max_pool2d", (1, 2, 4, 4), 2, 1, 1),
    call("max_pool2d", (1, 2, 5, 4), 2),                  # tiles, the last row left out
    call("max_pool1d", (1, 2, 7), 3, return_indices=True),  # tiles, with indices
    call("avg_pool2d", (1, 2, 4, 5), 3, 2, 1, ceil_mode=True, count_include_pad=False),
    call("adaptive_avg_pool2d", (1, 2, 5, 4), (2, 3)),
    call("adaptive_max_pool2d", (1, 2, 5, 4), (2, 3)),
    call("max_pool3d", (1, 1, 3, 4, 4), 2, 1, 1),
    call("avg_pool3d", (1, 1, 3, 4, 5), 3, 2, 1, ceil_mode=True, count_include_pad=False),
    call("adaptive_avg_pool3d", (1, 1, 3, 4, 5), (2, 3, 2)),
    call("adaptive_max_pool3d", (1, 1, 3, 4, 5), (2, 3, 2)),
    call("lp_pool2d", (1, 2, 4, 4), 2, 2),
    Spec("max_unpool2d", unpool, shapes=[(1, 1, 5, 6)]),
    call("lp_pool3d", (1, 1, 4, 4, 5), 2, 2, (2, 1, 2)),
    Spec("max_unpool3d", unpool3d, shapes=[(1, 1, 5, 4, 6)]),
    call("interpolate", (1, 2, 3, 4), size=(5, 3), mode="bilinear", align_corners=False),
    call("interpolate", (1, 2, 3, 4), scale_factor=2),
    call("interpolate", (1, 2, 3, 4), size=(5, 3), mode="bicubic"),
    call("interpolate", (1, 1, 4, 3), scale_factor=(0.7, 1.5), mode="bicubic",
         align_corners=True),
    call("pixel_shuffle", (1, 4, 2, 3), 2),
]


@pytest.mark.parametrize("spec", GRADCHECK_SPECS, ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


@settings(max_examples=30, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kernel=st.sampled_from([1, 2, 3, (3, 2)]), stride=st.sampled_from([None, 1, 2, (1, 3)]),
       padding=st.sampled_from([0, 1]), ceil_mode=st.booleans(),
       average=st.sampled_from(["max", "avg", "avg_exclude_pad"]),
       dtype=st.sampled_from(["float32", "float64"]))
def test_pool2d_grid(torch, kernel, stride, padding, ceil_mode, average, dtype):
    kernel_sizes = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    padding = min(padding, min(kernel_sizes) // 2)
    if average == "max":
        spec = call("max_pool2d", (2, 2, 7, 6), kernel, stride, padding, ceil_mode=ceil_mode,
                    return_indices=True)
    else:
        spec = call("avg_pool2d", (2, 2, 7, 6), kernel, stride, padding, ceil_mode=ceil_mode,
                    count_include_pad=average == "avg")
    check_against_torch(spec, torch, dtype)


MAX_POOL_EDGE_CASES = {
    "ties": [[1.0, 1.0, 0.0], [1.0, -np.inf, 2.0], [2.0, 2.0, -1.0]],
    "all_minus_inf": [[-np.inf] * 3] * 3,  # padding never wins, even against -inf
    "nans": [[np.nan, 1.0, np.nan], [2.0, np.nan, 0.0], [1.0, 1.0, 1.0]],  # the last NaN wins
}


@pytest.mark.parametrize("case", MAX_POOL_EDGE_CASES)
def test_max_pool_edge_cases(case, torch):
    x = np.array([[MAX_POOL_EDGE_CASES[case]]])
    ours = ndgrad.nn.functional.max_pool2d(ndgrad.tensor(x), 2, 1, 1, return_indices=True)
    theirs = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 1, 1, return_indices=True)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


TIED_MAX_POOLS = [  # (function, input shape, args): tiling windows take the fast path
    ("max_pool1d", (2, 3, 12), (3,)),
    ("max_pool2d", (2, 3, 6, 8), (2,)),
    ("max_pool3d", (2, 3, 4, 6, 6), (2,)),
    ("max_pool3d", (2, 3, 5, 7, 6), ((1, 3, 2),)),
    ("max_pool3d", (2, 3, 4, 6, 6), ((2, 3, 2), 1, 1)),
]


@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("name, shape, args", TIED_MAX_POOLS,
                         ids=[f"{n}{list(s)}{a}" for n, s, a in TIED_MAX_POOLS])
def test_max_pool_ties_and_nans(name, shape, args, nan, torch):
    """Many ties: the first maximum of each window wins; with NaNs, the last NaN."""
    x = np.random.default_rng(0).integers(0, 3, shape).astype("float64")
    if nan:
        x.reshape(-1)[::7] = np.nan
    ours = getattr(ndgrad.nn.functional, name)(ndgrad.tensor(x), *args, return_indices=True)
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x), *args, return_indices=True)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


NON_FINITE_CALLS = [
    lambda F, t: F.interpolate(t, size=(8, 11), mode="bilinear"),
    lambda F, t: F.interpolate(t, size=(3, 9), mode="bilinear", align_corners=True),
    lambda F, t: F.interpolate(t, size=(9, 12), mode="bicubic"),
    lambda F, t: F.interpolate(t, size=(3, 5), mode="bicubic", align_corners=True),
    lambda F, t: F.adaptive_avg_pool2d(t, (3, 4)),
    lambda F, t: F.adaptive_avg_pool2d(t, (5, 7)),
    lambda F, t: F.avg_pool2d(t, 2, 1, 1),
]


@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.parametrize("k", range(len(NON_FINITE_CALLS)))
def test_non_finite_inputs_stay_local(k, torch):
    """inf and nan reach the outputs PyTorch's do, no more (the fast path multiplies by a
    matrix whose zeros would turn inf into nan along the whole line)."""
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 7))
    x[0, 0, 2, 3], x[0, 1, 1, 1], x[0, 1, 4, 6] = np.inf, np.nan, -np.inf
    ours = NON_FINITE_CALLS[k](ndgrad.nn.functional, ndgrad.tensor(x))
    theirs = NON_FINITE_CALLS[k](torch.nn.functional, torch.tensor(x))
    assert_close(ours, theirs, "float64", "non-finite input")


# ---------------------------------------------------------------- layers

LAYERS = [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 7, 8)),
    ("MaxPool2d", ((2, 3),), {"return_indices": True}, (2, 3, 6, 7)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 9)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 7, 8)),
    ("AvgPool2d", (2,), {"divisor_override": 3}, (3, 6, 6)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 5)),
    ("AdaptiveMaxPool2d", ((3, 2),), {"return_indices": True}, (2, 3, 7, 5)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 7)),
    ("MaxPool3d", (2,), {}, (2, 2, 4, 4, 4)),
    ("MaxPool3d", ((2, 3, 1),), {"stride": 2, "padding": (1, 1, 0), "return_indices": True,
                                 "ceil_mode": True}, (2, 2, 5, 6, 4)),
    ("AvgPool3d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 2, 5, 6, 7)),
    ("AvgPool3d", ((2, 3, 1),), {"stride": (1, 2, 1), "padding": (1, 1, 0),
                                 "count_include_pad": False, "divisor_override": 3}, (2, 4, 6, 3)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (2, 2, 5, 4, 6)),
    ("AdaptiveMaxPool3d", (2, True), {}, (2, 5, 4, 6)),
    ("LPPool2d", (2, 2), {"stride": 1}, (2, 3, 5, 5)),
    ("LPPool1d", (2, 3), {}, (2, 3, 9)),
    ("LPPool3d", (2, 2), {"stride": 1}, (2, 2, 4, 4, 4)),
    ("LPPool3d", (4, (3, 2, 2)), {"stride": (2, 1, 2), "ceil_mode": True}, (2, 5, 5, 6)),
    ("Upsample", (), {"scale_factor": 2, "mode": "nearest"}, (2, 3, 3, 4)),
    ("Upsample", (), {"size": (5, 7), "mode": "bilinear", "align_corners": True}, (2, 3, 3, 4)),
    ("Upsample", (), {"scale_factor": (2.0, 1.5), "mode": "bilinear"}, (2, 3, 3, 4)),
    ("Upsample", (), {"scale_factor": 2, "mode": "bicubic"}, (2, 3, 3, 4)),
    ("Upsample", (), {"size": (2, 7), "mode": "bicubic", "align_corners": True}, (2, 3, 4, 4)),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, (2, 1, 2, 3)),
    ("UpsamplingBilinear2d", (), {"size": 5}, (2, 1, 2, 3)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 3)),
    ("PixelUnshuffle", (3,), {}, (2, 2, 6, 3)),
    ("Dropout1d", (0.4,), {}, (2, 3, 5)),
    ("Dropout2d", (0.4,), {}, (2, 3, 4, 4)),
    ("Dropout3d", (0.4,), {"inplace": True}, (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS,
                         ids=[f"{name}-{i}" for i, (name, *_) in enumerate(LAYERS)])
def test_layer_against_torch(name, args, kwargs, shape, dtype, torch):
    ours = getattr(ndgrad.nn, name)(*args, **kwargs).eval()
    theirs = getattr(torch.nn, name)(*args, **kwargs).eval()
    assert repr(ours) == repr(theirs)
    array = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x, t = ndgrad.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, expected = ours(x), theirs(t)
    if isinstance(expected, tuple):
        np.testing.assert_array_equal(out[1].numpy(), expected[1].numpy())
        out, expected = out[0], expected[0]
    assert_close(out, expected, dtype, f"{name}: output")
    seed = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(ndgrad.tensor(seed))
    expected.backward(torch.tensor(seed))
    assert_close(x.grad, t.grad, dtype, f"{name}: input gradient")


MAX_UNPOOL_LAYERS = [  # (pool, unpool, args, input shape, output_size)
    ("MaxPool2d", "MaxUnpool2d", (2,), (2, 3, 6, 5), (6, 5)),
    ("MaxPool3d", "MaxUnpool3d", (2,), (2, 2, 4, 6, 5), (4, 6, 5)),
    ("MaxPool3d", "MaxUnpool3d", ((2, 3, 2), 2, (1, 1, 0)), (2, 2, 5, 6, 7), (5, 6, 7)),
    ("MaxPool3d", "MaxUnpool3d", (3, (2, 1, 2), 1), (3, 5, 4, 6), (5, 4, 6)),    # unbatched
]


@pytest.mark.parametrize("pool_name, unpool_name, args, shape, output_size", MAX_UNPOOL_LAYERS,
                         ids=[f"{u}{list(s)}" for _, u, _, s, _ in MAX_UNPOOL_LAYERS])
def test_max_unpool_layer(pool_name, unpool_name, args, shape, output_size, torch):
    """Pool then unpool: the layers' repr, the values and the input gradient."""
    array = np.random.default_rng(0).standard_normal(shape).astype("float32")
    seed = None
    results = []
    for lib in (ndgrad, torch):
        pool = getattr(lib.nn, pool_name)(*args, return_indices=True)
        unpool = getattr(lib.nn, unpool_name)(*args)
        x = lib.tensor(array, requires_grad=True)
        out = unpool(*pool(x), output_size=output_size)
        if seed is None:
            seed = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype("float32")
        out.backward(lib.tensor(seed))
        results.append((out, x.grad, repr(unpool)))
    assert results[0][2] == results[1][2]
    assert_close(results[0][0], results[1][0], "float32", f"{unpool_name}: output")
    assert_close(results[0][1], results[1][1], "float32", f"{unpool_name}: input gradient")


CHANNEL_DROPOUTS = [  # (layer, input shape, number of leading dims that pick a channel)
    ("Dropout1d", (40, 50, 3), 2),
    ("Dropout1d", (2000, 3), 1),                    # unbatched (C, L)
    ("Dropout2d", (40, 50, 3, 3), 2),
    ("Dropout3d", (40, 50, 2, 1, 2), 2),
    ("Dropout3d", (2000, 2, 2, 1), 1),              # unbatched (C, D, H, W)
]


@pytest.mark.parametrize("name, shape, lead", CHANNEL_DROPOUTS,
                         ids=[f"{name}{list(shape)}" for name, shape, _ in CHANNEL_DROPOUTS])
def test_channel_dropout_zeros_or_scales_whole_channels(name, shape, lead):
    p = 0.3
    x = ndgrad.randn(*shape, requires_grad=True)
    y = getattr(ndgrad.nn, name)(p)(x)
    assert y.shape == x.shape
    channels = (int(np.prod(shape[:lead])), -1)
    inputs, values = x.detach().numpy().reshape(channels), y.detach().numpy().reshape(channels)
    dropped = np.all(values == 0, axis=1)
    kept = np.all(np.isclose(values, inputs / (1 - p), rtol=1e-6, atol=0), axis=1)
    assert np.all(dropped | kept), "a channel was partly dropped or wrongly scaled"
    assert abs(dropped.mean() - p) < 0.05
    y.sum().backward()
    expected_grad = np.broadcast_to(kept[:, None] / np.float32(1 - p), values.shape)
    np.testing.assert_allclose(x.grad.numpy().reshape(channels), expected_grad, rtol=1e-6)


@pytest.mark.parametrize("name, shape", [
    ("dropout1d", (3, 4, 5)), ("dropout1d", (4, 5)), ("dropout2d", (2, 3, 4, 4)),
    ("dropout3d", (2, 3, 2, 2, 2)), ("dropout3d", (4, 3, 2, 2)),
])
def test_channel_dropout_modes_and_edge_cases(name, shape):
    x = ndgrad.randn(*shape, requires_grad=True)
    function = getattr(ndgrad.nn.functional, name)
    assert getattr(ndgrad.nn, name.capitalize())(0.5).eval()(x) is x
    assert function(x, 0.5, training=False) is x and function(x, 0.0) is x
    y = function(x, 1.0)
    y.sum().backward()
    assert not np.any(y.detach().numpy()) and not np.any(x.grad.numpy())
    z = x.detach().clone()
    assert function(z, 0.5, inplace=True) is z


def test_dropout2d_warns_on_3d_input():
    with pytest.warns(UserWarning, match="channel-wise 1D dropout"):
        ndgrad.nn.functional.dropout2d(ndgrad.ones(2, 3, 4))


def test_dropout3d_takes_other_ranks_as_unbatched():
    """As in PyTorch: a warning, then channels along dim 0 (not dim 1) of a 6-D input; a 0-D
    input has no channels to drop."""
    with pytest.warns(UserWarning, match="Received a 6-D input to dropout3d"):
        y = ndgrad.nn.functional.dropout3d(ndgrad.ones(600, 2, 1, 1, 2, 1), 0.5)
    per_channel = y.numpy().reshape(600, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1)), "a channel was partly dropped"
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    assert abs((per_channel[:, 0] == 0).mean() - 0.5) < 0.1
    with pytest.warns(UserWarning, match="Received a 0-D input"), \
            pytest.raises(RuntimeError, match="dropout3d: Feature dropout requires at least 2"):
        ndgrad.nn.functional.dropout3d(ndgrad.tensor(1.0))


# ---------------------------------------------------------------- errors

ERRORS = [
    (lambda: F_nd.max_pool2d(randn(2, 3), 2), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to max_pool2d"),
    (lambda: F_nd.max_pool2d(randn(1, 1, 4, 4), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size"),
    (lambda: F_nd.avg_pool2d(randn(1, 1, 2, 2), 3), RuntimeError, "Output size is too small"),
    (lambda: F_nd.max_pool1d(randn(1, 1, 4), 2, stride=0), RuntimeError, "non-positive stride"),
    (lambda: F_nd.avg_pool2d(randn(1, 1, 4, 4), 2, divisor_override=0), RuntimeError,
     "divisor must be not zero"),
    (lambda: F_nd.adaptive_avg_pool2d(randn(1, 1, 4, 4), (2, 2, 2)), RuntimeError,
     "output_size must be 2 integers"),
    (lambda: F_nd.max_pool3d(randn(2, 3, 4), 2), RuntimeError,
     r"Expected 4D \(unbatched\) or 5D \(batched\) input to max_pool3d"),
    (lambda: F_nd.avg_pool3d(randn(1, 1, 4, 4, 4, 4), 2), RuntimeError,
     r"Expected 4D \(unbatched\) or 5D \(batched\) input to avg_pool3d"),
    (lambda: F_nd.adaptive_max_pool3d(randn(4, 4), 2), RuntimeError,
     r"Expected 4D \(unbatched\) or 5D \(batched\) input to adaptive_max_pool3d"),
    (lambda: F_nd.max_pool3d(randn(1, 1, 4, 4, 4), (2, 2)), RuntimeError,
     "expected kernel_size to be a single integer value or a list of 3 values"),
    (lambda: F_nd.max_pool3d(randn(1, 1, 4, 4, 4), 2, padding=(0, 2, 0)), RuntimeError,
     "pad should be at most half of effective kernel size"),
    (lambda: F_nd.avg_pool3d(randn(1, 1, 2, 4, 4), 3), RuntimeError, "Output size is too small"),
    (lambda: F_nd.avg_pool3d(randn(1, 1, 4, 4, 4), 2, divisor_override=0), RuntimeError,
     "divisor must be not zero"),
    (lambda: F_nd.adaptive_avg_pool3d(randn(1, 1, 4, 4, 4), (2, 2)), RuntimeError,
     "output_size must be 3 integers"),
    (lambda: F_nd.adaptive_max_pool3d(randn(1, 1, 0, 4, 4), 2), RuntimeError,
     "expected a non-empty input"),
    (lambda: F_nd.max_unpool2d(randn(1, 1, 2, 2), ndgrad.zeros(1, 1, 2, 2, dtype=ndgrad.int64),
                               2, output_size=(9, 9)), ValueError, "invalid output_size"),
    (lambda: F_nd.max_unpool3d(randn(2, 2, 2), ndgrad.zeros(2, 2, 2, dtype=ndgrad.int64), 2),
     RuntimeError, r"Expected 4D \(unbatched\) or 5D \(batched\) input to max_unpool3d"),
    (lambda: F_nd.max_unpool3d(randn(1, 1, 2, 2, 2), ndgrad.zeros(1, 1, 2, 2, 2,
                                                                  dtype=ndgrad.int64),
                               2, output_size=(4, 4)), ValueError,
     "output_size should be a sequence containing 3 or 5 elements, but it has a length of '2'"),
    (lambda: F_nd.max_unpool3d(randn(1, 1, 2, 2, 2), ndgrad.zeros(1, 2, 2, 2, 2,
                                                                  dtype=ndgrad.int64), 2),
     RuntimeError, "max_unpool3d: expected indices to have the shape of the input"),
    (lambda: F_nd.max_unpool3d(randn(1, 1, 2, 2, 2), ndgrad.full((1, 1, 2, 2, 2), 64,
                                                                 dtype=ndgrad.int64), 2),
     RuntimeError, r"Found an invalid max index: 64 \(output volumes are of size 4x4x4\)"),
    (lambda: F_nd.max_unpool2d(randn(1, 1, 2, 2), ndgrad.full((1, 1, 2, 2), -1,
                                                              dtype=ndgrad.int64), 2),
     RuntimeError, r"Found an invalid max index: -1 \(output volumes are of size 4x4\)"),
    (lambda: F_nd.lp_pool3d(randn(4, 4, 4), 2, 2), RuntimeError,
     r"Expected 4D \(unbatched\) or 5D \(batched\) input to lp_pool3d"),
    (lambda: F_nd.lp_pool3d(randn(1, 1, 4, 4, 4), 2, 5), RuntimeError, "Output size is too small"),
    (lambda: F_nd.interpolate(randn(1, 1, 4, 4)), ValueError,
     "either size or scale_factor should be defined"),
    (lambda: F_nd.interpolate(randn(1, 1, 4, 4), 3, 2.0), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: F_nd.interpolate(randn(1, 1, 4), 3, mode="bilinear"), NotImplementedError,
     "Got 3D input, but bilinear mode needs 4D input"),
    (lambda: F_nd.interpolate(randn(1, 1, 4, 4), 3, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes"),
    (lambda: F_nd.interpolate(randn(1, 1, 4, 4), 3, mode="lanczos"), NotImplementedError,
     "mode 'lanczos' is not supported"),
    (lambda: F_nd.interpolate(randn(1, 1, 4), 3, mode="bicubic"), NotImplementedError,
     r"Input Error: Only 3D, 4D and 5D input Tensors supported \(got 3D\) for the modes: "
     r"nearest \| linear \| bilinear \| bicubic"),
    (lambda: F_nd.interpolate(randn(1, 1, 4, 4, 4), 3, mode="bicubic", align_corners=True),
     NotImplementedError, r"Input Error: Only 3D, 4D and 5D input Tensors supported \(got 5D\)"),
    (lambda: F_nd.interpolate(randn(1, 1, 4, 4), 3, mode="nearest", antialias=True), ValueError,
     "Anti-alias option is restricted to bilinear and bicubic modes"),
    (lambda: F_nd.interpolate(randn(1, 1, 4, 4), 3, mode="bicubic", antialias=True),
     NotImplementedError, "antialias=True is not supported"),
    (lambda: F_nd.pixel_shuffle(randn(1, 5, 2, 2), 2), RuntimeError,
     r"input.size\(-3\)=5 is not divisible by 4"),
    (lambda: F_nd.pixel_unshuffle(randn(1, 1, 5, 4), 2), RuntimeError,
     r"expects height to be divisible by downscale_factor, but input.size\(-2\)=5"),
    (lambda: ndgrad.nn.Dropout2d(1.5), ValueError, "dropout probability has to be between"),
    (lambda: ndgrad.nn.Dropout1d(-0.1), ValueError, "dropout probability has to be between"),
    (lambda: F_nd.dropout3d(randn(2, 3, 4, 5), 1.5), ValueError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda: F_nd.dropout1d(randn(2, 3, 4, 5)), RuntimeError,
     r"dropout1d: Expected 2D or 3D input, but received a 4D input"),
    (lambda: ndgrad.nn.Dropout1d().eval()(randn(3)), RuntimeError,
     r"dropout1d: Expected 2D or 3D input, but received a 1D input"),
]
F_nd = ndgrad.nn.functional
randn = ndgrad.randn


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_tile_max_pool_passes_infinite_gradients_only_to_the_maxima(torch):
    """The tile path scatters the gradient with a mask, not a product: an inf in the output
    gradient reaches its window's maximum and no other entry (0 * inf would give nan)."""
    x = np.random.default_rng(3).standard_normal((2, 3, 6, 8))
    seed = np.ones((2, 3, 3, 4))
    seed[0, 1, 2, 3] = np.inf
    seed[1, 0, 0, 0] = -np.inf
    grads = []
    for module in (ndgrad, torch):
        leaf = module.tensor(x, requires_grad=True)
        module.nn.functional.max_pool2d(leaf, 2).backward(module.tensor(seed))
        grads.append(leaf.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert np.isinf(grads[0]).sum() == 2 and not np.isnan(grads[0]).any()
