"""RESULTS.md for ``run.py``: the issue's targets with their status, and the written report.

``targets`` turns the results of both passes (library default threads, one thread each) into
rows of (target, measured, met?, measured with one thread, met?); ``write_results`` writes
RESULTS.md with the proposed README section at the top.
"""

from __future__ import annotations

import os

from . import harness
from .harness import HEADER

# filled by run.single_thread_results from the one-thread process
SINGLE_PEAK: dict = {}  # its float32 matmul peak
SINGLE_TEXTS: list = []  # (section, printed text)
SINGLE_SCALING: dict = {}  # the scaling curves


# ------------------------------------------------------------------ targets
def _find(results, prefix):
    return next((r for r in results if r.name.startswith(prefix)), None)


def targets(results, scaling, single=()):
    """(target, measured, ok, measured with one thread each, ok) rows for the issue's targets."""
    rows = []

    def ratio_row(label, prefix, limit):
        r = _find(results, prefix)
        r1 = _find(single, prefix)
        one = ("-", None) if r1 is None else (
            (f"{r1.ratio:.2f} ({r1.ratio_min:.2f}-{r1.ratio_max:.2f}); "
            f"{harness._fmt(r1.gn_s)} vs {harness._fmt(r1.torch_s)}"), r1.ratio <= limit)
        if r is None:
            rows.append((label, "not run", None) + one)
        else:
            rows.append((label, (f"{r.ratio:.2f} ({r.ratio_min:.2f}-{r.ratio_max:.2f}); "
                         f"{harness._fmt(r.gn_s)} vs {harness._fmt(r.torch_s)}"),
                         r.ratio <= limit) + one)

    def plain(label, measured, ok):
        rows.append((label, measured, ok, "-", None))

    for b in (64, 256):
        ratio_row(f"LeNet-5 training step, batch {b}: ratio <= 1.0",
                  f"LeNet-5 train step, batch {b}", 1.0)
    for b in (64, 256):
        ratio_row(f"LeNet-5 epoch with data pipeline, batch {b}: ratio <= 1.0",
                  f"LeNet-5 epoch (DataLoader), batch {b}", 1.0)
    for b in (64, 256):
        ratio_row(f"MLP 784-500-150-10 training step, batch {b}: ratio <= 1.0",
                  f"MLP 784-500-150-10 train step, batch {b}", 1.0)
    ratio_row("Adam step, 1M parameters: ratio <= 1.0", "Adam step", 1.0)
    ratio_row("resnet20 training step, batch 128: ratio <= 1.2", "resnet20 train step", 1.2)
    ratio_row("LeNet-5 inference latency, batch 1: ratio <= 0.75", "lenet5 inference", 0.75)
    ratio_row("resnet20 inference latency, batch 1: ratio <= 0.75", "resnet20 inference", 0.75)
    r = _find(results, "LSTM train step")
    if r is not None:
        plain("LSTM training step (no target in the issue; informational)",
              f"{r.ratio:.2f} ({r.ratio_min:.2f}-{r.ratio_max:.2f}); "
              f"{harness._fmt(r.gn_s)} vs {harness._fmt(r.torch_s)}", None)
    r = _find(results, "import glassnet vs import torch (time)")
    plain("`import glassnet` <= 0.3 s", "not run" if r is None else
          f"{r.gn_s:.3f} s (torch {r.torch_s:.2f} s)", None if r is None else r.gn_s <= 0.3)
    r = _find(results, "import glassnet vs import torch (peak RSS")
    plain("`import glassnet` <= 60 MiB peak RSS", "not run" if r is None else
          f"{r.gn_s:.1f} MiB (torch {r.torch_s:.0f} MiB)", None if r is None else r.gn_s <= 60)
    r = _find(results, "peak RSS of a LeNet-5")
    plain("Peak RSS of a LeNet-5 epoch <= PyTorch's", "not run" if r is None else
          f"{r.gn_s:.0f} MiB vs {r.torch_s:.0f} MiB (ratio {r.ratio:.2f})",
          None if r is None else r.ratio <= 1.0)
    def peak_share(r, peak):
        if r is None or not peak:
            return "not run", None
        pct = 100 * r.gflops / peak
        return ((f"{r.gflops:.1f} GFLOP/s = {pct:.0f}% of {peak:.0f} "
                f"(PyTorch {100 * r.torch_gflops / peak:.0f}%)"), pct >= 25)

    for b in (64, 256):
        prefix = f"LeNet-5 train step, batch {b}"
        rows.append((f"LeNet-5 step (batch {b}) at >= 25% of matmul peak",)
                    + peak_share(_find(results, prefix), harness.PEAK.get("gflops"))
                    + (peak_share(_find(single, prefix), SINGLE_PEAK.get("gflops"))
                       if single else ("-", None)))
    if scaling:  # measured with one thread each (see SINGLE_THREAD)
        b = scaling.get("batch") or []
        if b:
            big = [g for bb, g, _, _ in b if bb >= 64]
            tb = [t for bb, _, t, _ in b if bb >= 64]
            rows.append(("glassnet time per sample flat for batch 64-512 (max/min <= 1.3)", "-",
                         None, f"{max(big) / min(big):.2f} (PyTorch {max(tb) / min(tb):.2f})",
                         max(big) / min(big) <= 1.3))
        d = scaling.get("depth") or []
        if d:
            per = [g for _, g, _, _ in d]
            tper = [t for _, _, t, _ in d]
            rows.append(("glassnet time per layer flat for resnet20-110 (max/min <= 1.3)", "-",
                         None, f"{max(per) / min(per):.2f} (PyTorch {max(tper) / min(tper):.2f})",
                         max(per) / min(per) <= 1.3))
    return rows


