"""Mistakes with nn and nn.functional raise PyTorch's exception class with a message naming
the argument, shapes or dtypes, and leave every input (tensors, modules) as it was."""
from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from tests._unchanged import check_ndgrad, check_torch
from tests.ops._mistakes import Mistake


def F(m):
    return m.nn.functional


def linear(m):
    """A Linear(3, 2) whose parameters hold gradients, for checks that nothing changes."""
    layer = m.nn.Linear(3, 2)
    layer(m.ones(4, 3)).sum().backward()
    return layer


def batch_norm(m):
    """A BatchNorm2d(3) in training mode that has seen one batch."""
    layer = m.nn.BatchNorm2d(3)
    layer(m.arange(48.0).reshape(2, 3, 2, 4))
    return layer


def leaf(m, *shape):
    return m.ones(*shape, requires_grad=True)


BIG_CONV_INPUT = "Calculated padded input size per channel: \\(2 x 2\\). Kernel size: \\(3 x 3\\)"
CONV_RANK = "Expected {}D \\(unbatched\\) or {}D \\(batched\\) input to {}, but got input of size: "
REDUCTION = "{} is not a valid value for reduction"

CONV_AND_POOL = [
    Mistake("conv1d_rank", lambda m, x, w: F(m).conv1d(x, w), RuntimeError,
            CONV_RANK.format(2, 3, "conv1d") + "\\[3, 4, 5, 6\\]",
            inputs=lambda m: (leaf(m, 3, 4, 5, 6), leaf(m, 2, 4, 3))),
    Mistake("conv2d_rank", lambda m, x, w: F(m).conv2d(x, w), RuntimeError,
            CONV_RANK.format(3, 4, "conv2d") + "\\[4, 5\\]",
            inputs=lambda m: (leaf(m, 4, 5), leaf(m, 2, 4, 3, 3))),
    Mistake("conv3d_rank", lambda m, x, w: F(m).conv3d(x, w), RuntimeError,
            CONV_RANK.format(4, 5, "conv3d") + "\\[4, 5, 5\\]",
            inputs=lambda m: (leaf(m, 4, 5, 5), leaf(m, 2, 4, 3, 3, 3))),
    Mistake("conv2d_in_channels", lambda m, x, w: F(m).conv2d(x, w), RuntimeError,
            "weight of size \\[2, 4, 3, 3\\], expected input\\[1, 3, 5, 5\\] to have 4 channels, "
            "but got 3 channels", inputs=lambda m: (leaf(m, 1, 3, 5, 5), leaf(m, 2, 4, 3, 3))),
    Mistake("conv2d_groups", lambda m, x, w: F(m).conv2d(x, w, groups=2), RuntimeError,
            "Given groups=2, expected weight to be divisible by 2 at dimension 0",
            inputs=lambda m: (leaf(m, 1, 4, 5, 5), leaf(m, 3, 2, 3, 3))),
    Mistake("conv2d_kernel_larger_than_input", lambda m, x, w: F(m).conv2d(x, w), RuntimeError,
            BIG_CONV_INPUT, inputs=lambda m: (leaf(m, 1, 4, 2, 2), leaf(m, 2, 4, 3, 3))),
    Mistake("conv2d_bias", lambda m, x, w, b: F(m).conv2d(x, w, b), RuntimeError,
            "bias of size \\[3\\]",
            inputs=lambda m: (leaf(m, 1, 4, 5, 5), leaf(m, 2, 4, 3, 3), leaf(m, 3))),
    Mistake("conv2d_zero_stride", lambda m, x, w: F(m).conv2d(x, w, stride=0), RuntimeError,
            "non-positive stride is not supported",
            inputs=lambda m: (leaf(m, 1, 4, 5, 5), leaf(m, 2, 4, 3, 3))),
    Mistake("conv2d_negative_padding", lambda m, x, w: F(m).conv2d(x, w, padding=-1),
            RuntimeError, "negative padding is not supported",
            inputs=lambda m: (leaf(m, 1, 4, 5, 5), leaf(m, 2, 4, 3, 3))),
    Mistake("conv2d_ndarray", lambda m, w: F(m).conv2d(w.detach().numpy(), w), TypeError,
            "conv2d\\(\\): argument 'input' \\(position 1\\) must be Tensor, not numpy.ndarray",
            inputs=lambda m: (leaf(m, 1, 4, 5, 5),)),
    Mistake("conv2d_list_bias", lambda m, x, w: F(m).conv2d(x, w, [0.0, 1.0]), TypeError,
            "argument 'bias' \\(position 3\\) must be Tensor, not list",
            inputs=lambda m: (leaf(m, 1, 4, 5, 5), leaf(m, 2, 4, 3, 3))),
    Mistake("Conv2d_forward_channels", lambda m, conv, x: conv(x), RuntimeError,
            "expected input\\[1, 3, 5, 5\\] to have 4 channels",
            inputs=lambda m: (m.nn.Conv2d(4, 4, 3), leaf(m, 1, 3, 5, 5))),
    Mistake("Conv2d_groups", lambda m: m.nn.Conv2d(4, 3, 3, groups=2), ValueError,
            "out_channels must be divisible by groups"),
    Mistake("Conv2d_padding_mode", lambda m: m.nn.Conv2d(4, 4, 3, padding_mode="edge"),
            ValueError, "padding_mode must be one of .*, but got padding_mode='edge'"),
    Mistake("conv_transpose2d_output_padding",
            lambda m, x, w: F(m).conv_transpose2d(x, w, output_padding=2), RuntimeError,
            "output padding must be smaller than either stride or dilation",
            inputs=lambda m: (leaf(m, 1, 4, 3, 3), leaf(m, 4, 2, 3, 3))),
    Mistake("max_pool2d_rank", lambda m, x: F(m).max_pool2d(x, 2), RuntimeError,
            CONV_RANK.format(3, 4, "max_pool2d") + "\\[5\\]", inputs=lambda m: (leaf(m, 5),)),
    Mistake("max_pool2d_ndarray", lambda m, x: F(m).max_pool2d(x.detach().numpy(), 2),
            TypeError, "max_pool2d\\(\\): argument 'input' \\(position 1\\) must be Tensor",
            inputs=lambda m: (leaf(m, 1, 1, 4, 4),)),
    Mistake("max_pool2d_float_kernel", lambda m, x: F(m).max_pool2d(x, 1.5), TypeError,
            "argument 'kernel_size' .*must be (an int or a )?tuple of (2 )?ints",
            inputs=lambda m: (leaf(m, 1, 1, 4, 4),)),
    Mistake("conv2d_string_stride", lambda m, x, w: F(m).conv2d(x, w, stride="2"), TypeError,
            "(argument 'stride' must be an int or a tuple of 2 ints|invalid combination)",
            inputs=lambda m: (leaf(m, 1, 4, 5, 5), leaf(m, 2, 4, 3, 3))),
    Mistake("max_pool2d_padding", lambda m, x: F(m).max_pool2d(x, 2, padding=2), RuntimeError,
            "pad should be at most half of effective kernel size",
            inputs=lambda m: (leaf(m, 1, 1, 5, 5),)),
    Mistake("max_pool2d_output_too_small", lambda m, x: F(m).max_pool2d(x, 3), RuntimeError,
            "Given input size: \\(1x2x2\\). Calculated output size: \\(1x0x0\\)",
            inputs=lambda m: (leaf(m, 1, 1, 2, 2),)),
    # torch's IndexError comes from indexing dim -3 internally; the rank is the mistake.
    Mistake("avg_pool2d_rank", lambda m, x: F(m).avg_pool2d(x, 2), RuntimeError,
            CONV_RANK.format(3, 4, "avg_pool2d") + "\\[5\\]", torch_error=IndexError,
            inputs=lambda m: (leaf(m, 5),)),
    Mistake("adaptive_avg_pool2d_rank", lambda m, x: F(m).adaptive_avg_pool2d(x, 2),
            RuntimeError, "adaptive_avg_pool2d.*\\[5\\]", inputs=lambda m: (leaf(m, 5),)),
]

