"""The lab's runner: registry, result.json / report.md / figures, the report table and the CLI."""

from __future__ import annotations

import json

import pytest

from glassnet import lab
from glassnet.cli import main
from glassnet.lab import runner


@pytest.fixture
def toy():
    @lab.experiment("toy-claim", lecture="00 testing", claim="two plus two is four",
                    full="nothing more")
    def toy_claim(L):
        L.claim("2 + 2 = 4", measured=2 + 2, reference="arithmetic", holds=2 + 2 == 4)
        L.claim("a false claim is reported", measured=L.rng.integers(0, 10), reference="none",
                holds=False)
        L.table("numbers", ["a", "b"], [[1, 2.5], [3, float("nan")]])
        with L.figure("line") as fig:
            if fig is not None:
                fig.subplots().plot([0, 1], [0, L.pick(1, 2)])

    runner.registry()
    yield "toy-claim"
    runner._REGISTRY.pop("toy-claim")


def test_run_writes_result_report_and_figure(toy, tmp_path):
    r = lab.run(toy, out=tmp_path, quick=True, seed=3, verbose=False)
    folder = tmp_path / toy
    saved = json.loads((folder / "result.json").read_text())
    assert saved["claims"] == r["claims"]
    assert [c["holds"] for c in saved["claims"]] == [True, False]
    assert saved["quick"] and saved["seed"] == 3 and saved["full"] == "nothing more"
    assert saved["tables"][0]["rows"][1] == [3, "nan"]
    report = (folder / "report.md").read_text()
    assert "| 2 + 2 = 4 | 4 | arithmetic | yes |" in report and "**no**" in report
    pytest.importorskip("matplotlib")
    assert saved["figures"] == ["line.png"] and (folder / "line.png").read_bytes()[:4] == \
        b"\x89PNG"


def test_same_seed_same_result(toy, tmp_path):
    a = lab.run(toy, out=tmp_path / "a", seed=5, verbose=False)
    b = lab.run(toy, out=tmp_path / "b", seed=5, verbose=False)
    assert a["claims"] == b["claims"]


def test_report_table_and_cli(toy, tmp_path, capsys):
    assert main(["lab", "run", toy, "--quick", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["lab", "report", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert f"[{toy}]({__import__('os').path.relpath(tmp_path)}/{toy}/report.md) | 2 + 2 = 4 | 4 " \
        "| arithmetic | yes |" in table
    assert f"| [{toy}]({toy}/report.md) |" in lab.report_table(tmp_path, base="")
    assert main(["lab", "list"]) == 0
    assert toy in capsys.readouterr().out


def test_unknown_experiment_is_one_line_and_status_2(capsys):
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(["lab", "run", "no-such-thing"]))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "unknown experiment 'no-such-thing'" in err and "Traceback" not in err


def test_an_experiment_without_a_claim_is_an_error(tmp_path):
    @lab.experiment("toy-empty", lecture="00", claim="nothing")
    def empty(L):
        pass

    try:
        with pytest.raises(RuntimeError, match="recorded no claim"):
            lab.run("toy-empty", out=tmp_path, verbose=False)
    finally:
        runner._REGISTRY.pop("toy-empty")
