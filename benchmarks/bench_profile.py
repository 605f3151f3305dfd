"""Where a training step's time goes, per op, in glassnet and in PyTorch (one thread each).

The ratio tables say how far apart the two are; this says why. For one training step of
LeNet-5 (batch 64) and of ResNet-20 (batch 128), glassnet's time is split by autograd Function
(forward and backward separately, measured by wrapping every Function subclass), and the rest of
the step (module calls, the optimiser, the backward engine's bookkeeping) is reported as
"everything else"; PyTorch's is taken from ``torch.profiler`` (self CPU time per aten op).

Run: ``python -m benchmarks.bench_profile`` (it pins both libraries to one thread; run it in
its own process, as ``run.py`` does).
"""

from __future__ import annotations

import collections
import contextlib
import sys
import time


def _subclasses(cls):
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        for s in c.__subclasses__():
            out.append(s)
            todo.append(s)
    return out


@contextlib.contextmanager
def _timed_functions(acc):
    """Wrap forward/backward of every glassnet Function subclass to add its time to ``acc``."""
    from glassnet.autograd import Function

    saved = []
    for cls in _subclasses(Function):
        for meth in ("forward", "backward"):
            if meth not in cls.__dict__:
                continue
            orig = cls.__dict__[meth]
            fn = orig.__func__ if isinstance(orig, staticmethod) else orig

            def wrapper(*a, _fn=fn, _key=f"{cls.__name__}.{meth}", **k):
                t = time.perf_counter()
                try:
                    return _fn(*a, **k)
                finally:
                    acc[_key] += time.perf_counter() - t

            saved.append((cls, meth, orig))
            setattr(cls, meth, staticmethod(wrapper))
    try:
        yield
    finally:
        for cls, meth, orig in saved:
            setattr(cls, meth, orig)


def profile_glassnet(step, steps):
    acc = collections.defaultdict(float)
    step()
    with _timed_functions(acc):
        step()
        acc.clear()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        total = (time.perf_counter() - t0) / steps
    rows = sorted(((k, v / steps) for k, v in acc.items()), key=lambda kv: -kv[1])
    return total, rows


def profile_torch(step, steps):
    from torch.profiler import ProfilerActivity, profile

    step()
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    total = (time.perf_counter() - t0) / steps
    rows = [(e.key, e.self_cpu_time_total / 1e6 / steps) for e in prof.key_averages()]
    rows.sort(key=lambda kv: -kv[1])
    return total, rows


def _table(title, total, rows, top=12):
    print(f"\n### {title}: {total * 1e3:.2f} ms per step\n")
    print("| op | ms per step | share |\n|---|---|---|")
    shown = 0.0
    for k, v in rows[:top]:
        print(f"| {k} | {v * 1e3:.2f} | {100 * v / total:.0f}% |")
        shown += v
    rest = sum(v for _, v in rows[top:])
    if rest > 0:
        print(f"| (other ops) | {rest * 1e3:.2f} | {100 * rest / total:.0f}% |")
    other = total - shown - rest
    print(f"| everything else (Python, modules, optimiser, engine) | {other * 1e3:.2f} | "
          f"{100 * other / total:.0f}% |")


def run(quick=False):
    import torch

    import glassnet as gn

    torch.set_num_threads(1)
    gn.set_num_threads(1)  # glassnet's own kernels too, not only BLAS
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    from . import bench_lenet, bench_resnet
    from .twins import fashion_mnist

    print("\n## Profiles of one training step (one thread each)")
    x, y, _ = fashion_mnist()
    gstep, tstep, _ = bench_lenet.setup()
    gx, gy = gn.tensor(x[:64]), gn.tensor(y[:64])
    tx, ty = torch.from_numpy(x[:64].copy()), torch.from_numpy(y[:64].copy())
    n = 10 if quick else 40
    _table("LeNet-5, batch 64, glassnet", *profile_glassnet(lambda: gstep(gx, gy), n))
    _table("LeNet-5, batch 64, PyTorch", *profile_torch(lambda: tstep(tx, ty), n))
    gfn, tfn, _ = bench_resnet.setup(20, 128)
    n = 2 if quick else 4
    _table("ResNet-20, batch 128, glassnet", *profile_glassnet(gfn, n))
    _table("ResNet-20, batch 128, PyTorch", *profile_torch(tfn, n))
    return []


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
