"""Attention: scaled dot-product and multi-head, composed from matmul, softmax, masked_fill
and dropout so that every order of derivative is exact."""
from __future__ import annotations

import math

import numpy as np

from ndgrad._creation import zeros
from ndgrad._tensor import Tensor
from ndgrad.nn.functional.activation import softmax
from ndgrad.nn.functional.dropout import dropout
from ndgrad.nn.functional.linear import linear
from ndgrad.ops._common import constant, tensor_arg
from ndgrad.ops.rearrange import pad
from ndgrad.ops.shape import cat

_OP = "scaled_dot_product_attention"


def _check_inputs(query: Tensor, key: Tensor, value: Tensor, attn_mask, dropout_p,
                  is_causal) -> None:
    for position, (name, t) in enumerate((("query", query), ("key", key), ("value", value))):
        tensor_arg(t, _OP, name, position + 1)
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"{_OP}: expected query, key, and value to all be at least 2 "
                           f"dimensional, but got query.dim: {query.ndim} key.dim: {key.ndim} "
                           f"and value.dim: {value.ndim} instead.")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"{_OP}: expected query, key, and value to have the same dtype, but "
                           f"got query.dtype: {query.dtype} key.dtype: {key.dtype} and "
                           f"value.dtype: {value.dtype} instead.")
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"{_OP}: expected a floating point query, got {query.dtype}")
    if attn_mask is not None:
        tensor_arg(attn_mask, _OP, "attn_mask", 4)
        if attn_mask.dtype.name != "bool" and not attn_mask.dtype.is_floating_point:
            raise RuntimeError(f"{_OP}: expected attn_mask dtype to be bool or float, but got "
                               f"attn_mask.dtype: {attn_mask.dtype}")
    if attn_mask is not None and is_causal:
        raise RuntimeError(f"{_OP}: explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"{_OP}: dropout probability has to be between 0 and 1, but got "
                           f"{dropout_p}")


def _repeat_heads(t: Tensor, heads: int, name: str) -> Tensor:
    """Repeats each of t's heads (dim -3) in place until there are `heads` of them, as
    repeat_interleave does (grouped-query attention)."""
    have = t.shape[-3] if t.ndim >= 3 else 1
    if have == heads:
        return t
    if t.ndim < 3 or heads % have:
        raise RuntimeError(f"{_OP}: number of heads in {name} ({have}) must divide the number "
                           f"of heads in query ({heads})")
    grouped = t.unsqueeze(-3).expand(*t.shape[:-2], heads // have, *t.shape[-2:])
    return grouped.reshape(*t.shape[:-3], heads, *t.shape[-2:])


def masked_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with rows that are -inf throughout giving zeros (and zero
    gradients) instead of NaN, as PyTorch's attention does."""
    dead = np.all(np.isneginf(scores._data), axis=-1, keepdims=True)
    if not dead.any():
        return softmax(scores, -1)
    dead = constant(dead)
    weights = softmax(scores.masked_fill(dead, 0.0), -1)
    return weights.masked_fill(dead, 0.0)


def attention_scores(query: Tensor, key: Tensor, attn_mask, is_causal: bool,
                     scale: float) -> Tensor:
    """query @ key^T * scale, plus a float mask, with positions that a bool mask or the causal
    (lower-triangular, top-left aligned) mask leaves out set to -inf."""
    scores = query.matmul(key.transpose(-2, -1)) * scale
    if attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask.to(query.dtype)
    if is_causal:
        L, S = query.shape[-2], key.shape[-2]
        outside = constant(~np.tri(L, S, dtype=bool))
        scores = scores.masked_fill(outside, -math.inf)
    return scores


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """Computes dropout(softmax(query @ key^T * scale + mask)) @ value.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading dims
    broadcast. A bool attn_mask marks with True the positions that take part; a float one is
    added to the scores; is_causal (not with attn_mask, as in PyTorch's math backend) keeps the
    lower triangle of the L x S scores. scale defaults to 1 / sqrt(E). With enable_gqa, key and
    value may have fewer heads (dim -3) than query, each repeated to match. A query row that
    can attend to nothing gives zeros. Dropout (always applied when dropout_p > 0, as in
    PyTorch) draws from ndgrad's generator.
    """
    _check_inputs(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa and query.ndim >= 3:
        key = _repeat_heads(key, query.shape[-3], "key")
        value = _repeat_heads(value, query.shape[-3], "value")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    weights = masked_softmax(attention_scores(query, key, attn_mask, is_causal, scale))
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights.matmul(value)


def _as_additive_mask(mask, name: str, dtype):
    """A bool mask (True = left out) as 0 / -inf in `dtype`; a float mask unchanged."""
    if mask is None:
        return None
    tensor_arg(mask, "multi_head_attention_forward", name)
    if mask.dtype.name == "bool":
        return zeros(mask.shape, dtype=dtype).masked_fill(mask, -math.inf)
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"multi_head_attention_forward: only bool and floating types of "
                             f"{name} are supported, got {mask.dtype}")
    return mask


def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the call is batched (3-D query), after PyTorch's checks of the other shapes."""
    for position, (name, t) in enumerate((("query", query), ("key", key), ("value", value))):
        tensor_arg(t, "multi_head_attention_forward", name, position + 1)
    if query.ndim not in (2, 3):
        raise AssertionError(f"multi_head_attention_forward: query should be unbatched 2D or "
                             f"batched 3D tensor but received {query.ndim}-D query tensor")
    batched = query.ndim == 3
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"multi_head_attention_forward: for {query.ndim}-D query, key and "
                             f"value must be {query.ndim}-D, got {key.ndim}-D and "
                             f"{value.ndim}-D")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(f"multi_head_attention_forward: for {query.ndim}-D query, "
                             f"key_padding_mask must be {query.ndim - 1}-D, got "
                             f"{key_padding_mask.ndim}-D")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise AssertionError(f"multi_head_attention_forward: attn_mask must be 2-D or 3-D, got "
                             f"{attn_mask.ndim}-D")
    if not batched and attn_mask is not None and attn_mask.ndim == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise AssertionError(f"multi_head_attention_forward: expected a 3-D attn_mask of "
                                 f"shape {expected} for unbatched input, got "
                                 f"{tuple(attn_mask.shape)}")
    return batched


