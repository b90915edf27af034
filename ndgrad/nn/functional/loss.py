"""Loss functions, composed from differentiable primitives so that double backward works.

Every loss takes `reduction` ('none', 'mean' or 'sum') and PyTorch's legacy `size_average` /
`reduce` flags, which, when given, override `reduction` as they do in PyTorch.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ndgrad._creation import arange, full_like
from ndgrad._tensor import Tensor
from ndgrad.nn.functional.activation import log_softmax
from ndgrad.nn.functional.distance import pairwise_distance
from ndgrad.ops import elementwise as ew
from ndgrad.ops import fused, indexing
from ndgrad.ops._common import tensor_arg

_REDUCTIONS = ("none", "mean", "sum")

# binary_cross_entropy floors log(p) at -100, as PyTorch does, so p = 0 or 1 gives a finite loss.
_LOG_FLOOR = -100.0


def legacy_get_string(size_average: bool | None, reduce: bool | None,
                      reduction: str = "mean") -> str:
    """The reduction PyTorch's legacy flags stand for, or `reduction` when neither is given
    (shared with nn.modules.loss)."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _reduction_mode(size_average: bool | None, reduce: bool | None, reduction: str,
                    allowed: tuple = _REDUCTIONS) -> str:
    reduction = legacy_get_string(size_average, reduce, reduction)
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _check_tensors(op: str, **tensors) -> None:
    """The loss's leading arguments, named in order, are Tensors (a `weight` may be None): a
    number, list or array is a mistake PyTorch refuses too."""
    for position, (name, value) in enumerate(tensors.items(), 1):
        if value is not None or name != "weight":
            tensor_arg(value, op, name, position)


def _warn_size(input: Tensor, target: Tensor) -> None:
    # PyTorch broadcasts a differently shaped target with this warning rather than refusing it.
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _weighted(loss: Tensor, weight: Tensor | None, input: Tensor, reduction: str,
              mean_over_weight: bool = True) -> Tensor:
    """Elementwise `weight` times `loss`; the mean divides by the weights' sum, as PyTorch's
    weighted mse_loss and l1_loss do (huber_loss takes a plain mean)."""
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"Weights and input must have the same size (weight "
                         f"{list(weight.shape)}, input {list(input.shape)}).")
    loss = loss * weight
    if reduction == "mean" and mean_over_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _softplus(z: Tensor) -> Tensor:
    """log(1 + e^z) without overflow; the gradient is sigmoid(z) everywhere, z = 0 included."""
    # m + log(e^-m + e^(z-m)) equals log(1 + e^z) for every m, so m = max(z, 0) only keeps the
    # exponents <= 0 and is detached (see Note [stable logsumexp] in ndgrad/ops/reduction.py).
    m = ew.relu(z.detach())
    return m + ew.log(ew.exp(-m) + ew.exp(z - m))


def _floored_log(x: Tensor) -> Tensor:
    """log(x) floored at -100, with a zero (not NaN) gradient where x is 0."""
    positive = x > 0
    log_x = ew.clamp(ew.log(ew.where(positive, x, 1.0)), min=_LOG_FLOOR)
    return ew.where(positive, log_x, _LOG_FLOOR)