NORMALIZATION = [
    Mistake("batch_norm_running_mean", lambda m, x, mean, var: F(m).batch_norm(x, mean, var),
            RuntimeError, "running_mean should contain 3 elements not 4",
            inputs=lambda m: (leaf(m, 2, 3), m.zeros(4), m.ones(4))),
    Mistake("batch_norm_number_running_mean",
            lambda m, x, var: F(m).batch_norm(x, 0, var), TypeError,
            "argument 'running_mean' \\(position \\d\\) must be Tensor, not int",
            inputs=lambda m: (leaf(m, 2, 3), m.ones(3))),
    # torch's module fails first, calling .dim() on the array (AttributeError).
    Mistake("BatchNorm1d_ndarray", lambda m, bn: bn(np.ones((2, 3), dtype=np.float32)),
            TypeError, "batch_norm\\(\\): argument 'input' \\(position 1\\) must be Tensor",
            torch_error=AttributeError, inputs=lambda m: (m.nn.BatchNorm1d(3),)),
    Mistake("batch_norm_weight",
            lambda m, x, mean, var, w: F(m).batch_norm(x, mean, var, w, training=True),
            RuntimeError, "weight should contain 3 elements not 4",
            inputs=lambda m: (leaf(m, 2, 3), m.zeros(3), m.ones(3), leaf(m, 4))),
    Mistake("batch_norm_one_value_per_channel",
            lambda m, x, mean, var: F(m).batch_norm(x, mean, var, training=True), ValueError,
            "Expected more than 1 value per channel when training, got input size \\[1, 3\\]",
            inputs=lambda m: (leaf(m, 1, 3), m.zeros(3), m.ones(3))),
    # PyTorch counts the batch in num_batches_tracked before it fails; ndgrad changes nothing.
    Mistake("BatchNorm2d_channels", lambda m, bn, x: bn(x), RuntimeError,
            "running_mean should contain 4 elements not 3",
            inputs=lambda m: (batch_norm(m), leaf(m, 2, 4, 2, 2))),
    Mistake("BatchNorm2d_rank", lambda m, bn, x: bn(x), ValueError,
            "expected 4D input \\(got 3D input\\)",
            inputs=lambda m: (batch_norm(m), leaf(m, 3, 2, 2))),
    Mistake("InstanceNorm2d_channels", lambda m, norm, x: norm(x), ValueError,
            "expected input's size at dim=1 to match num_features \\(3\\), but got: 4",
            inputs=lambda m: (m.nn.InstanceNorm2d(3, affine=True), leaf(m, 2, 4, 3, 3))),
    Mistake("group_norm_groups", lambda m, x: F(m).group_norm(x, 4), RuntimeError,
            "channels in input to be divisible by num_groups, but got input of shape "
            "\\[2, 6, 4\\] and num_groups=4", inputs=lambda m: (leaf(m, 2, 6, 4),)),
    Mistake("group_norm_weight", lambda m, x, w: F(m).group_norm(x, 3, w), RuntimeError,
            "Expected weight to be a vector of size equal to the number of channels in input, "
            "but got weight of shape \\[5\\]", inputs=lambda m: (leaf(m, 2, 6, 4), leaf(m, 5))),
    Mistake("group_norm_number_weight", lambda m, x: F(m).group_norm(x, 2, 3), TypeError,
            "group_norm\\(\\): argument 'weight' \\(position 3\\) must be Tensor, not int",
            inputs=lambda m: (leaf(m, 2, 4, 3),)),
    Mistake("GroupNorm_channels", lambda m: m.nn.GroupNorm(4, 6), ValueError,
            "num_channels \\(6\\) must be divisible by num_groups \\(4\\)"),
    Mistake("LayerNorm_shape_none", lambda m: m.nn.LayerNorm(None), TypeError,
            "normalized_shape must be an int or a tuple of ints, got None"),
    Mistake("GroupNorm_string", lambda m: m.nn.GroupNorm("2", 4), TypeError,
            "GroupNorm takes int num_groups and num_channels, got '2' and 4"),
    Mistake("layer_norm_normalized_shape", lambda m, x: F(m).layer_norm(x, (2, 4)),
            RuntimeError, "Given normalized_shape=\\[2, 4\\], expected input with shape "
            "\\[\\*, 2, 4\\], but got input of size ?\\[2, 3\\]",
            inputs=lambda m: (leaf(m, 2, 3),)),
    Mistake("layer_norm_shape_none", lambda m, x: F(m).layer_norm(x, None), TypeError,
            "layer_norm\\(\\): argument 'normalized_shape' \\(position 2\\) must be tuple of "
            "ints, not NoneType", inputs=lambda m: (leaf(m, 2, 3),)),
    Mistake("layer_norm_weight", lambda m, x, w: F(m).layer_norm(x, (3,), w), RuntimeError,
            "weight of shape \\[4\\] and normalized_shape = \\[3\\]",
            inputs=lambda m: (leaf(m, 2, 3), leaf(m, 4))),
    Mistake("rms_norm_integers", lambda m, x: F(m).rms_norm(x, (3,)), RuntimeError,
            "not implemented for .*(int64|Long)", inputs=lambda m: (m.tensor([1, 2, 3]),)),
    Mistake("LayerNorm_forward", lambda m, norm, x: norm(x), RuntimeError,
            "Given normalized_shape=\\[4\\]", inputs=lambda m: (m.nn.LayerNorm(4), leaf(m, 2, 3))),
]

