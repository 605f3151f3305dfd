"""benchmarks/bench_peers.py: missing peers are reported, not raised; the peers' steps do the
same work as PyTorch's (same losses from the same weights). Tiny workloads, no timing checks."""

import sys

import pytest

from benchmarks import bench_peers, harness


@pytest.fixture(autouse=True)
def _cpu(monkeypatch):
    """The variables peer_status sets (JAX and tinygrad on the CPU), undone after each test."""
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.setenv("DEV", "CPU")


@pytest.fixture
def no_peers(monkeypatch):
    """Every peer's import fails, as where none is installed."""
    for name in bench_peers.PEERS:
        monkeypatch.setitem(sys.modules, name, None)


def test_missing_peers_are_not_installed(no_peers):
    assert bench_peers.peer_status() == {p: (None, "not installed") for p in bench_peers.PEERS}


def test_run_without_peers_prints_not_installed(no_peers, capsys):
    (key, rows), = bench_peers.measure_all((("mlp", 8),), quick=True)
    assert key == ("mlp", 8)
    assert rows["glassnet"]["same"] and rows["glassnet"]["s"] > 0
    assert rows["jax"] == {"note": "not installed"}
    out = capsys.readouterr().out
    assert "| MLP 784-500-150-10, batch 8 |" in out and out.count("not installed") == 3


def test_parse_only():
    assert bench_peers.parse_only("lenet5,mlp:64") == (("lenet5", 64), ("lenet5", 256),
                                                       ("mlp", 64))
    with pytest.raises(SystemExit, match="unknown workload 'vgg'"):
        bench_peers.parse_only("vgg")


def test_run_blocks_turns_the_order_each_round():
    calls = []
    fns = {k: (lambda k=k: calls.append(k)) for k in "abc"}
    times, blocks, reps = harness.run_blocks(fns, blocks=3, reps=1, warmup=0)
    assert (blocks, reps) == (3, 1) and all(len(v) == 3 for v in times.values())
    assert "".join(calls) == "abcbcacab"


def _torch_losses(model, batch):
    pairs, state, x, y = bench_peers.glassnet_torch_steps(model, batch)
    return pairs[1][0].losses, state, x, y


@pytest.mark.slow
def test_jax_step_gives_pytorch_losses():
    """resnet8 (batch norm, option-A shortcuts, momentum): the same three losses."""
    pytest.importorskip("jax")
    ref, state, x, y = _torch_losses("resnet8", 2)
    step, fn = bench_peers.jax_step("resnet8", state, x, y)
    assert step.losses == pytest.approx(ref, abs=1e-5)
    assert step.compile_s > 0
    fn()


@pytest.mark.slow
def test_tinygrad_step_gives_pytorch_losses():
    pytest.importorskip("tinygrad")
    if bench_peers.peer_status(("tinygrad",))["tinygrad"][0] is None:
        pytest.skip("tinygrad cannot run here (no clang for its CPU device)")
    ref, state, x, y = _torch_losses("mlp", 8)
    step, _ = bench_peers.tinygrad_step("mlp", state, x, y)
    assert step.losses == pytest.approx(ref, abs=1e-5)
