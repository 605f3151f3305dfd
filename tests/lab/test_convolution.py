"""The convolution experiments: registered with references and figures; the exact ones run in
quick mode, the measurements of the others on tiny sizes."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import lab, nn
from glassnet.analysis import receptive_field
from glassnet.lab.experiments import convolution as C
from glassnet.nn import functional as F

NAMES = ("convolution-as-matrix", "transposed-convolution", "factorized-convolution",
         "border-modes", "receptive-fields")


def test_registered_with_lecture_claim_and_full_run():
    reg = lab.registry()
    for name in NAMES:
        exp = reg[name]
        assert exp.lecture and exp.claim and exp.full
        assert exp.fn.__module__ == "glassnet.lab.experiments.convolution"


@pytest.mark.parametrize("name", ["convolution-as-matrix", "transposed-convolution"])
def test_exact_experiments_run_quick(name, tmp_path):
    r = lab.run(name, out=tmp_path, quick=True, verbose=False)
    assert len(r["claims"]) >= 2 and all(c["reference"] for c in r["claims"])
    if name == "convolution-as-matrix":
        assert all(c["holds"] for c in r["claims"])
    else:  # glassnet = the slides' rule and = M^T; two printed cells per slide disagree
        assert [c["holds"] for c in r["claims"]] == [True, True, False]
    pytest.importorskip("matplotlib")
    assert r["figures"] and all((tmp_path / name / f).exists() for f in r["figures"])


def test_conv_matrix_checks_and_structure():
    rows = C.conv_matrix_checks(np.random.default_rng(0))
    assert all(r["forward"] and r["gradient"] and r["transposed"] for r in rows)
    st = C.structure_checks(np.random.default_rng(1))
    assert st["toeplitz"] and st["circulant"]
    assert st["fourier_offdiag"] < 1e-12 and st["fourier_eig_err"] < 1e-12
    assert not C.structure_checks(np.random.default_rng(1))["zero"][0, -1]  # no wrap-around


def test_worked_examples_follow_the_slides_rule():
    out, matrix = C.worked_examples()
    assert all(matrix.values())
    for got, rule, _ in out.values():
        np.testing.assert_array_equal(got, rule)
    for s in (3, 2):  # printed exactly on the slides
        got, _, slide = out[f"transposed, stride {s}"]
        np.testing.assert_array_equal(got, slide)
    # the rule itself: pasting at stride 1 is a full convolution with the (symmetric) mask
    y = np.arange(6.0).reshape(2, 3)
    full = F.conv2d(gn.tensor(y[None, None]), gn.tensor(C.MASK[None, None]), padding=2)
    np.testing.assert_array_equal(C.paste_and_sum(y, C.MASK, 1), full.numpy()[0, 0])


def test_multiply_adds_counted_as_matrix_non_zeros():
    assert C.slide_count() == {"full_formula": 176_400, "factorized_formula": 75_600,
                               "full_matrix": 176_400, "factorized_matrix": 75_600}
    conv = nn.Conv2d(2, 3, 3, padding=1)
    # with padding, taps on the border read zeros: fewer than 3*2*9 per output position
    n = C.matrix_multiply_adds(conv, (2, 6, 6))
    assert n == 3 * 2 * (4 * 4 * 9 + 4 * 4 * 6 + 4 * 4) and n < 3 * 2 * 9 * 36


@pytest.mark.parametrize("kind", C.FACTORIZATIONS)
def test_factorized_blocks_keep_shape_and_field(kind):
    block = C.factorized_block(kind, 4, 4)
    x = gn.tensor(np.random.default_rng(0).standard_normal((1, 4, 9, 9)).astype(np.float32))
    assert tuple(block(x).shape) == (1, 4, 9, 9)
    assert receptive_field(nn.Sequential(block), (4, 9, 9))[-1]["receptive_field"] == 5
    _, net = C.factorized_net(kind, (2, 4))
    assert tuple(net(gn.zeros((2, 1, 28, 28))).shape) == (2, 10)
    with pytest.raises(ValueError, match="unknown kind"):
        C.factorized_block("7x7", 1, 1)


def test_border_artefacts_only_at_the_edge():
    scenes = np.random.default_rng(0).random((3, 1, 20, 20)).astype(np.float32)
    art = C.border_artefacts(scenes, C.MASK / 10, value=0.5, crop=4)
    assert art["ignore"]["size"] == 10 and art["zero"]["size"] == 12
    for mode in C.BORDERS:
        assert art[mode]["interior"] < 1e-5
        assert (art[mode]["band"] > 0) == (mode != "ignore")
    # bright scenes: a black surround is the worst guess
    assert art["zero"]["band"] > art["mirror"]["band"]
    with pytest.raises(ValueError, match="border_pad"):
        C.border_pad("torus", 1)
    for mode in C.BORDERS:
        assert tuple(C.border_net(mode, 0.3, (2, 2))(gn.zeros((1, 1, 28, 28))).shape) == (1, 10)


def test_stacks_agree_and_effective_fields_shrink_relatively():
    for _, model, expected in C.receptive_field_stacks():
        assert receptive_field(model, (1, 64, 64))[-1]["receptive_field"] == expected
    eff = C.effective_fields((1, 4, 8), kinds=("uniform",), probes=2)
    rs = eff["uniform"]
    assert [r["support"] for r in rs] == [(3, 3), (9, 9), (17, 17)]
    np.testing.assert_allclose([r["sigma"] for r in rs], np.sqrt(np.array([1, 4, 8]) * 2 / 3),
                               rtol=1e-5)
    assert rs[-1]["gaussian_r2"] > 0.99 and rs[-1]["mass_fraction"] < rs[1]["mass_fraction"]
