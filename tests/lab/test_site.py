"""glassnet.lab.site: the lab markers of the site's pages become tables, figures and links."""

from __future__ import annotations

import json

from glassnet.lab import site as lab_site


def _fake_result(folder, name, holds=(True, False), figures=("curve.png",)):
    folder = folder / name
    folder.mkdir(parents=True)
    for f in figures:
        (folder / f).write_bytes(b"\x89PNG\r\n\x1a\n")
    claims = [{"claim": f"claim {i} | with a bar", "measured": [0.5, 2], "reference": "ref",
               "holds": h} for i, h in enumerate(holds)]
    (folder / "result.json").write_text(json.dumps(
        {"name": name, "lecture": "004 lecture", "claim": "the claim", "quick": True, "seed": 0,
         "seconds": 3.2, "claims": claims, "figures": list(figures) + ["missing.png"],
         "tables": [], "notes": []}), encoding="utf-8")
    (folder / "report.md").write_text(f"# {name}\n", encoding="utf-8")


def test_lab_markers_expand(tmp_path):
    lab, lectures = tmp_path / "lab", tmp_path / "lectures"
    lectures.mkdir()
    _fake_result(lab, "xor")
    (lectures / "neurons.md").write_text("# N\n\n<!-- lab: xor -->\n\n<!-- lab: perceptron -->\n"
                                         "<!-- lab: module=neurons -->\n", encoding="utf-8")
    md = lab_site.expand((lectures / "neurons.md").read_text(encoding="utf-8"),
                         "lectures/neurons.md", str(lab), str(lectures))
    assert "### Lab: xor" in md and "### Lab: perceptron" in md
    assert "| claim 0 \\| with a bar | [0.5, 2] | ref | yes |" in md
    assert "| claim 1 \\| with a bar | [0.5, 2] | ref | **no** |" in md
    assert "![xor: curve](../lab/xor/curve.png)" in md and "missing.png" not in md
    assert "[the report](../lab/xor/report.md)" in md
    # not run: says how, and the build does not need its files
    assert "`glassnet lab run perceptron --quick --out docs/lab`" in md
    # the module marker adds the module's other experiments, not those named on the page
    assert md.count("### Lab: xor") == 1 and "### Lab: mcculloch-pitts" in md
    index = lab_site.index_markdown(str(lab), "lab", str(lectures))
    assert "| [xor](xor/report.md) | 004 lecture | the claim | 1 of 2 (quick run) | " \
           "[neurons](../lectures/neurons.md) |" in index
    assert "not run: `glassnet lab run perceptron --quick --out docs/lab`" in index
    assert lab_site.report_pages(str(lab)) == [("xor", "lab/xor/report.md")]


def test_lab_page_without_experiments_says_so(tmp_path):
    md = lab_site.expand("# T\n\n<!-- lab: match=no-such-experiment -->\n",
                         "lectures/t.md", str(tmp_path / "lab"), str(tmp_path))
    assert "The lab has no experiment on this topic yet" in md
    assert "[the lab](../lab/index.md)" in md