LINEAR_AND_EMBEDDING = [
    Mistake("linear_ndarray", lambda m, w: F(m).linear(w.detach().numpy(), w), TypeError,
            "linear\\(\\): argument 'input' \\(position 1\\) must be Tensor, not numpy.ndarray",
            inputs=lambda m: (leaf(m, 4, 3),)),
    Mistake("linear_0d", lambda m, x, w: F(m).linear(x, w), RuntimeError,
            "both arguments to linear need to be at least 1D, but they are 0D and 2D",
            inputs=lambda m: (m.tensor(1.0, requires_grad=True), leaf(m, 4, 3))),
    Mistake("linear_shapes", lambda m, x, w: F(m).linear(x, w), RuntimeError,
            "mat1 and mat2 shapes cannot be multiplied \\(2x3 and 5x4\\)",
            inputs=lambda m: (leaf(m, 2, 3), leaf(m, 4, 5))),
    # torch's message is its expand's: "The expanded size of the tensor (4) must match ...".
    Mistake("linear_bias", lambda m, x, w, b: F(m).linear(x, w, b), RuntimeError,
            "bias of shape \\[5\\] does not broadcast to the output shape \\[2, 4\\]",
            inputs=lambda m: (leaf(m, 2, 3), leaf(m, 4, 3), leaf(m, 5))),
    Mistake("Linear_float64_input", lambda m, layer, x: layer(x), RuntimeError,
            "mat1 and mat2 must have the same dtype, but got (float64|Double) and "
            "(float32|Float)", inputs=lambda m: (linear(m), m.ones(2, 3, dtype=m.float64))),
    Mistake("Linear_negative_size", lambda m: m.nn.Linear(-1, 3), RuntimeError,
            "Trying to create tensor with negative dimension -1"),
    Mistake("bilinear_batch", lambda m, a, b, w: F(m).bilinear(a, b, w), RuntimeError,
            "bilinear\\(\\): input batch dimensions do not match",
            inputs=lambda m: (leaf(m, 2, 3), leaf(m, 3, 4), leaf(m, 5, 3, 4))),
    Mistake("bilinear_bias", lambda m, a, b, w, c: F(m).bilinear(a, b, w, c), RuntimeError,
            "bilinear\\(\\): bias size does not match weight size: got \\[?4\\]? but expected",
            inputs=lambda m: (leaf(m, 2, 3), leaf(m, 2, 4), leaf(m, 5, 3, 4), leaf(m, 4))),
    # torch's IndexError comes from reading weight.size(1) of a 1-D weight.
    Mistake("bilinear_weight_rank", lambda m, a, b, w: F(m).bilinear(a, b, w), RuntimeError,
            "a 3-D weight \\(out, in1, in2\\), got .* weight \\[3\\]", torch_error=IndexError,
            inputs=lambda m: (leaf(m, 3), leaf(m, 3), leaf(m, 3))),
    Mistake("embedding_1d_weight", lambda m, i, w: F(m).embedding(i, w), RuntimeError,
            "'weight' must be 2-D", inputs=lambda m: (m.tensor([0, 1]), leaf(m, 5))),
    Mistake("embedding_float_indices", lambda m, i, w: F(m).embedding(i, w), RuntimeError,
            "'indices' to have one of the following scalar types: Long, Int; but got "
            "(torch.Float|float32)", inputs=lambda m: (m.tensor([0.0, 1.0]), leaf(m, 5, 2))),
    Mistake("embedding_index_out_of_range", lambda m, i, w: F(m).embedding(i, w), IndexError,
            "index 5 is out of range for an embedding of 5 rows",
            inputs=lambda m: (m.tensor([0, 5]), leaf(m, 5, 2))),
    Mistake("Embedding_padding_idx", lambda m: m.nn.Embedding(5, 2, padding_idx=5),
            AssertionError, "Padding_idx must be within num_embeddings"),
    Mistake("embedding_bag_offsets", lambda m, i, w, o: F(m).embedding_bag(i, w, o),
            RuntimeError, "offsets\\[-1\\] can not be greater than input's length 2",
            inputs=lambda m: (m.tensor([0, 1]), leaf(m, 3, 2), m.tensor([0, 3]))),
]

