"""Rearranging ops against torch: flip, roll, repeat/tile, tril/triu, diagonals, padding."""
import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F
from tests._oracle import Spec, check_against_torch, check_gradcheck


def module_of(t):
    """The module a tensor belongs to, so one lambda can call module-level functions."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad
    import torch
    return torch


def pad(x, widths, **kwargs):
    """F.pad of ndgrad or of torch, whichever `x` belongs to."""
    if isinstance(x, ndgrad.Tensor):
        return F.pad(x, widths, **kwargs)
    import torch.nn.functional
    return torch.nn.functional.pad(x, widths, **kwargs)


CUBE = (2, 3, 4)
# (label, input shape, pad widths, keyword arguments) for every padding mode.
PADS = [
    ("const_1d", (2, 3, 4), (1, 2), {}),
    ("const_value", (3, 4), (2, 0, 1, 1), dict(value=-1.5)),
    ("const_3d", (1, 2, 3, 4), (1, 0, 0, 2, 2, 1), dict(mode="constant", value=0.5)),
    ("const_all_dims", (3, 4), (1, 1, 2, 2), {}),
    ("const_negative", (2, 3, 4), (-1, 2, 1, -1), {}),
    ("const_scalar_none", (), (), {}),
    ("const_empty", (0, 3), (1, 2), {}),
    ("reflect_1d", (2, 3, 4), (2, 3), dict(mode="reflect")),
    ("reflect_2d", (1, 2, 3, 4), (2, 1, 0, 2), dict(mode="reflect")),
    ("reflect_3d", (1, 1, 3, 3, 3), (1, 1, 2, 0, 2, 1), dict(mode="reflect")),
    ("reflect_negative", (2, 3, 5), (-1, 2), dict(mode="reflect")),
    ("replicate_1d", (2, 3, 4), (3, 1), dict(mode="replicate")),
    ("replicate_2d", (1, 2, 3, 4), (2, 1, 3, 2), dict(mode="replicate")),
    ("replicate_3d", (1, 1, 3, 3, 3), (1, 2, 0, 1, 2, 1), dict(mode="replicate")),
    ("replicate_negative", (1, 2, 3, 4), (1, -2, -1, 1), dict(mode="replicate")),
    ("replicate_empty_batch", (0, 3, 4), (1, 2), dict(mode="replicate")),
    ("circular_1d", (2, 3, 4), (4, 2), dict(mode="circular")),
    ("circular_2d", (1, 2, 3, 4), (2, 1, 3, 0), dict(mode="circular")),
    ("circular_3d", (1, 1, 3, 3, 3), (1, 2, 2, 1, 2, 1), dict(mode="circular")),
    ("circular_negative", (1, 2, 3, 4), (2, -1, -1, 1), dict(mode="circular")),
]

SPECS = [
    Spec("flip", lambda x: x.flip(0)),
    Spec("flip_dims", lambda x: x.flip(0, 2), shapes=[CUBE]),
    Spec("flip_fn_neg", lambda x: module_of(x).flip(x, (-1,)), shapes=[CUBE]),
    Spec("flip_scalar", lambda x: x.flip(0), shapes=[()]),
    Spec("flip_empty", lambda x: x.flip(0, 1), shapes=[(0, 3)]),
    Spec("fliplr", lambda x: x.fliplr()),
    Spec("flipud_fn", lambda x: module_of(x).flipud(x), shapes=[CUBE]),
    Spec("roll", lambda x: x.roll(1, 0)),
    Spec("roll_flat", lambda x: x.roll(5)),
    Spec("roll_dims", lambda x: module_of(x).roll(x, shifts=(-1, 7), dims=(2, 0)), shapes=[CUBE]),
    Spec("roll_scalar", lambda x: x.roll(2), shapes=[()]),
    Spec("roll_empty", lambda x: x.roll(1, 1), shapes=[(0, 3)]),
    Spec("repeat", lambda x: x.repeat(2, 3)),
    Spec("repeat_tuple_lead", lambda x: x.repeat((2, 1, 3)), shapes=[(3, 1)]),
    Spec("repeat_zero", lambda x: x.repeat(0, 2)),
    Spec("repeat_scalar", lambda x: x.repeat(3, 2), shapes=[()]),
    Spec("repeat_empty", lambda x: x.repeat(2, 1), shapes=[(0, 3)]),
    Spec("tile", lambda x: x.tile(2), shapes=[CUBE]),
    Spec("tile_fn", lambda x: module_of(x).tile(x, (2, 1, 2)), shapes=[(3, 4)]),
    Spec("tile_scalar", lambda x: x.tile((2,)), shapes=[()]),
    Spec("tril", lambda x: x.tril()),
    Spec("tril_offset_batched", lambda x: module_of(x).tril(x, -1), shapes=[CUBE]),
    Spec("tril_wide", lambda x: x.tril(2), shapes=[(2, 5)]),
    Spec("triu", lambda x: x.triu()),
    Spec("triu_offset_batched", lambda x: module_of(x).triu(x, 1), shapes=[CUBE]),
    Spec("triu_tall", lambda x: x.triu(-2), shapes=[(5, 2)]),
    Spec("triu_empty", lambda x: x.triu(), shapes=[(0, 3)]),
    Spec("diagonal", lambda x: x.diagonal()),
    Spec("diagonal_offset", lambda x: x.diagonal(1)),
    Spec("diagonal_neg_offset", lambda x: module_of(x).diagonal(x, -1), shapes=[(4, 3)]),
    Spec("diagonal_dims", lambda x: x.diagonal(0, 2, 0), shapes=[CUBE]),
    Spec("diagonal_dims_neg", lambda x: x.diagonal(offset=1, dim1=-1, dim2=1), shapes=[CUBE]),
    Spec("diagonal_off_edge", lambda x: x.diagonal(5)),
    Spec("diag_2d", lambda x: x.diag()),
    Spec("diag_2d_offset", lambda x: module_of(x).diag(x, -2), shapes=[(4, 3)]),
    Spec("diag_1d", lambda x: x.diag(), shapes=[(3,)]),
    Spec("diag_1d_offset", lambda x: module_of(x).diag(x, 2), shapes=[(3,)]),
    Spec("diag_1d_empty", lambda x: x.diag(-1), shapes=[(0,)]),
    Spec("diag_embed", lambda x: x.diag_embed(), shapes=[(2, 3)]),
    Spec("diag_embed_offset", lambda x: module_of(x).diag_embed(x, -1), shapes=[(3,)]),
    Spec("diag_embed_dims", lambda x: x.diag_embed(1, 0, 2), shapes=[CUBE]),
    Spec("diag_embed_dims_swapped", lambda x: x.diag_embed(-2, 3, 1), shapes=[CUBE]),
    *[Spec(f"pad_{label}", lambda x, w=widths, k=kwargs: pad(x, w, **k), shapes=[shape])
      for label, shape, widths, kwargs in PADS],
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if "empty" not in s.name], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


@pytest.mark.parametrize("fn", [
    lambda t: t.flip(0, 0), lambda t: t.flip(3), lambda t: t.roll((1, 2)),
    lambda t: t.roll(1, (0, 1)), lambda t: t.sum().roll(1, 0), lambda t: t.repeat(2),
    lambda t: t[0].tril(), lambda t: t[0].triu(),
    lambda t: t.diagonal(0, 1, -1), lambda t: t.diagonal(0, 0, 3), lambda t: t.sum().diag(),
    lambda t: t.unsqueeze(0).diag(), lambda t: t.diag_embed(0, 1, 1),
    lambda t: pad(t, (1,)), lambda t: pad(t, (1, 1) * 3), lambda t: pad(t, (3, 0), mode="reflect"),
    lambda t: pad(t, (0, 4), mode="circular"), lambda t: pad(t, (-2, -2)),
    lambda t: pad(t[:, :0], (1, 1), mode="replicate"),
    lambda t: pad(t, (1, 1), mode="wrap")])
def test_bad_arguments_raise_like_torch(fn, torch):
    with pytest.raises((RuntimeError, IndexError, ValueError, NotImplementedError)) as theirs:
        fn(torch.ones(2, 3))
    with pytest.raises(theirs.type):
        fn(ndgrad.ones(2, 3))


def test_reflect_padding_size_error_names_the_shape(torch):
    for module in (ndgrad, torch):
        with pytest.raises(RuntimeError, match=r"Padding size should be less than the "
                                               r"corresponding input dimension.*\(3, 0\)"):
            pad(module.ones(1, 2, 3), (3, 0), mode="reflect")


def test_pad_value_and_dtype_follow_the_input(torch):
    for module in (ndgrad, torch):
        out = pad(module.tensor([[1, 2]]), (1, 1), value=7)
        assert out.tolist() == [[7, 1, 2, 7]] and str(out.dtype).endswith("int64")
        out = pad(module.ones(2, dtype=module.float64), (0, 1), value=0.25)
        assert out.tolist() == [1.0, 1.0, 0.25] and str(out.dtype).endswith("float64")


def test_repeat_and_tile_gradients_sum_over_copies():
    x = ndgrad.tensor([[1.0, 2.0]], requires_grad=True)
    (x.repeat(3, 2) * ndgrad.arange(12.0).reshape(3, 4)).sum().backward()
    # x[0, 0] lands on the even columns (weights 0 + 2 + ... + 10), x[0, 1] on the odd ones.
    np.testing.assert_array_equal(x.grad.numpy(), [[30.0, 36.0]])


def test_diagonal_is_a_view_whose_gradient_sees_base_changes(torch):
    for module in (ndgrad, torch):
        x = module.arange(9.0).reshape(3, 3).requires_grad_()
        base = x.clone()
        d = base.diagonal()
        base.mul_(2)
        assert d.tolist() == [0.0, 8.0, 16.0]
        d.sum().backward()
        assert x.grad.tolist() == [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]


def test_diagonal_written_in_place_reaches_base_and_gradient(torch):
    results = []
    for module in (ndgrad, torch):
        x = module.arange(1.0, 7.0).reshape(2, 3).requires_grad_()
        base = x * 1
        base.diagonal(1).mul_(module.tensor([2.0, 3.0]))
        base.diagonal().add_(base.sum(1))
        (base * base).sum().backward()
        results.append((base.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)


# ---- found by tests/properties/test_shape_chains.py: results in C order, as PyTorch's, so a
# view of them works as in PyTorch

@pytest.mark.parametrize("fn", [lambda t: t.roll(1, 2), lambda t: t.repeat(1, 1, 1),
                                lambda t: t.tile((1, 2)), lambda t: t.tril(),
                                lambda t: t.triu(1)])
def test_rearranged_transposed_tensor_is_contiguous_as_in_torch(fn, torch):
    results = []
    for lib in (ndgrad, torch):
        y = fn(lib.arange(24.0).reshape(2, 3, 4).mT)
        assert y.is_contiguous()
        results.append(y.view(-1).numpy())
    np.testing.assert_array_equal(*results)


def test_roll_and_repeat_of_a_0d_tensor_stay_0d(torch):
    for lib in (ndgrad, torch):
        x = lib.tensor(2.0)
        assert tuple(x.roll(1).shape) == () and tuple(x.repeat(()).shape) == ()
