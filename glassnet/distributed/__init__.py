"""``glassnet.distributed``: data-parallel training over MPI, with ``torch.distributed``'s names.

Run the same script in K processes::

    mpiexec -n 2 python train.py

    import glassnet.distributed as dist
    dist.init_process_group("gloo")          # "mpi" too; both run over MPI
    rank, world = dist.get_rank(), dist.get_world_size()
    t = glassnet.tensor([float(rank)])
    dist.all_reduce(t)                        # every rank now holds 0 + 1 + ... + (K - 1)

``glassnet.nn.parallel.DistributedDataParallel`` averages gradients across the ranks and
``glassnet.utils.data.DistributedSampler`` gives each rank its share of the data.

Failures end the whole job instead of hanging it: an uncaught exception on any rank aborts every
rank, and a collective that waits longer than ``init_process_group(timeout=timedelta(...))``
(default 30 minutes) is reported as a ``DistBackendError`` naming it, then aborts the job
(``glassnet.distributed.watchdog``).

Needs mpi4py and an MPI runtime (``pip install mpi4py mpich``, or a system MPI). Without them
``is_available()`` is False and ``init_process_group`` raises an ImportError that says what to
install. A script started without ``mpiexec`` is a world of one process and runs unchanged.

Importing this package also fills in the variables ``torchrun`` would set (``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``) from the MPI launcher's own (MPICH's
``PMI_RANK``/``PMI_SIZE``, Open MPI's ``OMPI_COMM_WORLD_*``) when they are unset, so scripts
that read ``os.environ["LOCAL_RANK"]`` run under ``mpiexec``.
"""

from __future__ import annotations

import os as _os

from .collectives import (
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    gather_object,
    irecv,
    isend,
    monitored_barrier,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    scatter_object_list,
    send,
)
from .process_group import (
    Backend,
    GroupMember,
    ProcessGroup,
    ReduceOp,
    destroy_process_group,
    get_backend,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    new_group,
)
from .watchdog import DistBackendError, DistError, default_pg_timeout


def _launcher_env():
    """RANK/WORLD_SIZE/LOCAL_RANK/LOCAL_WORLD_SIZE from the MPI launcher's variables."""
    env = _os.environ
    sources = {
        "RANK": ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"),
        "WORLD_SIZE": ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"),
        "LOCAL_RANK": ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"),
        "LOCAL_WORLD_SIZE": ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"),
    }
    for name, candidates in sources.items():
        if name in env:
            continue
        for c in candidates:
            if c in env:
                env[name] = env[c]
                break


_launcher_env()

__all__ = ["Backend", "DistBackendError", "DistError", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
           "all_gather_into_tensor", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "broadcast_object_list", "default_pg_timeout", "destroy_process_group", "gather", "gather_object",
           "get_backend", "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_gloo_available",
           "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_torchelastic_launched", "isend", "monitored_barrier", "new_group", "recv",
           "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter",
           "scatter_object_list", "send"]