LOSSES = [
    Mistake("cross_entropy_class_out_of_range", lambda m, x, t: F(m).cross_entropy(x, t),
            IndexError, "Target 3 is out of bounds", inputs=lambda m: (leaf(m, 2, 3),
                                                                      m.tensor([0, 3]))),
    Mistake("cross_entropy_negative_class", lambda m, x, t: F(m).cross_entropy(x, t),
            IndexError, "Target -2 is out of bounds", inputs=lambda m: (leaf(m, 2, 3),
                                                                       m.tensor([0, -2]))),
    Mistake("cross_entropy_float_target_shape", lambda m, x, t: F(m).cross_entropy(x, t),
            RuntimeError, "class-index target, got dtype float32 of shape \\[2\\]",
            inputs=lambda m: (leaf(m, 2, 3), m.tensor([0.0, 1.0]))),
    Mistake("cross_entropy_int32_target", lambda m, x, t: F(m).cross_entropy(x, t),
            RuntimeError, "expected target dtype to be int64 or uint8 \\(Long or Byte\\), but "
            "got int32", inputs=lambda m: (leaf(m, 2, 3), m.tensor([0, 1], dtype=m.int32))),
    Mistake("cross_entropy_batch_size", lambda m, x, t: F(m).cross_entropy(x, t), ValueError,
            "Expected input batch_size \\(2\\) to match target batch_size \\(3\\)",
            inputs=lambda m: (leaf(m, 2, 3), m.tensor([0, 1, 2]))),
    Mistake("cross_entropy_weight", lambda m, x, t, w: F(m).cross_entropy(x, t, weight=w),
            RuntimeError, "weight tensor should be defined either for all 3 classes or no "
            "classes but got weight tensor of shape: \\[4\\]",
            inputs=lambda m: (leaf(m, 2, 3), m.tensor([0, 1]), m.ones(4))),
    Mistake("cross_entropy_list_target", lambda m, x: F(m).cross_entropy(x, [0, 1]), TypeError,
            "argument 'target' \\(position 2\\) must be Tensor, not list",
            inputs=lambda m: (leaf(m, 2, 3),)),
    Mistake("cross_entropy_label_smoothing",
            lambda m, x, t: F(m).cross_entropy(x, t, label_smoothing=1.5), RuntimeError,
            "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
            inputs=lambda m: (leaf(m, 2, 3), m.tensor([0, 1]))),
    Mistake("nll_loss_number_weight", lambda m, x, t: F(m).nll_loss(x, t, weight=0), TypeError,
            "argument 'weight' \\(position 3\\) must be Tensor, not int",
            inputs=lambda m: (leaf(m, 2, 3), m.tensor([0, 1]))),
    Mistake("triplet_margin_loss_number", lambda m, a, p: F(m).triplet_margin_loss(a, p, 0),
            TypeError, "argument 'negative' \\(position 3\\) must be Tensor, not int",
            inputs=lambda m: (leaf(m, 2, 3), leaf(m, 2, 3))),
    # torch fails inside, calling .dim() on the float (AttributeError).
    Mistake("margin_ranking_loss_number_target",
            lambda m, a, b: F(m).margin_ranking_loss(a, b, 1.0), TypeError,
            "argument 'target' \\(position 3\\) must be Tensor, not float",
            torch_error=AttributeError, inputs=lambda m: (leaf(m, 3), leaf(m, 3))),
    Mistake("nll_loss_reduction", lambda m, x, t: F(m).nll_loss(x, t, reduction="avg"),
            ValueError, REDUCTION.format("avg"), inputs=lambda m: (leaf(m, 2, 3),
                                                                   m.tensor([0, 1]))),
    Mistake("CrossEntropyLoss_reduction", lambda m, x, t:
            m.nn.CrossEntropyLoss(reduction="total")(x, t), ValueError,
            REDUCTION.format("total"), inputs=lambda m: (leaf(m, 2, 3), m.tensor([0, 1]))),
    Mistake("multilabel_soft_margin_loss_0d",
            lambda m, x, t: F(m).multilabel_soft_margin_loss(x, t), IndexError,
            "Dimension specified as -1 but tensor has no dimensions",
            inputs=lambda m: (m.tensor(1.0, requires_grad=True), m.ones(3))),
    Mistake("mse_loss_sizes", lambda m, x, t: F(m).mse_loss(x, t), RuntimeError,
            "The size of tensor a \\(3\\) must match the size of tensor b \\(4\\)",
            inputs=lambda m: (leaf(m, 3), m.ones(4))),
    Mistake("l1_loss_reduction", lambda m, x, t: F(m).l1_loss(x, t, reduction="x"),
            ValueError, REDUCTION.format("x"), inputs=lambda m: (leaf(m, 3), m.ones(3))),
    Mistake("binary_cross_entropy_target_size",
            lambda m, x, t: F(m).binary_cross_entropy(x, t), ValueError,
            "Using a target size \\((ndgrad|torch).Size\\(\\[2\\]\\)\\) that is different to the "
            "input size", inputs=lambda m: (m.full((3,), 0.5, requires_grad=True), m.ones(2))),
    Mistake("binary_cross_entropy_not_probabilities",
            lambda m, x, t: F(m).binary_cross_entropy(x, t), RuntimeError,
            "all elements of input should be between 0 and 1",
            inputs=lambda m: (m.full((3,), 1.5, requires_grad=True), m.ones(3))),
    Mistake("binary_cross_entropy_target_dtype",
            lambda m, x, t: F(m).binary_cross_entropy(x, t), RuntimeError,
            "Found dtype int64 for target but expected float32",
            inputs=lambda m: (m.full((3,), 0.5, requires_grad=True), m.tensor([1, 0, 1]))),
    Mistake("binary_cross_entropy_with_logits_size",
            lambda m, x, t: F(m).binary_cross_entropy_with_logits(x, t), ValueError,
            "Target size \\(ndgrad.Size\\(\\[2\\]\\)\\) must be the same as input size",
            inputs=lambda m: (leaf(m, 3), m.ones(2))),
    Mistake("huber_loss_delta", lambda m, x, t: F(m).huber_loss(x, t, delta=-1.0),
            RuntimeError, "huber_loss does not support non-positive values for delta",
            inputs=lambda m: (leaf(m, 3), m.ones(3))),
]

