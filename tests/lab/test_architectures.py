"""The architecture experiments (glassnet/lab/experiments/architectures.py): registered with a
claim and a reference; one run end to end at a tiny size; the pieces on small inputs."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import lab
from glassnet.lab import runner
from glassnet.lab.experiments import architectures as A

NAMES = ("lenet5-1998", "mnist1d-inductive-bias", "depth-residual")


def test_experiments_are_registered_with_lecture_claim_and_full_run():
    reg = runner.registry()
    for name in NAMES:
        e = reg[name]
        assert e.lecture and e.claim and e.full
        assert e.fn.__module__ == A.__name__


def test_mnist1d_end_to_end_at_a_tiny_size(tmp_path, monkeypatch):
    monkeypatch.setattr(runner.Lab, "pick", lambda self, quick, full: 5)  # 5 training steps
    r = lab.run("mnist1d-inductive-bias", out=tmp_path, quick=True, verbose=False)
    assert len(r["claims"]) == 2 and all("Greydanus" in c["reference"] for c in r["claims"])
    assert set(r["data"]["accuracy"]) == {"logistic regression", "MLP", "CNN", "GRU"}
    assert r["data"]["parameters"] == {"logistic regression": 410, "MLP": 15_210, "CNN": 5_210,
                                       "GRU": 5_134}
    assert r["figures"] in ([], ["accuracies.png"])


def test_mnist1d_models_read_40_samples():
    x = gn.randn(3, 40)
    with gn.no_grad():
        for name, m in A.mnist1d_models().items():
            assert m(x).shape == (3, 10), name


def test_train_steps_fits_a_separable_problem():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    x = rng.standard_normal((200, 40)).astype(np.float32)
    x[:, 0] += 3.0 * (2 * y - 1)
    gn.manual_seed(0)
    model = A.train_steps(gn.nn.Linear(40, 2), x, y, 60, rng, batch_size=50)
    with gn.no_grad():
        assert (model(gn.tensor(x)).numpy().argmax(1) == y).mean() > 0.95


def test_lenet_input_is_the_papers_normalisation():
    x = np.zeros((1, 1, 28, 28), np.float32)
    x[0, 0, 10, 10] = 1.0
    out = A.lenet_input(x)
    assert out.shape == (1, 1, 32, 32)
    np.testing.assert_allclose(out[0, 0, 12, 12], 1.175, rtol=1e-6)
    np.testing.assert_allclose(out[0, 0, 0, 0], -0.1, rtol=1e-6)
    np.testing.assert_allclose(out[0, 0, 5, 20], -0.1, rtol=1e-6)


def test_pooled_averages_blocks():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    np.testing.assert_allclose(A._pooled(x, 2)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
