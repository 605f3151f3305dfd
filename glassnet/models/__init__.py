"""The model zoo: the networks of the course, from a 1943 threshold unit to residual nets.

========================  ==========================================================
``McCullochPitts``        fixed-weight threshold logic gates (1943)
``Perceptron``            Rosenblatt's learned threshold unit (1958)
``Neocognitron``          Fukushima 1980: S- and C-cells, learned by competition, no backprop
``MLP``                   multi-layer perceptron
``LeNet5``                LeCun et al. 1998, classic (tanh, average pool) or modern
``AlexNet``               Krizhevsky et al. 2012, small-input variant
``VGG``                   Simonyan and Zisserman 2015, ``vgg11_small`` ...
``GoogLeNet``             Szegedy et al. 2015, small Inception network
``ResNet``                He et al. 2016 CIFAR nets ``resnet20`` ... and ``plain20`` ...
``ImageNetResNet``        He et al. 2016 ImageNet nets ``resnet18`` ... ``resnet152`` (torchvision's)
``ImageNetVGG``           Simonyan and Zisserman 2015 ImageNet nets ``vgg11`` ... ``vgg19_bn``
                          (torchvision's)
``ImageNetAlexNet``       Krizhevsky 2012/2014 for ImageNet-sized images (torchvision's)
``MobileNetV2``           Sandler et al. 2018 inverted residuals (torchvision's)
``SqueezeNet``            Iandola et al. 2016 Fire modules, 1.0 and 1.1 (torchvision's)
``Autoencoder``           MLP and convolutional (denoising) autoencoders
``RBM``                   restricted Boltzmann machine (CD-1); ``pretrain_autoencoder``
                          stacks RBMs layer by layer (Hinton and Salakhutdinov 2006)
``FashionCNN``            small batch-norm CNN for Fashion-MNIST
``SequenceClassifier``    LSTM / GRU / RNN classifier of sequences (or images row by row)
``SequenceTagger``        LSTM / bidirectional LSTM labelling every token of a sequence
``CharRNN``               character-level LSTM language model
``GCN``                   Kipf and Welling 2017 graph convolution node classifier
``GraphClassifier``       graph convolutions + global pooling, one label per graph
``HarmonicNet``           Worrall et al. 2017 harmonic network, invariant to any rotation
========================  ==========================================================

``get(name, **kw)`` builds a registered model by name, ``available()`` lists them with one line
each, ``build_for(name, input_shape, num_classes)`` fits one to a dataset (the command line's
path), and ``summary(model, input_shape)`` prints the layer table.
"""

from .alexnet import AlexNet
from .autoencoder import Autoencoder, ConvAutoencoder
from .classic import McCullochPitts, Perceptron
from .fashion_cnn import FashionCNN
from .googlenet import GoogLeNet, Inception
from .graph import GCN, GraphClassifier
from .harmonic import HarmonicNet
from .imagenet_alexnet import ImageNetAlexNet
from .imagenet_resnet import (
                     Bottleneck,
                     ImageNetResNet,
                     resnet18,
                     resnet34,
                     resnet50,
                     resnet101,
                     resnet152,
)
from .imagenet_vgg import ImageNetVGG
from .lenet import LeNet5
from .mlp import MLP
from .mobilenet import InvertedResidual, MobileNetV2
from .neocognitron import Neocognitron
from .rbm import RBM, pretrain_autoencoder
from .registry import available, build_for, check_input, entry, get, register
from .resnet import (
                     BasicBlock,
                     ResNet,
                     ShortcutA,
                     plain20,
                     plain32,
                     plain44,
                     plain56,
                     resnet20,
                     resnet32,
                     resnet44,
                     resnet56,
                     resnet110,
)
from .sequence import CharRNN, CharVocab, SequenceClassifier, SequenceTagger
from .squeezenet import Fire, SqueezeNet
from .summary import Summary, count_parameters, summary
from .vgg import VGG, vgg11_small, vgg13_small, vgg16_small

__all__ = [
                     "GCN",
                     "MLP",
                     "RBM",
                     "VGG",
                     "AlexNet",
                     "Autoencoder",
                     "BasicBlock",
                     "Bottleneck",
                     "CharRNN",
                     "CharVocab",
                     "ConvAutoencoder",
                     "FashionCNN",
                     "Fire",
                     "GoogLeNet",
                     "GraphClassifier",
                     "HarmonicNet",
                     "ImageNetAlexNet",
                     "ImageNetResNet",
                     "ImageNetVGG",
                     "Inception",
                     "InvertedResidual",
                     "LeNet5",
                     "McCullochPitts",
                     "MobileNetV2",
                     "Neocognitron",
                     "Perceptron",
                     "ResNet",
                     "SequenceClassifier",
                     "SequenceTagger",
                     "ShortcutA",
                     "SqueezeNet",
                     "Summary",
                     "available",
                     "build_for",
                     "check_input",
                     "count_parameters",
                     "entry",
                     "get",
                     "plain20",
                     "plain32",
                     "plain44",
                     "plain56",
                     "pretrain_autoencoder",
                     "register",
                     "resnet18",
                     "resnet20",
                     "resnet32",
                     "resnet34",
                     "resnet44",
                     "resnet50",
                     "resnet56",
                     "resnet101",
                     "resnet110",
                     "resnet152",
                     "summary",
                     "vgg11_small",
                     "vgg13_small",
                     "vgg16_small",
]