ACTIVATIONS_AND_OTHERS = [
    Mistake("dropout_p", lambda m, x: F(m).dropout(x, p=1.5), ValueError,
            "dropout probability has to be between 0 and 1, but got 1.5",
            inputs=lambda m: (leaf(m, 3),)),
    Mistake("Dropout_p", lambda m: m.nn.Dropout(p=-0.1), ValueError,
            "dropout probability has to be between 0 and 1, but got -0.1"),
    Mistake("dropout_ndarray", lambda m: F(m).dropout(np.ones(3)), TypeError,
            "dropout\\(\\): argument 'input' \\(position 1\\) must be Tensor, not numpy.ndarray"),
    Mistake("pixel_shuffle_zero", lambda m, x: F(m).pixel_shuffle(x, 0), RuntimeError,
            "pixel_shuffle expects a positive upscale_factor, but got 0",
            inputs=lambda m: (leaf(m, 1, 4, 2, 2),)),
    Mistake("pixel_shuffle_float", lambda m, x: F(m).pixel_shuffle(x, 2.0), TypeError,
            "argument 'upscale_factor' \\(position 2\\) must be int, not float",
            inputs=lambda m: (leaf(m, 1, 4, 2, 2),)),
    Mistake("Dropout_string", lambda m: m.nn.Dropout(p="0.5"), TypeError,
            "dropout probability must be a number, got str"),
    Mistake("softmax_dim", lambda m, x: F(m).softmax(x, dim=2), IndexError,
            "Dimension out of range \\(expected to be in range of \\[-2, 1\\], but got 2\\)",
            inputs=lambda m: (leaf(m, 2, 3),)),
    Mistake("glu_odd_dim", lambda m, x: F(m).glu(x), RuntimeError,
            "Halving dimension must be even, but dimension -?1 is size 3",
            inputs=lambda m: (leaf(m, 2, 3),)),
    Mistake("pad_reflect_too_large", lambda m, x: F(m).pad(x, (4, 4), mode="reflect"),
            RuntimeError, "Padding size should be less than the corresponding input dimension",
            inputs=lambda m: (leaf(m, 1, 1, 3),)),
    Mistake("one_hot_out_of_range", lambda m, t: F(m).one_hot(t, 3), RuntimeError,
            "Class values must be smaller than num_classes", inputs=lambda m: (m.tensor([0, 5]),)),
    Mistake("leaky_relu_slope_string", lambda m, x: F(m).leaky_relu(x, "0.1"), TypeError,
            "leaky_relu\\(\\): argument 'negative_slope' \\(position 2\\) must be Number, not str",
            inputs=lambda m: (leaf(m, 3),)),
    Mistake("threshold_string", lambda m, x: F(m).threshold(x, "a", 0.0), TypeError,
            "argument 'threshold' \\(position 2\\) must be Number, not str",
            inputs=lambda m: (leaf(m, 3),)),
    Mistake("threshold_tensor", lambda m, x: F(m).threshold(x, x, 0.0), TypeError,
            "argument 'threshold' \\(position 2\\) must be Number, not Tensor",
            inputs=lambda m: (leaf(m, 3),)),
    Mistake("glu_0d", lambda m, x: F(m).glu(x), RuntimeError,
            "glu does not support scalars because halving size must be even",
            inputs=lambda m: (m.tensor(1.0, requires_grad=True),)),
    Mistake("prelu_0d", lambda m, x, w: F(m).prelu(x, w), RuntimeError,
            "Not allow zero-dim input tensor",
            inputs=lambda m: (m.tensor(1.0, requires_grad=True), leaf(m, 3))),
    Mistake("prelu_number_weight", lambda m, x: F(m).prelu(x, 0.25), TypeError,
            "argument 'weight' \\(position 2\\) must be Tensor, not float",
            inputs=lambda m: (leaf(m, 2, 3),)),
    Mistake("celu_alpha_0", lambda m, x: F(m).celu(x, alpha=0.0), RuntimeError,
            "alpha cannot be 0 for CELU", inputs=lambda m: (leaf(m, 3),)),
    Mistake("prelu_2d_weight", lambda m, x, w: F(m).prelu(x, w), RuntimeError,
            "Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2",
            inputs=lambda m: (leaf(m, 2, 3), leaf(m, 3, 1))),
    Mistake("glu_dim", lambda m, x: F(m).glu(x, dim=3), IndexError,
            "Dimension out of range \\(expected to be in range of \\[-2, 1\\], but got 3\\)",
            inputs=lambda m: (leaf(m, 2, 4),)),
    Mistake("Hardtanh_bounds", lambda m: m.nn.Hardtanh(2.0, 1.0), AssertionError,
            "max_val \\(1.0\\) must be greater than min_val \\(2.0\\)"),
    Mistake("kaiming_uniform_1d", lambda m, w: m.nn.init.kaiming_uniform_(w), ValueError,
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
            inputs=lambda m: (m.ones(3),)),
    Mistake("calculate_gain", lambda m: m.nn.init.calculate_gain("swish"), ValueError,
            "Unsupported nonlinearity swish"),
    Mistake("trunc_normal_empty_range", lambda m, w: m.nn.init.trunc_normal_(w, a=2, b=-2),
            RuntimeError, "expects to return a \\[from, to\\) range, but found from=2 > to=-2",
            inputs=lambda m: (m.ones(3),)),
    Mistake("normal_negative_std", lambda m, w: m.nn.init.normal_(w, std=-1.0), RuntimeError,
            "normal expects std >= 0.0, but found std -1.0", inputs=lambda m: (m.ones(3),)),
]

