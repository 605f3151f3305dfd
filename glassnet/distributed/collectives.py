"""Collectives: every rank of a group calls the same function and they exchange tensors.

With K ranks holding tensors x_0 .. x_{K-1}:

    all_reduce      every rank ends with op(x_0, ..., x_{K-1})      (in place)
    reduce          only ``dst`` ends with it
    broadcast       every rank ends with x_src                       (in place)
    all_gather      every rank ends with the list [x_0, ..., x_{K-1}]
    gather          only ``dst`` gets that list;  scatter: rank r gets list[r] from ``src``
    reduce_scatter  rank r gets op over ranks of chunk r

Tensors travel through MPI's buffer interface (mpi4py's upper-case methods on the NumPy array
behind the tensor: no copy for contiguous CPU tensors, no pickling). ``src``/``dst`` are world
ranks, as in PyTorch. ``async_op=True`` returns a ``Work`` whose ``wait()`` completes it
(non-blocking MPI for all_reduce and broadcast; the others finish before returning).
The ``*_object`` functions move any picklable Python object, between the job's own processes.
"""

from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor

from .process_group import ReduceOp, _member, _mpi

_RED = ReduceOp.RedOpType


class Work:
    """A collective in flight (``async_op=True``); ``wait()`` blocks until it is done, under
    the group's timeout (or ``timeout``, a timedelta) like the blocking collectives."""

    def __init__(self, request=None, finish=None, group=None, op="wait"):
        self._req, self._finish = request, finish
        self._group, self._op = group, op

    def wait(self, timeout=None):
        if self._req is not None:
            if self._group is None:
                self._req.Wait()
            else:
                with self._group.watch(f"{self._op} (Work.wait)", timeout):
                    self._req.Wait()
            self._req = None
        if self._finish is not None:
            f, self._finish = self._finish, None
            f()
        return True

    def is_completed(self):
        if self._req is not None and not self._req.Test():
            return False
        self.wait()
        return True

    def is_success(self):
        return self.is_completed()


def _done(finish=None, async_op=False):
    if finish is not None:
        finish()
    return Work() if async_op else None


