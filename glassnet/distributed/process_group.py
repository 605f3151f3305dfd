"""Process groups over MPI: who takes part in a collective, and how each process learns its rank.

Data-parallel training runs the same script in K processes (``mpiexec -n K python train.py``).
Each process is one *rank* ``0 .. K-1`` of the *world*; a process group is a set of ranks that
talk together. glassnet keeps PyTorch's names (``init_process_group``, ``get_rank``,
``get_world_size``, ``new_group``) and carries every message over MPI through mpi4py: the
``"gloo"`` backend that PyTorch CPU scripts ask for is the same MPI transport under another
name. MPI itself assigns ranks, so no address, port or store is needed.

In a job of several processes, ``init_process_group`` also makes failures loud
(``glassnet.distributed.watchdog``): an uncaught exception on any rank aborts the whole job, and
a collective that outlives ``timeout`` (default 30 minutes) is reported and aborts it.
"""

from __future__ import annotations

import enum
import importlib.util
import warnings
from typing import ClassVar

from . import watchdog

_INSTALL_HINT = ("glassnet.distributed needs mpi4py and an MPI runtime: `pip install mpi4py "
                 "mpich` (or `pip install glassnet[distributed]` plus `pip install mpich`, or a "
                 "system MPI such as Open MPI or MPICH), then launch with "
                 "`mpiexec -n K python script.py`")
_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


def _mpi():
    """mpi4py's MPI module (imported on first use: importing it starts MPI)."""
    try:
        from mpi4py import MPI
    except ImportError as e:  # no mpi4py, or mpi4py without an MPI library behind it
        raise ImportError(f"{_INSTALL_HINT} (import failed: {e})") from e
    return MPI


class ReduceOp:
    """How a reduction combines the ranks' values: ``ReduceOp.SUM`` (default), ``AVG``
    (floating point only), ``PRODUCT``, ``MIN``, ``MAX`` and the bitwise ``BAND``, ``BOR``,
    ``BXOR`` (integers and bool)."""

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


class Backend(str):
    """Backend names as in PyTorch; ``mpi`` and ``gloo`` both run over MPI here."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    MPI = "mpi"
    NCCL = "nccl"

    def __new__(cls, name):
        return str.__new__(cls, str(name).lower())


class ProcessGroup:
    """A set of ranks with its own MPI communicator.

    ``ranks`` lists the world ranks of the members in group order; ``rank()`` and ``size()``
    give this process's place in the group. A process outside the group holds one with
    ``comm=None`` (PyTorch's ``GroupMember.NON_GROUP_MEMBER``). ``timeout``: seconds a
    collective of this group may wait before the job is aborted."""

    def __init__(self, comm, ranks, backend, timeout=None):
        self.comm = comm
        self.ranks = list(ranks)
        self.backend = Backend(backend)
        self.timeout = watchdog.timeout_seconds(None) if timeout is None else float(timeout)

    def watch(self, op, timeout=None):
        """Context manager around a blocking call of collective ``op`` on this group: the
        watchdog aborts the job if it outlives the group's timeout (or ``timeout``, a
        timedelta)."""
        seconds = self.timeout if timeout is None else watchdog.timeout_seconds(timeout, op)
        return watchdog.watch(op, seconds)

    def rank(self):
        return -1 if self.comm is None else self.comm.Get_rank()

    def size(self):
        return len(self.ranks)

    def group_rank(self, global_rank, what="src"):
        """This group's rank of world rank ``global_rank`` (collectives take world ranks)."""
        try:
            return self.ranks.index(int(global_rank))
        except ValueError:
            raise ValueError(f"{what}: rank {global_rank} is not in the group (ranks "
                             f"{self.ranks})") from None

    def __repr__(self):
        return f"ProcessGroup(backend={self.backend!r}, ranks={self.ranks})"


class _State:
    world = None  # the default ProcessGroup
    groups: ClassVar[list] = []  # sub-groups from new_group, freed by destroy_process_group


def is_available():
    """True when mpi4py is installed (the MPI library itself loads at init_process_group)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available():
    return is_available()


def is_gloo_available():
    """PyTorch's CPU backend; here an alias that runs over MPI."""
    return is_available()


def is_nccl_available():
    return False


def is_torchelastic_launched():
    return False