# ------------------------------------------------------------------ RESULTS.md
SUMMARY_ROWS = (("LeNet-5 training step, batch 64", "LeNet-5 train step, batch 64"),
                ("LeNet-5 training step, batch 256", "LeNet-5 train step, batch 256"),
                ("LeNet-5 epoch with data loading, batch 64",
                 "LeNet-5 epoch (DataLoader), batch 64"),
                ("MLP 784-500-150-10 step, batch 64", "MLP 784-500-150-10 train step, batch 64"),
                ("resnet20 training step, batch 128", "resnet20 train step"),
                ("LSTM training step (seq 35, batch 32)", "LSTM train step"),
                ("Adam step, 1M parameters", "Adam step"),
                ("LeNet-5 inference, batch 1", "lenet5 inference"),
                ("resnet20 inference, batch 1", "resnet20 inference"))


def status(ok):
    return "-" if ok is None else ("met" if ok else "**missed**")


def summary_text(results, rows, single, info):
    """The short performance section proposed for the README."""
    parts = []
    for label, prefix in SUMMARY_ROWS:
        x, x1 = _find(results, prefix), _find(single, prefix)
        if x is None:
            continue
        one = "-" if x1 is None else (f"{harness._fmt(x1.gn_s)} vs {harness._fmt(x1.torch_s)}: "
                                      f"**{x1.ratio:.2f}**")
        parts.append(f"| {label} | {harness._fmt(x.gn_s)} vs {harness._fmt(x.torch_s)}: "
                     f"**{x.ratio:.2f}** | {one} |")
    imp = _find(results, "import glassnet vs import torch (time)")
    mem = _find(results, "import glassnet vs import torch (peak RSS")
    rss = _find(results, "peak RSS of a LeNet-5")
    met = sum(1 for r in rows if r[2])
    total = sum(1 for r in rows if r[2] is not None)
    met1 = sum(1 for r in rows if r[4])
    total1 = sum(1 for r in rows if r[4] is not None)
    lines = ["## Performance", "",
             ("glassnet runs on NumPy alone; `make bench` times it against PyTorch "
              f"{info.get('torch')} on the CPU on identical work (same networks and weights, "
              "same data, same optimiser) in one process, alternating blocks so that machine "
              "noise hits both. Ratio = glassnet time / PyTorch time, lower is better; the "
              "machine, the load and every table are in "
              "[benchmarks/RESULTS.md](benchmarks/RESULTS.md)."), "",
             "| workload | glassnet vs PyTorch, default threads | one thread each |",
             "|---|---|---|", *parts, ""]
    if imp is not None and mem is not None:
        lines.append(f"`import glassnet` takes {imp.gn_s:.2f} s and {mem.gn_s:.0f} MiB of "
                     f"memory (`import torch`: {imp.torch_s:.1f} s, {mem.torch_s:.0f} MiB)"
                     + (f"; a whole LeNet-5 training epoch peaks at {rss.gn_s:.0f} MiB "
                        f"(PyTorch {rss.torch_s:.0f} MiB)." if rss is not None else "."))
    lines += ["", (f"Targets met on the last run: {met} of {total} with each library's default "
              f"threads, {met1} of {total1} of the timed ones with one thread each (see the "
              "targets table in RESULTS.md for the misses and their profiles).")]
    load = info.get("loadavg") or (0.0,)
    if load[0] > 0.5 * (info.get("cpus") or 1):
        lines += ["", (f"This run shared its {info.get('cpus')} cores with other work (load "
                       f"average {load[0]:.1f} at the start). Under such load a library's thread "
                       "pool waits for its threads to be scheduled, PyTorch's OpenMP pool far "
                       "more than glassnet's, so the default-threads column says more about the "
                       "load than about the libraries; the one-thread column is the like-for-"
                       "like comparison.")]
    return "\n".join(lines)


