"""ndgrad: a deep learning framework on NumPy with PyTorch's API."""
from ndgrad import _args
from ndgrad._tensor import Size, Tensor
from ndgrad.serialization import load, save
from ndgrad import autograd, datasets, linalg, nn, optim, utils
from ndgrad import sparse
from ndgrad import accelerator, backends, cuda, hub, multiprocessing
from ndgrad._backend import device
from ndgrad._creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full,
                              full_like, linspace, ones, ones_like, tensor, zeros, zeros_like)
from ndgrad._dtype import (bool, double, dtype, float, float16, float32, float64,
                           get_default_dtype, half, int, int8, int16, int32, int64, long,
                           promote_types, result_type, set_default_dtype, short, uint8)
from ndgrad._random import (Generator, default_generator, get_rng_state, initial_seed,
                            manual_seed, normal, rand, rand_like, randint, randint_like, randn,
                            randn_like, randperm, seed, set_rng_state)
from ndgrad._random import bernoulli, multinomial
from ndgrad._legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
                            HalfTensor, IntTensor, LongTensor, ShortTensor)
from ndgrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ndgrad.ops.elementwise import (abs, absolute, acos, add, allclose, arccos, arcsin, arctan,
                                    arctan2, asin, atan, atan2, bitwise_and, bitwise_not,
                                    bitwise_or, bitwise_xor, ceil, clamp, clip, clone, cos, cosh,
                                    div, divide, eq, equal, erf, exp, exp2, expm1, fix,
                                    float_power, floor, floor_divide, fmod, frac, ge, greater,
                                    greater_equal, gt, isclose, isfinite, isinf, isnan, le, lerp,
                                    less, less_equal, log, log1p, log2, log10, logical_and,
                                    logical_not, logical_or, logical_xor, lt, maximum, minimum,
                                    mul, multiply, ne, neg, negative, not_equal, pow, reciprocal,
                                    relu, remainder, round, rsqrt, sigmoid, sign, sin, sinh, sqrt,
                                    square, sub, subtract, tan, tanh, true_divide, trunc, where)
from ndgrad.ops.indexing import (gather, index_add, index_select, masked_fill, masked_select,
                                 nonzero, scatter, scatter_add, take, take_along_dim)
from ndgrad.ops.inplace import index_copy, index_fill, index_put, masked_scatter, put
from ndgrad.ops.rearrange import (diag, diag_embed, diagonal, flip, fliplr, flipud, repeat, roll,
                                  tile, tril, triu)
from ndgrad.ops.linalg import (addmm, bmm, det, dot, einsum, ger, inner, inverse, logdet,
                               matrix_power, mv, outer, pinverse, slogdet, tensordot, vdot)
# mm and matmul take sparse operands too; with dense ones they are ops.linalg's.
from ndgrad.ops.sparse import (layout, matmul, mm, sparse_coo, sparse_coo_tensor, spmm,
                               strided)
from ndgrad.ops.linalg import cholesky_legacy as cholesky
from ndgrad.ops.linalg import matrix_exp
from ndgrad.ops.linalg import cross_legacy as cross
from ndgrad.ops.linalg import qr_legacy as qr
from ndgrad.ops.linalg import svd_legacy as svd
from ndgrad.ops.sorting import argsort, kthvalue, msort, sort, topk, unique
from ndgrad.ops.reduction import (all, amax, amin, any, argmax, argmin, count_nonzero, cumprod,
                                  cumsum, logsumexp, max, mean, min, norm, prod, std, sum,
                                  var)
from ndgrad.ops.fused import log_softmax, softmax
from ndgrad.ops.elementwise import hypot, logaddexp, logaddexp2
from ndgrad.ops.reduction import aminmax, nanmean, nansum
from ndgrad.ops.shape import ravel
from ndgrad.ops.scatter import scatter_reduce
from ndgrad.ops.shape import (broadcast_to, cat, chunk, concat, concatenate, flatten, hstack,
                              movedim, narrow, permute, reshape, select, split, squeeze, stack,
                              swapaxes, swapdims, t, transpose, unbind, unflatten, unsqueeze, vstack)

from ndgrad._random import binomial, poisson
from ndgrad.ops.special import digamma, erfinv, lgamma, mvlgamma, polygamma
from ndgrad import distributions, special
from ndgrad import distributed  # cheap to import: MPI starts in init_process_group
from ndgrad import onnx  # export only; the onnx package itself is imported by export()
from ndgrad import func
from ndgrad.autograd import forward_ad, functional  # torch.autograd.functional etc.

