"""Translations of convolutions, pooling, interpolation, embeddings and one_hot. All but the
convolutions are translated as whole functionals: inside they index with positions computed
outside the graph, from the data or from the input's size."""
from __future__ import annotations

from functools import partial

import numpy as np

from ndgrad.nn import functional as F
from ndgrad.onnx._registry import call, op, unsupported
from ndgrad.ops import conv


def _geometry_attrs(geometry) -> dict:
    return {"strides": list(geometry.stride), "dilations": list(geometry.dilation),
            "pads": [b for b, _ in geometry.padding] + [a for _, a in geometry.padding],
            "group": geometry.groups}


@op(conv.Conv)
def _conv(node):
    geometry = node.arg("geometry")
    inputs = [node.input(0), node.input(1)]
    if node.arg(2) is not None:
        inputs.append(node.input(2))
    return node.add("Conv", inputs, kernel_shape=list(geometry.kernel_size),
                    **_geometry_attrs(geometry))


@op(conv.ConvTranspose)
def _conv_transpose(node):
    """ConvTranspose's output size is set by output_padding: the convolution it is the
    adjoint of had input_size, which the plain formula may fall short of."""
    g = node.arg("geometry")
    reach = [d * (k - 1) + 1 for k, d in zip(g.kernel_size, g.dilation)]
    base = [s * (p - 1) + r - b - a for s, p, r, (b, a) in
            zip(g.stride, g.output_size, reach, g.padding)]
    output_padding = [int(size - b) for size, b in zip(g.input_size, base)]
    return node.add("ConvTranspose", [node.input(0), node.input(1)],
                    kernel_shape=list(g.kernel_size), output_padding=output_padding,
                    **_geometry_attrs(g))


def _tuple(value, n: int) -> list:
    if value is None:
        return None
    values = [int(v) for v in np.atleast_1d(value)]
    return values * n if len(values) == 1 else values


def _pool(node, op_type: str, n: int, **attrs):
    """A pooling node over the last n dims, for batched (N, C, *S) or unbatched (C, *S) input."""
    x = node.input("input")
    unbatched = node.arg("input").ndim == n + 1
    if unbatched:
        x = node.add("Unsqueeze", [x, node.ctx.ints([0])])
    kernel = _tuple(node.option("kernel_size"), n)
    stride = _tuple(node.option("stride"), n) or kernel
    padding = _tuple(node.option("padding", 0), n)
    y = node.add(op_type, [x], kernel_shape=kernel, strides=stride, pads=padding * 2,
                 ceil_mode=int(bool(node.option("ceil_mode", False))), **attrs)
    return node.add("Squeeze", [y, node.ctx.ints([0])]) if unbatched else y


def _max_pool(node, n: int):
    if node.option("return_indices", False):
        unsupported(node, "max pooling with return_indices=True")
    return _pool(node, "MaxPool", n, dilations=_tuple(node.option("dilation", 1), n))


def _avg_pool(node, n: int):
    if node.option("divisor_override", None) is not None:
        unsupported(node, "average pooling with divisor_override")
    return _pool(node, "AveragePool", n,
                 count_include_pad=int(bool(node.option("count_include_pad", True))))


def _adaptive_avg_pool(node, n: int):
    spatial = node.arg("input").shape[-n:]
    out = _as_list(node.option("output_size"), n)
    out = [size if o is None else int(o) for size, o in zip(spatial, out)]
    return _adaptive_mean(node, node.input("input"), spatial, out)


def _adaptive_mean(node, x: str, spatial: tuple, out: list) -> str:
    """Global average pooling, or per spatial dim a product with the (out, in) matrix whose
    row i averages PyTorch's window i: [floor(i*in/out), ceil((i+1)*in/out))."""
    n = len(spatial)
    if all(o == 1 for o in out):
        return node.ctx.reduce("ReduceMean", x, list(range(-n, 0)), keepdims=True)
    ndim = node.arg("input").ndim
    for axis, (size, o) in enumerate(zip(spatial, out), ndim - n):
        if size == o:
            continue
        perm = list(range(ndim))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        moved = node.add("Transpose", [x], perm=perm)
        weights = node.ctx.constant(_window_means(size, o).T, node.result_dtype)
        x = node.add("Transpose", [node.add("MatMul", [moved, weights])], perm=perm)
    return x


