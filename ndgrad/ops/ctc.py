"""Connectionist temporal classification: the CTC negative log-likelihood as one Function.

The forward is the alpha recursion in log space over each sample's extended label sequence
(blank, l1, blank, l2, ..., blank), vectorised over the batch with a loop over time steps only;
the backward runs the beta recursion and applies PyTorch's gradient formula (see
Note [ctc gradient]). As in PyTorch, the gradient is first-order only: differentiating it
again raises RuntimeError.
"""
from __future__ import annotations

import numpy as np

from ndgrad._backend import array_module
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction

# Note [ctc gradient]
# PyTorch's ctc_loss returns, for t < input_length,
#     d nll / d log_probs[t, c] = exp(log_probs[t, c])
#                                 - exp(log(sum over s with l'_s = c of alpha_t(s) beta_t(s))
#                                       + nll - log_probs[t, c])
# and 0 for t >= input_length. The exp(log_probs) term is not part of the true derivative with
# respect to log_probs: it assumes log_probs comes out of log_softmax, whose backward then
# cancels it (the term sums to 1 over classes, as does the second). ndgrad returns the same
# gradient so that code ported from PyTorch trains identically; gradients through a
# log_softmax of logits are the exact ones.


class CTCLoss(ArrayFunction):
    """Per-sample CTC negative log-likelihood of (T, N, C) log-probabilities."""

    @staticmethod
    def forward(ctx, log_probs, labels, input_lengths, label_lengths, zero_infinity):
        # labels: (N, L) extended label sequences, padded with blank; label_lengths: 2 S + 1.
        log_alpha = _log_alpha(log_probs, labels, input_lengths, label_lengths)
        nll = _nll(log_alpha, input_lengths, label_lengths)
        ctx.save_for_backward(log_probs)
        # log_alpha and nll are raw arrays, constants to a second derivative; that is sound
        # only because CTCLossGrad refuses to be differentiated.
        ctx.state = (labels, input_lengths, label_lengths, log_alpha, nll, zero_infinity)
        if zero_infinity:
            xp = array_module(nll)
            nll = xp.where(xp.isinf(nll), 0, nll).astype(nll.dtype, copy=False)
        return nll

    @staticmethod
    def backward(ctx, grad):
        log_probs, = ctx.saved_tensors
        return CTCLossGrad.apply(grad, log_probs, ctx.state), None, None, None, None


class CTCLossGrad(ArrayFunction):
    """The gradient of CTCLoss: grad[n] times PyTorch's d nll[n] / d log_probs (see Note
    [ctc gradient]); first-order only, as in PyTorch."""

    @staticmethod
    def forward(ctx, grad, log_probs, state):
        labels, input_lengths, label_lengths, log_alpha, nll, zero_infinity = state
        slope = _nll_slope(log_probs, labels, input_lengths, label_lengths, log_alpha, nll)
        if zero_infinity:
            slope[:, array_module(nll).isinf(nll)] = 0
        return slope * grad[None, :, None]

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for ctc_loss_backward is not implemented: ctc_loss "
                           "supports first-order gradients only, as in PyTorch")


def _logsumexp(*terms):
    """log(sum(exp(terms))) elementwise, -inf where every term is -inf."""
    xp = array_module(terms[0])
    top = terms[0]
    for term in terms[1:]:
        top = xp.maximum(top, term)
    shift = xp.where(xp.isfinite(top), top, 0)
    total = sum(xp.exp(term - shift) for term in terms)
    with np.errstate(divide="ignore"):
        return xp.log(total) + shift


def _shift_right(x, by: int, fill):
    """x moved `by` places along the last dim, with `fill` coming in on the left."""
    xp = array_module(x)
    out = xp.full_like(x, fill)
    out[..., by:] = x[..., :-by]
    return out


def _shift_left(x, by: int):
    """x moved `by` places left along the last dim, with -inf coming in on the right."""
    xp = array_module(x)
    out = xp.full_like(x, -np.inf)
    out[..., :-by] = x[..., by:]
    return out


def _skips(labels):
    """Where a path may skip from s - 2 to s: s holds a label (not a blank, which is what
    position 0 holds) other than the one at s - 2."""
    return (labels != labels[:, :1]) & (labels != _shift_right(labels, 2, -1))


def _emissions(log_probs, labels):
    """log_probs[t, n, labels[n, s]] for every t, n and s: (T, N, L)."""
    xp = array_module(log_probs)
    return log_probs[:, xp.arange(labels.shape[0])[:, None], labels]


