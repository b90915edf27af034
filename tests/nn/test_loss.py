"""Losses against torch: values, input and target gradients, second derivatives, gradcheck."""
from functools import partial

import numpy as np
import pytest

import ndgrad
from ndgrad import nn
from ndgrad.nn import functional as F
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck

REDUCTIONS = ("mean", "sum", "none")
CLASSES = [0, 2, 1, 2]                  # class indices for a (4, 3) input
SPATIAL = [[0, 2, 1, 1], [2, 0, 0, 1]]  # class indices for a (2, 3, 4) input
SIGNS = [1.0, -1.0, -1.0, 1.0]          # {1, -1} targets for 4 samples


def lib(t):
    """ndgrad or torch, whichever `t` belongs to, so one lambda builds targets for both."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad
    import torch
    return torch


def fn(t):
    return lib(t).nn.functional


def const(t, values):
    return lib(t).tensor(values)


def rows(name, loss, shapes, reductions=REDUCTIONS, **spec_kwargs):
    """One Spec per reduction; `loss(reduction, *tensors)` computes the loss."""
    return [Spec(f"{name}-{r}", partial(loss, r), shapes=shapes, **spec_kwargs)
            for r in reductions]


PAIR = [(3, 4), (3, 4)]
WEIGHTED_PAIR = [(3, 4), (3, 4), (3, 4)]
PROBS = dict(low=0.05, high=0.95)
POSITIVE = dict(low=0.1, high=3.0)

SPECS = [
    *rows("l1", lambda r, x, y: fn(x).l1_loss(x, y, reduction=r), PAIR),
    *rows("l1_weight", lambda r, x, y, w: fn(x).l1_loss(x, y, reduction=r, weight=w.exp()),
          WEIGHTED_PAIR, constant_inputs=(2,)),
    *rows("mse", lambda r, x, y: fn(x).mse_loss(x, y, reduction=r), PAIR),
    *rows("mse_weight", lambda r, x, y, w: fn(x).mse_loss(x, y, reduction=r, weight=w.exp()),
          WEIGHTED_PAIR, constant_inputs=(2,)),
    *rows("smooth_l1", lambda r, x, y: fn(x).smooth_l1_loss(x, y, reduction=r, beta=0.5), PAIR),
    *rows("smooth_l1_beta0", lambda r, x, y: fn(x).smooth_l1_loss(x, y, reduction=r, beta=0.0),
          PAIR, reductions=("mean",)),
    *rows("huber", lambda r, x, y: fn(x).huber_loss(x, y, reduction=r, delta=0.5), PAIR),
    *rows("huber_weight", lambda r, x, y, w: fn(x).huber_loss(x, y, r, 1.5, weight=w.exp()),
          WEIGHTED_PAIR, constant_inputs=(2,)),
    *rows("nll", lambda r, x: fn(x).nll_loss(
        fn(x).log_softmax(x, 1), const(x, CLASSES), reduction=r), [(4, 3)]),
    *rows("nll_weight_ignore", lambda r, x, w: fn(x).nll_loss(
        x, const(x, CLASSES), w.exp(), ignore_index=2, reduction=r), [(4, 3), (3,)],
        constant_inputs=(1,)),
    *rows("nll_spatial", lambda r, x: fn(x).nll_loss(x, const(x, SPATIAL), reduction=r),
          [(2, 3, 4)]),
    *rows("nll_unbatched", lambda r, x: fn(x).nll_loss(x, const(x, 1), reduction=r), [(3,)]),
    *rows("cross_entropy", lambda r, x: fn(x).cross_entropy(x, const(x, CLASSES), reduction=r),
          [(4, 3)]),
    *rows("ce_weight", lambda r, x, w: fn(x).cross_entropy(
        x, const(x, CLASSES), w.exp(), reduction=r), [(4, 3), (3,)], constant_inputs=(1,)),
    *rows("ce_ignore", lambda r, x: fn(x).cross_entropy(
        x, const(x, CLASSES), ignore_index=0, reduction=r), [(4, 3)]),
    *rows("ce_smoothing", lambda r, x: fn(x).cross_entropy(
        x, const(x, CLASSES), reduction=r, label_smoothing=0.2), [(4, 3)]),
    *rows("ce_weight_ignore_smoothing", lambda r, x, w: fn(x).cross_entropy(
        x, const(x, CLASSES), w.exp(), ignore_index=2, reduction=r, label_smoothing=0.3),
        [(4, 3), (3,)], constant_inputs=(1,)),
    *rows("ce_spatial_all_options", lambda r, x, w: fn(x).cross_entropy(
        x, const(x, SPATIAL), w.exp(), ignore_index=1, reduction=r, label_smoothing=0.1),
        [(2, 3, 4), (3,)], constant_inputs=(1,)),
    *rows("ce_unbatched", lambda r, x: fn(x).cross_entropy(
        x, const(x, 2), reduction=r, label_smoothing=0.1), [(3,)]),
    *rows("ce_probs", lambda r, x, t: fn(x).cross_entropy(
        x, fn(t).softmax(t, 1), reduction=r), [(4, 3), (4, 3)]),
    *rows("ce_probs_weight_smoothing", lambda r, x, t, w: fn(x).cross_entropy(
        x, fn(t).softmax(t, 1), w.exp(), reduction=r, label_smoothing=0.2),
        [(2, 3, 4), (2, 3, 4), (3,)], constant_inputs=(2,)),
    *rows("ce_probs_unbatched", lambda r, x, t: fn(x).cross_entropy(
        x, fn(t).softmax(t, 0), reduction=r), [(3,), (3,)], reductions=("mean",)),
    *rows("bce", lambda r, p, t: fn(p).binary_cross_entropy(p, t, reduction=r), PAIR, **PROBS),
    *rows("bce_weight", lambda r, p, t, w: fn(p).binary_cross_entropy(p, t, w, reduction=r),
          [(3, 4), (3, 4), (4,)], constant_inputs=(2,), **PROBS),
    *rows("bce_logits", lambda r, x, t: fn(x).binary_cross_entropy_with_logits(
        x, t.sigmoid(), reduction=r), PAIR),
    *rows("bce_logits_weights", lambda r, x, t, w, pw: fn(x).binary_cross_entropy_with_logits(
        x, t.sigmoid(), w.exp(), reduction=r, pos_weight=pw.exp()), [(3, 4), (3, 4), (3, 1), (4,)],
        constant_inputs=(2, 3)),
    *rows("kl_div", lambda r, x, t: fn(x).kl_div(
        fn(x).log_softmax(x, 1), fn(t).softmax(t, 1), reduction=r), PAIR,
        reductions=REDUCTIONS + ("batchmean",)),
    *rows("kl_div_log_target", lambda r, x, t: fn(x).kl_div(x, t, reduction=r, log_target=True),
          PAIR, reductions=("batchmean", "none")),
    *rows("poisson", lambda r, x, t: fn(x).poisson_nll_loss(x, t, reduction=r), PAIR, **POSITIVE),
    *rows("poisson_full", lambda r, x, t: fn(x).poisson_nll_loss(x, t, full=True, reduction=r),
          PAIR, reductions=("none",), **POSITIVE),
    *rows("poisson_rate", lambda r, x, t: fn(x).poisson_nll_loss(
        x, t, log_input=False, eps=0.1, reduction=r), PAIR, reductions=("sum",), **POSITIVE),
    *rows("gaussian", lambda r, x, t, v: fn(x).gaussian_nll_loss(x, t, v, reduction=r),
          [(3, 4)] * 3, **POSITIVE),
    *rows("gaussian_full_eps", lambda r, x, t, v: fn(x).gaussian_nll_loss(
        x, t, v, full=True, eps=0.8, reduction=r), [(3, 4), (3, 4), (3,)], reductions=("none",),
        **POSITIVE),
    *rows("gaussian_var_column", lambda r, x, t, v: fn(x).gaussian_nll_loss(x, t, v, reduction=r),
          [(3, 4), (3, 4), (3, 1)], reductions=("sum",), **POSITIVE),
    *rows("gaussian_float_var", lambda r, x, t: fn(x).gaussian_nll_loss(x, t, 0.7, reduction=r),
          PAIR, reductions=("mean",)),
    *rows("margin_ranking", lambda r, a, b, y: fn(a).margin_ranking_loss(
        a, b, y, margin=0.3, reduction=r), [(6,)] * 3),
    *rows("hinge_embedding", lambda r, x: fn(x).hinge_embedding_loss(
        x, const(x, [SIGNS, SIGNS[::-1]]), margin=0.5, reduction=r), [(2, 4)]),
    *rows("soft_margin", lambda r, x: fn(x).soft_margin_loss(x, const(x, SIGNS), reduction=r),
          [(3, 4)]),
    *rows("multilabel_soft_margin", lambda r, x, t, w: fn(x).multilabel_soft_margin_loss(
        x, t, w, reduction=r), [(3, 4), (3, 4), (4,)], constant_inputs=(2,)),
    *rows("cosine_embedding", lambda r, a, b: fn(a).cosine_embedding_loss(
        a, b, const(a, SIGNS), margin=0.2, reduction=r), [(4, 5), (4, 5)]),
    *rows("cosine_embedding_unbatched", lambda r, a, b: fn(a).cosine_embedding_loss(
        a, b, const(a, -1.0), margin=-0.5, reduction=r), [(5,), (5,)], reductions=("none",)),
    *rows("triplet", lambda r, a, p, n: fn(a).triplet_margin_loss(a, p, n, reduction=r),
          [(4, 5)] * 3),
    *rows("triplet_p3_swap", lambda r, a, p, n: fn(a).triplet_margin_loss(
        a, p, n, margin=2.0, p=3, swap=True, reduction=r), [(4, 5)] * 3, reductions=("none",)),
    *rows("multi_margin", lambda r, x: fn(x).multi_margin_loss(x, const(x, CLASSES), reduction=r),
          [(4, 3)], gradgrad=False),  # torch has no double backward for multi_margin_loss
    *rows("multi_margin_p2_weight", lambda r, x, w: fn(x).multi_margin_loss(
        x, const(x, CLASSES), p=2, margin=0.7, weight=w.exp(), reduction=r), [(4, 3), (3,)],
        constant_inputs=(1,), gradgrad=False),
    *rows("multi_margin_unbatched", lambda r, x: fn(x).multi_margin_loss(
        x, const(x, 1), reduction=r), [(3,)], reductions=("none",), gradgrad=False),
]

GRADCHECK = ["mse_weight-mean", "smooth_l1-none", "huber-sum", "nll_weight_ignore-mean",
             "ce_weight_ignore_smoothing-mean", "ce_probs_weight_smoothing-sum", "bce-mean",
             "bce_logits_weights-mean", "kl_div-batchmean", "poisson_full-none",
             "gaussian_full_eps-none", "margin_ranking-mean", "multilabel_soft_margin-mean",
             "cosine_embedding-none", "triplet_p3_swap-none", "multi_margin_p2_weight-sum"]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # torch's kl_div notice
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name in GRADCHECK], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


def test_gradcheck_table_names_exist():
    assert set(GRADCHECK) <= {s.name for s in SPECS}


# ---- modules ----

def _inputs(kind):
    rng = np.random.default_rng(0)
    x, y = (ndgrad.tensor(rng.standard_normal((4, 3))) for _ in range(2))
    return {"pair": (x, y), "classes": (x, ndgrad.tensor(CLASSES)),
            "probs": (x.sigmoid(), y.sigmoid()), "var": (x, y, y.exp()),
            "signs": (x[:, 0], y[:, 0], ndgrad.tensor(SIGNS)),
            "rows_signs": (x, y, ndgrad.tensor(SIGNS)),
            "sign": (x[:, 0], ndgrad.tensor(SIGNS)),
            "triplet": (x, y, y * 2)}[kind]


WEIGHT = ndgrad.tensor([0.5, 1.0, 2.0], dtype=ndgrad.float64)
# (module, functional, its keyword arguments, inputs): module(*inputs) == functional(*inputs, **kw)
MODULES = [
    (nn.L1Loss, F.l1_loss, dict(reduction="sum"), "pair"),
    (nn.MSELoss, F.mse_loss, dict(reduction="none"), "pair"),
    (nn.SmoothL1Loss, F.smooth_l1_loss, dict(beta=0.3), "pair"),
    (nn.HuberLoss, F.huber_loss, dict(delta=0.3, reduction="sum"), "pair"),
    (nn.NLLLoss, F.nll_loss, dict(weight=WEIGHT, ignore_index=1), "classes"),
    (nn.CrossEntropyLoss, F.cross_entropy,
     dict(weight=WEIGHT, ignore_index=0, label_smoothing=0.1), "classes"),
    (nn.BCELoss, F.binary_cross_entropy, dict(weight=WEIGHT), "probs"),
    (nn.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits,
     dict(weight=WEIGHT, pos_weight=WEIGHT * 2), "pair"),
    (nn.KLDivLoss, F.kl_div, dict(reduction="batchmean", log_target=True), "pair"),
    (nn.PoissonNLLLoss, F.poisson_nll_loss, dict(full=True, eps=1e-3), "probs"),
    (nn.GaussianNLLLoss, F.gaussian_nll_loss, dict(full=True, eps=1e-3), "var"),
    (nn.MarginRankingLoss, F.margin_ranking_loss, dict(margin=0.4), "signs"),
    (nn.HingeEmbeddingLoss, F.hinge_embedding_loss, dict(margin=2.0), "sign"),
    (nn.SoftMarginLoss, F.soft_margin_loss, dict(reduction="sum"), "sign"),
    (nn.MultiLabelSoftMarginLoss, F.multilabel_soft_margin_loss, dict(weight=WEIGHT), "probs"),
    (nn.CosineEmbeddingLoss, F.cosine_embedding_loss, dict(margin=0.1), "rows_signs"),
    (nn.TripletMarginLoss, F.triplet_margin_loss, dict(margin=0.5, p=1, swap=True), "triplet"),
    (nn.MultiMarginLoss, F.multi_margin_loss, dict(p=2, margin=0.5, weight=WEIGHT), "classes"),
]


@pytest.mark.parametrize("module, function, kwargs, kind", MODULES,
                         ids=[m[0].__name__ for m in MODULES])
def test_module_matches_functional(module, function, kwargs, kind):
    inputs = _inputs(kind)
    loss = module(**kwargs)
    np.testing.assert_array_equal(loss(*inputs).numpy(), function(*inputs, **kwargs).numpy())
    if "weight" in kwargs:
        assert loss.weight is WEIGHT and "weight" in loss.state_dict()


@pytest.mark.parametrize("module", [m[0] for m in MODULES], ids=lambda m: m.__name__)
def test_module_repr_matches_torch_by_default(module, torch):
    assert repr(module()) == repr(getattr(torch.nn, module.__name__)())


def test_module_repr_shows_changed_options():
    assert repr(nn.CrossEntropyLoss(ignore_index=3, label_smoothing=0.1)) == \
        "CrossEntropyLoss(ignore_index=3, label_smoothing=0.1)"
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"
    assert repr(nn.HingeEmbeddingLoss(margin=2.0)) == "HingeEmbeddingLoss(margin=2.0)"


def test_legacy_reduction_flags():
    x, y = _inputs("pair")
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"
    assert F.mse_loss(x, y, size_average=False).item() == pytest.approx(
        F.mse_loss(x, y, reduction="sum").item())
    assert F.nll_loss(x, ndgrad.tensor(CLASSES), reduce=False).shape == (4,)


# ---- targets from the seed articles, stability, edge values ----

def test_seed_one_hot_and_index_targets():
    """The seed's example: log-probabilities of 2 samples over 4 classes, true classes 3 and 0."""
    log_probs = ndgrad.tensor([[-3.4402, -2.4402, -1.4402, -0.4402],
                               [-0.1852, -4.1852, -2.1852, -3.1852]], requires_grad=True)
    one_hot = ndgrad.tensor([[0, 0, 0, 1], [1, 0, 0, 0]])
    by_index = F.nll_loss(log_probs, ndgrad.tensor([3, 0]))
    assert by_index.item() == pytest.approx((0.4402 + 0.1852) / 2)
    for reduction in REDUCTIONS:
        assert_close(F.nll_loss(log_probs, one_hot, reduction=reduction),
                     F.nll_loss(log_probs, ndgrad.tensor([3, 0]), reduction=reduction),
                     "float32", f"one-hot against index targets, {reduction}")
    logits = log_probs + 5.0
    grads = [ndgrad.autograd.grad(F.cross_entropy(logits, t), log_probs)[0]
             for t in (one_hot, one_hot.float(), ndgrad.tensor([3, 0]))]
    for g in grads[1:]:
        np.testing.assert_allclose(g.numpy(), grads[0].numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss", ["ce", "ce_smooth", "ce_probs", "bce_logits"])
def test_large_logits_are_finite(loss, dtype, torch):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [5e3, 1e4, -1e4]], dtype=dtype)
    probs = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    calls = {"ce": lambda x: fn(x).cross_entropy(x, const(x, [1, 0, 2])),
             "ce_smooth": lambda x: fn(x).cross_entropy(x, const(x, [1, 0, 2]),
                                                        label_smoothing=0.1),
             "ce_probs": lambda x: fn(x).cross_entropy(x, lib(x).tensor(probs)),
             "bce_logits": lambda x: fn(x).binary_cross_entropy_with_logits(
                 x, lib(x).tensor(probs), reduction="sum")}
    results = []
    for module in (ndgrad, torch):
        x = module.tensor(logits, requires_grad=True)
        value = calls[loss](x)
        results.append((value, module.autograd.grad(value, x)[0]))
    (ours, grad_ours), (theirs, grad_theirs) = results
    assert np.isfinite(ours.item()) and np.all(np.isfinite(grad_ours.numpy()))
    assert_close(ours, theirs, dtype, "loss")
    assert_close(grad_ours, grad_theirs, dtype, "gradient")


