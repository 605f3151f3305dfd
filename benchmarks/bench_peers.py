"""glassnet and PyTorch beside JAX, tinygrad and Chainer: the same training steps in each.

Five workloads: LeNet-5 (batch 64 and 256, Fashion-MNIST images), the MLP 784-500-150-10 (batch
64 and 256) and resnet20 (batch 128, random 3x32x32 images). Every framework starts from the same
weights (glassnet's, copied into the PyTorch twin of ``twins.py`` and from there into the
others) and repeats one step on one fixed batch: forward, cross-entropy, backward and SGD with
momentum 0.9 (lr 0.01; 0.1 for resnet20), batch norm in training mode with its running
statistics updated as PyTorch does.

* **glassnet, PyTorch**: the idiomatic eager step (``bench_lenet.make_step``).
* **JAX**: the whole step (loss, gradient, momentum update) is one ``jax.jit`` function, its
  arrays donated; compilation is timed apart from the steps.
* **tinygrad**: the step under ``TinyJit`` on the CPU device (it compiles its kernels with
  clang); the first two steps (compiling, then capturing the JIT) are timed apart.
* **Chainer**: reported as not installed when ``import chainer`` fails (its last release does
  not build with current setuptools).

The first steps of every peer must give PyTorch's losses (within 1e-4, 1e-3 for resnet20): the
same work, not just the same shapes. Then blocks of steps rotate over all frameworks in one
process (``harness.run_blocks``), so machine noise hits all of them. ``run`` measures with each
framework's default threads, then starts this script again with one thread each: one CPU for
the process (XLA's CPU client keeps threads for its matrix products whatever ``XLA_FLAGS``
says; an affinity set of one CPU holds it to one) plus every framework's own setting
(``ONE_THREAD_ENV``).

Run: ``python -m benchmarks.bench_peers [--quick] [--threads 1] [--only lenet5,mlp]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from .harness import _fmt, run_blocks

WORKLOADS = (("lenet5", 64), ("lenet5", 256), ("mlp", 64), ("mlp", 256), ("resnet20", 128))
MOMENTUM = 0.9
CHECK_STEPS = 3  # steps whose losses are compared with PyTorch's before timing


def lr(model):
    return 0.1 if model.startswith("resnet") else 0.01


def tolerance(model):
    """How far a peer's loss may be from PyTorch's, relative to max(1, |loss|): batch norm at
    lr 0.1 magnifies float32 rounding differences in resnet's later steps."""
    return 1e-3 if model.startswith("resnet") else 1e-4


def title(model):
    return {"lenet5": "LeNet-5", "mlp": "MLP 784-500-150-10"}.get(model, model)

PEERS = ("jax", "tinygrad", "chainer")
NAMES = {"glassnet": "glassnet", "torch": "PyTorch", "jax": "JAX", "tinygrad": "tinygrad",
         "chainer": "Chainer"}

# one thread for every framework; set before any of them is imported (their pools are sized
# then). XLA_FLAGS is the documented setting for XLA's CPU backend; tinygrad reads
# NUM_CPU_THREADS (how many parts a kernel is split into) and THREADS=0 (no split at all).
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                  "GLASSNET_NUM_THREADS": "1",
                  "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
                  "NUM_CPU_THREADS": "1", "THREADS": "0"}


# ------------------------------------------------------------------ which peers are here
def peer_status(peers=PEERS) -> dict:
    """{peer: (version or None, note)}: None with "not installed" when its import fails, and
    with the reason when it imports but cannot run here (tinygrad without a C compiler)."""
    # the CPU, whatever else is installed (the variables read when each is imported)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("DEV", "CPU")
    out = {}
    for name in peers:
        try:
            mod = __import__(name)
        except ImportError:
            out[name] = (None, "not installed")
            continue
        except Exception as e:  # noqa: BLE001 - a broken install is reported, not raised
            out[name] = (None, f"import failed: {type(e).__name__}: {e}")
            continue
        version = getattr(mod, "__version__", None)
        if version is None and name == "tinygrad":
            from importlib.metadata import version as dist_version

            version = dist_version("tinygrad")
        note = ""
        if name == "tinygrad":
            note = _tinygrad_problem()
        elif name == "chainer":
            note = "installed, but no Chainer step is written here yet"
        out[name] = (None if note else version, note or version)
    return out


def _tinygrad_problem() -> str:
    """'' when tinygrad's device runs a kernel here, else why not."""
    try:
        from tinygrad import Tensor

        (Tensor([1.0, 2.0]) * 2).sum().item()
        return ""
    except Exception as e:  # noqa: BLE001
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "clang" in msg:
            msg = "its CPU device compiles with clang, which is missing"
        return f"installed, but cannot run: {msg}"