SIZE_MISMATCH = "(?s)size mismatch for weight: copying a param with shape " \
    "(ndgrad|torch).Size\\(\\[3, 3\\]\\).*size mismatch for bias"

MODULE_API = [
    Mistake("load_state_dict_int", lambda m, layer: layer.load_state_dict(3), TypeError,
            "Expected state_dict to be dict-like, got <class 'int'>",
            inputs=lambda m: (linear(m),)),
    # PyTorch copies the entries that fit before it raises; ndgrad checks all, then copies.
    Mistake("load_state_dict_shapes", lambda m, layer, state: layer.load_state_dict(state),
            RuntimeError, SIZE_MISMATCH,
            inputs=lambda m: (linear(m), {"weight": m.zeros(3, 3), "bias": m.zeros(3)})),
    Mistake("load_state_dict_shapes_not_strict",
            lambda m, layer, state: layer.load_state_dict(state, strict=False), RuntimeError,
            "size mismatch for bias", inputs=lambda m: (linear(m), {"bias": m.zeros(3)})),
    Mistake("load_state_dict_missing_and_unexpected",
            lambda m, layer, state: layer.load_state_dict(state), RuntimeError,
            '(?s)Missing key\\(s\\) in state_dict: "bias".*Unexpected key\\(s\\) in state_dict: '
            '"scale"', inputs=lambda m: (linear(m), {"weight": m.zeros(2, 3),
                                                       "scale": m.zeros(1)})),
    Mistake("load_state_dict_list_value", lambda m, layer, state: layer.load_state_dict(state),
            RuntimeError, 'While copying the parameter named "weight", expected Tensor or '
            "Tensor-like object from checkpoint but received <class 'list'>",
            inputs=lambda m: (linear(m), {"weight": [[0.0] * 3] * 2, "bias": m.zeros(2)})),
    Mistake("load_state_dict_BatchNorm", lambda m, bn, state: bn.load_state_dict(state),
            RuntimeError, "size mismatch for running_mean",
            inputs=lambda m: (batch_norm(m), {**m.nn.BatchNorm2d(3).state_dict(),
                                              "running_mean": m.zeros(4)})),
    Mistake("register_buffer_dotted_name",
            lambda m, layer: layer.register_buffer("a.b", m.ones(1)), KeyError,
            "buffer name can.{1,2}t contain \".\"", inputs=lambda m: (linear(m),)),
    Mistake("register_buffer_not_tensor", lambda m, layer: layer.register_buffer("a", [1.0]),
            TypeError, "cannot assign 'list' object to buffer 'a'",
            inputs=lambda m: (linear(m),)),
    Mistake("register_buffer_name_type", lambda m, layer: layer.register_buffer(3, m.ones(1)),
            TypeError, "buffer name should be a string. Got int", inputs=lambda m: (linear(m),)),
    Mistake("register_buffer_existing",
            lambda m, layer: layer.register_buffer("weight", m.ones(1)), KeyError,
            "attribute 'weight' already exists", inputs=lambda m: (linear(m),)),
    Mistake("register_parameter_tensor",
            lambda m, layer: layer.register_parameter("a", m.ones(1)), TypeError,
            "cannot assign '.*' object to parameter 'a' \\((ndgrad|torch).nn.Parameter or None "
            "required\\)", inputs=lambda m: (linear(m),)),
    Mistake("register_parameter_empty_name",
            lambda m, layer: layer.register_parameter("", m.nn.Parameter(m.ones(1))), KeyError,
            "parameter name can.{1,2}t be empty string", inputs=lambda m: (linear(m),)),
    Mistake("add_module_dotted_name", lambda m, layer: layer.add_module("a.b", m.nn.ReLU()),
            KeyError, "module name can.{1,2}t contain \".\", got: a.b",
            inputs=lambda m: (linear(m),)),
    Mistake("add_module_not_module", lambda m, layer: layer.add_module("a", 3), TypeError,
            "int is not a Module subclass", inputs=lambda m: (linear(m),)),
    Mistake("add_module_existing", lambda m, layer: layer.add_module("forward", m.nn.ReLU()),
            KeyError, "attribute 'forward' already exists", inputs=lambda m: (linear(m),)),
    Mistake("train_not_bool", lambda m, layer: layer.train("no"), ValueError,
            "training mode is expected to be boolean", inputs=lambda m: (linear(m),)),
    Mistake("assign_tensor_to_parameter",
            lambda m, layer: setattr(layer, "weight", m.ones(2, 3)), TypeError,
            "cannot assign '.*' as parameter 'weight'", inputs=lambda m: (linear(m),)),
    Mistake("Sequential_append_int", lambda m, seq: seq.append(3), TypeError,
            "int is not a Module subclass", inputs=lambda m: (m.nn.Sequential(m.nn.ReLU()),)),
    Mistake("requires_grad_string", lambda m, layer: layer.requires_grad_("no"), TypeError,
            "argument 'requires_grad' \\(position 1\\) must be bool, not str",
            inputs=lambda m: (linear(m),)),
    # PyTorch keeps the modules that came before the bad one; ndgrad adds none.
    Mistake("ModuleList_extend", lambda m, ml: ml.extend([m.nn.Tanh(), 3]), TypeError,
            "int is not a Module subclass", inputs=lambda m: (m.nn.ModuleList([m.nn.ReLU()]),)),
    Mistake("ModuleDict_update_pairs",
            lambda m, md: md.update([("a", m.nn.Tanh()), ("b", m.nn.ReLU(), 3)]), ValueError,
            "update sequence element #1 has length 3; 2 is required",
            inputs=lambda m: (m.nn.ModuleDict({"x": m.nn.ReLU()}),)),
    Mistake("ParameterList_extend_int", lambda m, pl: pl.extend(3), TypeError,
            "ParameterList.extend should be called with an iterable, but got int",
            inputs=lambda m: (m.nn.ParameterList([m.nn.Parameter(m.ones(2))]),)),
    Mistake("Sequential_insert_index", lambda m, seq: seq.insert(5, m.nn.ReLU()), IndexError,
            "Index out of range: 5", inputs=lambda m: (m.nn.Sequential(m.nn.ReLU()),)),
    # PyTorch replaces the parameters that fit before it fails.
    Mistake("vector_to_parameters_short",
            lambda m, layer: m.nn.utils.vector_to_parameters(m.arange(5.0), layer.parameters()),
            RuntimeError, "expected a 1-D vec of at least 8 elements .*, got vec of shape \\[5\\]",
            inputs=lambda m: (linear(m),)),
    Mistake("grad_of_wrong_size", lambda m, layer: setattr(layer.weight, "grad", m.ones(3, 3)),
            RuntimeError, "attempting to assign a gradient of size '\\[3, 3\\]' to a tensor of "
            "size '\\[2, 3\\]'", inputs=lambda m: (linear(m),)),
]

MISTAKES = CONV_AND_POOL + NORMALIZATION + LINEAR_AND_EMBEDDING + LOSSES + \
    ACTIVATIONS_AND_OTHERS + MODULE_API


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_raises_clear_error_and_changes_nothing(mistake):
    check_ndgrad(mistake)


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_torch_raises_the_same_type(mistake, torch):
    check_torch(mistake, torch)


@pytest.mark.parametrize("name, options", [
    ("threshold", (0.5, 0.0)), ("hardtanh", (-1.0, 1.0)), ("hardshrink", (0.5,)),
    ("softshrink", (0.5,)), ("leaky_relu", (0.1,)), ("softplus", (2.0, 1.0)),
])
def test_zero_dim_tensor_options_act_as_numbers(name, options, torch):
    # Where a number is expected, PyTorch takes a 0-d tensor too (a longer one is the mistake).
    results = []
    for module in (ndgrad, torch):
        x = module.tensor([-2.0, 0.3, 2.0])
        results.append(getattr(F(module), name)(x, *map(module.tensor, options)).numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