moveaxis = movedim

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    """True if `obj` is an ndgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of `input`."""
    return _args.tensor_arg(input, "numel").numel()


def is_floating_point(input: Tensor) -> bool:
    """True if `input` has a floating point dtype."""
    return _args.tensor_arg(input, "is_floating_point").is_floating_point()

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor", "bernoulli", "multinomial", "layout", "sparse", "sparse_coo", "sparse_coo_tensor",
           "spmm", "strided", "aminmax", "hypot", "logaddexp", "logaddexp2", "nanmean", "nansum",
           "ravel", "scatter_reduce"]
__all__ += ["Generator", "Size", "Tensor", "abs", "absolute", "acos", "add", "addmm", "all",
           "allclose", "amax", "amin", "any", "arange", "arccos", "arcsin", "arctan",
           "arctan2", "argmax", "argmin", "argsort", "as_tensor", "asin", "atan",
           "atan2", "autograd", "bitwise_and", "bitwise_not", "bitwise_or",
           "bitwise_xor", "bmm", "bool", "broadcast_to", "cat", "ceil", "cholesky",
           "chunk", "clamp", "clip", "clone", "concat", "concatenate", "cos", "cosh",
           "count_nonzero", "cross", "cumprod", "cumsum", "datasets",
           "default_generator", "det", "device", "diag", "diag_embed", "diagonal",
           "div", "divide", "dot", "double", "dtype", "einsum", "empty", "empty_like",
           "enable_grad", "eq", "equal", "erf", "exp", "exp2", "expm1", "eye", "fix",
           "flatten", "flip", "fliplr", "flipud", "float", "float16", "float32",
           "float64", "float_power", "floor", "floor_divide", "fmod", "frac",
           "from_numpy", "full", "full_like", "gather", "ge", "ger",
           "get_default_dtype", "get_rng_state", "greater", "greater_equal", "gt",
           "half", "hstack", "index_add", "index_copy", "index_fill", "index_put",
           "index_select", "initial_seed", "inner",
           "int", "int16", "int32", "int64", "int8", "inverse", "is_floating_point",
           "is_grad_enabled", "is_tensor", "isclose", "isfinite", "isinf", "isnan",
           "kthvalue", "le", "lerp", "less", "less_equal", "linalg", "linspace", "load",
           "log", "log10", "log1p", "log2", "log_softmax", "logdet", "logical_and",
           "logical_not", "logical_or", "logical_xor", "logsumexp", "long", "lt",
           "manual_seed", "masked_fill", "masked_scatter", "masked_select", "matmul",
           "matrix_exp", "matrix_power",
           "max", "maximum", "mean", "min", "minimum", "mm", "moveaxis", "movedim",
           "msort", "mul", "multiply", "mv", "narrow", "ne", "neg", "negative", "nn",
           "no_grad", "nonzero", "norm", "normal", "not_equal", "numel", "ones",
           "ones_like", "optim", "outer", "permute", "pinverse", "pow", "prod", "put",
           "promote_types", "qr", "rand", "rand_like", "randint", "randint_like",
           "randn", "randn_like", "randperm", "reciprocal", "relu", "remainder",
           "repeat", "reshape", "result_type", "roll", "round", "rsqrt", "save",
           "scatter", "scatter_add", "seed", "select", "set_default_dtype",
           "set_grad_enabled", "set_rng_state", "short", "sigmoid", "sign", "sin",
           "sinh", "slogdet", "softmax", "sort", "split", "sqrt", "square", "squeeze",
           "stack", "std", "sub", "subtract", "sum", "svd", "swapaxes", "swapdims", "t",
           "take", "take_along_dim", "tan", "tanh", "tensor", "tensordot", "tile",
           "topk", "transpose", "tril", "triu", "true_divide", "trunc", "uint8",
           "unbind", "unflatten", "unique", "unsqueeze", "utils", "var", "vdot",
           "vstack", "where", "zeros", "zeros_like"]
__all__ += ["binomial", "digamma", "distributions", "erfinv", "lgamma", "mvlgamma",
            "poisson", "polygamma", "special"]
__all__ += ["accelerator", "backends", "cuda", "hub", "multiprocessing"]
__all__ += ["distributed"]
__all__ += ["onnx"]

from ndgrad import _einops

_einops.install()  # einops finds ndgrad tensors whether imported before or after ndgrad
