"""The lab's results as Markdown for the learner's site (``make docs``).

The lecture pages under ``docs/lectures/`` carry markers that the site's build (the MkDocs hook in
``mkdocs_hooks.py``) replaces with what the lab measured::

    <!-- lab: xor -->               one experiment: its claims table, its figures, a link to its
                                    report
    <!-- lab: match=deform -->      every experiment whose name contains "deform" that no
                                    lecture page names on its own
    <!-- lab: module=training -->   every experiment of glassnet/lab/experiments/training.py that
                                    no lecture page names or matches
    <!-- lab: index -->             every experiment, one line each (docs/lab/index.md)

Results are read from ``LAB_DIR/NAME/result.json`` (``glassnet lab run NAME --out docs/lab``
writes them). An experiment that has not been run gets a line saying how to run it, so that the
site always builds.
"""

from __future__ import annotations

import json
import os
import posixpath
import re

from glassnet.lab.runner import _fmt, registry

__all__ = ["expand", "experiment_markdown", "index_markdown", "load_result", "placements",
           "report_pages", "run_command"]

MARKER = re.compile(r"<!--\s*lab:\s*([\w.=-]+)\s*-->")


def run_command(name) -> str:
    """The command that writes ``name``'s results where the site reads them."""
    return f"glassnet lab run {name} --quick --out docs/lab"


def load_result(lab_dir, name):
    """``LAB_DIR/NAME/result.json`` as a dict, or None when it is absent or unreadable."""
    path = os.path.join(str(lab_dir), name, "result.json")
    try:
        with open(path, encoding="utf-8") as f:
            result = json.load(f)
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and result.get("claims") is not None else None


def _names(lab_dir) -> list:
    """Registered experiments in the lectures' order, then result folders of any other name."""
    names = list(registry())
    if os.path.isdir(str(lab_dir)):
        names += sorted(n for n in os.listdir(str(lab_dir)) if n not in names and
                        os.path.isfile(os.path.join(str(lab_dir), n, "result.json")))
    return names


def report_pages(lab_dir) -> list:
    """``[(name, "lab/NAME/report.md")]`` for every experiment with a report under ``lab_dir``."""
    return [(n, f"lab/{n}/report.md") for n in _names(lab_dir)
            if os.path.isfile(os.path.join(str(lab_dir), n, "report.md"))]


def _markers(text) -> list:
    return MARKER.findall(text)


def _module(exp) -> str:
    return getattr(exp.fn, "__module__", "").rsplit(".", 1)[-1]


def placements(lectures_dir) -> dict:
    """``{experiment: page}``: the lecture page (a file name under ``lectures_dir``) that shows
    each experiment, from the pages' markers. A name marker wins over a ``match=`` marker (a part
    of the name), which wins over a ``module=`` marker; among equals the first page in name order
    wins."""
    pages = sorted(p for p in os.listdir(str(lectures_dir)) if p.endswith(".md")) \
        if os.path.isdir(str(lectures_dir)) else []
    named, matches, modules = {}, {}, {}
    for page in pages:
        with open(os.path.join(str(lectures_dir), page), encoding="utf-8") as f:
            for m in _markers(f.read()):
                if m.startswith("module="):
                    modules.setdefault(m[len("module="):], page)
                elif m.startswith("match="):
                    matches.setdefault(m[len("match="):], page)
                elif m != "index":
                    named.setdefault(m, page)
    out = dict(named)
    for name, exp in registry().items():
        if name in out:
            continue
        hit = [page for part, page in matches.items() if part in name]
        if hit:
            out[name] = hit[0]
        elif _module(exp) in modules:
            out[name] = modules[_module(exp)]
    return out


