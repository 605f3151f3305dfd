"""Optimisers, learning-rate schedulers and batch-size schedules, with PyTorch's names.

``glassnet.optim.SGD`` / ``Adagrad`` / ``RMSprop`` / ``Adadelta`` / ``Adam`` / ``AdamW`` /
``Adamax`` / ``NAdam`` / ``RAdam`` / ``Rprop`` / ``ASGD`` / ``SparseAdam`` / ``Adafactor``
update parameters in place from their ``.grad``; ``LBFGS`` takes a closure that re-evaluates the
loss; ``glassnet.optim.lr_scheduler`` changes the learning rate between steps;
``glassnet.optim.swa_utils`` averages weights (SWA, EMA); ``BatchSizeScheduler`` grows a
DataLoader's batch size between epochs.
"""

from glassnet.optim import lr_scheduler, swa_utils
from glassnet.optim.adadelta import Adadelta
from glassnet.optim.adafactor import Adafactor
from glassnet.optim.adagrad import Adagrad
from glassnet.optim.adam import Adam
from glassnet.optim.adamax import Adamax
from glassnet.optim.adamw import AdamW
from glassnet.optim.asgd import ASGD
from glassnet.optim.batch_size import BatchSizeScheduler
from glassnet.optim.lbfgs import LBFGS
from glassnet.optim.nadam import NAdam
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.radam import RAdam
from glassnet.optim.rmsprop import RMSprop
from glassnet.optim.rprop import Rprop
from glassnet.optim.sgd import SGD
from glassnet.optim.sparse_adam import SparseAdam

__all__ = [
           "ASGD",
           "LBFGS",
           "SGD",
           "Adadelta",
           "Adafactor",
           "Adagrad",
           "Adam",
           "AdamW",
           "Adamax",
           "BatchSizeScheduler",
           "NAdam",
           "Optimizer",
           "RAdam",
           "RMSprop",
           "Rprop",
           "SparseAdam",
           "lr_scheduler",
           "swa_utils",
]
