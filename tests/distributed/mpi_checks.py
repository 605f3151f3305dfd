"""Run under ``mpiexec -n K``: collectives and DistributedDataParallel checked on every rank.

Each rank writes ``rank<r>.json`` into the folder given as the first argument, mapping check
names to "ok" or a failure message; tests/distributed/test_multiprocess.py launches this script
and reads the files.
Any uncaught error aborts the whole MPI job, so a failure cannot leave other ranks waiting.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import glassnet as gn
import glassnet.distributed as dist
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet.nn.parallel import DistributedDataParallel as DDP
from glassnet.utils.data import DataLoader, DistributedSampler, TensorDataset

results = {}


def check(name):
    def deco(fn):
        try:
            fn()
            results[name] = "ok"
        except AssertionError as e:
            results[name] = f"FAILED: {e}"
        return fn

    return deco


def close(a, b, tol=1e-6):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, f"shapes {a.shape} vs {b.shape}"
    err = float(np.abs(a - b).max()) if a.size else 0.0
    assert err <= tol, f"max difference {err:.3g} > {tol}"


def run():
    dist.init_process_group("gloo")
    r, k = dist.get_rank(), dist.get_world_size()
    hook_installed = sys.excepthook is not sys.__excepthook__

    @check("env")
    def _():
        assert os.environ.get("RANK") == str(r) and os.environ.get("WORLD_SIZE") == str(k)
        assert dist.is_initialized() and dist.get_backend() == "gloo"

    @check("all_reduce")
    def _():
        ranks = np.arange(k, dtype=np.float32)
        for op, want in [(dist.ReduceOp.SUM, ranks.sum()), (dist.ReduceOp.AVG, ranks.mean()),
                         (dist.ReduceOp.MAX, k - 1), (dist.ReduceOp.MIN, 0),
                         (dist.ReduceOp.PRODUCT, np.prod(ranks + 1))]:
            base = r + 1.0 if op == dist.ReduceOp.PRODUCT else float(r)
            t = gn.full((2, 3), base)
            dist.all_reduce(t, op=op)
            assert t.dtype == gn.float32
            close(t.numpy(), np.full((2, 3), want))
        i = gn.tensor([r, 2 * r], dtype=gn.int64)
        dist.all_reduce(i)
        assert i.tolist() == [k * (k - 1) // 2, k * (k - 1)]
        b = gn.tensor([r == 0, False, True])
        dist.all_reduce(b)
        assert b.tolist() == [True, False, True]
        w = gn.ones(4) * r
        work = dist.all_reduce(w, async_op=True)
        work.wait()
        close(w.numpy(), np.full(4, ranks.sum()))
        big = gn.arange(12.0).reshape(3, 4)
        view = big[:, 1]  # a non-contiguous view is reduced and written back in place
        dist.all_reduce(view)
        close(big.numpy()[:, 1], k * np.array([1.0, 5.0, 9.0]))
        close(big.numpy()[:, 0], [0.0, 4.0, 8.0])

    @check("broadcast_gather_scatter")
    def _():
        src = k - 1
        t = gn.full((3,), float(r))
        dist.broadcast(t, src=src)
        close(t.numpy(), np.full(3, src))
        out = [gn.zeros(2) for _ in range(k)]
        dist.all_gather(out, gn.tensor([r, 10.0 * r]))
        close(np.stack([o.numpy() for o in out]), [[q, 10.0 * q] for q in range(k)])
        flat = gn.zeros(2 * k)
        dist.all_gather_into_tensor(flat, gn.tensor([r, 10.0 * r]))
        close(flat.numpy(), np.array([[q, 10.0 * q] for q in range(k)]).ravel())
        red = gn.full((2,), float(r + 1))
        dist.reduce(red, dst=1)
        if r == 1:
            close(red.numpy(), np.full(2, k * (k + 1) / 2))
        g = [gn.zeros(1) for _ in range(k)] if r == 0 else None
        dist.gather(gn.tensor([float(r)]), g, dst=0)
        if r == 0:
            close([x.item() for x in g], list(range(k)))
        s = gn.zeros(2)
        lst = [gn.tensor([q, -q], dtype=gn.float32) for q in range(k)] if r == 0 else None
        dist.scatter(s, lst, src=0)
        close(s.numpy(), [r, -r])
        rs = gn.zeros(2)
        dist.reduce_scatter_tensor(rs, gn.arange(2.0 * k))
        close(rs.numpy(), k * np.array([2.0 * r, 2.0 * r + 1]))
        # a ring of point-to-point messages
        nxt, prv = (r + 1) % k, (r - 1) % k
        got = gn.zeros(1)
        req = dist.irecv(got, src=prv)
        dist.send(gn.tensor([float(r)]), dst=nxt)
        req.wait()
        assert got.item() == prv
        objs = []
        dist.all_gather_object(objs, {"rank": r})
        assert objs == [{"rank": q} for q in range(k)]
        lst = [r, "x"] if r == 0 else [None, None]
        dist.broadcast_object_list(lst, src=0)
        assert lst == [0, "x"]
        dist.barrier()

    @check("new_group")
    def _():
        g = dist.new_group([0, 1])
        t = gn.ones(1)
        dist.all_reduce(t, group=g)
        if r in (0, 1):
            assert t.item() == 2 and dist.get_rank(g) == r and dist.get_world_size(g) == 2
        else:
            assert t.item() == 1 and dist.get_rank(g) == -1

    def mlp():
        return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 4))

    def cnn():
        return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(3 * 4 * 4, 5))

    def same_on_all_ranks(model):
        flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
        everyone = []
        dist.all_gather_object(everyone, flat)
        for other in everyone:
            close(other, flat, 0.0)

    def train_pair(make, x, y, steps=3, bucket_cap_mb=None, extra=None, accumulate=1,
                   sync_bn=False):
        """DDP on this rank's shard vs one process on the full batch, from rank 0's init
        (with ``sync_bn``, SyncBatchNorm under DDP vs BatchNorm in one process)."""
        gn.manual_seed(100 + (0 if sync_bn else r))  # without sync_bn, DDP must broadcast
        net = make()
        ref = copy.deepcopy(net)
        if sync_bn:
            net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        model = DDP(net, bucket_cap_mb=bucket_cap_mb)
        if not sync_bn:
            ref = copy.deepcopy(model.module)
        opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        ref_opt = gn.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
        n = x.shape[0] // (k * accumulate)  # per rank per micro-batch
        for _ in range(steps):
            opt.zero_grad()
            ref_opt.zero_grad()
            for j in range(accumulate):
                lo = (j * k + r) * n
                xs, ys = x[lo:lo + n], y[lo:lo + n]
                ctx = model.no_sync() if j < accumulate - 1 else _null()
                with ctx:
                    loss = F.cross_entropy(model(xs), ys)
                    if extra is not None:
                        loss = extra(model.module) + loss  # backward reaches extra last
                    loss.backward()
                full = slice(j * k * n, (j + 1) * k * n)
                ref_loss = F.cross_entropy(ref(x[full]), y[full])
                if extra is not None:
                    ref_loss = ref_loss + extra(ref)
                ref_loss.backward()
            opt.step()
            ref_opt.step()
        same_on_all_ranks(model.module)
        mine = [*model.module.named_parameters(), *model.module.named_buffers()]
        for (name, p), q in zip(mine, [*ref.parameters(), *ref.buffers()]):
            try:
                close(p.detach().numpy(), q.detach().numpy())
            except AssertionError as e:
                raise AssertionError(f"{name}: {e}") from None
        return model

    gn.manual_seed(7)  # the same data on every rank
    x = gn.randn(12 * k, 6)
    y = gn.randint(0, 4, (12 * k,))
    xi = gn.randn(6 * k, 1, 8, 8)
    yi = gn.randint(0, 5, (6 * k,))

    @check("ddp_mlp_equals_full_batch")
    def _():
        train_pair(mlp, x, y)

    @check("ddp_cnn_small_buckets")
    def _():
        m = train_pair(cnn, xi, yi, bucket_cap_mb=0.0001)  # several buckets, overlapped
        assert len(m.reducer.buckets) >= 3, len(m.reducer.buckets)

    @check("ddp_no_sync_accumulation")
    def _():
        train_pair(mlp, x, y, accumulate=2)

    @check("ddp_weight_decay_outside_module")
    def _():
        m = train_pair(mlp, x, y, extra=lambda m: 0.01 * (m[2].weight ** 2).sum())
        assert m.reducer.late_contributions > 0  # averaged after its bucket went out

    @check("sync_batchnorm_equals_full_batch")
    def _():
        def bn_mlp():
            return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 4))

        def bn_cnn():
            return nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3, momentum=None),
                                 nn.ReLU(), nn.Flatten(), nn.Linear(3 * 6 * 6, 5))

        m = train_pair(bn_mlp, x, y, sync_bn=True)
        assert type(m.module[1]).__name__ == "SyncBatchNorm"
        train_pair(bn_cnn, xi, yi, sync_bn=True)

    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(6, 6)
            self.b = nn.Linear(6, 4)
            self.unused = nn.Linear(3, 3)

        def forward(self, x):
            return self.b(gn.tanh(self.a(gn.tanh(self.a(x)))))

    @check("ddp_shared_and_unused_parameters")
    def _():
        m = train_pair(Shared, x, y)
        assert m.module.unused.weight.grad is None

    @check("ddp_no_sync_keeps_local_gradients")
    def _():
        model = DDP(mlp())
        with model.no_sync():
            F.cross_entropy(model(x[r::k]), y[r::k]).backward()
        local = model.module[0].weight.grad.numpy().copy()
        ref = copy.deepcopy(model.module)
        ref.zero_grad()
        F.cross_entropy(ref(x[r::k]), y[r::k]).backward()
        close(local, ref[0].weight.grad.numpy())

    @check("ddp_state_dict_and_buffers")
    def _():
        gn.manual_seed(r)
        net = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4))
        model = DDP(net)
        assert next(iter(model.state_dict())) == "module.0.weight"
        opt = gn.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            model(x[r::k] + r).pow(2).mean().backward()
            opt.step()
        same_on_all_ranks(net)
        mine = net[1].running_mean.numpy().copy()
        zero = [mine]
        dist.broadcast_object_list(zero, src=0)
        model.eval()
        with gn.no_grad():
            model(x)  # the first forward after training takes rank 0's buffers
        close(net[1].running_mean.numpy(), zero[0], 0.0)

    @check("distributed_sampler")
    def _():
        ds = TensorDataset(gn.arange(10.0 * k + 1))
        sampler = DistributedSampler(ds, shuffle=True, seed=3)
        sampler.set_epoch(2)
        mine = [int(v) for (b,) in DataLoader(ds, batch_size=4, sampler=sampler)
                for v in b.tolist()]
        everyone = []
        dist.all_gather_object(everyone, mine)
        assert all(len(e) == 11 for e in everyone)
        assert sorted({i for e in everyone for i in e}) == list(range(10 * k + 1))

    dist.destroy_process_group()
    # init_process_group installed the hook that aborts the job; destroy put the old one back
    results["excepthook"] = ("ok" if hook_installed and sys.excepthook is sys.__excepthook__
                             else f"FAILED: installed {hook_installed}, now {sys.excepthook}")
    with open(os.path.join(sys.argv[1], f"rank{r}.json"), "w") as f:
        json.dump(results, f)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


if __name__ == "__main__":
    try:
        run()
    except BaseException:  # noqa: BLE001 - any failure must end every rank
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        from mpi4py import MPI

        MPI.COMM_WORLD.Abort(1)