def _in_projection(query, key, value, weights, biases):
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _projection_weights(in_proj_weight, in_proj_bias, separate, q_w, k_w, v_w, key, value):
    if separate:
        if tuple(key.shape[:-1]) != tuple(value.shape[:-1]):
            raise AssertionError(f"multi_head_attention_forward: key's sequence and batch dims "
                                 f"{tuple(key.shape[:-1])} do not match value's "
                                 f"{tuple(value.shape[:-1])}")
        weights = (q_w, k_w, v_w)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"multi_head_attention_forward: key shape "
                                 f"{tuple(key.shape)} does not match value shape "
                                 f"{tuple(value.shape)}")
        weights = in_proj_weight.chunk(3)
    biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    return weights, biases


def _check_attn_mask(attn_mask, batch_heads: int, L: int, S: int):
    """A 2-D (L, S) mask as (1, L, S); a 3-D one must be (batch * heads, L, S)."""
    if attn_mask is None:
        return None
    expected = (L, S) if attn_mask.ndim == 2 else (batch_heads, L, S)
    if tuple(attn_mask.shape) != expected:
        raise RuntimeError(f"multi_head_attention_forward: the shape of the {attn_mask.ndim}D "
                           f"attn_mask is {tuple(attn_mask.shape)}, but should be {expected}.")
    return attn_mask.unsqueeze(0) if attn_mask.ndim == 2 else attn_mask


def _heads(t: Tensor, batch_heads: int, head_dim: int) -> Tensor:
    """(S, N, E) -> (N * heads, S, head_dim)."""
    return t.reshape(t.shape[0], batch_heads, head_dim).transpose(0, 1)


def _append_key(k, v, attn_mask, key_padding_mask, k_extra, v_extra, dim):
    """Appends one more key/value position (bias_k/v or zeros), which every mask lets in."""
    k, v = cat([k, k_extra], dim), cat([v, v_extra], dim)
    attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
    key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    return k, v, attn_mask, key_padding_mask


