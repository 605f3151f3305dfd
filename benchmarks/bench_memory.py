"""Peak resident memory of a LeNet-5 training epoch, glassnet against PyTorch.

Each framework trains LeNet-5 on Fashion-MNIST for one epoch (batch 64, SGD momentum 0.9, its
own DataLoader over a TensorDataset of the same float32 arrays) in a fresh interpreter that
imports nothing of the other framework. The data is loaded first (the same NumPy reader for
both), the kernel's peak-RSS counter is restarted there (``5 > /proc/self/clear_refs``), and the
peak RSS (``VmHWM``) is read at the end: so the peak covers importing the framework, building
the model and training, on top of the interpreter, NumPy and the 188 MB of float32 images that
both hold. The baseline line shows that shared part alone.

Run: ``python -m benchmarks.bench_memory [--quick]`` (``--quick`` trains 200 steps instead of the
whole epoch; the peak is reached in the first steps).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .harness import Result

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Source of ``peak_rss_mib()`` for the measured subprocesses (bench_import uses it too); it
# needs ``resource`` imported and contains no braces, so it can go into a str.format template.
PEAK_RSS_CODE = """
def status_mib(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib():
    # VmHWM: the peak resident set of this process's own address space. (ru_maxrss is not
    # used: after fork + exec, Linux reports the parent's peak when it was larger.)
    peak = status_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_PRELUDE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from benchmarks.twins import fashion_mnist
x, y, note = fashion_mnist()
steps = {steps}
rss_loaded = status_mib("VmRSS")
try:  # restart the peak from here (Linux: 5 > clear_refs), so it covers training, not loading
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
t0 = time.perf_counter()
"""

_BASE = """
n = 0
"""

# The measured loop, the same for both frameworks.
_LOOP = """
n = 0
for xb, yb in loader:
    opt.zero_grad(); loss = crit(model(xb), yb); loss.backward(); opt.step()
    n += 1
    if n == steps:
        break
"""

_GLASSNET = """
import glassnet as gn
from glassnet.data import DataLoader, TensorDataset
gn.manual_seed(0)
model = gn.models.LeNet5(variant="modern")
opt = gn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
crit = gn.nn.CrossEntropyLoss()
loader = DataLoader(TensorDataset(gn.from_numpy(x), gn.from_numpy(y)), batch_size=64, shuffle=True)
""" + _LOOP

_TORCH = """
import torch
from torch.utils.data import DataLoader, TensorDataset
sys.path.insert(0, {root!r})
from benchmarks.twins import torch_lenet5
torch.manual_seed(0)
model = torch_lenet5(torch)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
crit = torch.nn.CrossEntropyLoss()
loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=64,
                    shuffle=True, num_workers=0)
""" + _LOOP

_END = PEAK_RSS_CODE + """
print(json.dumps({"rss_mib": peak_rss_mib(), "loaded_mib": rss_loaded, "reset": reset,
                  "steps": n, "s": time.perf_counter() - t0, "note": note}))
"""


def measure(body, steps):
    code = PEAK_RSS_CODE + (_PRELUDE + body).format(root=_ROOT, steps=steps) + _END
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=_ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(quick=False):
    steps = 200 if quick else 10 ** 9  # 10**9: the whole epoch (938 steps)
    base = measure(_BASE, steps)
    g = measure(_GLASSNET, steps)
    t = measure(_TORCH, steps)
    what = "LeNet-5 epoch" if not quick else f"LeNet-5, {g['steps']} steps"
    res = Result(f"peak RSS of a {what}, batch 64 (MiB)", g["rss_mib"], t["rss_mib"],
                 g["rss_mib"] / t["rss_mib"], g["rss_mib"] / t["rss_mib"],
                 g["rss_mib"] / t["rss_mib"], target=1.0,
                 notes=(f"interpreter + NumPy + data alone: {base['rss_mib']:.0f} MiB; "
                        f"{g['steps']} steps" + (f"; {g['note']}" if g["note"] else "")
                        + ("" if g["reset"] else "; the peak includes loading the data")))
    res.extra.update(unit="MiB", base_mib=base["rss_mib"], gn_epoch_s=g["s"], torch_epoch_s=t["s"])
    print("\n## Peak memory (RSS)\n")
    print("The peak is taken from the moment the data is loaded" if g["reset"] else
          "The peak includes loading the data (the kernel could not reset it)")
    print("\n| process | RSS with the data loaded | peak RSS | added by training |\n"
          "|---|---|---|---|")
    print(f"| interpreter + NumPy + Fashion-MNIST arrays | {base['loaded_mib']:.0f} MiB | "
          f"{base['rss_mib']:.0f} MiB | - |")
    for name, d in (("glassnet", g), ("PyTorch", t)):
        print(f"| {name}: {what} (import, model, training) | {d['loaded_mib']:.0f} MiB | "
              f"{d['rss_mib']:.0f} MiB | {d['rss_mib'] - d['loaded_mib']:.0f} MiB |")
    return [res]


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