def _log_alpha(log_probs, labels, input_lengths, label_lengths):
    """log alpha_t(s) for every t, n and s (T, N, L); -inf beyond each label sequence."""
    xp = array_module(log_probs)
    emit = _emissions(log_probs, labels)
    valid = xp.arange(labels.shape[1])[None, :] < label_lengths[:, None]
    skips = _skips(labels)
    log_alpha = xp.full(emit.shape, -np.inf, dtype=log_probs.dtype)
    if not len(emit):
        return log_alpha
    log_alpha[0, :, :2] = xp.where(valid[:, :2], emit[0, :, :2], -np.inf)
    for t in range(1, len(emit)):
        previous = log_alpha[t - 1]
        reach = _logsumexp(previous, _shift_right(previous, 1, -np.inf),
                           xp.where(skips, _shift_right(previous, 2, -np.inf), -np.inf))
        log_alpha[t] = xp.where(valid, emit[t] + reach, -np.inf)
    return log_alpha


def _nll(log_alpha, input_lengths, label_lengths):
    """-log p(target | input) per sample: the paths ending in the last label or the final
    blank at time input_length - 1; 0 (or inf) for an empty input and empty (or not) target."""
    xp = array_module(log_alpha)
    N = log_alpha.shape[1]
    n = xp.arange(N)
    last_t = xp.maximum(input_lengths - 1, 0)
    final = log_alpha[last_t, n]
    end_blank = final[n, label_lengths - 1]
    end_label = xp.where(label_lengths > 1, final[n, xp.maximum(label_lengths - 2, 0)], -np.inf)
    nll = -_logsumexp(end_blank, end_label)
    empty = input_lengths == 0
    return xp.where(empty, xp.where(label_lengths == 1, -0.0, np.inf), nll).astype(
        log_alpha.dtype, copy=False)


def _log_beta(log_probs, labels, input_lengths, label_lengths):
    """log beta_t(s) (T, N, L): the paths from (t, s), emitting there, to the end at time
    input_length - 1; -inf at t >= input_length."""
    xp = array_module(log_probs)
    emit = _emissions(log_probs, labels)
    positions = xp.arange(labels.shape[1])[None, :]
    valid = positions < label_lengths[:, None]
    # s + 2 may be reached from s when s + 2 holds a label other than s's: the skips shifted.
    skips = _skips(labels)
    skip_from = xp.zeros_like(skips)
    skip_from[:, :-2] = skips[:, 2:]
    ends = (positions >= label_lengths[:, None] - 2) & valid
    log_beta = xp.full(emit.shape, -np.inf, dtype=log_probs.dtype)
    following = xp.full(emit.shape[1:], -np.inf, dtype=log_probs.dtype)
    for t in range(len(emit) - 1, -1, -1):
        onward = _logsumexp(following, _shift_left(following, 1),
                            xp.where(skip_from, _shift_left(following, 2), -np.inf))
        last = (input_lengths == t + 1)[:, None]
        current = xp.where(last, xp.where(ends, emit[t], -np.inf), emit[t] + onward)
        current = xp.where(valid & (t < input_lengths)[:, None], current, -np.inf)
        log_beta[t] = current
        following = current
    return log_beta


def _nll_slope(log_probs, labels, input_lengths, label_lengths, log_alpha, nll):
    """PyTorch's d nll / d log_probs (T, N, C); see Note [ctc gradient]."""
    xp = array_module(log_probs)
    T, N, C = log_probs.shape
    log_beta = _log_beta(log_probs, labels, input_lengths, label_lengths)
    paths = log_alpha + log_beta
    top = paths.max(axis=2, keepdims=True) if paths.size else xp.zeros((T, N, 1), paths.dtype)
    top = xp.where(xp.isfinite(top), top, 0)
    # Sums exp(paths) over the positions holding each class: a batched matmul with the
    # one-hot (N, L, C) of the labels, padding left out.
    valid = xp.arange(labels.shape[1])[None, :] < label_lengths[:, None]
    one_hot = ((labels[:, :, None] == xp.arange(C)) & valid[:, :, None]).astype(paths.dtype)
    per_class = xp.matmul(xp.exp(paths - top).transpose(1, 0, 2), one_hot).transpose(1, 0, 2)
    # In log space, so a class absent from the target gets exp(-inf) = 0 even where
    # nll - log_probs alone would overflow.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_share = xp.log(per_class) + top + nll[None, :, None] - log_probs
        slope = xp.exp(log_probs) - xp.exp(log_share)
    running = xp.arange(T)[:, None] < input_lengths[None, :]
    return xp.where(running[:, :, None], slope, 0).astype(log_probs.dtype, copy=False)


def ctc_loss_per_sample(log_probs: Tensor, labels, input_lengths, label_lengths,
                        zero_infinity: bool) -> Tensor:
    """The (N,) CTC negative log-likelihoods of `log_probs` (T, N, C) for extended label
    sequences `labels` (N, L) of lengths `label_lengths` (arrays; checked by the caller)."""
    return CTCLoss.apply(log_probs, labels, input_lengths, label_lengths, zero_infinity)