def _xlogx(x: Tensor) -> Tensor:
    """x * log(x), and 0 where x is 0 (the limit)."""
    positive = x > 0
    return ew.where(positive, x * ew.log(ew.where(positive, x, 1.0)), 0.0)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|input - target|, optionally weighted elementwise."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("l1_loss", input=input, target=target)
    _warn_size(input, target)
    return _weighted(ew.abs(input - target), weight, input, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(input - target)^2, optionally weighted elementwise."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("mse_loss", input=input, target=target)
    _warn_size(input, target)
    return _weighted(ew.square(input - target), weight, input, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2, for d = input - target."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("smooth_l1_loss", input=input, target=target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    _warn_size(input, target)
    diff = input - target
    distance = ew.abs(diff)
    if beta == 0:
        return _reduce(distance, reduction)
    loss = ew.where(distance < beta, diff * diff * (0.5 / beta), distance - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2), for d = input - target."""
    reduction = _reduction_mode(None, None, reduction)
    _check_tensors("huber_loss", input=input, target=target)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got "
                           f"{delta}")
    _warn_size(input, target)
    diff = input - target
    distance = ew.abs(diff)
    loss = ew.where(distance < delta, diff * diff * 0.5, (distance - 0.5 * delta) * delta)
    return _weighted(loss, weight, input, reduction, mean_over_weight=False)


def _class_weight(weight: Tensor, ndim: int, class_dim: int, dtype) -> Tensor:
    """The per-class `weight` shaped to broadcast along `class_dim` of an `ndim`-D input."""
    return weight.to(dtype).reshape((-1,) + (1,) * (ndim - class_dim - 1))


def _check_class_weight(weight: Tensor | None, classes: int) -> None:
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")


def _check_class_target(input: Tensor, target: Tensor, name: str) -> None:
    """Class-index targets: integers of shape (N, d1, ...) for input (N, C, d1, ...), or a single
    index for an unbatched (C,) input. (Reads the arrays' shapes: this runs every step.)"""
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected an integer class-index target, got dtype "
                           f"{target.dtype.name} of shape {list(target.shape)}; a target of "
                           f"class probabilities must have the input's shape "
                           f"{list(input.shape)}")
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"{name}: expected target dtype to be int64 or uint8 (Long or Byte), "
                           f"but got {target.dtype.name}")
    have, shape = target._data.shape, input._data.shape
    if len(shape) == 1:
        if len(have) > 1 or target.numel() != 1:
            raise RuntimeError(f"{name}: an unbatched input of shape {list(shape)} takes a "
                               f"0-D target, got target of shape {list(have)}")
        return
    expected = shape[:1] + shape[2:]
    if have == expected:
        return
    if have and have[0] != shape[0]:
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target "
                         f"batch_size ({have[0]}).")
    raise RuntimeError(f"{name}: expected target size {list(expected)} for input of shape "
                       f"{list(shape)}, got {list(have)}")


def _check_class_range(target: Tensor, classes: int, name: str, ignore_index: int | None = None,
                       error: type = IndexError) -> bool:
    """Raises `error` for a target outside [0, classes) that is not `ignore_index`; returns
    whether some target is `ignore_index`. Checked on the raw array: it runs every step."""
    values = target._data
    if not values.size:
        return False
    low, high = int(values.min()), int(values.max())
    if ignore_index is None or not low <= ignore_index <= high:
        ignored = False
    else:
        ignored = bool((values == ignore_index).any())
    if 0 <= low and high < classes:
        return ignored  # the common case: two reductions
    bad = (values < 0) | (values >= classes)
    allowed = f"[0, {classes - 1}]"
    if ignored:
        bad &= values != ignore_index
        allowed += f" or equal ignore_index={ignore_index}"
    if bad.any():
        raise error(f"Target {values[bad][0]} is out of bounds. ({name}: {classes} "
                    f"classes, so targets must lie in {allowed})")
    return ignored