def _merge_padding(attn_mask, key_padding_mask, N: int, heads: int, S: int):
    if key_padding_mask is None:
        return attn_mask
    if tuple(key_padding_mask.shape) != (N, S):
        raise AssertionError(f"multi_head_attention_forward: expecting key_padding_mask shape of "
                             f"{(N, S)}, but got {tuple(key_padding_mask.shape)}")
    padding = key_padding_mask.reshape(N, 1, 1, S).expand(N, heads, 1, S).reshape(N * heads, 1, S)
    return padding if attn_mask is None else attn_mask + padding


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    """Computes multi-head attention on (L, N, E) query and (S, N, E_k/E_v) key/value (or
    unbatched (L, E), (S, E)): in-projection, one attention per head, out-projection.

    Returns (output (L, N, E), weights (N, L, S), or (N, heads, L, S) without averaging, or
    None when need_weights is False). Bool masks mark with True what is left out. With
    need_weights the weights come from a plain softmax (a row with nothing to attend to is
    NaN, as in PyTorch); without, from scaled_dot_product_attention (zeros).
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    key_padding_mask = _as_additive_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("multi_head_attention_forward: need attn_mask if specifying the "
                           "is_causal hint")
    sdpa_causal = is_causal and key_padding_mask is None and not need_weights
    attn_mask = None if sdpa_causal else _as_additive_mask(attn_mask, "attn_mask", query.dtype)
    if E != embed_dim_to_check:
        raise AssertionError(f"multi_head_attention_forward: was expecting embedding dimension "
                             f"of {embed_dim_to_check}, but got {E}")
    head_dim = E // num_heads
    if head_dim * num_heads != E:
        raise AssertionError(f"multi_head_attention_forward: embed_dim {E} not divisible by "
                             f"num_heads {num_heads}")
    weights, biases = _projection_weights(in_proj_weight, in_proj_bias,
                                          use_separate_proj_weight, q_proj_weight,
                                          k_proj_weight, v_proj_weight, key, value)
    q, k, v = _in_projection(query, key, value, weights, biases)
    attn_mask = _check_attn_mask(attn_mask, N * num_heads, L, key.shape[0])
    if bias_k is not None and bias_v is not None:
        k, v, attn_mask, key_padding_mask = _append_key(
            k, v, attn_mask, key_padding_mask, bias_k.expand(1, N, E), bias_v.expand(1, N, E), 0)
    q, k, v = (_heads(t, N * num_heads, head_dim) for t in (q, k, v))
    k = k if static_k is None else static_k
    v = v if static_v is None else static_v
    if add_zero_attn:
        extra = zeros((N * num_heads, 1, head_dim), dtype=q.dtype)
        k, v, attn_mask, key_padding_mask = _append_key(k, v, attn_mask, key_padding_mask,
                                                        extra, extra, 1)
    S = k.shape[1]
    attn_mask = _merge_padding(attn_mask, key_padding_mask, N, num_heads, S)
    dropout_p = dropout_p if training else 0.0
    if need_weights:
        out, weights = _attention_with_weights(q, k, v, attn_mask, dropout_p)
        weights = weights.reshape(N, num_heads, L, S)
        weights = weights.mean(1) if average_attn_weights else weights
    else:
        if attn_mask is not None and attn_mask.shape[0] == 1:
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask is not None:
            attn_mask = attn_mask.reshape(N, num_heads, -1, S)
        out = scaled_dot_product_attention(
            q.reshape(N, num_heads, L, head_dim), k.reshape(N, num_heads, S, head_dim),
            v.reshape(N, num_heads, S, head_dim), attn_mask, dropout_p, sdpa_causal)
        out, weights = out.permute(2, 0, 1, 3), None
    out = linear(out.reshape(L * N, E), out_proj_weight, out_proj_bias).reshape(L, N, -1)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights


def _attention_with_weights(q, k, v, attn_mask, dropout_p):
    """Attention over (N * heads, L, head_dim) tensors that also returns the weights, which
    PyTorch computes with a plain softmax."""
    scores = (q * math.sqrt(1.0 / q.shape[-1])).matmul(k.transpose(-2, -1))
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    out = weights.matmul(v).transpose(0, 1)
    return out, weights
