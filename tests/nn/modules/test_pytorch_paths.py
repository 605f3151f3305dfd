"""The layers live in ``glassnet.nn.modules.<file>`` under PyTorch's file names, so programs that
import ``torch.nn.modules.conv.Conv2d`` or check ``isinstance(m, torch.nn.modules.batchnorm._BatchNorm)``
find the same classes, with the same class hierarchy.

The layers and functions PyTorch users reach for exist under PyTorch's names in ``glassnet.nn``
and ``glassnet.nn.functional``.
"""

from __future__ import annotations

import importlib

import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn

# file -> names that PyTorch's torch.nn.modules.<file> has and glassnet's must have too
PATHS = {
    "module": ["Module"],
    "container": ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"],
    "linear": ["Identity", "Linear", "Bilinear", "NonDynamicallyQuantizableLinear"],
    "conv": ["_ConvNd", "_ConvTransposeNd", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
             "ConvTranspose2d", "ConvTranspose3d"],
    "activation": ["ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
                   "PReLU", "Hardshrink", "Softshrink", "RReLU", "MultiheadAttention"],
    "loss": ["_Loss", "_WeightedLoss", "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss",
             "BCEWithLogitsLoss", "TripletMarginLoss", "CTCLoss", "GaussianNLLLoss"],
    "pooling": ["_MaxPoolNd", "_AvgPoolNd", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd",
                "_MaxUnpoolNd", "_LPPoolNd", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
                "AdaptiveMaxPool2d", "MaxUnpool2d", "LPPool2d"],
    "batchnorm": ["_NormBase", "_BatchNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d"],
    "instancenorm": ["_InstanceNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"],
    "normalization": ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"],
    "dropout": ["_DropoutNd", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                "FeatureAlphaDropout"],
    "rnn": ["RNNBase", "RNNCellBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"],
    "sparse": ["Embedding", "EmbeddingBag"],
    "padding": ["_ConstantPadNd", "_ReflectionPadNd", "_ReplicationPadNd", "_CircularPadNd",
                "ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d",
                "CircularPad2d"],
    "flatten": ["Flatten", "Unflatten"],
    "upsampling": ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"],
    "pixelshuffle": ["PixelShuffle", "PixelUnshuffle"],
    "channelshuffle": ["ChannelShuffle"],
    "distance": ["PairwiseDistance", "CosineSimilarity"],
    "fold": ["Fold", "Unfold"],
    "transformer": ["Transformer", "TransformerEncoder", "TransformerDecoder",
                    "TransformerEncoderLayer", "TransformerDecoderLayer"],
    "lazy": ["LazyModuleMixin"],
    "utils": ["_single", "_pair", "_triple", "_quadruple", "_ntuple", "_reverse_repeat_tuple"],
}


@pytest.mark.parametrize("file", sorted(PATHS))
def test_pytorch_file_names_hold_pytorch_names(file):
    theirs = importlib.import_module(f"torch.nn.modules.{file}")
    ours = importlib.import_module(f"glassnet.nn.modules.{file}")
    assert getattr(gn.nn.modules, file) is ours  # also reachable as attributes, like torch's
    for name in PATHS[file]:
        assert hasattr(theirs, name), f"torch.nn.modules.{file} has no {name}: fix the table"
        assert hasattr(ours, name), f"glassnet.nn.modules.{file} lacks {name}"
        if not name.startswith("_"):
            public = getattr(nn, name, None) if file != "utils" else None
            assert public is None or public is getattr(ours, name)