def _class_index_loss(log_probs: Tensor, target: Tensor, weight: Tensor | None,
                      ignore_index: int, reduction: str, label_smoothing: float,
                      name: str, from_logits: bool = False) -> Tensor:
    """-weight[t] * log_probs[t] per element, smoothed towards the mean over classes; the mean
    divides by the summed weights of the targets not equal to `ignore_index`, as PyTorch does.
    With `from_logits` (unsmoothed only) `log_probs` holds logits and log_softmax is fused in."""
    _check_class_target(log_probs, target, name)
    out_shape = target._data.shape
    if log_probs.ndim == 1:
        log_probs, target = log_probs.unsqueeze(0), target.reshape(1)
    classes = log_probs._data.shape[1]
    _check_class_weight(weight, classes)
    ignored = _check_class_range(target, classes, name, ignore_index)
    if label_smoothing == 0:
        return _fused_class_index_loss(log_probs, target, ignore_index if ignored else None,
                                       weight, reduction, out_shape, from_logits)
    target = target.long()
    kept = target != ignore_index
    index = ew.where(kept, target, 0)
    picked = indexing.gather(log_probs, 1, index.unsqueeze(1)).squeeze(1)
    element_weight = kept.to(log_probs.dtype)
    if weight is not None:
        element_weight = weight.to(log_probs.dtype)[index] * element_weight
    loss = -(picked * element_weight)
    if label_smoothing > 0:
        terms = log_probs
        if weight is not None:
            terms = terms * _class_weight(weight, log_probs.ndim, 1, log_probs.dtype)
        smooth = -terms.sum(1) * kept.to(log_probs.dtype)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / element_weight.sum()


def _fused_class_index_loss(log_probs: Tensor, target: Tensor, ignore_index: int | None,
                            weight: Tensor | None, reduction: str, out_shape: tuple,
                            from_logits: bool) -> Tensor:
    """The unsmoothed class-index loss as one fused op (see ndgrad/ops/fused.py), of logits
    when `from_logits`; the per-element weights are constants, computed on arrays.
    `ignore_index` is None when no target equals it."""
    loss_op = fused.cross_entropy if from_logits else fused.nll_loss
    index = target._data.astype(np.int64, copy=False)
    if ignore_index is None and weight is None:
        loss = loss_op(log_probs, index, None, reduction, index.size)
    else:
        dtype = log_probs._data.dtype
        element_weight = np.ones(index.shape, dtype)
        if ignore_index is not None:
            kept = index != ignore_index
            index = np.where(kept, index, 0)
            element_weight *= kept
        if weight is not None:
            element_weight *= weight._data.astype(dtype)[index]
        total = element_weight.sum(dtype=dtype)
        loss = loss_op(log_probs, index, element_weight, reduction, total)
    return loss.reshape(out_shape) if reduction == "none" else loss


def _soft_target_loss(log_probs: Tensor, target: Tensor, weight: Tensor | None,
                      ignore_index: int, reduction: str, label_smoothing: float) -> Tensor:
    """-sum over classes of weight * target * log_probs, for probability or one-hot targets;
    the mean is over the other dims (the seed's errors.sum() / N, and PyTorch's)."""
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    class_dim = 0 if log_probs.ndim == 1 else 1
    classes = log_probs.shape[class_dim]
    _check_class_weight(weight, classes)
    if not target.is_floating_point():
        target = target.to(log_probs.dtype)  # the seed's integer one-hot targets
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = log_probs * target
    if weight is not None:
        terms = terms * _class_weight(weight, log_probs.ndim, class_dim, log_probs.dtype)
    return _reduce(-terms.sum(class_dim), reduction)