def _cell(value) -> str:
    """A value as the text of one Markdown table cell."""
    text = value if isinstance(value, str) else _fmt(value)
    text = " ".join(str(text).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")


def _on_disk(lab_dir):
    """``exists(path)`` for paths ``lab/NAME/FILE`` (relative to docs/): is it under ``lab_dir``?"""
    return lambda path: os.path.isfile(os.path.join(str(lab_dir), *path.split("/")[1:]))


def _rel(target, page_dir) -> str:
    return posixpath.relpath(target, page_dir or ".")


def experiment_markdown(name, lab_dir, page_dir="", heading="###", exists=None) -> str:
    """Markdown for one experiment on a page in ``page_dir`` (relative to docs/): a heading, the
    claim, the claims table (claim, measured, reference, holds), the figures and a link to the
    report; or, when it has not been run, how to run it. ``exists(path)``, ``path`` relative to
    docs/, says whether the site has a file (default: whether it is under ``lab_dir``)."""
    exists = exists or _on_disk(lab_dir)
    exp = registry().get(name)
    result = load_result(lab_dir, name)
    claim = result["claim"] if result else (exp.claim if exp else "")
    lines = [f"{heading} Lab: {name}", ""]
    if claim:
        lines += [f"*Claim:* {_cell(claim)}", ""]
    if result is None:
        what = "is not a registered experiment" if exp is None else "has not been run yet"
        lines += [f"This experiment {what}: `{run_command(name)}` writes its results here.", ""]
        return "\n".join(lines)
    folder = f"lab/{name}"
    lines += ["| claim | measured | reference | holds |", "| --- | --- | --- | --- |"]
    for c in result["claims"]:
        lines.append(f"| {_cell(c.get('claim', ''))} | {_cell(c.get('measured', ''))} | "
                     f"{_cell(c.get('reference', ''))} | "
                     f"{'yes' if c.get('holds') else '**no**'} |")
    lines.append("")
    for fig in result.get("figures", []):
        if exists(f"{folder}/{fig}"):
            lines += [f"![{name}: {fig[:-4]}]({_rel(f'{folder}/{fig}', page_dir)})", ""]
    how = "a quick run" if result.get("quick") else "a full run"
    seconds = result.get("seconds")
    took = f", {seconds:.0f} s" if isinstance(seconds, (int, float)) else ""
    link = f"[the report]({_rel(f'{folder}/report.md', page_dir)})" \
        if exists(f"{folder}/report.md") else "its report.md"
    lines += [(f"Measured by {how} (seed {result.get('seed', 0)}{took}); {link} has every "
               f"table and note. Rerun: `{run_command(name)}`."), ""]
    return "\n".join(lines)


def index_markdown(lab_dir, page_dir="lab", lectures_dir=None, exists=None) -> str:
    """Every experiment, one line each: its claims that hold, its lecture page and its report."""
    exists = exists or _on_disk(lab_dir)
    where = placements(lectures_dir) if lectures_dir else {}
    lines = ["| experiment | lecture | claim | holds | page |", "| --- | --- | --- | --- | --- |"]
    for name in _names(lab_dir):
        exp = registry().get(name)
        result = load_result(lab_dir, name)
        lecture = result["lecture"] if result else (exp.lecture if exp else "")
        claim = result["claim"] if result else (exp.claim if exp else "")
        if result is not None and exists(f"lab/{name}/report.md"):
            title = f"[{name}]({_rel(f'lab/{name}/report.md', page_dir)})"
        else:
            title = name
        if result is None:
            holds = f"not run: `{run_command(name)}`"
        else:
            n = sum(bool(c.get("holds")) for c in result["claims"])
            holds = f"{n} of {len(result['claims'])}" + (" (quick run)" if result.get("quick")
                                                          else "")
        page = where.get(name)
        page = f"[{page[:-3]}]({_rel(f'lectures/{page}', page_dir)})" if page else ""
        lines.append(f"| {title} | {_cell(lecture)} | {_cell(claim)} | {holds} | {page} |")
    return "\n".join(lines) + "\n"


def expand(markdown, page_path, lab_dir, lectures_dir=None, exists=None) -> str:
    """``markdown`` (the page at ``page_path``, relative to docs/) with its lab markers replaced.
    On a lecture page, a ``module=`` or ``match=`` marker expands to the experiments that
    ``placements`` gives to this page and that the page does not name."""
    page_dir = posixpath.dirname(page_path)
    where = placements(lectures_dir) if lectures_dir and "=" in markdown else {}
    page_name = posixpath.basename(page_path)
    here = set(_markers(markdown))
    shown = set()  # each experiment once per page, at the first marker that gives it

    def sub(m):
        key = m.group(1)
        if key == "index":
            return index_markdown(lab_dir, page_dir, lectures_dir, exists)
        if "=" in key:
            kind, _, value = key.partition("=")
            names = [n for n, e in registry().items()
                     if where.get(n) == page_name and n not in here and n not in shown
                     and (value in n if kind == "match" else _module(e) == value)]
        else:
            names = [key] if key not in shown else []
        shown.update(names)
        return "\n".join(experiment_markdown(n, lab_dir, page_dir, exists=exists)
                         for n in names)

    out = MARKER.sub(sub, markdown)
    if here and "index" not in here and \
            not re.search(r"^#+ Lab: ", out, flags=re.MULTILINE):
        out += ("\n\nThe lab has no experiment on this topic yet; "
                f"[the lab]({_rel('lab/index.md', page_dir)}) lists those there are.\n")
    return out
