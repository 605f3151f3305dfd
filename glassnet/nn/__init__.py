"""Neural-network layers (Modules), initialisation and utilities, with PyTorch's names."""

# --- modules, containers, layers, losses (module.py, containers.py, linear.py, ...) ---
from .activation import *  # noqa: F401,F403
from .containers import (  # noqa: F401
    Identity, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential)
from .dropout import *  # noqa: F401,F403
from .embedding import Embedding  # noqa: F401
from .hooks import RemovableHandle  # noqa: F401
from .linear import Bilinear, Linear  # noqa: F401
from .loss import *  # noqa: F401,F403
from .module import Module  # noqa: F401
from .normalization import *  # noqa: F401,F403
from .parameter import Buffer, Parameter  # noqa: F401
from .equivariant import GroupAvgPool, GroupMaxPool, P4ConvP4, P4ConvZ2  # noqa: F401,E402
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401,E402
from .graph import (  # noqa: F401,E402
    GCNConv, GraphConv, MessagePassing, SAGEConv, global_add_pool, global_max_pool,
    global_mean_pool)
# --- end modules ---

# --- convolution and pooling layers (conv.py, pooling.py, ...) ---
from .conv import (  # noqa: F401,E402
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, FactorizedConv2d,
    SeparableConv2d)
from .pooling import (  # noqa: F401,E402
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d,
    AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, BlurPool2d, Flatten,
    MaxBlurPool2d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool2d, Unflatten, Upsample)
# --- end convolution ---

from . import functional, init, utils  # noqa: E402,F401

# --- attention, transformers, lazy modules, embedding bags (attention.py, transformer.py, ...) ---
from .attention import MultiheadAttention  # noqa: F401,E402
from .embedding import EmbeddingBag  # noqa: F401,E402
from .lazy import (  # noqa: F401,E402
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d,
    LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d,
    LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear, UninitializedBuffer,
    UninitializedParameter)
from .transformer import (  # noqa: F401,E402
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer)
# --- end attention ---

# --- padding, shuffle, distance, shrink activations, extra losses, fold (padding.py,
# shuffle.py, distance.py, activation_extra.py, loss_extra.py, fold.py, pooling.py) ---
from .activation_extra import Hardshrink, RReLU, Softshrink  # noqa: F401,E402
from .distance import CosineSimilarity, PairwiseDistance  # noqa: F401,E402
from .fold import Fold, Unfold  # noqa: F401,E402
from .loss_extra import (  # noqa: F401,E402
    CTCLoss, GaussianNLLLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss,
    TripletMarginLoss, TripletMarginWithDistanceLoss)
from .padding import (  # noqa: F401,E402
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
    ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .pooling import LPPool1d, LPPool2d, LPPool3d, MaxUnpool1d, MaxUnpool3d  # noqa: F401,E402
from .shuffle import (  # noqa: F401,E402
    ChannelShuffle, PixelShuffle, PixelUnshuffle, UpsamplingBilinear2d, UpsamplingNearest2d)
# --- end padding ---

# --- data parallelism (parallel/): DistributedDataParallel over MPI; MPI starts on first use ---
from . import parallel  # noqa: F401,E402
from .parallel import DataParallel, SyncBatchNorm  # noqa: F401,E402
# --- end data parallelism ---
