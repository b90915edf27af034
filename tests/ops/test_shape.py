"""Shape ops against torch: values, gradients, gradcheck, error messages, storage sharing."""
import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, check_against_torch, check_gradcheck

# torch deprecates x.T on tensors that are not 2-D (it still reverses the dims, as here).
pytestmark = pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")


def module_of(t):
    """The module a tensor belongs to, so one lambda can call module-level functions."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad
    import torch
    return torch


def weighted(pieces):
    """Joins the pieces of split/chunk/unbind, each scaled differently so gradients tell."""
    pieces = [p * (i + 1) for i, p in enumerate(pieces)]
    return module_of(pieces[0]).cat([p.reshape(-1) for p in pieces])


CUBE = (2, 3, 4)
SPECS = [
    Spec("reshape", lambda x: x.reshape(4, 3)),
    Spec("reshape_tuple_infer", lambda x: x.reshape((-1, 2))),
    Spec("reshape_fn", lambda x: module_of(x).reshape(x, (2, 2, -1))),
    Spec("reshape_scalar", lambda x: x.reshape(1, 1), shapes=[()]),
    Spec("reshape_to_scalar", lambda x: x.reshape(()), shapes=[(1,)]),
    Spec("reshape_empty", lambda x: x.reshape(3, 0, 1), shapes=[(0, 3)]),
    Spec("reshape_transposed", lambda x: x.t().reshape(-1)),
    Spec("view", lambda x: x.view(2, 6)),
    Spec("view_infer", lambda x: x.view(-1), shapes=[CUBE]),
    Spec("view_as", lambda x, y: x.view_as(y), shapes=[(3, 4), (6, 2)]),
    Spec("view_scalar", lambda x: x.view(1), shapes=[()]),
    Spec("flatten", lambda x: x.flatten(), shapes=[CUBE]),
    Spec("flatten_1_2", lambda x: x.flatten(1, 2), shapes=[CUBE]),
    Spec("flatten_fn", lambda x: module_of(x).flatten(x, 0, -2), shapes=[CUBE]),
    Spec("flatten_scalar", lambda x: x.flatten(), shapes=[()]),
    Spec("flatten_empty", lambda x: x.flatten(), shapes=[(0, 3)]),
    Spec("ravel", lambda x: x.ravel(), shapes=[CUBE]),
    Spec("ravel_fn_transposed", lambda x: module_of(x).ravel(x.transpose(0, 2)), shapes=[CUBE]),
    Spec("ravel_scalar", lambda x: module_of(x).ravel(x), shapes=[()]),
    Spec("unflatten", lambda x: x.unflatten(1, (2, -1))),
    Spec("unflatten_fn", lambda x: module_of(x).unflatten(x, -1, (2, 1, 2)), shapes=[CUBE]),
    Spec("transpose", lambda x: x.transpose(0, 1)),
    Spec("transpose_neg", lambda x: x.transpose(-1, 0), shapes=[CUBE]),
    Spec("transpose_fn", lambda x: module_of(x).transpose(x, 2, 1), shapes=[CUBE]),
    Spec("transpose_scalar", lambda x: x.transpose(0, -1), shapes=[()]),
    Spec("t", lambda x: x.t()),
    Spec("t_1d", lambda x: module_of(x).t(x), shapes=[(3,)]),
    Spec("permute", lambda x: x.permute(2, 0, 1), shapes=[CUBE]),
    Spec("permute_tuple_neg", lambda x: x.permute((-1, 0, 1)), shapes=[CUBE]),
    Spec("permute_fn", lambda x: module_of(x).permute(x, (1, 0)), shapes=[(0, 3)]),
    Spec("T", lambda x: x.T),
    Spec("T_1d", lambda x: x.T, shapes=[(3,)]),
    Spec("mT", lambda x: x.mT, shapes=[CUBE]),
    Spec("swapaxes", lambda x: x.swapaxes(0, 2), shapes=[CUBE]),
    Spec("swapdims_fn", lambda x: module_of(x).swapdims(x, -1, 0), shapes=[CUBE]),
    Spec("movedim", lambda x: x.movedim(0, -1), shapes=[CUBE]),
    Spec("movedim_tuple", lambda x: x.movedim((0, 1), (2, 0)), shapes=[CUBE]),
    Spec("movedim_fn", lambda x: module_of(x).movedim(x, 2, 0), shapes=[CUBE]),
    Spec("moveaxis", lambda x: x.moveaxis(1, 0)),
    Spec("squeeze", lambda x: x.squeeze(), shapes=[(1, 3, 1, 2)]),
    Spec("squeeze_dim", lambda x: x.squeeze(-2), shapes=[(1, 3, 1, 2)]),
    Spec("squeeze_not_one", lambda x: x.squeeze(1), shapes=[(1, 3, 1, 2)]),
    Spec("squeeze_tuple", lambda x: x.squeeze((0, 1, 2)), shapes=[(1, 3, 1, 2)]),
    Spec("squeeze_fn", lambda x: module_of(x).squeeze(x, 0), shapes=[(1, 0)]),
    Spec("squeeze_scalar", lambda x: x.squeeze(0), shapes=[()]),
    Spec("unsqueeze", lambda x: x.unsqueeze(1)),
    Spec("unsqueeze_end", lambda x: x.unsqueeze(-1)),
    Spec("unsqueeze_fn", lambda x: module_of(x).unsqueeze(x, 0), shapes=[(0, 3)]),
    Spec("unsqueeze_scalar", lambda x: x.unsqueeze(-1), shapes=[()]),
    Spec("expand", lambda x: x.expand(2, 3, 4), shapes=[(3, 1)]),
    Spec("expand_keep", lambda x: x.expand(-1, 4), shapes=[(3, 1)]),
    Spec("expand_tuple", lambda x: x.expand((2, -1, 5)), shapes=[(3, 1)]),
    Spec("expand_scalar", lambda x: x.expand(2, 3), shapes=[()]),
    Spec("expand_empty", lambda x: x.expand(0, 3), shapes=[(1, 3)]),
    Spec("expand_as", lambda x, y: x.expand_as(y), shapes=[(4,), (3, 4)]),
    Spec("broadcast_to", lambda x: module_of(x).broadcast_to(x, (2, 3, 4)), shapes=[(1, 4)]),
    Spec("broadcast_to_method", lambda x: x.broadcast_to((3, 3)), shapes=[(3, 1)]),
    Spec("cat", lambda a, b: module_of(a).cat([a, b]), shapes=[(2, 3), (4, 3)]),
    Spec("cat_dim-1", lambda a, b, c: module_of(a).cat((a, b, c), -1),
         shapes=[(2, 1), (2, 3), (2, 2)]),
    Spec("cat_dim_kw", lambda a, b: module_of(a).cat([a, b], dim=1), shapes=[CUBE, (2, 1, 4)]),
    Spec("cat_empty", lambda a, b: module_of(a).cat([a, b]), shapes=[(0, 3), (2, 3)]),
    Spec("cat_legacy_1d_empty", lambda a, b: module_of(a).cat([a, b]), shapes=[(0,), (2, 3)]),
    Spec("cat_one", lambda a: module_of(a).cat([a], 1)),
    Spec("concat", lambda a, b: module_of(a).concat([a, b], 1), shapes=[(3, 1), (3, 2)]),
    Spec("stack", lambda a, b: module_of(a).stack([a, b]), shapes=[(3, 4), (3, 4)]),
    Spec("stack_dim-1", lambda a, b: module_of(a).stack((a, b), -1), shapes=[(3, 4), (3, 4)]),
    Spec("stack_dim1", lambda a, b: module_of(a).stack([a, b], dim=1), shapes=[(3, 4), (3, 4)]),
    Spec("stack_scalars", lambda a, b, c: module_of(a).stack([a, b, c]), shapes=[(), (), ()]),
    Spec("stack_empty", lambda a, b: module_of(a).stack([a, b], 1), shapes=[(0, 2), (0, 2)]),
    Spec("hstack_1d", lambda a, b: module_of(a).hstack([a, b]), shapes=[(2,), (3,)]),
    Spec("hstack_2d", lambda a, b: module_of(a).hstack([a, b]), shapes=[(3, 1), (3, 2)]),
    Spec("hstack_scalars", lambda a, b: module_of(a).hstack([a, b]), shapes=[(), (2,)]),
    Spec("vstack_scalars", lambda a, b: module_of(a).vstack([a, b]), shapes=[(), ()]),
    Spec("vstack_1d", lambda a, b: module_of(a).vstack([a, b]), shapes=[(3,), (3,)]),
    Spec("vstack_2d", lambda a, b: module_of(a).vstack((a, b)), shapes=[(1, 3), (2, 3)]),
    Spec("split", lambda x: weighted(x.split(2)), shapes=[(5, 3)]),
    Spec("split_dim", lambda x: weighted(x.split(3, dim=-1)), shapes=[(2, 4)]),
    Spec("split_list", lambda x: weighted(x.split([1, 0, 3], 1)), shapes=[(2, 4)]),
    Spec("split_fn", lambda x: weighted(module_of(x).split(x, [3, 2])), shapes=[(5, 3)]),
    Spec("split_empty", lambda x: weighted(x.split(2)), shapes=[(0, 3)]),
    Spec("chunk", lambda x: weighted(x.chunk(3)), shapes=[(5, 3)]),
    Spec("chunk_few", lambda x: weighted(x.chunk(4, dim=1)), shapes=[(2, 3)]),
    Spec("chunk_empty", lambda x: weighted(x.chunk(2)), shapes=[(0, 3)]),
    Spec("chunk_fn", lambda x: weighted(module_of(x).chunk(x, 2, -1)), shapes=[CUBE]),
    Spec("unbind", lambda x: weighted(x.unbind())),
    Spec("unbind_dim", lambda x: weighted(module_of(x).unbind(x, -1)), shapes=[CUBE]),
    Spec("narrow", lambda x: x.narrow(1, 1, 2)),
    Spec("narrow_neg_start", lambda x: module_of(x).narrow(x, -1, -3, 2), shapes=[CUBE]),
    Spec("narrow_empty", lambda x: x.narrow(0, 1, 0)),
    Spec("select", lambda x: x.select(1, 2)),
    Spec("select_neg", lambda x: module_of(x).select(x, -1, -1), shapes=[CUBE]),
    Spec("select_1d", lambda x: x.select(0, 1), shapes=[(3,)]),
    Spec("slice_step", lambda x: x[1:, ::2]),
    Spec("contiguous", lambda x: x.contiguous().view(-1)),
    Spec("contiguous_transposed", lambda x: x.t().contiguous()),
    # size-0 dims: no -1 to infer from zero elements
    Spec("flatten_empty_batch", lambda x: x.flatten(1), shapes=[(0, 2, 2)]),
    Spec("flatten_empty_middle", lambda x: x.flatten(1, 2), shapes=[(2, 0, 3, 4)]),
    Spec("flatten_module_empty", lambda x: module_of(x).nn.Flatten()(x), shapes=[(0, 2, 3)]),
    Spec("unflatten_empty", lambda x: x.unflatten(1, (-1, 3)), shapes=[(0, 6)]),
    Spec("unflatten_into_empty", lambda x: x.unflatten(1, (0, 5)), shapes=[(2, 0)]),
    Spec("view_empty_infer", lambda x: x.view(-1, 6), shapes=[(2, 0, 3)]),
    # results of cat and stack are contiguous, whatever their inputs' layout
    Spec("cat_transposed_then_view", lambda a, b: module_of(a).cat([a.t(), b.t()]).view(-1),
         shapes=[(2, 3), (2, 3)]),
    Spec("stack_transposed_then_view",
         lambda a, b: module_of(a).stack([a.t(), b.t()], 1).view(-1), shapes=[(2, 3), (2, 3)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if "empty" not in s.name], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


@pytest.mark.parametrize("op", ["reshape", "view"])
def test_reshape_view_errors_name_the_shapes(op, torch):
    for module in (ndgrad, torch):
        x = module.ones(10)
        with pytest.raises(RuntimeError, match=r"shape '\[4, 3\]' is invalid for input of size 10"):
            getattr(x, op)(4, 3)
        with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
            getattr(x, op)(-1, -1)
        with pytest.raises(RuntimeError, match=r"shape '\[-1, 3\]' is invalid for input of size"):
            getattr(x, op)(-1, 3)


def test_view_of_transposed_tensor_suggests_reshape(torch):
    for module in (ndgrad, torch):
        x = module.arange(12.0).reshape(3, 4).t()
        with pytest.raises(RuntimeError, match=r"view size is not compatible.*reshape"):
            x.view(12)
        expected = np.arange(12.0).reshape(3, 4).T.ravel()
        np.testing.assert_array_equal(x.reshape(12).numpy(), expected)


def test_contiguous_makes_a_transposed_tensor_viewable(torch):
    for module in (ndgrad, torch):
        x = module.arange(12.0).reshape(3, 4).t()
        np.testing.assert_array_equal(x.contiguous().view(12).numpy(), x.reshape(12).numpy())
        y = module.arange(12.0)
        assert y.contiguous() is y


def test_cat_and_stack_errors_name_the_sizes(torch):
    for module in (ndgrad, torch):
        a, b = module.ones(2, 3), module.ones(2, 4)
        with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in "
                                               r"dimension 0. Expected size 3 but got size 4 "
                                               r"for tensor number 1"):
            module.cat([a, b])
        with pytest.raises(RuntimeError, match=r"must have same number of dimensions"):
            module.cat([a, module.ones(2, 3, 1)])
        with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, "
                                               r"but got \[2, 3\] at entry 0 and \[2, 4\] at "
                                               r"entry 1"):
            module.stack([a, b])
        with pytest.raises(ValueError, match=r"non-empty"):
            module.cat([])
        with pytest.raises(RuntimeError, match=r"non-empty"):
            module.stack([])


BAD_ARGUMENTS = [
    lambda t: t.expand(3, 4), lambda t: t.expand(2), lambda t: t.expand(-1, 2, 3),
    lambda t: module_of(t).broadcast_to(t, (3,)), lambda t: t.squeeze(2),
    lambda t: t.squeeze((0, -2)), lambda t: t.unsqueeze(3), lambda t: t.transpose(0, 2),
    lambda t: t.permute(0, 0), lambda t: t.permute(1, 0, 2), lambda t: t.movedim((0, 1), (0,)),
    lambda t: t.movedim((0, 1), (1, 1)), lambda t: t.split([1, 2]), lambda t: t.chunk(0),
    lambda t: t.narrow(1, 2, 2), lambda t: t.narrow(1, -4, 1), lambda t: t.narrow(0, 0, -1),
    lambda t: t.select(0, 2), lambda t: t.unflatten(1, (2, 2)), lambda t: t.unflatten(1, ()),
    lambda t: t.flatten(2), lambda t: t.flatten(1, 0), lambda t: t[0].mT,
    lambda t: module_of(t).cat([t, t.sum()]), lambda t: module_of(t).cat([t, t[0]]),
    lambda t: t.sum().narrow(0, 0, 1), lambda t: t.sum().unbind(0), lambda t: t.sum().select(0, 0),
]


@pytest.mark.parametrize("fn", BAD_ARGUMENTS)
def test_bad_arguments_raise_like_torch(fn, torch):
    with pytest.raises((RuntimeError, IndexError, ValueError)) as theirs:
        fn(torch.ones(2, 3))
    with pytest.raises(theirs.type):
        fn(ndgrad.ones(2, 3))


VIEWS = [
    ("view", lambda b: b.view(4, 3)),
    ("reshape", lambda b: b.reshape(-1)),
    ("view_as", lambda b: b.view_as(b.t())),
    ("slice", lambda b: b[1:, ::2]),
    ("index", lambda b: b[2]),
    ("transpose", lambda b: b.transpose(0, 1)),
    ("T", lambda b: b.T),
    ("permute", lambda b: b.permute(1, 0)),
    ("unsqueeze_squeeze", lambda b: b.unsqueeze(0).squeeze(0)),
    ("flatten", lambda b: b.flatten()),
    ("expand", lambda b: b[:1].expand(3, 4)),
    ("narrow", lambda b: b.narrow(1, 1, 2)),
    ("diagonal", lambda b: b.diagonal()),
    ("diagonal_offset", lambda b: b.diagonal(1)),
    ("select", lambda b: b.select(1, 2)),
    ("split", lambda b: b.split(2)[1]),
    ("chunk", lambda b: b.chunk(2, 1)[0]),
    ("unbind", lambda b: b.unbind(1)[3]),
    ("movedim", lambda b: b.movedim(0, 1)),
    ("chain", lambda b: b.t().narrow(0, 1, 2).select(1, 1)),
]


@pytest.mark.parametrize("name, make_view", VIEWS, ids=[v[0] for v in VIEWS])
def test_views_share_storage_with_base(name, make_view, torch):
    for module in (ndgrad, torch):
        base = module.arange(12.0).reshape(3, 4)
        view = make_view(base)
        expected = make_view(base + 1).numpy()
        with module.no_grad():
            base.add_(1)
        np.testing.assert_array_equal(view.numpy(), expected, err_msg=module.__name__)
        if name == "expand":
            continue  # writing through an expanded view is refused by torch
        # Writing through the view changes exactly the base elements it reads.
        base = module.zeros(3, 4)
        with module.no_grad():
            make_view(base).add_(1)
        touched = make_view(module.arange(12).reshape(3, 4)).reshape(-1).numpy()
        np.testing.assert_array_equal(np.flatnonzero(base.numpy()), np.unique(touched),
                                      err_msg=module.__name__)


# Multi-output views (split, chunk, unbind) are left out: torch refuses in-place changes there.
SINGLE_VIEWS = [v for v in VIEWS if v[0] not in ("split", "chunk", "unbind")]


@pytest.mark.parametrize("name, make_view", SINGLE_VIEWS, ids=[v[0] for v in SINGLE_VIEWS])
def test_gradient_through_view_sees_in_place_change_of_base(name, make_view, torch):
    grads = []
    for module in (ndgrad, torch):
        x = module.arange(12.0).reshape(3, 4).requires_grad_()
        base = x * 1
        view = make_view(base)
        base.mul_(base.detach() + 1)
        weights = module.arange(float(view.numel())).reshape(view.shape)
        (view * weights).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(*grads)


def test_copies_do_not_share_storage(torch):
    for module in (ndgrad, torch):
        base = module.arange(12.0).reshape(3, 4)
        copies = [base.t().reshape(-1), base.flip(0), base.clone(),
                  module.cat([base, base]), module.stack([base]), base.repeat(1, 1),
                  base.diag(), base.roll(1, 0)]
        with module.no_grad():
            base.add_(100)
        assert all(c.numpy().max() < 100 for c in copies), module.__name__


@pytest.mark.parametrize("dtypes, expected", [
    (("int64", "float32"), "float32"), (("int32", "int64"), "int64"),
    (("float32", "float64"), "float64"), (("bool", "int32"), "int32"),
    (("uint8", "int8"), "int16"), (("float16", "int64"), "float16")])
def test_cat_promotes_dtypes_like_torch(dtypes, expected, torch):
    for module in (ndgrad, torch):
        parts = [module.ones(2, 2, dtype=getattr(module, d)) for d in dtypes]
        for fn in (module.cat, module.stack, module.hstack, module.vstack):
            assert str(fn(parts).dtype).split(".")[-1] == expected, (module, fn)
    for module in (ndgrad, torch):  # a legacy 1-D empty tensor still takes part in promotion
        out = module.cat([module.ones(0, dtype=module.float64), module.ones(2, 3)])
        assert tuple(out.shape) == (2, 3) and str(out.dtype).endswith("float64")
    x = ndgrad.tensor([1, 2])
    y = ndgrad.tensor([0.5], requires_grad=True)
    out = ndgrad.cat([x, y])
    out.sum().backward()
    assert out.dtype == ndgrad.float32 and y.grad.tolist() == [1.0]