def test_bce_at_zero_and_one_is_floored_like_torch(torch):
    p, t = [0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]
    probs = ndgrad.tensor(p, requires_grad=True)
    ours = F.binary_cross_entropy(probs, ndgrad.tensor(t), reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(t),
                                                      reduction="none")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy())  # 0 and the 100 floor
    # The floored log is flat at the edge, so the gradient is finite (torch's is +-1e12 there).
    assert np.all(np.isfinite(ndgrad.autograd.grad(ours.sum(), probs)[0].numpy()))


def test_zero_logits_gradient_is_half():
    x = ndgrad.zeros(3, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, ndgrad.ones(3), reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), -0.5)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # 0 / 0, as in torch
def test_all_targets_ignored_gives_nan_mean_like_torch():
    x = ndgrad.randn(2, 3)
    assert np.isnan(F.cross_entropy(x, ndgrad.tensor([-100, -100])).item())
    assert F.cross_entropy(x, ndgrad.tensor([-100, -100]), reduction="sum").item() == 0


def test_mismatched_target_size_warns_and_broadcasts():
    with pytest.warns(UserWarning, match="different to the input size"):
        loss = F.mse_loss(ndgrad.zeros(3, 2), ndgrad.ones(2), reduction="none")
    assert loss.shape == (3, 2)


