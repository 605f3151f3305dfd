"""The lab's registry, the ``Lab`` an experiment writes its results through, and the runner."""

from __future__ import annotations

import contextlib
import datetime
import importlib
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field

import numpy as np

import glassnet as gn

__all__ = ["Experiment", "Lab", "experiment", "get", "names", "registry", "report_table", "run"]

# The modules holding the experiments, in the order of the lectures. Each registers its
# experiments with @experiment when imported.
MODULES = (
    "glassnet.lab.experiments.neurons",
    "glassnet.lab.experiments.dimensionality",
    "glassnet.lab.experiments.convolution",
    "glassnet.lab.experiments.invariance",
    "glassnet.lab.experiments.symmetry",
    "glassnet.lab.experiments.representations",
    "glassnet.lab.experiments.training",
    "glassnet.lab.experiments.architectures",
    "glassnet.lab.experiments.sequences_graphs",
)


@dataclass
class Experiment:
    """One registered experiment: its name, lecture, claim, what a full run adds, and code."""

    name: str
    lecture: str
    claim: str
    fn: object
    full: str = ""
    tags: tuple = ()


_REGISTRY: dict = {}
_loaded = False


def experiment(name, lecture, claim, full="", tags=()):
    """Register ``fn(lab)`` as the experiment ``name`` (decorator)."""

    def register(fn):
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"lab: experiment {name!r} is registered twice")
        _REGISTRY[name] = Experiment(name, lecture, claim, fn, full, tuple(tags))
        return fn

    return register


def registry() -> dict:
    """{name: Experiment}, every experiment module imported."""
    global _loaded
    if not _loaded:
        for mod in MODULES:
            try:
                importlib.import_module(mod)
            except ModuleNotFoundError as e:  # a module not written yet
                if e.name != mod:
                    raise
        _loaded = True
    return _REGISTRY


def names() -> list:
    return list(registry())


def get(name) -> Experiment:
    reg = registry()
    if name not in reg:
        raise KeyError(f"lab: unknown experiment {name!r}; run `glassnet lab list` for the "
                       f"{len(reg)} there are")
    return reg[name]