def _window_means(size: int, out: int) -> np.ndarray:
    """(out, size): row i holds 1/len on adaptive window i."""
    i = np.arange(out)
    start, end = (i * size) // out, ((i + 1) * size + out - 1) // out
    columns = np.arange(size)
    inside = (columns >= start[:, None]) & (columns < end[:, None])
    return inside / (end - start)[:, None]


def _as_list(value, n: int) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value] * n


for _n, _max, _avg, _adaptive in ((1, F.max_pool1d, F.avg_pool1d, F.adaptive_avg_pool1d),
                                  (2, F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d),
                                  (3, F.max_pool3d, F.avg_pool3d, F.adaptive_avg_pool3d)):
    call(f"max_pool{_n}d", _max)(partial(_max_pool, n=_n))
    call(f"avg_pool{_n}d", _avg)(partial(_avg_pool, n=_n))
    call(f"adaptive_avg_pool{_n}d", _adaptive)(partial(_adaptive_avg_pool, n=_n))


@call("embedding", F.embedding)
def _embedding(node):
    """Rows of the weight (padding_idx changes only the gradient)."""
    if node.option("max_norm", None) is not None:
        unsupported(node, "embedding with max_norm")
    indices = node.input("input", np.int64)
    return node.add("Gather", [node.input("weight"), indices], axis=0)


# ---- interpolate: ONNX Resize with PyTorch's source-index arithmetic

_RESIZE = {  # mode -> (ONNX mode, coordinate transformation, nearest rounding)
    "nearest": ("nearest", "asymmetric", "floor"),
    "nearest-exact": ("nearest", "half_pixel", "round_prefer_ceil"),
    "linear": ("linear", "pytorch_half_pixel", None),
    "bilinear": ("linear", "pytorch_half_pixel", None),
    "trilinear": ("linear", "pytorch_half_pixel", None),
    "bicubic": ("cubic", "pytorch_half_pixel", None),
}


@call("interpolate", F.interpolate)
def _interpolate(node):
    """Resize by the given scale factors (PyTorch maps output to input positions with them
    unless recompute_scale_factor), else to the output's size; 'area' is adaptive pooling."""
    mode = node.option("mode", "nearest")
    x = node.input("input")
    result = node.record.result
    n = result.ndim - 2
    if mode == "area":
        return _adaptive_mean(node, x, node.arg("input").shape[2:], list(result.shape[2:]))
    onnx_mode, transform, rounding = _RESIZE[mode]
    if node.option("align_corners", None) and onnx_mode != "nearest":
        transform = "align_corners"
    scale = node.option("scale_factor", None)
    scales = sizes = None
    if scale is not None and not node.option("recompute_scale_factor", None):
        scales = node.ctx.constant([1.0, 1.0] + [float(s) for s in _as_list(scale, n)],
                                   np.float32)
    else:
        sizes = node.ints(result.shape, node.twin.result.shape, "the output size")
    attrs = {"nearest_mode": rounding} if rounding else {}
    if onnx_mode == "cubic":
        attrs["cubic_coeff_a"] = -0.75
    return node.add("Resize", [x, None, scales, sizes], mode=onnx_mode,
                    coordinate_transformation_mode=transform, **attrs)


@call("one_hot", F.one_hot)
def _one_hot(node):
    """OneHot over a new last dim; num_classes=-1 (max + 1 of the data) is fixed at export."""
    depth = node.ctx.constant([node.record.result.shape[-1]], np.int64)
    values = node.ctx.constant([0, 1], np.int64)
    return node.add("OneHot", [node.input("tensor"), depth, values], axis=-1)


_BAG_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax"}


@call("embedding_bag", F.embedding_bag)
def _embedding_bag(node):
    """Bags of equal size (2-D input): the rows gathered, then reduced over each bag."""
    plain = node.arg("per_sample_weights") is None and node.option("max_norm") is None
    if node.arg("input").ndim != 2 or not plain:
        unsupported(node, "embedding_bag other than 2-D input without per_sample_weights "
                          "and max_norm")
    rows = node.add("Gather", [node.input("weight"), node.input("input", np.int64)], axis=0)
    return node.ctx.reduce(_BAG_REDUCE[node.option("mode", "mean")], rows, [1], False)