def _layers(m):
    """The same layers built from PyTorch's namespace ``m`` (torch.nn or glassnet.nn)."""
    return [
        m.Dropout(), m.Dropout2d(), m.AlphaDropout(), m.BatchNorm1d(3), m.BatchNorm2d(3),
        m.InstanceNorm2d(3), m.LayerNorm(3), m.GroupNorm(1, 3), m.Conv2d(1, 1, 3),
        m.ConvTranspose2d(1, 1, 3), m.MaxPool2d(2), m.AvgPool1d(2), m.AvgPool2d(2),
        m.AdaptiveAvgPool2d(1), m.AdaptiveMaxPool2d(1), m.MaxUnpool2d(2), m.LPPool2d(2, 2),
        m.MSELoss(), m.CrossEntropyLoss(), m.NLLLoss(), m.TripletMarginLoss(), m.CTCLoss(),
        m.ZeroPad2d(1), m.ConstantPad2d(1, 0.5), m.ReflectionPad2d(1), m.ReplicationPad2d(1),
        m.CircularPad2d(1), m.Linear(2, 2), m.Identity(), m.Embedding(3, 2), m.RNN(2, 2),
        m.LSTMCell(2, 2), m.Sequential(), m.Flatten(), m.Upsample(scale_factor=2),
        m.UpsamplingNearest2d(scale_factor=2), m.LazyLinear(2), m.LazyBatchNorm2d(),
    ]


BASES = [("module", "Module"), ("conv", "_ConvNd"), ("conv", "_ConvTransposeNd"),
         ("pooling", "_MaxPoolNd"), ("pooling", "_AvgPoolNd"), ("pooling", "_AdaptiveAvgPoolNd"),
         ("pooling", "_AdaptiveMaxPoolNd"), ("pooling", "_MaxUnpoolNd"), ("pooling", "_LPPoolNd"),
         ("batchnorm", "_NormBase"), ("batchnorm", "_BatchNorm"),
         ("instancenorm", "_InstanceNorm"), ("dropout", "_DropoutNd"), ("loss", "_Loss"),
         ("loss", "_WeightedLoss"), ("padding", "_ConstantPadNd"), ("padding", "_ReflectionPadNd"),
         ("padding", "_ReplicationPadNd"), ("padding", "_CircularPadNd"), ("rnn", "RNNBase"),
         ("rnn", "RNNCellBase"), ("lazy", "LazyModuleMixin"), ("linear", "Linear")]


def test_isinstance_checks_against_private_bases_answer_as_in_pytorch():
    pairs = zip(_layers(torch.nn), _layers(nn))
    for theirs, ours in pairs:
        assert type(theirs).__name__ == type(ours).__name__
        for file, base in BASES:
            t_base = getattr(importlib.import_module(f"torch.nn.modules.{file}"), base)
            g_base = getattr(importlib.import_module(f"glassnet.nn.modules.{file}"), base)
            assert isinstance(ours, g_base) == isinstance(theirs, t_base), (
                f"isinstance({type(ours).__name__}(), {file}.{base})")


FAMILY = ["MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
          "TransformerEncoderLayer", "TransformerDecoderLayer", "LazyLinear", "LazyConv1d",
          "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
          "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
          "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
          "UninitializedParameter", "UninitializedBuffer", "EmbeddingBag", "Embedding",
          "RMSNorm", "GLU", "Mish", "Hardswish", "Hardsigmoid", "SiLU", "Softmin", "Softmax2d",
          "LogSigmoid", "Threshold", "Tanhshrink", "Softsign", "CELU", "SELU", "PReLU",
          "Identity", "Bilinear"]
FUNCTIONAL = ["scaled_dot_product_attention", "multi_head_attention_forward", "embedding_bag",
              "rms_norm", "glu", "mish", "hardswish", "hardsigmoid", "silu", "softmin",
              "logsigmoid", "threshold", "tanhshrink", "softsign", "celu", "selu", "prelu",
              "bilinear"]


def test_family_exists_with_torch_names():
    for name in FAMILY:
        assert hasattr(tnn, name), name  # the list itself is PyTorch's
        assert hasattr(nn, name), f"glassnet.nn.{name} is missing"
    for name in FUNCTIONAL:
        assert hasattr(TF, name), name
        assert hasattr(F, name), f"glassnet.nn.functional.{name} is missing"