def _jsonable(x):
    """Numbers, arrays and tensors as plain JSON values (NaN and inf as strings)."""
    if isinstance(x, gn.Tensor):
        x = x.detach().numpy()
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()] if x.ndim else _jsonable(x.item())
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else str(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x


@dataclass
class Lab:
    """What an experiment sees: its settings, a seeded generator, and where results go.

    ``quick``: the short run (minutes on two cores). ``seed``: seeds ``rng`` (NumPy) and
    glassnet's generator before the experiment starts. ``dir``: the experiment's folder.
    """

    name: str
    dir: str
    quick: bool = False
    seed: int = 0
    verbose: bool = True
    claims: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)

    # ---------------------------------------------------------------- results
    def claim(self, claim, measured, reference, holds):
        """Record a claim, what was measured, the reference (figure or statement, with its
        source) and whether the claim holds on this run."""
        entry = {"claim": str(claim), "measured": _jsonable(measured),
                 "reference": str(reference), "holds": bool(holds)}
        self.claims.append(entry)
        self.log(f"  [{'holds' if holds else 'DOES NOT HOLD'}] {claim}: {entry['measured']}")
        return entry

    def table(self, title, headers, rows):
        """A table for report.md (and result.json)."""
        self.tables.append({"title": str(title), "headers": [str(h) for h in headers],
                            "rows": [[_jsonable(v) for v in r] for r in rows]})

    def note(self, text):
        self.notes.append(str(text))

    def record(self, **values):
        """Extra measured values kept in result.json under ``data``."""
        self.data.update({k: _jsonable(v) for k, v in values.items()})

    @contextlib.contextmanager
    def figure(self, name, figsize=(6.4, 4.8), title=None):
        """``with lab.figure("curves") as fig:`` draw on ``fig`` (a matplotlib Figure); it is
        saved as NAME.png in the experiment's folder. Without matplotlib the body is skipped
        silently (``fig`` is None) and a note says so."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError:
            self.note(f"figure {name}.png not drawn: matplotlib is not installed "
                      "(pip install glassnet[plots])")
            yield None
            return
        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        yield fig
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        path = os.path.join(self.dir, f"{name}.png")
        fig.savefig(path, dpi=110)
        self.figures.append(f"{name}.png")

    # ---------------------------------------------------------------- helpers
    def log(self, text):
        if self.verbose:
            print(text, flush=True)

    def progress(self, iterable, desc=None, total=None):
        """``iterable`` with a progress bar (tqdm, when installed and on a terminal)."""
        if self.verbose and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm

                return tqdm(iterable, desc=desc or self.name, total=total, leave=False)
            except ImportError:
                pass
        return iterable

    def pick(self, quick, full):
        """``quick`` in a quick run, else ``full``."""
        return quick if self.quick else full


def _report_md(result) -> str:
    lines = [f"# {result['name']}", "", f"*{result['lecture']}* — {result['claim']}", "",
             f"Run: `glassnet lab run {result['name']}{' --quick' if result['quick'] else ''} "
             f"--seed {result['seed']}` ({result['seconds']:.0f} s, glassnet "
             f"{result['glassnet']}, {result['date']}).", ""]
    if result["quick"] and result.get("full"):
        lines += [f"This was a quick run. The full run adds: {result['full']}", ""]
    lines += ["| claim | measured | reference | holds |", "| --- | --- | --- | --- |"]
    for c in result["claims"]:
        lines.append(f"| {c['claim']} | {_fmt(c['measured'])} | {c['reference']} | "
                     f"{'yes' if c['holds'] else '**no**'} |")
    for t in result["tables"]:
        lines += ["", f"### {t['title']}", "", "| " + " | ".join(t["headers"]) + " |",
                  "| " + " | ".join("---" for _ in t["headers"]) + " |"]
        lines += ["| " + " | ".join(_fmt(v) for v in r) + " |" for r in t["rows"]]
    for f in result["figures"]:
        lines += ["", f"![{f[:-4]}]({f})"]
    if result["notes"]:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in result["notes"]]
    return "\n".join(lines) + "\n"


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def run(name, out="runs/lab", quick=False, seed=0, verbose=True) -> dict:
    """Run one experiment; write OUT/NAME/result.json, report.md and its figures; return the
    result (a dict)."""
    exp = get(name)
    folder = os.path.join(str(out), name)
    os.makedirs(folder, exist_ok=True)
    lab = Lab(name, folder, quick=bool(quick), seed=int(seed), verbose=verbose)
    lab.log(f"{name} ({exp.lecture}): {exp.claim}")
    gn.manual_seed(seed)
    t0 = time.perf_counter()
    exp.fn(lab)
    seconds = time.perf_counter() - t0
    if not lab.claims:
        raise RuntimeError(f"lab: experiment {name!r} recorded no claim")
    result = {"name": name, "lecture": exp.lecture, "claim": exp.claim, "quick": lab.quick,
              "seed": lab.seed, "seconds": seconds, "full": exp.full,
              "glassnet": getattr(gn, "__version__", "?"),
              "date": datetime.date.today().isoformat(),
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
              "claims": lab.claims, "figures": lab.figures, "tables": lab.tables,
              "notes": lab.notes, "data": lab.data}
    _write(os.path.join(folder, "result.json"), json.dumps(result, indent=1))
    _write(os.path.join(folder, "report.md"), _report_md(result))
    lab.log(f"  -> {folder} ({seconds:.0f} s)")
    return result


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def report_table(out, base=None) -> str:
    """The results under ``out`` (one folder per experiment) as one Markdown table, in the
    registry's order: experiment, claim, measured, reference, holds. Each experiment links to
    ``BASE/NAME/report.md`` (``base`` defaults to ``out``'s own relative path: right for a page
    written in the working directory)."""
    base = os.path.relpath(str(out)) if base is None else str(base)
    prefix = "" if base in ("", ".") else base.rstrip("/") + "/"
    rows = []
    for name in names():
        path = os.path.join(str(out), name, "result.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            r = json.load(f)
        for c in r["claims"]:
            rows.append(f"| [{name}]({prefix}{name}/report.md) | {c['claim']} | "
                        f"{_fmt(c['measured'])} | "
                        f"{c['reference']} | {'yes' if c['holds'] else '**no**'} |")
    head = ["| experiment | claim | measured | reference | holds |",
            "| --- | --- | --- | --- | --- |"]
    return "\n".join(head + rows) + "\n"
