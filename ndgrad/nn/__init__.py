"""Neural network building blocks (PyTorch's torch.nn)."""
from ndgrad.nn import functional, init
from ndgrad.nn import parallel, utils
from ndgrad.nn.modules.activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid,
                                          Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
                                          LogSoftmax, Mish, MultiheadAttention, PReLU, ReLU,
                                          ReLU6, Sigmoid, SiLU, Softmax, Softmin, Softplus,
                                          Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from ndgrad.nn.modules.channelshuffle import ChannelShuffle
from ndgrad.nn.modules.padding import (CircularPad1d, CircularPad2d, CircularPad3d,
                                       ConstantPad1d, ConstantPad2d, ConstantPad3d,
                                       ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
                                       ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                                       ZeroPad1d, ZeroPad2d, ZeroPad3d)
from ndgrad.nn.modules.batchnorm import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d,
                                         InstanceNorm2d)
from ndgrad.nn.modules.container import (ModuleDict, ModuleList, ParameterDict, ParameterList,
                                         Sequential)
from ndgrad.nn.modules.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,
                                    ConvTranspose3d)
from ndgrad.nn.modules.distance import CosineSimilarity, PairwiseDistance
from ndgrad.nn.modules.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d
from ndgrad.nn.modules.flatten import Flatten, Unflatten
from ndgrad.nn.modules.fold import Fold, Unfold
from ndgrad.nn.modules.linear import Bilinear, Identity, Linear
from ndgrad.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss,
                                    CrossEntropyLoss, CTCLoss, GaussianNLLLoss,
                                    HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                                    MarginRankingLoss, MSELoss,
                                    MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss,
                                    PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss,
                                    TripletMarginLoss)
from ndgrad.nn.modules.module import Module
from ndgrad.nn.modules.normalization import GroupNorm, LayerNorm, RMSNorm
from ndgrad.nn.modules.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
                                       AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d,
                                       AvgPool1d, AvgPool2d, AvgPool3d, LPPool1d, LPPool2d,
                                       LPPool3d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d,
                                       MaxUnpool2d, MaxUnpool3d)
from ndgrad.nn.modules.rnn import (GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell,
                                   RNNCellBase)
from ndgrad.nn.modules.sparse import Embedding, EmbeddingBag
from ndgrad.nn.modules.transformer import (Transformer, TransformerDecoder,
                                           TransformerDecoderLayer, TransformerEncoder,
                                           TransformerEncoderLayer)
from ndgrad.nn.modules.upsampling import (PixelShuffle, PixelUnshuffle, Upsample,
                                          UpsamplingBilinear2d, UpsamplingNearest2d)
from ndgrad.nn.parameter import Buffer, Parameter

__all__ = ["ChannelShuffle", "CircularPad1d", "CircularPad2d", "CircularPad3d",
           "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d",
           "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]
__all__ += ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AlphaDropout", "AvgPool1d", "AvgPool2d",
           "AvgPool3d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
           "Bilinear", "Buffer", "CELU", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
           "ConvTranspose2d", "ConvTranspose3d", "CosineEmbeddingLoss", "CosineSimilarity",
           "CrossEntropyLoss", "CTCLoss", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "ELU",
           "Embedding", "EmbeddingBag", "Flatten", "Fold", "GELU", "GLU", "GaussianNLLLoss",
           "GroupNorm", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "HingeEmbeddingLoss",
           "HuberLoss", "Identity",
           "InstanceNorm1d", "InstanceNorm2d", "KLDivLoss", "L1Loss", "LPPool1d", "LPPool2d",
           "LPPool3d", "LayerNorm", "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax", "MSELoss",
           "MarginRankingLoss", "MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d",
           "MaxUnpool2d", "MaxUnpool3d", "Mish", "Module",
           "ModuleDict", "ModuleList", "MultiheadAttention", "MultiLabelSoftMarginLoss",
           "MultiMarginLoss", "NLLLoss",
           "PReLU", "PairwiseDistance", "Parameter", "ParameterDict", "ParameterList",
           "PixelShuffle", "PixelUnshuffle", "PoissonNLLLoss", "RMSNorm", "RNN", "RNNBase",
           "RNNCell", "RNNCellBase", "LSTM", "LSTMCell", "GRU", "GRUCell", "ReLU", "ReLU6", "SELU",
           "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "SoftMarginLoss", "Softmax", "Softmin",
           "Softplus", "Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold",
           "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
           "TransformerEncoder", "TransformerEncoderLayer", "TripletMarginLoss",
           "Unflatten", "Unfold", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d",
           "functional", "init", "utils"]