def write_results(path, info, sections_text, results, rows, single, png_ok, elapsed, load0,
                  args):
    peak = harness.PEAK
    out = ["# glassnet vs PyTorch: benchmark results", "",
           ("Generated by `make bench` (`python -m benchmarks.run`). Every number is a median "
            "over alternating blocks in one process; ratio = glassnet / PyTorch (lower is "
            "better) with its min-max over blocks. The comparisons are run twice: with each "
            "library's default threads, and (in a second process) with one thread each, which "
            "a busy machine distorts far less."), "",
           "## Summary for README", "", summary_text(results, rows, single, info), "",
           "## Machine", "",
           (f"- CPU: {info.get('cpu', '?')}, {info.get('cpus')} logical cores, SIMD: "
            f"{info.get('simd', '?')}"),
           (f"- Python {info['python']}, NumPy {info['numpy']} on {info.get('blas', '?')}; "
            f"PyTorch {info.get('torch')} ({info.get('torch_threads')} threads); glassnet "
            f"{info.get('glassnet')}"),
           (f"- float32 matmul peak (2048x2048, best of 10): NumPy {peak.get('numpy', 0):.0f} "
            f"GFLOP/s, PyTorch {peak.get('torch', 0):.0f} GFLOP/s with default threads"
            + (f"; {SINGLE_PEAK.get('numpy', 0):.0f} and {SINGLE_PEAK.get('torch', 0):.0f} "
               "with one thread" if SINGLE_PEAK else "")
            + " (a busy machine lowers these; the share of peak is taken against them)"),
           f"- threads: {'library defaults' if not args.threads else args.threads}",
           (f"- load average (1, 5, 15 min) at start {tuple(round(v, 2) for v in load0)}, at "
            f"end {tuple(round(v, 2) for v in os.getloadavg())} on "
            f"{info.get('cpus')} cores: other work shared the machine, so the min-max ranges "
            "are wide where the load was high"),
           ("- glassnet raises glibc's malloc thresholds when imported (glassnet/_allocator.py) "
            "so that training steps reuse freed memory instead of page-faulting; PyTorch in "
            "the same process gets the same allocator, so the comparison is like for like"),
           f"- run took {elapsed / 60:.1f} min{' (--quick)' if args.quick else ''}", "",
           "## Targets", "",
           "| target | default threads | status | one thread each | status |",
           "|---|---|---|---|---|"]
    for label, measured, ok, measured1, ok1 in rows:
        out.append(f"| {label} | {measured} | {status(ok)} | {measured1} | {status(ok1)} |")
    out += ["", "## All comparisons, default threads", "", HEADER]
    out += [r.row() for r in results if r.torch_s and "RSS" not in r.name
            and "import" not in r.name]
    if single:
        out += ["", "## All comparisons, one thread each", "", HEADER]
        out += [r.row() for r in single]
    out += ["", "Notes:", ""]
    for r in results:
        if r.notes:
            out.append(f"- {r.name}: {r.notes}")
    profile = [t for n, t in SINGLE_TEXTS if n == "profile"]
    if profile:
        out += ["", profile[0].strip().replace("## Profiles", "## Profiles", 1), "",
                ("PyTorch's per-op times are self CPU times from torch.profiler and include "
                 "its overhead; glassnet's are the wall time inside each Function's forward or "
                 "backward."), ""]
    # sections whose tables are their result (no glassnet/PyTorch rows): shown as they are
    own = ("threads", "peers")
    for name, text in sections_text:
        if name in own:
            out += ["", text.strip(), ""]
    out += ["", "## Section output", ""]
    for name, text in [(n, t) for n, t in sections_text if n not in own] + [
            (f"{n} (one thread each)", t) for n, t in SINGLE_TEXTS if n != "profile"]:
        out += [f"<details><summary>{name}</summary>", "", text.strip(), "", "</details>", ""]
    if png_ok:
        out += ["## Scaling plot", "", "![scaling curves](scaling.png)", ""]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
