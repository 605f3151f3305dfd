"""Optimisers, learning-rate schedulers and batch-size schedules, with PyTorch's names.

``glassnet.optim.SGD`` / ``Adagrad`` / ``RMSprop`` / ``Adadelta`` / ``Adam`` / ``AdamW`` update
parameters in place from their ``.grad``; ``glassnet.optim.lr_scheduler`` changes the learning
rate between steps; ``BatchSizeScheduler`` grows a DataLoader's batch size between epochs.
"""

from glassnet.optim import lr_scheduler
from glassnet.optim.adadelta import Adadelta
from glassnet.optim.adagrad import Adagrad
from glassnet.optim.adam import Adam
from glassnet.optim.adamw import AdamW
from glassnet.optim.batch_size import BatchSizeScheduler
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.rmsprop import RMSprop
from glassnet.optim.sgd import SGD

__all__ = [
           "SGD",
           "Adadelta",
           "Adagrad",
           "Adam",
           "AdamW",
           "BatchSizeScheduler",
           "Optimizer",
           "RMSprop",
           "lr_scheduler",
]