def is_initialized():
    """Whether ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return _State.world is not None


def _default_group():
    if _State.world is None:
        raise ValueError(_NOT_INIT)
    return _State.world


def _group(group):
    return _default_group() if group is None else group


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the default process group: every process of the job, ranked by MPI.

    ``backend`` is ``"mpi"`` or ``"gloo"`` (an alias over MPI; also ``"cpu:gloo,cuda:nccl"``).
    ``init_method``, ``store`` and ``pg_options`` are accepted and unused: the MPI launcher
    already connected the processes. ``world_size`` and ``rank``, when given, must agree with
    what MPI says. A script started without ``mpiexec`` is a world of one process.

    ``timeout`` (a ``datetime.timedelta``; default ``default_pg_timeout``, 30 minutes, as in
    PyTorch): how long a collective may wait for the other ranks. With more than one process,
    a collective that outlives it is reported on stderr (``DistBackendError``, naming the
    collective) and the whole job is aborted; an uncaught exception on any rank aborts the job
    too (``sys.excepthook``; ``destroy_process_group`` restores the previous hook). See
    ``glassnet.distributed.watchdog``.
    """
    if _State.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    seconds = watchdog.timeout_seconds(timeout)
    name = "mpi" if backend is None else str(backend).lower()
    parts = {p.split(":")[-1] for p in name.split(",")}
    if not parts & {"mpi", "gloo"}:
        raise ValueError(f"init_process_group: backend {backend!r} is not available; glassnet "
                         "runs on CPUs over MPI: use backend='gloo' or 'mpi'")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    size, me = comm.Get_size(), comm.Get_rank()
    if world_size is not None and int(world_size) not in (-1, size):
        hint = (" (the script ran as a single process: launch it with "
                f"`mpiexec -n {world_size} python ...`)") if size == 1 else ""
        raise ValueError(f"init_process_group: world_size={world_size} but MPI started {size} "
                         f"process(es){hint}")
    if rank is not None and int(rank) not in (-1, me):
        raise ValueError(f"init_process_group: rank={rank} but MPI gave this process rank {me}; "
                         "pass rank=-1 (the default) and read it back with get_rank()")
    _State.world = ProcessGroup(comm, range(size), "gloo" if "gloo" in parts else "mpi", seconds)
    if size > 1:
        watchdog.start(comm.Abort, me, size, seconds)


def destroy_process_group(group=None):
    """Leave ``group`` (default: the default group, and with it every sub-group). MPI itself
    stays up until the interpreter exits, so ``init_process_group`` may be called again."""
    if group is None or group is _State.world:
        for g in _State.groups:
            if g.comm is not None:
                g.comm.Free()
        _State.groups = []
        _State.world = None
        watchdog.stop()
    elif group in _State.groups:
        _State.groups.remove(group)
        if group.comm is not None:
            group.comm.Free()
            group.comm = None


def get_rank(group=None):
    """This process's rank in ``group`` (default: the world), -1 if it is not a member."""
    return _group(group).rank()


def get_world_size(group=None):
    """How many processes ``group`` holds (default: the world)."""
    return _group(group).size()


def get_backend(group=None):
    return _group(group).backend


def get_process_group_ranks(group):
    return list(_group(group).ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None, sort_ranks=True):
    """A group of some world ranks (all of them when ``ranks`` is None). Like PyTorch, every
    process must call it, members or not, in the same order. ``timeout`` (a timedelta) replaces
    the default group's for this group's collectives."""
    world = _default_group()
    seconds = world.timeout if timeout is None else watchdog.timeout_seconds(timeout, "new_group")
    ranks = list(range(world.size())) if ranks is None else [int(r) for r in ranks]
    if sort_ranks:
        ranks = sorted(ranks)
    bad = [r for r in ranks if not 0 <= r < world.size()]
    if bad or len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks must be distinct world ranks in [0, "
                         f"{world.size() - 1}], got {ranks}")
    MPI = _mpi()
    me = world.rank()
    color = 0 if me in ranks else MPI.UNDEFINED
    with world.watch("new_group"):
        comm = world.comm.Split(color, ranks.index(me) if me in ranks else 0)
    g = ProcessGroup(None if comm == MPI.COMM_NULL else comm, ranks, backend or world.backend,
                     seconds)
    _State.groups.append(g)
    return g


def _member(group, op):
    """The group to run ``op`` on, or None (with PyTorch's warning) when this rank is outside."""
    g = _group(group)
    if g.comm is None:
        warnings.warn(f"Running {op} on global rank {get_rank()} which does not belong to the "
                      "given group.", stacklevel=3)
        return None
    return g


class _GroupNamespace:
    """``dist.group.WORLD``: the default process group."""

    @property
    def WORLD(self):
        return _State.world


group = _GroupNamespace()
GroupMember = group
