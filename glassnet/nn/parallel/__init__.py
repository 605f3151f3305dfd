"""``glassnet.nn.parallel``: ``DistributedDataParallel`` (gradients averaged over MPI
processes; see ``glassnet.distributed``) and ``DataParallel`` (one device per process here,
so it just calls the module), ``SyncBatchNorm`` (batch statistics over all ranks). Importing this package does not start MPI."""

from ..modules.batchnorm import SyncBatchNorm
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "SyncBatchNorm"]
