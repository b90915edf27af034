"""Functional neural network ops (PyTorch's torch.nn.functional)."""
from ndgrad.nn.functional.activation import (celu, elu, gelu, glu, hardshrink, hardsigmoid,
                                             hardswish, hardtanh, leaky_relu, log_softmax,
                                             logsigmoid, mish, prelu, relu, relu6, selu, sigmoid,
                                             silu, softmax, softmin, softplus, softshrink,
                                             softsign, tanh, tanhshrink, threshold)
from ndgrad.nn.functional.attention import (multi_head_attention_forward,
                                            scaled_dot_product_attention)
from ndgrad.nn.functional.conv import (conv1d, conv2d, conv3d, conv_transpose1d,
                                       conv_transpose2d, conv_transpose3d, fold, unfold)
from ndgrad.nn.functional.ctc import ctc_loss
from ndgrad.nn.functional.distance import cosine_similarity, pairwise_distance
from ndgrad.nn.functional.dropout import (alpha_dropout, dropout, dropout1d, dropout2d,
                                          dropout3d)
from ndgrad.nn.functional.linear import bilinear, linear
from ndgrad.nn.functional.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,
                                       cosine_embedding_loss, cross_entropy, gaussian_nll_loss,
                                       hinge_embedding_loss, huber_loss, kl_div, l1_loss,
                                       margin_ranking_loss, mse_loss, multi_margin_loss,
                                       multilabel_soft_margin_loss, nll_loss, poisson_nll_loss,
                                       smooth_l1_loss, soft_margin_loss, triplet_margin_loss)
from ndgrad.nn.functional.normalization import (batch_norm, group_norm, instance_norm,
                                                layer_norm, normalize, rms_norm)
from ndgrad.nn.functional.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d,
                                          adaptive_avg_pool3d, adaptive_max_pool1d,
                                          adaptive_max_pool2d, adaptive_max_pool3d, avg_pool1d,
                                          avg_pool2d, avg_pool3d, interpolate, lp_pool1d,
                                          lp_pool2d, lp_pool3d, max_pool1d, max_pool2d,
                                          max_pool3d, max_unpool1d, max_unpool2d, max_unpool3d,
                                          pixel_shuffle, pixel_unshuffle)
from ndgrad.nn.functional.sparse import embedding, embedding_bag, one_hot
from ndgrad.ops.rearrange import pad

__all__ = ["alpha_dropout", "batch_norm", "bilinear", "cosine_similarity", "embedding",
           "embedding_bag", "group_norm", "instance_norm", "layer_norm", "normalize", "one_hot",
           "pairwise_distance", "rms_norm", "celu", "dropout", "elu", "gelu", "glu", "hardsigmoid",
           "hardswish", "hardtanh", "leaky_relu", "linear", "log_softmax", "mish", "pad",
           "prelu", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softmin",
           "softplus", "softsign", "tanh", "tanhshrink", "threshold", "hardshrink",
           "softshrink", "logsigmoid",
           "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cosine_embedding_loss", "cross_entropy", "ctc_loss", "gaussian_nll_loss",
           "hinge_embedding_loss",
           "huber_loss", "kl_div", "l1_loss", "margin_ranking_loss", "mse_loss",
           "multi_margin_loss", "multilabel_soft_margin_loss", "nll_loss", "poisson_nll_loss",
           "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss",
           "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "fold", "unfold", "dropout1d", "dropout2d", "dropout3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "avg_pool1d",
           "avg_pool2d", "avg_pool3d", "interpolate", "lp_pool1d", "lp_pool2d", "lp_pool3d",
           "max_pool1d", "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d",
           "max_unpool3d", "pixel_shuffle", "pixel_unshuffle", "scaled_dot_product_attention",
           "multi_head_attention_forward"]