def _check_has_dims(input: Tensor) -> None:
    if input.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got 0) for input of shape "
                         f"{list(input.shape)}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities `input` (class dim 1, or 0 when unbatched).

    `target` holds class indices of shape (N, d1, ...), or, as in the seed articles (not
    PyTorch), one-hot or probability rows of the input's own shape.
    Example: nll_loss(logp, tensor([2, -100])) ignores the second sample, so the mean is
    -logp[0, 2] (divided by weight[2] if weighted).
    """
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("nll_loss", input=input, target=target, weight=weight)
    _check_has_dims(input)
    if tuple(target.shape) == tuple(input.shape):
        return _soft_target_loss(input, target, weight, ignore_index, reduction, 0.0)
    return _class_index_loss(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """nll_loss of log_softmax(input) over the class dim: logits in, stable for large logits.

    `target` holds class indices (N, d1, ...) or class probabilities / one-hot rows of the
    input's shape (integer one-hot targets are accepted, as in the seed articles).
    """
    reduction = _reduction_mode(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    _check_tensors("cross_entropy", input=input, target=target, weight=weight)
    _check_has_dims(input)
    if input.ndim == 2 and target.shape != input.shape and label_smoothing == 0:
        # The common case as one fused op (ops/fused.py CrossEntropy).
        return _class_index_loss(input, target, weight, ignore_index, reduction, 0.0,
                                 "cross_entropy", from_logits=True)
    log_probs = log_softmax(input, 0 if input.ndim == 1 else 1)
    if target.shape == input.shape:
        return _soft_target_loss(log_probs, target, weight, ignore_index, reduction,
                                 label_smoothing)
    return _class_index_loss(log_probs, target, weight, ignore_index, reduction,
                             label_smoothing, "cross_entropy")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p = input, logs floored at -100."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("binary_cross_entropy", input=input, target=target, weight=weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"binary_cross_entropy: Found dtype {target.dtype.name} for target "
                           f"but expected {input.dtype.name}, the input's")
    if ((input < 0) | (input > 1)).any().item():
        raise RuntimeError(f"all elements of input should be between 0 and 1 (binary_cross_entropy"
                           f" takes probabilities; got values in [{input.min().item()}, "
                           f"{input.max().item()}])")
    loss = -(target * _floored_log(input) + (1 - target) * _floored_log(1 - input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), computed from the logits without overflow;
    `pos_weight` scales the positive term (broadcast along the last, class dim)."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("binary_cross_entropy_with_logits", input=input, target=target, weight=weight)
    if pos_weight is not None:
        tensor_arg(pos_weight, "binary_cross_entropy_with_logits", "pos_weight", 7)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    if not target.is_floating_point():
        raise RuntimeError(f"binary_cross_entropy_with_logits: expected a floating point "
                           f"target, got {target.dtype.name}")
    # -log(sigmoid(x)) = softplus(-x) and -log(1 - sigmoid(x)) = x + softplus(-x).
    negative_log_sigmoid = _softplus(-input)
    if pos_weight is not None:
        negative_log_sigmoid = negative_log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + negative_log_sigmoid
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target * (log(target) - input): KL(target || p) for log-probabilities `input`.

    'batchmean' divides the sum by the batch size (the true KL divergence); 'mean' divides by
    the number of elements, as in PyTorch (without its deprecation warning).
    """
    reduction = _reduction_mode(size_average, reduce, reduction, _REDUCTIONS + ("batchmean",))
    _check_tensors("kl_div", input=input, target=target)
    if log_target:
        loss = ew.exp(target) * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of `target` under Poisson(rate), rate = e^input if `log_input`
    else input; `full` adds Stirling's approximation of log(target!) where target > 1."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("poisson_nll_loss", input=input, target=target)
    if log_input:
        loss = ew.exp(input) - target * input
    else:
        loss = input - target * ew.log(input + eps)
    if full:
        large = target > 1
        counts = ew.where(large, target, 1.0)
        stirling = counts * ew.log(counts) - counts + 0.5 * ew.log(counts * (2 * math.pi))
        loss = loss + ew.where(large, stirling, 0.0)
    return _reduce(loss, reduction)