X, W = ndgrad.randn(4, 3), ndgrad.ones(3)
ERRORS = [
    (lambda: F.nll_loss(X, ndgrad.tensor([0, 3, 1, 1])), IndexError, "Target 3 is out of bounds"),
    (lambda: F.cross_entropy(X, ndgrad.tensor([0, -1, 1, 1])), IndexError, "Target -1"),
    (lambda: F.nll_loss(X, ndgrad.tensor([0, 1, 1])), ValueError, r"batch_size \(4\).*\(3\)"),
    (lambda: F.cross_entropy(ndgrad.randn(2, 3, 4), ndgrad.tensor([[0, 1], [1, 0]])),
     RuntimeError, r"target size \[2, 4\].*\[2, 3, 4\], got \[2, 2\]"),
    (lambda: F.cross_entropy(X, ndgrad.rand(4)), RuntimeError, r"integer class-index.*\[4, 3\]"),
    (lambda: F.cross_entropy(X, ndgrad.tensor(CLASSES), ndgrad.ones(4)), RuntimeError,
     r"all 3 classes.*\[4\]"),
    (lambda: F.cross_entropy(X, ndgrad.rand(4, 3), ignore_index=1), RuntimeError,
     "ignore_index is not supported"),
    (lambda: F.cross_entropy(X, ndgrad.tensor(CLASSES), label_smoothing=1.5), RuntimeError,
     "label_smoothing"),
    (lambda: F.cross_entropy(ndgrad.tensor(1.0), ndgrad.tensor(0)), ValueError, "dimensions"),
    (lambda: F.mse_loss(X, X, reduction="avg"), ValueError, "avg is not a valid"),
    (lambda: F.kl_div(X, X, reduction="batch"), ValueError, "batch is not a valid"),
    (lambda: F.mse_loss(X, X, weight=W), ValueError, r"weight \[3\], input \[4, 3\]"),
    (lambda: F.binary_cross_entropy(X.sigmoid(), W), ValueError, "target size"),
    (lambda: F.binary_cross_entropy(X, X.sigmoid()), RuntimeError, "between 0 and 1"),
    (lambda: F.binary_cross_entropy_with_logits(X, W), ValueError, "Target size"),
    (lambda: F.gaussian_nll_loss(X, X, ndgrad.ones(2, 3)), ValueError, r"var \[2, 3\]"),
    (lambda: F.gaussian_nll_loss(X, X, -W), ValueError, "negative"),
    (lambda: F.margin_ranking_loss(X, X[0], X), RuntimeError, "same dimension"),
    (lambda: F.cosine_embedding_loss(X, X, W[:1].reshape(())), RuntimeError, "0D target"),
    (lambda: F.triplet_margin_loss(X, X, X, margin=0.0), ValueError, "margin"),
    (lambda: F.triplet_margin_loss(X, X, X[0]), RuntimeError, "2D, positive 2D, and negative 1D"),
    (lambda: F.multi_margin_loss(X, ndgrad.tensor(CLASSES), p=3), ValueError, "p == 1"),
    (lambda: F.multi_margin_loss(X, ndgrad.tensor([0, 1, 2, 5])), RuntimeError, "Target 5"),
    (lambda: nn.MultiMarginLoss(weight=ndgrad.ones(2, 3)), ValueError, "1D tensor"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=range(len(ERRORS)))
def test_errors_name_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_mean_over_only_ignored_targets_is_nan_with_zero_gradient(loss, torch):
    values = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    results = []
    for module in (ndgrad, torch):
        x = module.tensor(values, requires_grad=True)
        out = getattr(module.nn.functional, loss)(x, module.tensor([2, 2, 2]), ignore_index=2)
        out.backward()
        results.append((out.item(), x.grad.numpy()))
    (ours, grad_ours), (theirs, grad_theirs) = results
    assert np.isnan(ours) and np.isnan(theirs)
    np.testing.assert_array_equal(grad_ours, grad_theirs)
    assert not grad_ours.any()