# ------------------------------------------------------------------ the work
def twins(model, batch):
    """(glassnet model, PyTorch model, numpy state dict, x, y) with identical weights."""
    import torch

    import glassnet as gn

    from .twins import cifar_like, fashion_mnist, pair

    if model == "mlp":
        from .bench_mlp import SIZES, build

        torch.manual_seed(0)
        t = build(torch)
        g = build(gn)
        g.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
        y = rng.integers(0, SIZES[-1], batch)
    else:
        g, t = pair(model)
        x, y = (cifar_like(batch) if model.startswith("resnet") else fashion_mnist()[:2])
        x, y = x[:batch], y[:batch]
    g.train()
    t.train()
    state = {k: v.detach().numpy().copy() for k, v in t.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    return g, t, state, np.ascontiguousarray(x), np.asarray(y, dtype=np.int64)


def forward(o, model, p, x):
    """The network on parameters ``p`` (PyTorch's state_dict names) with the array ops ``o``
    (``JaxOps`` or ``TinyOps``): (logits, {name: new running statistic})."""
    new = {}
    if model == "mlp":
        x = o.relu(o.linear(x, p["0.weight"], p["0.bias"]))
        x = o.relu(o.linear(x, p["2.weight"], p["2.bias"]))
        return o.linear(x, p["4.weight"], p["4.bias"]), new
    if model == "lenet5":
        x = o.max_pool2(o.relu(o.conv(x, p["features.0.weight"], p["features.0.bias"], 1, 2)))
        x = o.max_pool2(o.relu(o.conv(x, p["features.3.weight"], p["features.3.bias"])))
        x = o.relu(o.conv(x, p["features.6.weight"], p["features.6.bias"]))
        x = o.relu(o.linear(x.reshape(x.shape[0], -1), p["classifier.1.weight"],
                            p["classifier.1.bias"]))
        return o.linear(x, p["classifier.3.weight"], p["classifier.3.bias"]), new

    def bn(x, name):
        y, new[f"{name}.running_mean"], new[f"{name}.running_var"] = o.batch_norm(
            x, p[f"{name}.weight"], p[f"{name}.bias"], p[f"{name}.running_mean"],
            p[f"{name}.running_var"])
        return y

    depth = int(model[6:])
    x = o.relu(bn(o.conv(x, p["conv1.weight"], None, 1, 1), "bn1"))
    planes = 16
    for stage, (width, stride) in enumerate(((16, 1), (32, 2), (64, 2)), start=1):
        for i in range((depth - 2) // 6):
            b, s = f"layer{stage}.{i}", stride if i == 0 else 1
            out = o.relu(bn(o.conv(x, p[f"{b}.conv1.weight"], None, s, 1), f"{b}.bn1"))
            out = bn(o.conv(out, p[f"{b}.conv2.weight"], None, 1, 1), f"{b}.bn2")
            if s != 1 or planes != width:  # option A: subsample, pad the new channels with 0
                x = x[:, :, ::s, ::s]
                extra = width - planes
                x = o.pad_channels(x, extra // 2, extra - extra // 2)
            x = o.relu(out + x)
            planes = width
    x = o.mean(x, (2, 3))
    return o.linear(x, p["fc.weight"], p["fc.bias"]), new


class JaxOps:
    """The array operations of ``forward`` in jax.numpy and jax.lax."""

    def __init__(self):
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp, self.lax = jax, jnp, jax.lax

    def conv(self, x, w, b=None, stride=1, padding=0):
        y = self.lax.conv_general_dilated(x, w, (stride, stride), ((padding, padding),) * 2,
                                          dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y if b is None else y + b[None, :, None, None]

    def relu(self, x):
        return self.jnp.maximum(x, 0)

    def max_pool2(self, x):
        return self.lax.reduce_window(x, -self.jnp.inf, self.lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                      "VALID")

    def linear(self, x, w, b):
        return x @ w.T + b

    def mean(self, x, axes):
        return self.jnp.mean(x, axis=axes)

    def pad_channels(self, x, before, after):
        return self.jnp.pad(x, ((0, 0), (before, after), (0, 0), (0, 0)))

    def batch_norm(self, x, w, b, rm, rv, momentum=0.1, eps=1e-5):
        mean = self.jnp.mean(x, axis=(0, 2, 3))
        var = self.jnp.var(x, axis=(0, 2, 3))
        n = x.size // x.shape[1]
        y = (x - mean[:, None, None]) * self.lax.rsqrt(var + eps)[:, None, None]
        y = y * w[:, None, None] + b[:, None, None]
        sg = self.lax.stop_gradient
        return (y, (1 - momentum) * rm + momentum * sg(mean),
                (1 - momentum) * rv + momentum * sg(var) * (n / (n - 1)))

    def cross_entropy(self, z, y):
        picked = self.jnp.take_along_axis(z, y[:, None], axis=1)[:, 0]
        return self.jnp.mean(self.jax.nn.logsumexp(z, axis=1) - picked)


class TinyOps:
    """The array operations of ``forward`` on tinygrad Tensors."""

    def conv(self, x, w, b=None, stride=1, padding=0):
        return x.conv2d(w, b, stride=stride, padding=padding)

    def relu(self, x):
        return x.relu()

    def max_pool2(self, x):
        return x.max_pool2d((2, 2))

    def linear(self, x, w, b):
        return x @ w.T + b

    def mean(self, x, axes):
        return x.mean(axis=axes)

    def pad_channels(self, x, before, after):
        return x.pad(((0, 0), (before, after), None, None))

    def batch_norm(self, x, w, b, rm, rv, momentum=0.1, eps=1e-5):
        # as tinygrad.nn.BatchNorm: the variance from x - mean with the mean held constant
        # (the gradient through the mean of centred values is zero)
        mean = x.mean(axis=(0, 2, 3))
        c = x - mean.detach().reshape(1, -1, 1, 1)
        var = (c * c).mean(axis=(0, 2, 3))
        n = x.numel() // x.shape[1]
        y = x.batchnorm(w, b, mean, (var + eps).rsqrt())
        return (y, (1 - momentum) * rm + momentum * mean.detach(),
                (1 - momentum) * rv + momentum * (n / (n - 1)) * var.detach())

    def cross_entropy(self, z, y):
        return z.sparse_categorical_crossentropy(y)


# ------------------------------------------------------------------ one step per framework
class Step:
    """What setting up one framework's step found: the losses of its first CHECK_STEPS steps,
    and (JAX, tinygrad) the seconds spent compiling before the steady steps."""

    losses: list
    compile_s: float | None = None


def glassnet_torch_steps(model, batch):
    """([(glassnet Step, step callable), (PyTorch Step, step callable)], state, x, y) from
    identical weights; each step has run CHECK_STEPS times."""
    import torch

    import glassnet as gn

    from .bench_lenet import make_step

    g, t, state, x, y = twins(model, batch)
    rate = lr(model)
    gstep = make_step(gn, g, gn.optim.SGD(g.parameters(), lr=rate, momentum=MOMENTUM),
                      gn.nn.CrossEntropyLoss())
    tstep = make_step(torch, t, torch.optim.SGD(t.parameters(), lr=rate, momentum=MOMENTUM),
                      torch.nn.CrossEntropyLoss())
    gx, gy = gn.tensor(x), gn.tensor(y)
    tx, ty = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    out = []
    for fn, a, c in ((gstep, gx, gy), (tstep, tx, ty)):
        s = Step()
        s.losses = [fn(a, c).item() for _ in range(CHECK_STEPS)]
        out.append((s, (lambda f=fn, a=a, c=c: f(a, c))))
    return out, state, x, y


def jax_step(model, state, x, y):
    """(Step, callable): the step as one jitted function over (params, buffers, momentum)."""
    import jax

    o = JaxOps()
    jnp = o.jnp
    trainable = {k: jnp.asarray(v) for k, v in state.items() if "running_" not in k}
    buffers = {k: jnp.asarray(v) for k, v in state.items() if "running_" in k}
    moment = {k: jnp.zeros_like(v) for k, v in trainable.items()}
    rate = lr(model)

    def loss_fn(params, bufs, xb, yb):
        logits, new = forward(o, model, {**params, **bufs}, xb)
        return o.cross_entropy(logits, yb), new

    def step(params, bufs, mom, xb, yb):
        (loss, new), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, bufs, xb, yb)
        mom = jax.tree_util.tree_map(lambda m, g: MOMENTUM * m + g, mom, grads)
        params = jax.tree_util.tree_map(lambda p, m: p - rate * m, params, mom)
        return params, {**bufs, **new}, mom, loss

    xb, yb = jnp.asarray(x), jnp.asarray(y.astype(np.int32))
    t0 = time.perf_counter()
    compiled = jax.jit(step, donate_argnums=(0, 1, 2)).lower(
        trainable, buffers, moment, xb, yb).compile()
    s = Step()
    s.compile_s = time.perf_counter() - t0
    carry = [trainable, buffers, moment]

    def run():
        *carry[:], loss = compiled(*carry, xb, yb)
        jax.block_until_ready((carry, loss))
        return loss

    s.losses = [float(run()) for _ in range(CHECK_STEPS)]
    return s, run


def tinygrad_step(model, state, x, y):
    """(Step, callable): the step under TinyJit on tinygrad's CPU device."""
    from tinygrad import Device, Tensor, TinyJit
    from tinygrad.helpers import Context
    from tinygrad.nn.optim import SGD

    o = TinyOps()
    params = {k: Tensor(v.copy()).realize() for k, v in state.items() if "running_" not in k}
    bufs = {k: Tensor(v.copy()).is_param_(False).realize() for k, v in state.items()
            if "running_" in k}
    opt = SGD(list(params.values()), lr=lr(model), momentum=MOMENTUM)
    xb, yb = Tensor(x.copy()).realize(), Tensor(y.astype(np.int32)).realize()

    @TinyJit
    def step(xt, yt):
        with Context(TRAINING=1):
            opt.zero_grad()
            logits, new = forward(o, model, {**params, **bufs}, xt)
            loss = o.cross_entropy(logits, yt).backward()
            for k, v in new.items():
                bufs[k].assign(v)
            return loss.realize(*opt.schedule_step(), *bufs.values())

    dev = Device[Device.DEFAULT]

    def run():
        loss = step(xb, yb)
        dev.synchronize()
        return loss

    t0 = time.perf_counter()
    losses = [run().item() for _ in range(2)]  # eager (kernels compiled), then captured
    s = Step()
    s.compile_s = time.perf_counter() - t0
    s.losses = losses + [run().item() for _ in range(CHECK_STEPS - 2)]
    return s, run


PEER_STEPS = {"jax": jax_step, "tinygrad": tinygrad_step}


# ------------------------------------------------------------------ measuring and printing
def run_workload(model, batch, status, blocks=5, min_time=0.3, budget_s=60.0):
    """One workload in every framework: {framework: row} with the step time, the losses of the
    first steps and, for the compiled peers, the compile time; absent peers get their note."""
    pairs, state, x, y = glassnet_torch_steps(model, batch)
    rows = {"glassnet": {"step": pairs[0][1], "losses": pairs[0][0].losses},
            "torch": {"step": pairs[1][1], "losses": pairs[1][0].losses}}
    ref = rows["torch"]["losses"]
    for peer, (version, note) in status.items():
        if version is None or peer not in PEER_STEPS:
            rows[peer] = {"note": note}
            continue
        try:
            s, fn = PEER_STEPS[peer](model, state, x, y)
        except Exception as e:  # noqa: BLE001 - one peer failing must not lose the others
            rows[peer] = {"note": f"failed: {type(e).__name__}: {str(e).splitlines()[0][:120]}"}
            continue
        rows[peer] = {"step": fn, "losses": s.losses, "compile_s": s.compile_s}
    for row in rows.values():
        if "losses" in row:
            diff = max(abs(a - b) for a, b in zip(row["losses"], ref))
            row["diff"] = diff
            row["same"] = diff <= tolerance(model) * max(1.0, abs(ref[0]))
    fns = {k: r["step"] for k, r in rows.items() if "step" in r}
    # every step has run CHECK_STEPS times already; a resnet20 step is long enough alone
    slow = model.startswith("resnet")
    times, nb, reps = run_blocks(fns, blocks=blocks, min_time=min_time, warmup=0 if slow else 1,
                                 reps=1 if slow else None, budget_s=budget_s)
    for k, ts in times.items():
        rows[k]["s"] = statistics.median(ts)
        rows[k]["ratio"] = statistics.median(a / b for a, b in zip(ts, times["torch"]))
        del rows[k]["step"]
    print(f"  .. {title(model)} batch {batch}: {nb} rounds x {reps} steps", file=sys.stderr,
          flush=True)
    return rows


def print_tables(results, status, heading):
    """The step times (ratio to PyTorch), compile times and the loss check, as Markdown."""
    frameworks = ["glassnet", "torch", *status]
    print(f"\n## {heading}\n")
    print("| workload | " + " | ".join(NAMES[f] for f in frameworks) + " |")
    print("|---|" + "---|" * len(frameworks))
    for (model, batch), rows in results:
        cells = []
        for f in frameworks:
            r = rows.get(f, {})
            if "s" in r:
                mark = "" if r.get("same", True) else " (losses differ!)"
                cells.append(f"{_fmt(r['s'])} ({r['ratio']:.2f}){mark}")
            else:
                cells.append(r.get("note", "-"))
        print(f"| {title(model)}, batch {batch} | " + " | ".join(cells) + " |")
    print("\nms per step, median over rounds; in brackets the time relative to PyTorch's "
          "(median of the per-round ratios; lower is faster).")
    compiled = [f for f in status if any("compile_s" in rows.get(f, {}) for _, rows in results)]
    if compiled:
        print("\nCompile time before the steady steps (JAX: trace, lower and compile the jitted "
              "step; tinygrad: its first two steps, which compile the kernels and capture the "
              "JIT):\n")
        print("| workload | " + " | ".join(NAMES[f] for f in compiled) + " |")
        print("|---|" + "---|" * len(compiled))
        for (model, batch), rows in results:
            cells = [f"{rows[f]['compile_s']:.2f} s" if "compile_s" in rows.get(f, {}) else "-"
                     for f in compiled]
            print(f"| {title(model)}, batch {batch} | " + " | ".join(cells) + " |")
    print(f"\nSame work: the loss of each of the first {CHECK_STEPS} steps (same weights, same "
          "batch), and its largest difference from PyTorch's:\n")
    print("| workload | framework | losses | max abs diff vs PyTorch |\n|---|---|---|---|")
    for (model, batch), rows in results:
        for f in frameworks:
            r = rows.get(f, {})
            if "losses" in r:
                ok = "" if r["same"] else f" **over {tolerance(model):g}**"
                print(f"| {title(model)}, batch {batch} | {NAMES[f]} | "
                      + ", ".join(f"{v:.6f}" for v in r["losses"]) + f" | {r['diff']:.1e}{ok} |")


def measure_all(workloads=WORKLOADS, quick=False, threads="default threads"):
    """Every workload in every framework, in this process; prints the tables and returns
    [((model, batch), {framework: row})]. ``threads`` names the setting in the heading."""
    status = peer_status()
    blocks, min_time = (3, 0.15) if quick else (7, 0.3)
    results = []
    for model, batch in workloads:
        results.append(((model, batch), run_workload(
            model, batch, status, blocks=max(3, blocks - 2) if model.startswith("resnet")
            else blocks, min_time=min_time, budget_s=30.0 if quick else 90.0)))
    versions = ", ".join(f"{NAMES[p]} {v}" for p, (v, _) in status.items() if v)
    print_tables(results, status, f"Peers: one training step, {threads}"
                 + (f"; {versions}" if versions else ""))
    return results


def one_thread_pass(workloads=WORKLOADS, quick=False):
    """This script again in a fresh process with one thread each; returns its printed text."""
    env = dict(os.environ, **ONE_THREAD_ENV)
    only = ",".join(f"{m}:{b}" for m, b in workloads)
    cmd = [sys.executable, "-m", "benchmarks.bench_peers", "--threads", "1", "--only", only]
    cmd += ["--quick"] if quick else []
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(cmd, env=env, cwd=root, stdout=subprocess.PIPE, text=True,
                          check=False)
    if proc.returncode:
        return f"\n[one thread each: the process failed with exit code {proc.returncode}]\n"
    return proc.stdout


def pin_one_cpu():
    """Hold this process (and the threads it starts from now on) to one CPU."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def run(quick=False, workloads=WORKLOADS, one_thread=True):
    """Default threads here, then one thread each in a second process (section "peers")."""
    results = measure_all(workloads, quick)
    if one_thread:
        print(one_thread_pass(workloads, quick), end="", flush=True)
    return results


def parse_only(text):
    """'lenet5,mlp:64' -> (("lenet5", 64), ("lenet5", 256), ("mlp", 64)); a model alone means
    its batches in WORKLOADS, model:batch any batch."""
    models = dict.fromkeys(m for m, _ in WORKLOADS)
    out = []
    for item in filter(None, text.split(",")):
        model, _, batch = item.partition(":")
        if model not in models:
            raise SystemExit(f"bench_peers: unknown workload {model!r}; choose from "
                             f"{', '.join(models)}")
        out += [(m, b) for m, b in WORKLOADS if m == model] if not batch else \
            [(model, int(batch))]
    return tuple(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer and shorter rounds")
    ap.add_argument("--threads", type=int, choices=(1,), default=None,
                    help="1: one thread each, in this process (one CPU); default: both passes")
    ap.add_argument("--only", default="",
                    help="workloads, e.g. lenet5,mlp:64,resnet20 (default: all five)")
    args = ap.parse_args(argv)
    workloads = parse_only(args.only) or WORKLOADS
    if args.threads == 1:
        os.environ.update(ONE_THREAD_ENV)  # before any framework is imported
        pin_one_cpu()
        import torch

        torch.set_num_threads(1)
        measure_all(workloads, args.quick, "one thread each (one CPU)")
    else:
        run(args.quick, workloads)


if __name__ == "__main__":
    main()