def _gaussian_var(input: Tensor, var) -> Tensor:
    """`var` as a tensor that broadcasts against `input`, with PyTorch's homoscedastic shapes:
    input's shape, or that shape with the last dim dropped or with one dim of size 1."""
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        return full_like(input, var)
    if (var < 0).any().item():
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) == tuple(input.shape):
        return var
    if tuple(input.shape[:-1]) == tuple(var.shape):
        return var.unsqueeze(-1)
    mismatched = [v for i, v in zip(input.shape, var.shape) if i != v]
    if input.ndim == var.ndim and sum(mismatched) == 1:
        return var
    raise ValueError(f"var is of incorrect size: var {list(var.shape)} for input "
                     f"{list(input.shape)}")


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log(var) + (input - target)^2 / var), var floored at `eps`; `full` adds
    0.5 log(2 pi)."""
    var = _gaussian_var(input, var)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    # PyTorch floors var in place under no_grad: the value is clamped, the gradient passes as is.
    floor = ew.clamp(var.detach(), min=eps) - var.detach()
    var = var + floor
    loss = (ew.log(var) + ew.square(input - target) / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin), target in {1, -1}."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("margin_ranking_loss", input1=input1, input2=input2, target=target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape}")
    return _reduce(ew.clamp(-target * (input1 - input2) + margin, min=0.0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("hinge_embedding_loss", input=input, target=target)
    below_margin = ew.where(target != 1, ew.clamp(margin - input, min=0.0), 0.0)
    return _reduce(below_margin + ew.where(target != -1, input, 0.0), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + e^(-target * input)), target in {1, -1}."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("soft_margin_loss", input=input, target=target)
    return _reduce(_softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross entropy of sigmoid(input) against 0/1 `target`, averaged over the last
    (class) dim."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("multilabel_soft_margin_loss", input=input, target=target, weight=weight)
    if input.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions "
                         "(multilabel_soft_margin_loss needs a class dim)")
    loss = target * _softplus(-input) + (1 - target) * _softplus(input)
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    return _reduce(loss.sum(class_dim) / input.shape[class_dim], reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where target is -1."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("cosine_embedding_loss", input1=input1, input2=input2, target=target)
    if target.ndim > 1:
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported (got "
                           f"target of shape {list(target.shape)})")
    if not input1.ndim == input2.ndim == target.ndim + 1:
        raise RuntimeError(f"{target.ndim}D target tensor expects {target.ndim + 1}D input "
                           f"tensors, but found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    dim = target.ndim
    # The 1e-12 keeps a zero vector's cosine finite, as in PyTorch.
    squares = ((input1 * input1).sum(dim) + 1e-12) * ((input2 * input2).sum(dim) + 1e-12)
    cos = (input1 * input2).sum(dim) / ew.sqrt(squares)
    loss = ew.where(target == 1, 1 - cos, 0.0)
    loss = loss + ew.where(target == -1, ew.clamp(cos - margin, min=0.0), 0.0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm distance over
    the last dim; `swap` uses min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("triplet_margin_loss", anchor=anchor, positive=positive, negative=negative)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {anchor.ndim}D, positive "
                           f"{positive.ndim}D, and negative {negative.ndim}D inputs")
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        negative_distance = ew.minimum(negative_distance,
                                       pairwise_distance(positive, negative, p, eps))
    return _reduce(ew.clamp(positive_distance - negative_distance + margin, min=0.0), reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: the mean over classes i != t of max(0, margin - x[t] + x[i])^p,
    scaled by weight[t]; input (N, C) or (C,), target class indices (N) or ()."""
    reduction = _reduction_mode(size_average, reduce, reduction)
    _check_tensors("multi_margin_loss", input=input, target=target)
    if weight is not None:
        tensor_arg(weight, "multi_margin_loss", "weight", 5)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError(f"weight must be one-dimensional, got shape {list(weight.shape)}")
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"multi_margin_loss: expected a non-empty (C,) or (N, C) input, got "
                           f"shape {list(input.shape)}")
    _check_class_target(input, target, "multi_margin_loss")
    out_shape = tuple(target.shape)
    if input.ndim == 1:
        input, target = input.unsqueeze(0), target.reshape(1)
    classes = input.shape[1]
    _check_class_weight(weight, classes)
    target = target.long()
    _check_class_range(target, classes, "multi_margin_loss", error=RuntimeError)
    target_column = target.unsqueeze(1)
    # relu, not clamp: a margin of exactly 0 contributes no gradient, as in PyTorch.
    hinge = ew.relu(input - indexing.gather(input, 1, target_column) + margin)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.to(input.dtype)[target_column]
    others = arange(classes).unsqueeze(0) != target_column
    loss = ew.where(others, hinge, 0.0).sum(1) / classes
    return _reduce(loss.reshape(out_shape), reduction)
