"""ONNX export of each layer family: onnxruntime's outputs equal the model's own, at the
traced batch size and at another one (the batch axis exported as dynamic)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

import ndgrad
from ndgrad import nn
from ndgrad.nn import functional as F
from tests.onnx._roundtrip import check_roundtrip


class Shapes(nn.Module):
    """view(x.size(0), -1), permute, cat, split, chunk, slicing, expand, flatten."""

    def forward(self, x):
        n = x.size(0)
        a, b = x.split([2, 4], dim=1)
        c = ndgrad.cat([b, a.flip(1)], dim=1).permute(0, 2, 1)
        d = c[:, 1:, ::2] + c[:, :-1, 1::2]
        e = d.reshape(n, -1)[:, None, 4:] * x[:, :1, 0].unsqueeze(-1)
        first, second = e.chunk(2, dim=-1)
        return ndgrad.flatten(first - second, 1).expand(2, n, -1).transpose(0, 1), x[..., -1]


class Elementwise(nn.Module):
    def forward(self, x, y):
        z = (x + 1.5) * y - x / (y.abs() + 1) + x ** 2 - 2 ** y.clamp(-1, 1)
        z = z + ndgrad.exp(-x.abs()) + ndgrad.log(y.abs() + 0.1) + ndgrad.sqrt(x * x + 1)
        z = z + ndgrad.maximum(x, y) + ndgrad.where(x > y, x, y) + x.clamp(min=0) - y.neg()
        return z + ndgrad.sin(x) * ndgrad.cos(y) + ndgrad.rsqrt(y * y + 1) + x.floor()


class Comparisons(nn.Module):
    """Comparisons, logical and bitwise ops, all/any, one_hot: plain functions in ndgrad."""

    def forward(self, x, tokens):
        return (x > 0.5, x <= tokens, tokens == 3, tokens != 3, (tokens > 1) & (tokens < 5),
                (x > 0) | (tokens > 2), ~(tokens > 2), ndgrad.logical_xor(x > 0, tokens > 2),
                tokens & 3, (tokens | 1) ^ 2, ~tokens, ndgrad.isnan(x), x.float() < tokens,
                ndgrad.isfinite(x / (x > 0)), (x > 0).all(), (x > 0).any(1),
                x.all(dim=1, keepdim=True), F.one_hot(tokens, 10))


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.ReLU(), nn.GELU(), nn.GELU("tanh"), nn.SiLU(),
                                     nn.Tanh(), nn.Sigmoid(), nn.LeakyReLU(0.1), nn.ELU(),
                                     nn.Hardtanh(), nn.Softplus(), nn.Softmax(-1),
                                     nn.LogSoftmax(1), nn.Hardswish(), nn.Mish(), nn.CELU(),
                                     nn.SELU(), nn.Softsign(), nn.LogSigmoid(),
                                     nn.Threshold(0.1, 2.0), nn.ReLU6(), nn.Hardsigmoid(),
                                     nn.Softmin(1), nn.Tanhshrink(), nn.Hardshrink(),
                                     nn.Softshrink(), nn.GLU(-1)])

    def forward(self, x):
        return tuple(layer(x) for layer in self.layers)


class Gathers(nn.Module):
    """stack, unbind, gather, index_select, masked_fill, tril, list and mask indexing."""

    def forward(self, x, index):
        stacked = ndgrad.stack(x.unbind(1), 2)
        picked = ndgrad.gather(x, 2, index) + x.index_select(1, ndgrad.tensor([0, 2]))[:, :1, :2]
        return (stacked, picked, x.masked_fill(x > 0, -1.0), x.tril(), x[:, [2, 0]],
                x[x > 0], x[x[..., 0] > 0, 1:], ndgrad.masked_select(x, x[:, :1] < 0))


class Reductions(nn.Module):
    def forward(self, x):
        return (x.sum(), x.sum(1), x.mean((1, 2), keepdim=True), x.amax(-1), x.amin(1),
                x.max(dim=2).values, x.prod(2), x.norm(dim=1), ndgrad.logsumexp(x, 2),
                x.std(1), x.var(2), x.cumsum(1))


class MatMul(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(ndgrad.randn(5, 3))

    def forward(self, x):
        return (x @ self.w, ndgrad.bmm(x, x.transpose(1, 2)), ndgrad.einsum("bij,jk->bik",
                                                                           x, self.w))


class Embedder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 4, padding_idx=0)
        self.norm = nn.LayerNorm(4)
        self.bag = nn.EmbeddingBag(10, 3, mode="max")

    def forward(self, tokens):
        return self.norm(self.embedding(tokens)), self.bag(tokens)


class Pools(nn.Module):
    def forward(self, x):
        return (F.max_pool2d(x, 2), F.max_pool2d(x, 3, stride=2, padding=1),
                F.avg_pool2d(x, 2), F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                F.adaptive_avg_pool2d(x, 1), F.adaptive_avg_pool2d(x, (2, 4)),
                F.adaptive_avg_pool2d(x, (3, None)), F.adaptive_avg_pool2d(x[:, :, :5], (7, 3)))


class Rounding(nn.Module):
    def forward(self, x, tokens):
        return (x.trunc(), x.round(), x.sign() * x.frac(), x % 1.5, x // 0.7,
                ndgrad.div(x, 0.7, rounding_mode="trunc"), tokens % 3, (tokens - 4) // 3,
                ndgrad.div(tokens - 4, 3, rounding_mode="trunc"))


class Sorting(nn.Module):
    def forward(self, x):
        values, indices = x.sort(1, descending=True)
        return values, indices, x.argsort(-1), x.topk(2, dim=-1, largest=False), x.max(1)


class Padding(nn.Module):
    def forward(self, x):
        return (F.pad(x, (1, 2)), F.pad(x, (1, 1, 2, 0), value=-1.0),
                F.pad(x, (2, 1, 1, 1), mode="reflect"), F.pad(x, (1, 1, 1, 1), mode="replicate"),
                F.pad(x, (1, 2, 2, 1), mode="circular"), F.pad(x, (-1, 1)))


class Resizing(nn.Module):
    def forward(self, x):
        return (F.interpolate(x, scale_factor=2), F.interpolate(x, size=(9, 4)),
                F.interpolate(x, scale_factor=1.7, mode="nearest-exact"),
                F.interpolate(x, scale_factor=2, mode="bilinear"),
                F.interpolate(x, size=(5, 9), mode="bilinear", align_corners=True),
                F.interpolate(x, scale_factor=2, mode="bicubic"),
                F.interpolate(x, size=(3, 2), mode="area"))


@dataclass
class Spec:
    name: str
    model: Callable
    inputs: Callable
    dynamic: dict  # input position -> dynamic (batch) axis


def _tokens(*shape):
    return ndgrad.randint(0, 10, shape)


SPECS = [
    Spec("linear", lambda: nn.Linear(6, 4), lambda: (ndgrad.randn(2, 6),), {0: 0}),
    Spec("linear_3d", lambda: nn.Linear(6, 4, bias=False), lambda: (ndgrad.randn(2, 3, 6),),
         {0: 0}),
    Spec("activations", Activations, lambda: (ndgrad.randn(2, 3, 4),), {0: 0}),
    Spec("elementwise", Elementwise, lambda: (ndgrad.randn(2, 4), ndgrad.randn(2, 4)),
         {0: 0, 1: 0}),
    Spec("comparisons", Comparisons, lambda: (ndgrad.randn(2, 5) * 3, _tokens(2, 5)),
         {0: 0, 1: 0}),
    Spec("shapes", Shapes, lambda: (ndgrad.randn(2, 6, 5),), {0: 0}),
    Spec("gathers", Gathers, lambda: (ndgrad.randn(2, 3, 4), ndgrad.randint(0, 4, (2, 3, 2))),
         {0: 0, 1: 0}),
    Spec("conv3d", lambda: nn.Sequential(nn.Conv3d(2, 3, 3, padding=1), nn.MaxPool3d(2),
                                         nn.ConvTranspose3d(3, 2, 2, stride=2)),
         lambda: (ndgrad.randn(2, 2, 4, 4, 4),), {0: 0}),
    Spec("reductions", Reductions, lambda: (ndgrad.randn(2, 3, 4),), {0: 0}),
    Spec("matmul", MatMul, lambda: (ndgrad.randn(2, 4, 5),), {0: 0}),
    Spec("conv1d", lambda: nn.Sequential(nn.Conv1d(3, 4, 3, stride=2, padding=1),
                                         nn.MaxPool1d(2), nn.AvgPool1d(2)),
         lambda: (ndgrad.randn(2, 3, 16),), {0: 0}),
    Spec("conv2d_cnn", lambda: nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(inplace=True),
        nn.MaxPool2d(2), nn.Conv2d(6, 4, 3, groups=2, dilation=1, padding="same"),
        nn.Dropout(0.5), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(16, 3)),
        lambda: (ndgrad.randn(2, 3, 8, 8),), {0: 0}),
    Spec("conv_transpose2d", lambda: nn.Sequential(
        nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), nn.Tanh(),
        nn.ConvTranspose2d(4, 2, 2, stride=2, groups=2)),
        lambda: (ndgrad.randn(2, 3, 5, 5),), {0: 0}),
    Spec("pools", Pools, lambda: (ndgrad.randn(2, 3, 8, 8),), {0: 0}),
    Spec("rounding", Rounding, lambda: (ndgrad.randn(2, 5) * 3, _tokens(2, 5)), {0: 0, 1: 0}),
    Spec("sorting", Sorting, lambda: (ndgrad.randn(2, 4, 5),), {0: 0}),
    Spec("padding", Padding, lambda: (ndgrad.randn(2, 3, 4, 5),), {0: 0}),
    Spec("interpolate", Resizing, lambda: (ndgrad.randn(2, 3, 4, 6),), {0: 0}),
    Spec("norms", lambda: nn.Sequential(nn.GroupNorm(2, 4), nn.InstanceNorm2d(4, affine=True),
                                        nn.LayerNorm([5, 5]), nn.PReLU(4)),
         lambda: (ndgrad.randn(2, 4, 5, 5),), {0: 0}),
    Spec("embedding_layer_norm", Embedder, lambda: (_tokens(2, 7),), {0: 0}),
    Spec("mha", lambda: _Attention(), lambda: (ndgrad.randn(5, 2, 8),), {0: 1}),
    Spec("transformer_encoder_layer", lambda: nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, dropout=0.1, batch_first=True),
        lambda: (ndgrad.randn(2, 5, 8),), {0: 0}),
    Spec("lstm", lambda: nn.LSTM(4, 5, num_layers=2), lambda: (ndgrad.randn(6, 2, 4),),
         {0: 1}),
    Spec("lstm_bidirectional_batch_first", lambda: nn.LSTM(4, 5, batch_first=True,
                                                           bidirectional=True),
         lambda: (ndgrad.randn(2, 6, 4),), {0: 0}),
    Spec("gru", lambda: nn.GRU(4, 5, num_layers=2, bidirectional=True),
         lambda: (ndgrad.randn(6, 2, 4), ndgrad.randn(4, 2, 5)), {0: 1, 1: 1}),
    Spec("rnn_relu", lambda: nn.RNN(4, 5, nonlinearity="relu"),
         lambda: (ndgrad.randn(6, 2, 4),), {0: 1}),
]


class _Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 2)

    def forward(self, x):
        return self.attention(x, x, x)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_roundtrip_with_dynamic_batch(spec):
    check_roundtrip(spec.model(), spec.inputs(), spec.dynamic)


@pytest.mark.parametrize("opset", [13, 18])
def test_reductions_in_the_opsets_that_moved_axes_to_inputs(opset):
    check_roundtrip(Reductions(), (ndgrad.randn(2, 3, 4),), {0: 0}, opset_version=opset)


class LayerNorms(nn.Module):
    """Layer norms with weight and bias, without both, and over two dims."""

    def __init__(self):
        super().__init__()
        self.affine = nn.LayerNorm(4)
        self.plain = nn.LayerNorm(4, elementwise_affine=False)
        self.wide = nn.LayerNorm((3, 4), eps=1e-3)

    def forward(self, x):
        return self.affine(x) + self.plain(x * 2) + self.wide(x)


@pytest.mark.parametrize("opset", [13, 17])
def test_layer_norm_written_out_before_opset_17(opset):
    check_roundtrip(LayerNorms(), (ndgrad.randn(2, 3, 4),), {0: 0}, opset_version=opset)


class Passthrough(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(ndgrad.randn(3))

    def forward(self, x):
        return x, self.scale, nn.functional.dropout(x, 0.5, training=False)


def test_outputs_that_are_inputs_or_parameters():
    check_roundtrip(Passthrough(), (ndgrad.randn(2, 3),), {0: 0})


@pytest.mark.parametrize("rnn", ["LSTM", "GRU", "RNN"])
def test_unbatched_recurrent_input_without_state(rnn):
    check_roundtrip(getattr(nn, rnn)(3, 4, num_layers=2), (ndgrad.randn(5, 3),), {0: 0})
