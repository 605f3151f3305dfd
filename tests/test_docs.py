"""The documentation runs: every ```python block of docs/*.md and docs/lectures/*.md, page by page.

Each page's blocks run in order in one namespace (so a later block may use what an earlier one
defined), in a fresh temporary directory, with glassnet's generator seeded at 0. A block preceded
by the line ``<!-- no-test -->`` is skipped (reserved for blocks that need a real dataset on disk
or a long training run). Relative links between the pages must point at files that exist.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + sorted(DOCS.glob("lectures/*.md"))
REQUIRED = ["index.md", "tensors-and-autograd.md", "layers-and-losses.md", "convolution.md",
            "optimisation.md", "training.md", "performance.md"]
NO_TEST = "<!-- no-test -->"
FENCE = re.compile(r"^```(\w*)\s*$")


def code_blocks(path: Path):
    """``(first_line_number, code, skipped)`` for every ```python block of a Markdown page."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i + 1
        j = start
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if j == len(lines):
            raise AssertionError(f"{path.name}:{i + 1}: code fence is never closed")
        if lang == "python":
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            skipped = k >= 0 and lines[k].strip() == NO_TEST
            blocks.append((start + 1, "\n".join(lines[start:j]), skipped))
        i = j + 1
    return blocks


def test_required_pages_exist():
    missing = [p for p in REQUIRED if not (DOCS / p).exists()]
    assert not missing, f"docs pages missing: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_page_code_runs(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import glassnet as gn

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "data"))
    gn.manual_seed(0)
    namespace = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    blocks = code_blocks(page)
    for line, code, skipped in blocks:
        if skipped:
            continue
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)  # noqa: S102
        except Exception as exc:
            raise AssertionError(f"{page.name}, code block at line {line} failed: "
                                 f"{type(exc).__name__}: {exc}") from exc


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {slug(m) for m in re.findall(r"^#+\s+(.*)$", text, flags=re.MULTILINE)}


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_relative_links_resolve(page):
    text = page.read_text(encoding="utf-8")
    # links inside code blocks are not links
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        dest = page if not path else page.parent / path
        if not dest.exists() or (anchor and dest.suffix == ".md" and anchor not in anchors(dest)):
            broken.append(target)
    assert not broken, f"{page.name}: links to missing files or headings: {broken}"


def test_slug():
    assert slug("Losses, and cross-entropy's gradient softmax − y") == \
        "losses-and-cross-entropys-gradient-softmax--y"
    assert slug("Channels, groups, 1×1, factorised and separable convolutions") == \
        "channels-groups-11-factorised-and-separable-convolutions"
    assert slug("The `glassnet` command") == "the-glassnet-command"


def test_block_parser(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("text\n\n```python\na = 1\n```\n\n<!-- no-test -->\n\n```python\nb = 2\n```\n"
                  "```sh\nls\n```\n", encoding="utf-8")
    assert code_blocks(md) == [(4, "a = 1", False), (10, "b = 2", True)]
    assert os.path.exists(md)
