"""Activation modules: each forwards to the function of the same name in nn.functional."""
from __future__ import annotations

from ndgrad._creation import empty, full
from ndgrad._tensor import Tensor
from ndgrad.nn import functional as F
from ndgrad.nn import init
from ndgrad.nn.modules.linear import Linear
from ndgrad.nn.modules.module import Module
from ndgrad.nn.parameter import Parameter


class _Inplace(Module):
    """An activation with only an `inplace` option."""

    _function = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _Stateless(Module):
    """An activation with no options."""

    _function = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input)


class ReLU(_Inplace):
    """max(x, 0)."""
    _function = staticmethod(F.relu)


class ReLU6(_Inplace):
    """min(max(x, 0), 6)."""
    _function = staticmethod(F.relu6)


class SELU(_Inplace):
    """Scaled ELU with the self-normalising constants."""
    _function = staticmethod(F.selu)


class SiLU(_Inplace):
    """x * sigmoid(x)."""
    _function = staticmethod(F.silu)


class Mish(_Inplace):
    """x * tanh(softplus(x))."""
    _function = staticmethod(F.mish)


class Hardsigmoid(_Inplace):
    """clamp(x / 6 + 1/2, 0, 1)."""
    _function = staticmethod(F.hardsigmoid)


class Hardswish(_Inplace):
    """x * hardsigmoid(x)."""
    _function = staticmethod(F.hardswish)


class Sigmoid(_Stateless):
    """1 / (1 + e^-x)."""
    _function = staticmethod(F.sigmoid)


class Tanh(_Stateless):
    """Hyperbolic tangent."""
    _function = staticmethod(F.tanh)


class Softsign(_Stateless):
    """x / (1 + |x|)."""
    _function = staticmethod(F.softsign)


class Tanhshrink(_Stateless):
    """x - tanh(x)."""
    _function = staticmethod(F.tanhshrink)


class LogSigmoid(_Stateless):
    """log(sigmoid(x))."""
    _function = staticmethod(F.logsigmoid)


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    _function = staticmethod(F.hardshrink)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    _function = staticmethod(F.softshrink)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """leaky_relu with a learned slope (one, or one per channel), initialised to `init`."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype))

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha * (e^x - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """x for x > 0, alpha * (e^(x / alpha) - 1) otherwise."""

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    """x * Phi(x); approximate='tanh' uses the tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate='{self.approximate}'"


class Hardtanh(Module):
    """x clamped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if not max_val > min_val:  # PyTorch asserts this, so its AssertionError is the one
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + \
            (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, linear above `threshold`."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + \
            (", inplace=True" if self.inplace else "")


class GLU(Module):
    """a * sigmoid(b) for the halves a, b of the input along `dim`."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _SoftmaxFamily(Module):
    _function = None

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxFamily):
    """e^x / sum(e^x) along `dim`."""
    _function = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxFamily):
    """log(softmax(x)) along `dim`, computed stably."""
    _function = staticmethod(F.log_softmax)


class Softmin(_SoftmaxFamily):
    """softmax(-x) along `dim`."""
    _function = staticmethod(F.softmin)



class MultiheadAttention(Module):
    """Attention over `num_heads` heads of embed_dim / num_heads features each, with PyTorch's
    parameters: in_proj_weight (3E x E) when key and value have E features, else
    q_proj_weight, k_proj_weight, v_proj_weight; in_proj_bias, out_proj, optional
    bias_k/bias_v (1 x 1 x E); inputs (L, N, E), or (N, L, E) with batch_first."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self._make_parameters(bias, add_bias_kv, dtype)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _make_parameters(self, bias: bool, add_bias_kv: bool, dtype) -> None:
        E = self.embed_dim
        separate = {"q_proj_weight": (E, E), "k_proj_weight": (E, self.kdim),
                    "v_proj_weight": (E, self.vdim)}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * E, E, dtype=dtype))
            separate = dict.fromkeys(separate)
        else:
            self.register_parameter("in_proj_weight", None)
        for name, shape in separate.items():
            param = None if shape is None else Parameter(empty(*shape, dtype=dtype))
            self.register_parameter(name, param)
        self.in_proj_bias = Parameter(empty(3 * E, dtype=dtype)) if bias else None
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        self.bias_k = Parameter(empty(1, 1, E, dtype=dtype)) if add_bias_kv else None
        self.bias_v = Parameter(empty(1, 1, E, dtype=dtype)) if add_bias_kv else None

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """Returns (output, attention weights or None), as F.multi_head_attention_forward."""
        transpose = self.batch_first and query.ndim == 3
        if transpose:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        return (out.transpose(0, 1) if transpose else out), weights