def _array(t, what):
    """(contiguous host array holding t's values, write_back()) for a glassnet Tensor."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: expected a glassnet Tensor, got {type(t).__name__}")
    a = t._data
    if isinstance(a, np.ndarray) and a.flags.c_contiguous:
        return a, lambda: None
    host = np.ascontiguousarray(a.get() if hasattr(a, "get") else a)

    def write_back():
        t._data[...] = host if isinstance(t._data, np.ndarray) else type(t._data)(host)

    return host, write_back


def _mpi_op(op, dtype, what):
    MPI = _mpi()
    op = _RED(int(op))
    if dtype == np.bool_:  # MPI has no arithmetic on bool: sum/max = or, product/min = and
        table = {_RED.SUM: MPI.LOR, _RED.MAX: MPI.LOR, _RED.BOR: MPI.LOR,
                 _RED.PRODUCT: MPI.LAND, _RED.MIN: MPI.LAND, _RED.BAND: MPI.LAND,
                 _RED.BXOR: MPI.LXOR}
    else:
        table = {_RED.SUM: MPI.SUM, _RED.AVG: MPI.SUM, _RED.PRODUCT: MPI.PROD,
                 _RED.MIN: MPI.MIN, _RED.MAX: MPI.MAX, _RED.BAND: MPI.BAND,
                 _RED.BOR: MPI.BOR, _RED.BXOR: MPI.BXOR}
    if op not in table or (op == _RED.AVG and dtype.kind not in "fc"):
        raise ValueError(f"{what}: ReduceOp.{op.name} is not supported for dtype {dtype}")
    if op in (_RED.BAND, _RED.BOR, _RED.BXOR) and dtype.kind not in "biu":
        raise ValueError(f"{what}: ReduceOp.{op.name} needs an integer or bool tensor, got "
                         f"dtype {dtype}")
    return table[op]


def _average(a, op, n):
    if int(op) == _RED.AVG:
        a /= n


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across the group with ``op``; every rank gets the result in place."""
    g = _member(group, "all_reduce")
    if g is None:
        return None
    a, back = _array(tensor, "all_reduce")
    mop = _mpi_op(op, a.dtype, "all_reduce")

    def finish():
        _average(a, op, g.size())
        back()

    if async_op:
        return Work(g.comm.Iallreduce(_mpi().IN_PLACE, a, op=mop), finish, g, "all_reduce")
    with g.watch("all_reduce"):
        g.comm.Allreduce(_mpi().IN_PLACE, a, op=mop)
    return _done(finish)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank of the group."""
    g = _member(group, "broadcast")
    if g is None:
        return None
    root = _root(g, src, group_src, "broadcast", "src")
    a, back = _array(tensor, "broadcast")
    if async_op:
        return Work(g.comm.Ibcast(a, root=root), back, g, "broadcast")
    with g.watch("broadcast"):
        g.comm.Bcast(a, root=root)
    return _done(back)


def _root(g, world_rank, group_rank, what, arg):
    if group_rank is not None:
        return int(group_rank)
    return g.group_rank(0 if world_rank is None else world_rank, f"{what}: {arg}")


def _check_list(tensors, like, n, what, arg):
    if tensors is None or len(tensors) != n:
        got = "None" if tensors is None else f"{len(tensors)} tensors"
        raise ValueError(f"{what}: {arg} must hold one tensor per rank ({n}), got {got}")
    for t in tensors:
        if tuple(t.shape) != like.shape:
            raise ValueError(f"{what}: every tensor in {arg} must have shape {like.shape}, got "
                             f"{tuple(t.shape)}")


def _write(t, values):
    t._data[...] = values if isinstance(t._data, np.ndarray) else type(t._data)(values)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r]`` = rank r's ``tensor``, on every rank."""
    g = _member(group, "all_gather")
    if g is None:
        return None
    a, _ = _array(tensor, "all_gather")
    _check_list(tensor_list, a, g.size(), "all_gather", "tensor_list")
    out = np.empty((g.size(),) + a.shape, a.dtype)
    with g.watch("all_gather"):
        g.comm.Allgather(a, out)
    for t, v in zip(tensor_list, out):
        _write(t, v)
    return _done(async_op=async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """The ranks' ``input_tensor``s concatenated (or stacked) into ``output_tensor``, whose
    first dimension is world_size times the input's (or which has one more dimension)."""
    g = _member(group, "all_gather_into_tensor")
    if g is None:
        return None
    a, _ = _array(input_tensor, "all_gather_into_tensor")
    out, back = _array(output_tensor, "all_gather_into_tensor")
    if out.size != a.size * g.size():
        raise ValueError(f"all_gather_into_tensor: output has {out.size} elements, expected "
                         f"world_size * {a.size} = {a.size * g.size()}")
    with g.watch("all_gather_into_tensor"):
        g.comm.Allgather(a, out)
    return _done(back, async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` across the group; only rank ``dst`` receives the result (in place)."""
    g = _member(group, "reduce")
    if g is None:
        return None
    root = _root(g, dst, group_dst, "reduce", "dst")
    a, back = _array(tensor, "reduce")
    mop = _mpi_op(op, a.dtype, "reduce")
    if g.rank() == root:
        with g.watch("reduce"):
            g.comm.Reduce(_mpi().IN_PLACE, a, op=mop, root=root)
        _average(a, op, g.size())
        return _done(back, async_op)
    with g.watch("reduce"):
        g.comm.Reduce(a, None, op=mop, root=root)
    return _done(async_op=async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Rank ``dst`` receives every rank's ``tensor`` in ``gather_list`` (None elsewhere)."""
    g = _member(group, "gather")
    if g is None:
        return None
    root = _root(g, dst, group_dst, "gather", "dst")
    a, _ = _array(tensor, "gather")
    if g.rank() != root:
        with g.watch("gather"):
            g.comm.Gather(a, None, root=root)
        return _done(async_op=async_op)
    _check_list(gather_list, a, g.size(), "gather", "gather_list")
    out = np.empty((g.size(),) + a.shape, a.dtype)
    with g.watch("gather"):
        g.comm.Gather(a, out, root=root)
    for t, v in zip(gather_list, out):
        _write(t, v)
    return _done(async_op=async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank r receives ``scatter_list[r]`` from rank ``src`` into ``tensor``."""
    g = _member(group, "scatter")
    if g is None:
        return None
    root = _root(g, src, group_src, "scatter", "src")
    a, back = _array(tensor, "scatter")
    send = None
    if g.rank() == root:
        _check_list(scatter_list, a, g.size(), "scatter", "scatter_list")
        send = np.stack([np.asarray(_array(t, "scatter")[0], a.dtype) for t in scatter_list])
    with g.watch("scatter"):
        g.comm.Scatter(send, a, root=root)
    return _done(back, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (world_size chunks along dim 0) across ranks; rank r keeps chunk r."""
    g = _member(group, "reduce_scatter_tensor")
    if g is None:
        return None
    a, _ = _array(input, "reduce_scatter_tensor")
    out, back = _array(output, "reduce_scatter_tensor")
    if a.size != out.size * g.size():
        raise ValueError(f"reduce_scatter_tensor: input has {a.size} elements, expected "
                         f"world_size * {out.size} = {out.size * g.size()}")
    mop = _mpi_op(op, a.dtype, "reduce_scatter_tensor")
    with g.watch("reduce_scatter_tensor"):
        g.comm.Reduce_scatter_block(a, out, op=mop)
    _average(out, op, g.size())
    return _done(back, async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce across ranks; rank r keeps the reduction of everyone's ``input_list[r]``."""
    g = _member(group, "reduce_scatter")
    if g is None:
        return None
    out, back = _array(output, "reduce_scatter")
    _check_list(input_list, out, g.size(), "reduce_scatter", "input_list")
    send = np.stack([np.asarray(_array(t, "reduce_scatter")[0], out.dtype) for t in input_list])
    mop = _mpi_op(op, out.dtype, "reduce_scatter")
    with g.watch("reduce_scatter"):
        g.comm.Reduce_scatter_block(send, out, op=mop)
    _average(out, op, g.size())
    return _done(back, async_op)


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (blocks until the buffer may be reused)."""
    g = _member(group, "send")
    if g is not None:
        a, dest = _array(tensor, "send")[0], _root(g, dst, group_dst, "send", "dst")
        with g.watch("send"):
            g.comm.Send(a, dest=dest, tag=tag)


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender."""
    g = _member(group, "recv")
    if g is None:
        return -1
    MPI = _mpi()
    a, back = _array(tensor, "recv")
    source = MPI.ANY_SOURCE if src is None and group_src is None else _root(
        g, src, group_src, "recv", "src")
    status = MPI.Status()
    with g.watch("recv"):
        g.comm.Recv(a, source=source, tag=tag, status=status)
    back()
    return g.ranks[status.Get_source()]


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    g = _member(group, "isend")
    if g is None:
        return None
    a, _ = _array(tensor, "isend")
    return Work(g.comm.Isend(a, dest=_root(g, dst, group_dst, "isend", "dst"), tag=tag), None, g,
                "isend")


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    g = _member(group, "irecv")
    if g is None:
        return None
    a, back = _array(tensor, "irecv")
    source = _mpi().ANY_SOURCE if src is None and group_src is None else _root(
        g, src, group_src, "irecv", "src")
    return Work(g.comm.Irecv(a, source=source, tag=tag), back, g, "irecv")


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of the group has reached this call (``timeout``, a timedelta,
    replaces the group's for this call)."""
    g = _member(group, "barrier")
    if g is not None:
        with g.watch("barrier", timeout):
            g.comm.Barrier()
    return _done(async_op=async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """A barrier under ``timeout`` (a timedelta; default the group's)."""
    barrier(group, timeout=timeout)


def all_gather_object(object_list, obj, group=None):
    """``object_list[r]`` = rank r's ``obj`` (any picklable object), on every rank."""
    g = _member(group, "all_gather_object")
    if g is not None:
        with g.watch("all_gather_object"):
            object_list[:] = g.comm.allgather(obj)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    g = _member(group, "gather_object")
    if g is None:
        return
    root = _root(g, dst, group_dst, "gather_object", "dst")
    with g.watch("gather_object"):
        res = g.comm.gather(obj, root=root)
    if g.rank() == root:
        object_gather_list[:] = res


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace ``object_list``'s items on every rank with rank ``src``'s."""
    g = _member(group, "broadcast_object_list")
    if g is None:
        return
    root = _root(g, src, group_src, "broadcast_object_list", "src")
    with g.watch("broadcast_object_list"):
        res = g.comm.bcast(list(object_list) if g.rank() == root else None, root=root)
    object_list[:] = res


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    g = _member(group, "scatter_object_list")
    if g is None:
        return
    root = _root(g, src, group_src, "scatter_object_list", "src")
    with g.watch("scatter_object_list"):
        mine = g.comm.scatter(list(scatter_object_input_list) if g.rank() == root else None,
                              root=root)
    scatter_object_output_list[0] = mine
