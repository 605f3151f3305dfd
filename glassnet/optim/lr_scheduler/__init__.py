"""Learning-rate schedules (``torch.optim.lr_scheduler``).

Large steps early move fast across the loss surface; small steps late settle into a minimum
instead of bouncing around it (the noise of mini-batch gradients sets a floor on how close SGD
with a fixed rate gets). A schedule makes the learning rate a function of the epoch or step:

* decays: :class:`StepLR`, :class:`MultiStepLR`, :class:`ExponentialLR`, :class:`PolynomialLR`,
  :class:`CosineAnnealingLR`, :class:`LambdaLR`, :class:`MultiplicativeLR`;
* warm-ups and cycles: :class:`LinearLR`, :class:`ConstantLR`, :class:`OneCycleLR`,
  :class:`CyclicLR`, :class:`CosineAnnealingWarmRestarts`;
* feedback: :class:`ReduceLROnPlateau` lowers the rate when a validation metric stalls;
* composition: :class:`SequentialLR` (one after another), :class:`ChainedScheduler` (all at once).

Every schedule reproduces PyTorch's sequence of rates for the same arguments. Increasing the batch
size has a similar effect to decaying the rate: see :class:`glassnet.optim.BatchSizeScheduler`.
"""

from .composite import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .decay import (
    ConstantLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .plateau import ReduceLROnPlateau
from .scheduler import LRScheduler, param_groups_val_list

_LRScheduler = LRScheduler

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "param_groups_val_list",
]
