"""Convolution itself (lectures 000-002): a sparse matrix, its transpose, cheaper factorised
kernels, what happens at the border, and how far a stack of convolutions sees.

* ``convolution-as-matrix``: conv(x) = M x with M sparse and weight-shared (Toeplitz; circulant
  with wrap-around borders); M^T is the transposed convolution and the input gradient.
* ``transposed-convolution``: the lecture's worked examples, number for number.
* ``factorized-convolution``: 5x5 vs two 3x3 vs 5x1 + 1x5 vs depthwise-separable: weights,
  multiply-adds, receptive field and accuracy on Fashion-MNIST.
* ``border-modes``: ignore (valid), zero, mirror, edge, wrap and constant borders.
* ``receptive-fields``: the theoretical field of a stack against the gradient's, and the
  effective (Gaussian, sqrt-depth) field of Luo et al. 2016.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.analysis import (
    conv_matrix,
    conv_param_comparison,
    count_parameters,
    edge_kernels,
    empirical_receptive_field,
    receptive_field,
    summary,
)
from glassnet.lab.common import accuracy, fit
from glassnet.lab.datasets import fashion_mnist
from glassnet.lab.runner import experiment
from glassnet.nn import functional as F


def _ok(flag):
    return "exact" if flag else "DIFFERS"


def _nnz(m):
    """Stored non-zeros of a conv_matrix result (SciPy sparse or dense)."""
    return int(m.nnz) if hasattr(m, "nnz") else int(np.count_nonzero(m))


def _linear_map_matrix(fn, shape):
    """The matrix of the linear map ``fn`` on one (C, *S) = ``shape`` input: column j is
    fn(e_j), all unit impulses run as one batch."""
    n = math.prod(shape)
    eye = gn.tensor(np.eye(n).reshape((n,) + tuple(shape)))
    return fn(eye).numpy().reshape(n, -1).T


# ====================================================================== convolution-as-matrix
_GEOMETRIES = (  # (label, C_in, C_out, conv keyword arguments) on a 7 x 7 input
    ("3x3, no padding", 2, 3, {}),
    ("3x3, padding 1", 2, 3, {"padding": 1}),
    ("3x3, stride 2, padding 1", 2, 3, {"stride": 2, "padding": 1}),
    ("3x3, dilation 2, padding 2", 2, 3, {"dilation": 2, "padding": 2}),
    ("3x3, 2 groups, stride 2", 2, 4, {"stride": 2, "groups": 2}),
)


def conv_matrix_checks(rng, size=7):
    """For each geometry in ``_GEOMETRIES``: does ``conv2d(x)`` equal ``M x``, the input
    gradient of ``<conv2d(x), v>`` equal ``M^T v``, and ``conv_transpose2d(v)`` equal ``M^T v``?

    Weights and inputs are small non-zero integers in float64, so every sum is exact and
    equality is tested with ``==``, not a tolerance. Returns one dict per geometry.
    """
    rows = []
    for label, c_in, c_out, geo in _GEOMETRIES:
        groups = geo.get("groups", 1)
        w = rng.choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], size=(c_out, c_in // groups, 3, 3))
        x = rng.integers(-4, 5, size=(1, c_in, size, size)).astype(np.float64)
        m = conv_matrix(w, (c_in, size, size), sparse=False, **geo)
        xt = gn.tensor(x, requires_grad=True)
        y = F.conv2d(xt, gn.tensor(w), **geo)
        v = rng.integers(-4, 5, size=tuple(y.shape)).astype(np.float64)
        (y * gn.tensor(v)).sum().backward()
        s, p, d = geo.get("stride", 1), geo.get("padding", 0), geo.get("dilation", 1)
        out_pad = size - ((y.shape[-1] - 1) * s - 2 * p + d * 2 + 1)
        z = F.conv_transpose2d(gn.tensor(v), gn.tensor(w), stride=s, padding=p,
                               output_padding=out_pad, groups=groups, dilation=d)
        mtv = m.T @ v.ravel()
        rows.append({"geometry": label, "matrix": m.shape,
                     "density": np.count_nonzero(m) / m.size,
                     "forward": bool(np.array_equal(y.detach().numpy().ravel(), m @ x.ravel())),
                     "gradient": bool(np.array_equal(xt.grad.numpy().ravel(), mtv)),
                     "transposed": bool(np.array_equal(z.numpy().ravel(), mtv))})
    return rows


def structure_checks(rng, n=8):
    """Zero padding makes a 1-D convolution's matrix Toeplitz (constant along diagonals);
    wrap-around padding makes it circulant (each row the previous one rotated), and a circulant
    matrix is diagonalised by the discrete Fourier transform, with the kernel's spectrum as
    eigenvalues. Returns the three matrices and the measured deviations."""
    w = gn.tensor(rng.choice([-2.0, -1.0, 1.0, 2.0, 3.0], size=(1, 1, 3)))
    zero = _linear_map_matrix(lambda e: F.conv1d(e, w, padding=1), (1, n))
    wrap = _linear_map_matrix(lambda e: F.conv1d(F.pad(e, (1, 1), mode="circular"), w), (1, n))
    toeplitz = all(np.array_equal(np.diag(zero, k)[1:], np.diag(zero, k)[:-1])
                   for k in range(-n + 1, n))
    circulant = all(np.array_equal(wrap[i], np.roll(wrap[0], i)) for i in range(n))
    f = np.fft.fft(np.eye(n))
    d = f @ wrap @ np.linalg.inv(f)
    off = np.abs(d - np.diag(np.diag(d))).max() / np.abs(np.diag(d)).max()
    spectrum = np.fft.fft(wrap[:, 0])  # eigenvalues = DFT of the first column
    eig_err = np.abs(np.diag(d) - spectrum).max()
    # 2-D wrap-around: doubly block circulant, diagonalised by the 2-D DFT (kron of two DFTs)
    w2 = gn.tensor(rng.choice([-2.0, -1.0, 1.0, 2.0], size=(1, 1, 3, 3)))
    wrap2 = _linear_map_matrix(lambda e: F.conv2d(F.pad(e, (1, 1, 1, 1), mode="circular"), w2),
                               (1, 5, 5))
    f2 = np.kron(np.fft.fft(np.eye(5)), np.fft.fft(np.eye(5)))
    d2 = f2 @ wrap2 @ np.linalg.inv(f2)
    off2 = np.abs(d2 - np.diag(np.diag(d2))).max() / np.abs(np.diag(d2)).max()
    return {"zero": zero, "wrap": wrap, "toeplitz": toeplitz, "circulant": circulant,
            "fourier_offdiag": float(off), "fourier_eig_err": float(eig_err),
            "fourier_offdiag_2d": float(off2)}


def lecture_count():
    """The lecture's count (002 'Sparse interactions', after Goodfellow et al.): a 2 x 1 edge
    kernel on a 320 x 280 image. Returns conv_param_comparison's numbers and, with SciPy, the
    non-zeros of the actual sparse matrix."""
    cmp = conv_param_comparison((320, 280), (2, 1))
    nnz = None
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:
        pass
    else:
        nnz = _nnz(conv_matrix(np.array([[-1.0], [1.0]]), (320, 280), sparse=True))
    return cmp, nnz


@experiment("convolution-as-matrix", lecture="002 CNNs: convolution as a sparse matrix",
            claim="a convolution is multiplication by a sparse, weight-shared (Toeplitz; "
                  "circulant with wrap-around) matrix M, and M^T is the transposed convolution "
                  "and the input gradient",
            full="nothing: the arithmetic is exact, quick and full runs are the same")
def convolution_as_matrix(lab):
    rows = conv_matrix_checks(lab.rng)
    lab.table("conv2d(x) = M x on a 7 x 7 input (small integers, float64: exact sums)",
              ["geometry", "M shape", "non-zero fraction", "conv = M x", "grad = M^T v",
               "conv_transpose = M^T v"],
              [[r["geometry"], f"{r['matrix'][0]} x {r['matrix'][1]}", r["density"],
                _ok(r["forward"]), _ok(r["gradient"]), _ok(r["transposed"])] for r in rows])
    lab.claim("conv2d(x) equals M @ x bit for bit for every geometry tested (padding, stride, "
              "dilation, groups)",
              measured=f"{sum(r['forward'] for r in rows)} of {len(rows)} exact",
              reference="lecture 002, 'Sparse interactions' slides (convolution = multiplication "
                        "by a sparse matrix; after Goodfellow, Bengio and Courville 2016, ch. 9)",
              holds=all(r["forward"] for r in rows))
    lab.claim("M^T @ v equals both conv_transpose2d(v) and the input gradient of <conv2d(x), v> "
              "bit for bit",
              measured=f"{sum(r['transposed'] and r['gradient'] for r in rows)} of {len(rows)} "
                       "exact",
              reference="lecture 001, 'Why is it called transposed convolution?' (the transposed "
                        "matrix computes it); Dumoulin and Visin 2016, 'A guide to convolution "
                        "arithmetic', section 4",
              holds=all(r["transposed"] and r["gradient"] for r in rows))
    cmp, nnz = lecture_count()
    lab.table("The lecture's count: 2 x 1 kernel on a 320 x 280 image",
              ["representation", "stored floats", "float ops (mul + add)"],
              [["dense matrix", cmp["dense"]["stored_floats"], cmp["dense"]["float_ops"]],
               ["sparse matrix", cmp["sparse"]["stored_floats"], cmp["sparse"]["float_ops"]],
               ["convolution (shared kernel)", cmp["shared_kernel"]["stored_floats"],
                cmp["shared_kernel"]["float_ops"]]])
    counted = nnz if nnz is not None else cmp["sparse"]["stored_floats"]
    if nnz is None:
        lab.note("SciPy is not installed: the 320 x 280 matrix was not built; the non-zero count "
                 "is conv_param_comparison's formula (pip install glassnet[sparse]).")
    lab.claim("320 x 280 image, 2 x 1 kernel: the sparse matrix stores 178,640 non-zeros "
              "(dense: 319*280*320*280 ~ 8e9), and convolution costs 267,960 float ops",
              measured=f"non-zeros {counted:,} (density {1 - cmp['sparsity']:.2e}), dense "
                       f"{cmp['dense']['stored_floats']:.3g}, ops "
                       f"{cmp['shared_kernel']['float_ops']:,}",
              reference="lecture 002, 'Sparse interactions' slide: 178,640 stored floats vs "
                        "~8e9; 319*280*3 = 267,960 float ops (source: Goodfellow et al. 2016, "
                        "Fig. 9.6)",
              holds=counted == 178_640 and cmp["dense"]["stored_floats"] == 319 * 280 * 320 * 280
              and cmp["shared_kernel"]["float_ops"] == 267_960)
    st = structure_checks(lab.rng)
    lab.claim("with zero padding M is Toeplitz (constant diagonals); with wrap-around it is "
              "circulant, and the DFT diagonalises it (relative off-diagonal < 1e-12, 1-D and 2-D)",
              measured=f"Toeplitz {st['toeplitz']}, circulant {st['circulant']}, off-diagonal "
                       f"after DFT {st['fourier_offdiag']:.1e} (1-D), "
                       f"{st['fourier_offdiag_2d']:.1e} (2-D)",
              reference="lecture 002 (convolution as a structured sparse matrix); Gray 2006, "
                        "'Toeplitz and circulant matrices: a review', ch. 3 (circulant "
                        "matrices are diagonalised by the DFT)",
              holds=st["toeplitz"] and st["circulant"] and st["fourier_offdiag"] < 1e-12
              and st["fourier_offdiag_2d"] < 1e-12)
    lab.record(geometries=rows, structure={k: v for k, v in st.items()
                                           if k not in ("zero", "wrap")},
               lecture_count=cmp, lecture_count_matrix_nnz=nnz)
    kernel = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
    m2 = conv_matrix(kernel, (5, 5), padding=1, sparse=False)
    with lab.figure("matrices", figsize=(12, 4.2)) as fig:
        if fig is not None:
            panels = [(m2, "3x3 kernel on 5x5, zero padding:\nM (25 x 25), block Toeplitz"),
                      (m2.T, "M^T: the transposed convolution"),
                      (st["wrap"], "1-D kernel, wrap-around:\ncirculant (8 x 8)")]
            for ax, (mat, title) in zip(fig.subplots(1, 3), panels):
                lim = np.abs(mat).max()
                ax.imshow(np.where(mat == 0, np.nan, mat), cmap="coolwarm", vmin=-lim,
                          vmax=lim)
                ax.set_title(title, fontsize=9)
                ax.set_xlabel("input pixel")
                ax.set_ylabel("output pixel")


# ====================================================================== transposed-convolution
# Lecture 001, "Strided convolution" and "Transposed convolution" slides.
MASK = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
PASTE_INPUT = np.array([[4.0, 3.0], [2.0, 0.0]])
PASTE_OUTPUT = {
    3: [[4, 4, 4, 3, 3, 3], [4, 8, 4, 3, 6, 3], [4, 4, 4, 3, 3, 3],
        [2, 2, 2, 0, 0, 0], [2, 4, 2, 0, 0, 0], [2, 2, 2, 0, 0, 0]],
    2: [[4, 4, 7, 3, 3], [4, 8, 7, 6, 3], [6, 6, 9, 3, 3], [2, 4, 2, 0, 0], [2, 2, 2, 0, 0]],
    1: [[4, 7, 7, 3], [6, 13, 12, 3], [6, 11, 12, 3], [2, 4, 2, 0]],
}
WHY_IMAGE = np.array([[4.0, 3, 2, 4], [6, 2, 4, 4], [3, 5, 3, 7], [6, 1, 9, 8]])
WHY_CONV = np.array([[39.0, 38.0], [44.0, 46.0]])
WHY_GRAD = np.array([[2.0, 3.0], [1.0, 0.0]])
WHY_TRANSPOSED = np.array([[2.0, 5, 5, 3], [3, 8, 9, 3], [3, 7, 6, 3], [1, 1, 1, 0]])
STRIDED_IMAGE = np.array([[2.0, 6, 5, 8, 1, 1, 2], [8, 2, 4, 4, 5, 9, 3], [3, 5, 3, 7, 6, 0, 1],
                          [5, 1, 9, 8, 7, 0, 4], [2, 1, 1, 2, 7, 1, 6], [1, 8, 3, 7, 5, 8, 0],
                          [4, 1, 6, 9, 5, 7, 0]])
STRIDED_OUTPUT = np.array([[4.0, 4.7, 3.7], [4.3, 5.8, 3.6], [3.5, 5.2, 4.7]])


def _t(a):
    return gn.tensor(np.asarray(a, np.float64)[None, None])


def paste_and_sum(x, kernel, stride):
    """The slides' rule for transposed convolution, as plain loops: paste ``kernel`` scaled by
    every input value at ``stride`` and sum where the pastes overlap."""
    k = kernel.shape[0]
    out = np.zeros(((x.shape[0] - 1) * stride + k, (x.shape[1] - 1) * stride + k))
    for (i, j), v in np.ndenumerate(x):
        out[i * stride:i * stride + k, j * stride:j * stride + k] += v * kernel
    return out


def window_sums(x, kernel, stride):
    """The slides' rule for (strided) convolution, as plain loops: the kernel-weighted sum of
    the window at every ``stride``-th pixel."""
    k = kernel.shape[0]
    n = (x.shape[0] - k) // stride + 1, (x.shape[1] - k) // stride + 1
    return np.array([[(x[i * stride:i * stride + k, j * stride:j * stride + k] * kernel).sum()
                      for j in range(n[1])] for i in range(n[0])])


def worked_examples():
    """glassnet on the lecture's six worked examples. Returns {name: (glassnet, rule, slide)}
    with ``rule`` the same numbers from ``paste_and_sum`` / ``window_sums``, and the matrix
    checks: conv_transpose2d(y) == conv_matrix(mask, stride=s).T @ y for s = 1, 2, 3."""
    out = {}
    for s, slide in PASTE_OUTPUT.items():
        got = F.conv_transpose2d(_t(PASTE_INPUT), _t(MASK), stride=s).numpy()[0, 0]
        out[f"transposed, stride {s}"] = (got, paste_and_sum(PASTE_INPUT, MASK, s),
                                          np.array(slide, np.float64))
    out["'why transposed': M^T y"] = (F.conv_transpose2d(_t(WHY_GRAD), _t(MASK)).numpy()[0, 0],
                                      paste_and_sum(WHY_GRAD, MASK, 1), WHY_TRANSPOSED)
    out["'why transposed': M x"] = (F.conv2d(_t(WHY_IMAGE), _t(MASK)).numpy()[0, 0],
                                    window_sums(WHY_IMAGE, MASK, 1), WHY_CONV)
    # the slide prints one decimal: compare rounded values
    out["strided, stride 2"] = (
        np.round(F.conv2d(_t(STRIDED_IMAGE), _t(MASK / 10), stride=2).numpy()[0, 0], 1),
        np.round(window_sums(STRIDED_IMAGE, MASK / 10, 2), 1), STRIDED_OUTPUT)
    matrix = {}
    for s in (1, 2, 3):
        size = (PASTE_INPUT.shape[0] - 1) * s + 3
        m = conv_matrix(MASK, (size, size), stride=s, sparse=False)
        got = F.conv_transpose2d(_t(PASTE_INPUT), _t(MASK), stride=s).numpy().ravel()
        matrix[s] = bool(np.array_equal(got, m.T @ PASTE_INPUT.ravel()))
    m4 = conv_matrix(MASK, (4, 4), sparse=False)
    matrix["why"] = bool(np.array_equal(m4.T @ WHY_GRAD.ravel(), WHY_TRANSPOSED.ravel()))
    return out, matrix


@experiment("transposed-convolution",
            lecture="001 shallow and deep nets: strided and transposed convolution",
            claim="transposed convolution pastes the kernel, scaled by each input value, at "
                  "stride s and sums overlaps; it is multiplication by the transposed matrix of "
                  "the strided convolution",
            full="nothing: the arithmetic is exact, quick and full runs are the same")
def transposed_convolution(lab):
    out, matrix = worked_examples()
    rows, diffs = [], []
    for name, (got, rule, slide) in out.items():
        rows.append([name, f"{got.shape[0]} x {got.shape[1]}",
                     "yes" if np.array_equal(got, rule) else "no",
                     f"{int((got == slide).sum())} / {slide.size}"])
        diffs += [f"{name} ({i},{j}): slide {slide[i, j]:g}, glassnet and the rule "
                  f"{got[i, j]:g}" for i, j in zip(*np.nonzero(got != slide))]
    lab.table("glassnet against the slides' rule (NumPy loops) and the slides' printed numbers",
              ["example", "output", "glassnet = rule", "cells equal to the slide"], rows)
    lab.claim("conv_transpose2d and strided conv2d equal the slides' rules, computed "
              "independently by loops (paste the mask scaled by each input value at stride s, "
              "summing overlaps; weighted window sums at every s-th pixel), on all six worked "
              "examples",
              measured=f"{sum(np.array_equal(g, r) for g, r, _ in out.values())} of {len(out)} "
                       "exact",
              reference="lecture 001, 'Transposed convolution' slides ('paste the scaled mask "
                        "into the result image, sum up overlapping patches'; 3x3 mask with "
                        "stride 3, 2, 1) and 'Strided convolution: stride 2'",
              holds=all(np.array_equal(g, r) for g, r, _ in out.values()))
    lab.claim("transposed convolution = multiplication by the transposed matrix of the strided "
              "convolution (stride 1, 2, 3), and M^T [[2,3],[1,0]] gives the slide's 4x4 result",
              measured=", ".join(f"stride {k}: {_ok(v)}" for k, v in matrix.items()
                                 if k != "why") + f"; slide example: {_ok(matrix['why'])}",
              reference="lecture 001, 'Why is it called transposed convolution?' slides "
                        "([[2,5,5,3],[3,8,9,3],[3,7,6,3],[1,1,1,0]])",
              holds=all(matrix.values()))
    n_cells = sum(s.size for _, _, s in out.values())
    lab.claim("every number printed in the six worked examples is reproduced",
              measured=f"{n_cells - len(diffs)} of {n_cells} cells; differing: "
                       + ("; ".join(diffs) if diffs else "none"),
              reference="lecture 001, 'Strided convolution', 'Transposed convolution' and 'Why "
                        "is it called transposed convolution?' slides",
              holds=not diffs)
    if diffs:
        lab.note("Where glassnet differs from a printed number, the slide's own rule computed by "
                 "the loops gives glassnet's number, so the printed cell does not follow the "
                 "slide's rule. The stride-2 example's 7x7 input is read from the text of two "
                 "copies of the slide that disagree in four cells; this run uses the copy that "
                 "reproduces the worked 4.0 and the most outputs.")
    lab.record(examples={k: {"glassnet": g, "rule": r, "slide": s}
                         for k, (g, r, s) in out.items()},
               matrix_checks={str(k): v for k, v in matrix.items()})
    with lab.figure("pasted-masks", figsize=(12, 3.6)) as fig:
        if fig is not None:
            items = [("input [[4,3],[2,0]]", PASTE_INPUT)] + \
                [(f"transposed, stride {s}", out[f"transposed, stride {s}"][0])
                 for s in (3, 2, 1)]
            for ax, (title, a) in zip(fig.subplots(1, 4), items):
                ax.imshow(a, cmap="Blues", vmin=0, vmax=14)
                for (i, j), v in np.ndenumerate(a):
                    ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8)
                ax.set_title(title)
                ax.set_xticks([])
                ax.set_yticks([])
    m = conv_matrix(MASK, (5, 5), stride=2, sparse=False)
    with lab.figure("strided-matrix", figsize=(9, 3.2)) as fig:
        if fig is not None:
            a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [25, 6]})
            a1.imshow(m, cmap="Blues")
            a1.set_title("stride-2 convolution on 5x5: M (4 x 25)")
            a2.imshow(m.T, cmap="Blues")
            a2.set_title("M^T (25 x 4):\ntransposed convolution")


# ====================================================================== factorized-convolution
FACTORIZATIONS = ("5x5", "3x3 + 3x3", "5x1 + 1x5", "separable 5x5")


def factorized_block(kind, c_in, c_out):
    """A 5 x 5-receptive-field block, built one of four ways (lecture 000 'Factorized
    convolution', 'Separable convolution'): one 5x5 convolution; two 3x3 with a ReLU between
    (VGG's factorisation); 5x1 then 1x5 (``FactorizedConv2d``); depthwise 5x5 then pointwise
    1x1 (``SeparableConv2d``). All keep the spatial size (padding 'same')."""
    if kind == "5x5":
        return nn.Conv2d(c_in, c_out, 5, padding=2)
    if kind == "3x3 + 3x3":
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(c_out, c_out, 3, padding=1))
    if kind == "5x1 + 1x5":
        return nn.FactorizedConv2d(c_in, c_out, 5, padding=2)
    if kind == "separable 5x5":
        return nn.SeparableConv2d(c_in, c_out, 5, padding=2)
    raise ValueError(f"factorized_block: unknown kind {kind!r}; expected one of {FACTORIZATIONS}")


def factorized_net(kind, channels=(8, 16)):
    """(trunk, classifier) for 28 x 28 images: block, ReLU, 2x2 max pool, twice; then a linear
    layer on the flattened 7 x 7 maps."""
    c1, c2 = channels
    trunk = nn.Sequential(factorized_block(kind, 1, c1), nn.ReLU(), nn.MaxPool2d(2),
                          factorized_block(kind, c1, c2), nn.ReLU(), nn.MaxPool2d(2))
    return trunk, nn.Sequential(trunk, nn.Flatten(), nn.Linear(c2 * 49, 10))


def matrix_multiply_adds(module, input_shape):
    """Multiplications by real input values, counted as the non-zeros of the matrix of every
    convolution in ``module`` (its leaf layers in order, each fed the previous one's output
    shape); taps that land on padding are not counted. Shape: input_shape (C, H, W)."""
    total, shape = 0, tuple(input_shape)
    for m in module.modules():
        if list(m.children()):
            continue
        if isinstance(m, nn.Conv2d):
            total += _nnz(conv_matrix(m.weight, shape, stride=m.stride, padding=m.padding,
                                      dilation=m.dilation, groups=m.groups))
        with gn.no_grad():
            shape = tuple(m(gn.zeros((1,) + shape)).shape[1:])
    return total


def slide_count():
    """The lecture's 'Separable convolution' count: 3 -> 3 channels, 5 x 5 on 32 x 32 (valid):
    the full kernel against 5x1 then 1x5, as formulas (``mult_adds``) and as matrix
    non-zeros."""
    gn.manual_seed(0)
    fac = nn.FactorizedConv2d(3, 3, 5)
    full = nn.Conv2d(3, 3, 5)
    formula = fac.mult_adds((32, 32))
    return {"full_formula": formula["full"], "factorized_formula": formula["factorized"],
            "full_matrix": matrix_multiply_adds(full, (3, 32, 32)),
            "factorized_matrix": matrix_multiply_adds(fac, (3, 32, 32))}


@experiment("factorized-convolution", lecture="000 deep learning: factorized and separable "
            "convolution",
            claim="factorising a 5x5 convolution (two 3x3, 5x1 + 1x5, depthwise-separable) "
                  "keeps its receptive field and costs fewer weights and multiply-adds, at "
                  "similar accuracy",
            full="16/32 channels instead of 8/16, 20,000 training images instead of 4,000, "
                 "8 epochs instead of 3, the whole test set, accuracy averaged over 3 seeds")
def factorized_convolution(lab):
    sc = slide_count()
    lab.claim("3 -> 3 channels, 5x5 on 32x32: the full kernel costs 28*28*3*5*5*3 = 176,400 "
              "multiply-adds, 5x1 then 1x5 costs 32*28*3*5*3 + 28*28*3*5*3 = 75,600 (counted as "
              "formula and as non-zeros of the layers' matrices)",
              measured=f"full {sc['full_formula']:,} (matrix {sc['full_matrix']:,}), "
                       f"factorized {sc['factorized_formula']:,} "
                       f"(matrix {sc['factorized_matrix']:,})",
              reference="lecture 000, 'Separable convolution' slide: 176401 vs 75602 ops (the "
                        "slide adds 1 to each layer's count)",
              holds=sc["full_formula"] == sc["full_matrix"] == 176_400
              and sc["factorized_formula"] == sc["factorized_matrix"] == 75_600)
    channels = lab.pick((8, 16), (16, 32))
    n_train, n_test = lab.pick(4000, 20000), lab.pick(2000, None)
    epochs, seeds = lab.pick(3, 8), lab.pick(1, 3)
    x_tr, y_tr, x_te, y_te = fashion_mnist(n_train, n_test, lab.rng)
    rows, res = [], {}
    c = channels[1]  # the cost of one C -> C layer, the lectures' and Szegedy et al.'s setting
    for kind in lab.progress(FACTORIZATIONS, desc="factorizations"):
        block = factorized_block(kind, c, c)
        trunk, net = factorized_net(kind, channels)  # costs and field: before training
        erf = empirical_receptive_field(trunk, (1, 28, 28), probes=8, generator=lab.seed)
        res[kind] = {
            "params": count_parameters(net), "macs": summary(net, (1, 28, 28)).total_macs,
            "matrix_macs": matrix_multiply_adds(trunk, (1, 28, 28)),
            "block_params": count_parameters(block),
            "block_macs": summary(nn.Sequential(block), (c, 14, 14)).total_macs,
            "block_matrix_macs": matrix_multiply_adds(block, (c, 14, 14)),
            "rf_theory": int(receptive_field(trunk, (1, 28, 28))[-1]["receptive_field"]),
            "rf_gradient": erf.size}
        accs = []
        for s in range(seeds):
            gn.manual_seed(lab.seed + s)
            _, net = factorized_net(kind, channels)
            fit(net, x_tr, y_tr, epochs)
            accs.append(accuracy(net, x_te, y_te))
        res[kind].update(accuracy=float(np.mean(accs)), accuracies=accs)
        r = res[kind]
        rows.append([kind, r["block_params"], r["block_macs"], r["block_matrix_macs"],
                     r["params"], r["macs"], r["matrix_macs"], r["rf_theory"],
                     "{}x{}".format(*r["rf_gradient"]), r["accuracy"]])
    lab.table(f"Four ways to build a 5x5 layer: one {c} -> {c} layer on 14x14, and the whole net "
              f"({channels[0]}/{channels[1]} channels)",
              ["block", f"{c}->{c} weights", f"{c}->{c} mult-adds",
               f"{c}->{c} mult-adds on real input (matrix non-zeros)", "net weights",
               "net mult-adds", "net mult-adds on real input", "net receptive field (theory)",
               "net receptive field (gradient)", "test accuracy"], rows)
    lab.note("Mult-adds count every kernel tap, as frameworks compute them; 'on real input' "
             "counts the non-zeros of each layer's matrix, leaving out taps that land on "
             "padding. In the nets, two 3x3 layers are C_out wide in between (as in VGG), so "
             "where the channel count doubles (1 -> 8, 8 -> 16) they cost more than one 5x5.")
    base = res["5x5"]
    cheaper = [k for k in FACTORIZATIONS[1:]
               if res[k]["block_params"] < base["block_params"]
               and res[k]["block_macs"] < base["block_macs"]]
    same_rf = all(r["rf_theory"] == 16 and r["rf_gradient"] == (16, 16) for r in res.values())
    lab.claim("each factorisation of a C -> C 5x5 layer needs fewer weights and multiply-adds "
              "(two 3x3: 18/25; 5x1 + 1x5: 10/25; separable: 1/C + 1/25) and the nets keep "
              "their receptive field (16 px, theory = gradient)",
              measured=", ".join(f"{k}: {res[k]['block_params'] / base['block_params']:.2f}x "
                                 f"weights, {res[k]['block_macs'] / base['block_macs']:.2f}x "
                                 f"mult-adds" for k in FACTORIZATIONS[1:])
              + f"; receptive fields {sorted({r['rf_theory'] for r in res.values()})} (theory), "
                f"{sorted({r['rf_gradient'] for r in res.values()})} (gradient)",
              reference="lecture 000, 'Factorized convolution' / 'Separable convolution' "
                        "(after Fei-Fei Li et al.); Szegedy et al. 2016 (Inception-v3), "
                        "section 3: two 3x3 = 18/25 of a 5x5's cost",
              holds=len(cheaper) == 3 and same_rf)
    gaps = {k: res[k]["accuracy"] - base["accuracy"] for k in FACTORIZATIONS[1:]}
    lab.claim("similar accuracy: every factorised net's test accuracy is at least the 5x5 net's "
              "minus 2 points",
              measured=f"5x5 {base['accuracy']:.3f}; " + ", ".join(
                  f"{k} {res[k]['accuracy']:.3f} ({100 * g:+.1f} pt)" for k, g in gaps.items()),
              reference="lecture 003 (01:12:43): the factorisation 'works well only if the 5x5 "
                        "filter can be accurately approximated by 2 smaller filters', but 'in "
                        "practice the efficiency gain often outweighs drawbacks'",
              holds=all(g >= -0.02 for g in gaps.values()))
    if lab.quick:
        lab.note(f"Quick run: {n_train} training images, {epochs} epochs, one seed; accuracy "
                 "differences of a point or two are within seed-to-seed noise at this size.")
    lab.note("The separable net's first layer filters its single input channel with one 5x5 "
             "kernel (depth multiplier 1), so its first-layer maps are all multiples of one "
             "filtered image; MobileNet keeps a full convolution as its first layer.")
    lab.record(slide_count=sc, results=res, n_train=n_train, epochs=epochs, seeds=seeds)
    with lab.figure("cost-vs-accuracy", figsize=(10, 4)) as fig:
        if fig is not None:
            a1, a2 = fig.subplots(1, 2)
            x = np.arange(len(FACTORIZATIONS))
            a1.bar(x - 0.2, [res[k]["block_params"] / base["block_params"]
                             for k in FACTORIZATIONS], 0.4, label="weights")
            a1.bar(x + 0.2, [res[k]["block_macs"] / base["block_macs"] for k in FACTORIZATIONS],
                   0.4, label="multiply-adds")
            a1.set_xticks(x, FACTORIZATIONS, fontsize=8)
            a1.set_ylabel("relative to one 5x5 layer")
            a1.set_title(f"cost of one {c} -> {c} layer")
            a1.legend()
            for k in FACTORIZATIONS:
                a2.scatter(res[k]["macs"] / 1e6, res[k]["accuracy"], label=k, s=40)
            a2.set_xlabel("mult-adds per image (M)")
            a2.set_ylabel("test accuracy")
            a2.set_title("Fashion-MNIST")
            a2.legend(fontsize=8)


# ====================================================================== border-modes
BORDERS = ("ignore", "zero", "mirror", "edge", "wrap", "constant")
_PAD_MODES = {"zero": "constant", "mirror": "reflect", "edge": "replicate", "wrap": "circular",
              "constant": "constant"}


def border_pad(mode, p, value=0.0):
    """The padding layer for a border mode: ``'ignore'`` (no padding: a valid convolution),
    ``'zero'``, ``'mirror'`` (reflect, edge pixel not repeated), ``'edge'`` (replicate),
    ``'wrap'`` (circular: the image is a torus) or ``'constant'`` (``value``)."""
    if mode == "ignore":
        return nn.Identity()
    if mode == "constant":
        return nn.ConstantPad2d(p, float(value))
    cls = {"zero": nn.ZeroPad2d, "mirror": nn.ReflectionPad2d, "edge": nn.ReplicationPad2d,
           "wrap": nn.CircularPad2d}.get(mode)
    if cls is None:
        raise ValueError(f"border_pad: mode must be one of {BORDERS}, got {mode!r}")
    return cls(p)


def border_artefacts(images, kernel, value, crop=6):
    """How each border mode changes a filter's response near the edge of an image that goes on.

    Each image (N, 1, H, W) is the scene; its centre crop (``crop`` pixels removed per side) is
    filtered with every border mode and compared with the true response: the filter applied to
    the whole scene, then cropped. Returns {mode: {"band": relative RMS error in the outer
    (k - 1) / 2 pixels, "interior": max |error| inside, "size": output size}}."""
    k = kernel.shape[-1]
    p = k // 2
    w = gn.tensor(np.asarray(kernel, np.float32)[None, None])
    x = gn.tensor(np.asarray(images, np.float32))
    truth = F.conv2d(x, w).numpy()[:, 0, crop - p:-(crop - p), crop - p:-(crop - p)]
    view = x[:, :, crop:-crop, crop:-crop]
    band = np.ones(truth.shape[1:], bool)
    band[p:-p, p:-p] = False
    out = {}
    for mode in BORDERS:
        with gn.no_grad():
            y = F.conv2d(border_pad(mode, p, value)(view), w).numpy()[:, 0]
        if mode == "ignore":
            err = y - truth[:, p:-p, p:-p]
            out[mode] = {"band": 0.0, "interior": float(np.abs(err).max()), "size": y.shape[-1],
                         "output": y[0]}
            continue
        err = y - truth
        out[mode] = {"band": float(np.sqrt((err[:, band] ** 2).mean())
                                   / np.sqrt((truth[:, band] ** 2).mean())),
                     "interior": float(np.abs(err[:, ~band]).max()), "size": y.shape[-1],
                     "output": y[0]}
    out["truth"] = truth[0]
    return out


def border_net(mode, value, channels=(8, 16)):
    """5x5 conv, ReLU, 2x2 max pool, twice, then linear; every convolution padded by ``mode``."""
    c1, c2 = channels
    side = 4 if mode == "ignore" else 7  # 28 -> 24 -> 12 -> 8 -> 4, or 28 -> 14 -> 7
    return nn.Sequential(border_pad(mode, 2, value), nn.Conv2d(1, c1, 5), nn.ReLU(),
                         nn.MaxPool2d(2), border_pad(mode, 2, value), nn.Conv2d(c1, c2, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(c2 * side ** 2, 10))


@experiment("border-modes", lecture="001 shallow and deep nets: treating the border",
            claim="ignoring the border shrinks the image by half the filter size on each side; "
                  "every other mode invents the missing pixels and so changes the response near "
                  "the edge, zero padding the most on an image that is bright at its edge",
            full="12,000 training images instead of 3,000, 6 epochs instead of 2, the whole "
                 "test set, accuracy averaged over 3 seeds")
def border_modes(lab):
    sizes = {}
    for mode in BORDERS:
        x = gn.zeros((1, 1, 28, 28))
        sizes[mode] = []
        for _ in range(3):
            x = F.conv2d(border_pad(mode, 2, 0.5)(x), gn.zeros((1, 1, 5, 5)))
            sizes[mode].append(int(x.shape[-1]))
    lab.table("Output size after 1, 2, 3 layers of 5x5 convolutions on 28x28",
              ["border", "1 layer", "2 layers", "3 layers"],
              [[m] + s for m, s in sizes.items()])
    x_tr, y_tr, x_te, y_te = fashion_mnist(lab.pick(3000, 12000),
                                          lab.pick(2000, None), lab.rng)
    value = float(x_tr.mean())  # the constant border: the training images' mean pixel
    # scenes whose centre crop is cut off by its frame: the brightest crop edges
    ring = x_te[:, 0, 6:22, 6:22].copy()
    ring[:, 1:-1, 1:-1] = np.nan
    scenes = x_te[np.argsort(-np.nanmean(ring, axis=(1, 2)))[:64]]
    filters = {"lecture blur /10": MASK / 10, "Sobel x": edge_kernels()["sobel_x"]}
    art = {name: border_artefacts(scenes, k, value) for name, k in filters.items()}
    lab.table(f"Error near the edge of a 16x16 view of 64 scenes (relative RMS in the outer "
              f"pixel; constant = {value:.3f})",
              ["border", "output size"] + [f"{f}: edge error" for f in filters]
              + [f"{f}: max interior error" for f in filters],
              [[m, art["Sobel x"][m]["size"]] + [art[f][m]["band"] for f in filters]
               + [art[f][m]["interior"] for f in filters] for m in BORDERS])
    invented = [m for m in BORDERS if m != "ignore"]
    exact_inside = all(art[f][m]["interior"] < 1e-5 for f in filters for m in BORDERS)
    lab.claim("'ignore' (valid) shrinks 28 -> 24 -> 20 -> 16 (k - 1 per 5x5 layer) and is exact; "
              "every invented border (zero, mirror, edge, wrap, constant) keeps the size and "
              "changes only the outer (k - 1)/2 pixels",
              measured=f"ignore sizes {sizes['ignore']}, others {sizes['zero']}; interior error "
                       f"max {max(art[f][m]['interior'] for f in filters for m in BORDERS):.1e}; "
                       "edge errors " + ", ".join(f"{m} {art['Sobel x'][m]['band']:.2f}"
                                                  for m in invented) + " (Sobel x)",
              reference="lecture 001, 'Convolutions - treating the border': 'normally neural "
                        "networks just ignore the border (resulting image gets smaller by half "
                        "the filter size on each side), else invent something: mirroring / "
                        "constant values / modulo'",
              holds=sizes["ignore"] == [24, 20, 16] and all(s == [28] * 3 for m, s in
                                                            sizes.items() if m != "ignore")
              and exact_inside and all(art[f][m]["band"] > 0 for f in filters
                                       for m in invented))
    lab.claim("on scenes whose view is cut off by its frame, zero padding leaves a larger edge "
              "error than mirroring, for the blur and the edge filter",
              measured=", ".join(f"{f}: zero {art[f]['zero']['band']:.3f} vs mirror "
                                 f"{art[f]['mirror']['band']:.3f}" for f in filters),
              reference="lecture 001, 'treating the border' (zero padding invents a black "
                        "surround); Gonzalez and Woods, Digital Image Processing, 4th ed., "
                        "section 3.4 (padding with zeros darkens and creates edges at the border)",
              holds=all(art[f]["zero"]["band"] > art[f]["mirror"]["band"] for f in filters))
    epochs, seeds = lab.pick(2, 6), lab.pick(1, 3)
    acc = {}
    for mode in lab.progress(BORDERS, desc="border modes"):
        accs = []
        for s in range(seeds):
            gn.manual_seed(lab.seed + s)
            net = border_net(mode, value)
            fit(net, x_tr, y_tr, epochs)
            accs.append(accuracy(net, x_te, y_te))
        acc[mode] = float(np.mean(accs))
    lab.table("Test accuracy on Fashion-MNIST by border mode",
              ["border", "test accuracy"], [[m, a] for m, a in acc.items()])
    lab.claim("the border mode hardly matters for accuracy on Fashion-MNIST: every mode, "
              "'ignore' included, is within 2 points of zero padding",
              measured=", ".join(f"{m} {a:.3f}" for m, a in acc.items()),
              reference="lecture 001, 'treating the border': 'normally neural networks just "
                        "ignore the border'",
              holds=all(abs(a - acc["zero"]) <= 0.02 for a in acc.values()))
    lab.note("Fashion-MNIST images have a black surround, so zero padding is nearly the truth "
             "at their own edge; the artefact table uses centre crops of bright scenes instead.")
    lab.note("With 'ignore' the maps shrink 28 -> 24 -> 12 -> 8 -> 4, so its classifier reads "
             "16 x 4 x 4 = 256 numbers instead of 16 x 7 x 7 = 784, and pixels near the image's "
             "edge reach fewer units.")
    lab.record(sizes=sizes, constant_value=value, accuracy=acc,
               artefacts={f: {m: {k: v for k, v in r.items() if k != "output"}
                              for m, r in a.items() if m != "truth"} for f, a in art.items()})
    a = art["Sobel x"]
    with lab.figure("edge-artefacts", figsize=(13, 4.6)) as fig:
        if fig is not None:
            axes = fig.subplots(2, len(BORDERS) + 1)
            lim = np.abs(a["truth"]).max()
            axes[0, 0].imshow(scenes[0, 0], cmap="gray")
            from matplotlib.patches import Rectangle

            axes[0, 0].add_patch(Rectangle((5.5, 5.5), 16, 16, fill=False, color="r"))
            axes[0, 0].set_title("scene, view in red", fontsize=8)
            axes[1, 0].imshow(a["truth"], cmap="coolwarm", vmin=-lim, vmax=lim)
            axes[1, 0].set_title("true Sobel x response", fontsize=8)
            for i, m in enumerate(BORDERS, 1):
                y = a[m]["output"]
                axes[0, i].imshow(y, cmap="coolwarm", vmin=-lim, vmax=lim)
                axes[0, i].set_title(f"{m} ({y.shape[-1]}x{y.shape[-1]})", fontsize=8)
                err = y - (a["truth"][1:-1, 1:-1] if m == "ignore" else a["truth"])
                axes[1, i].imshow(np.abs(err), cmap="magma", vmin=0, vmax=lim)
                axes[1, i].set_title(f"|error|, edge {a[m]['band']:.2f}", fontsize=8)
            for ax in axes.ravel():
                ax.set_xticks([])
                ax.set_yticks([])


# ====================================================================== receptive-fields
def receptive_field_stacks():
    """Named chains whose theoretical receptive field is known in closed form: (name, model,
    expected field)."""
    def convs(n, **kw):
        out = []
        for i in range(n):
            out += [nn.Conv2d(1 if i == 0 else 4, 4, 3, **kw), nn.ReLU()]
        return out

    dil = [nn.Conv2d(1, 4, 3, dilation=1), nn.ReLU(), nn.Conv2d(4, 4, 3, dilation=2), nn.ReLU(),
           nn.Conv2d(4, 4, 3, dilation=4)]
    lenet = [nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 5), nn.ReLU(),
             nn.MaxPool2d(2)]
    return [(f"{n} x conv 3x3", nn.Sequential(*convs(n)), 2 * n + 1) for n in (1, 2, 3, 4)] + [
        ("3 x conv 3x3, stride 2", nn.Sequential(*convs(3, stride=2)), 15),
        ("conv 3x3, dilation 1, 2, 4", nn.Sequential(*dil), 15),
        ("LeNet-5 C1-S2-C3-S4", nn.Sequential(*lenet), 16),
        ("conv 3x3 + max pool 3 stride 2, twice",
         nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Conv2d(4, 4, 3),
                       nn.ReLU(), nn.MaxPool2d(3, 2)), 13),
    ]


def erf_stack(depth, kind, channels=16):
    """``depth`` 3x3 convolutions (padding 1, no bias): ``'uniform'``, all weights equal and no
    non-linearity (the field is then exactly a binomial, the n-fold convolution of a box); or
    ``'random'``, default (Kaiming-uniform) initialisation with ReLUs."""
    layers, c = [], 1
    for _ in range(depth):
        c_out = 1 if kind == "uniform" else channels
        conv = nn.Conv2d(c, c_out, 3, padding=1, bias=False)
        if kind == "uniform":
            with gn.no_grad():
                conv.weight.fill_(1.0 / 9)
        layers.append(conv)
        if kind == "random":
            layers.append(nn.ReLU())
        c = c_out
    return nn.Sequential(*layers)


def effective_fields(depths, kinds=("uniform", "random"), probes=32, channels=16, generator=0):
    """{kind: [one dict per depth]}: theoretical size, gradient support size, and
    ``EmpiricalReceptiveField.effective()`` (sigma, 95%-mass fraction, Gaussian R^2)."""
    out = {}
    for kind in kinds:
        out[kind] = []
        for n in depths:
            net = erf_stack(n, kind, channels)
            size = 2 * n + 11  # the field, 2n + 1, and 5 px around it
            e = empirical_receptive_field(net, (1, size, size), probes=probes,
                                          generator=generator)
            eff = e.effective(0.95)
            out[kind].append({"depth": n, "theory": 2 * n + 1, "support": e.size,
                              "sigma": float(np.mean(eff["sigma"])),
                              "mass_fraction": eff["mass_fraction"],
                              "gaussian_r2": eff["gaussian_r2"], "map": e.gradient})
    return out


def _slope(x, y):
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


@experiment("receptive-fields", lecture="002 CNNs: receptive fields",
            claim="a stack's receptive field grows linearly with depth (faster with stride and "
                  "dilation) and the gradient of an output unit is non-zero exactly there; the "
                  "effective field is Gaussian-like, grows like sqrt(depth) and fills a shrinking "
                  "part of the theoretical one",
            full="depths up to 32 instead of 16, 64 probes instead of 32")
def receptive_fields(lab):
    rows, agree = [], []
    for name, model, expected in receptive_field_stacks():
        theory = int(receptive_field(model, (1, 64, 64))[-1]["receptive_field"])
        e = empirical_receptive_field(model, (1, 64, 64), probes=16, generator=lab.seed)
        agree.append(theory == expected and e.size == (theory, theory))
        rows.append([name, expected, theory, "{}x{}".format(*e.size)])
    lab.table("Theoretical receptive field vs the gradient's support (64x64 input, central unit)",
              ["stack", "closed form", "receptive_field()", "non-zero gradient"], rows)
    lab.claim("the theoretical receptive field (r += (k_eff - 1) * jump) equals the support of "
              "the gradient of the central output unit for every stack (plain, strided, "
              "dilated, pooled)",
              measured=f"{sum(agree)} of {len(agree)} agree: "
                       + ", ".join(f"{r[0]} {r[2]}" for r in rows),
              reference="lecture 002, 'Local receptive fields' slide (Goodfellow et al. 2016, "
                        "Fig. 9.4); Araujo, Norris and Sim 2019, 'Computing receptive fields of "
                        "convolutional neural networks', Distill",
              holds=all(agree))
    depths = lab.pick((1, 2, 4, 8, 16), (1, 2, 4, 8, 16, 32))
    gn.manual_seed(lab.seed)
    eff = effective_fields(depths, probes=lab.pick(32, 64), generator=lab.seed)
    lab.table("Effective receptive field of n stacked 3x3 convolutions",
              ["stack", "depth", "theoretical size", "sigma (px)", "sigma / size",
               "95% of |grad| in (fraction of the field)", "Gaussian R^2"],
              [[kind, r["depth"], r["theory"], r["sigma"], r["sigma"] / r["theory"],
                r["mass_fraction"], r["gaussian_r2"]] for kind, rs in eff.items() for r in rs])
    slopes = {k: _slope([r["depth"] for r in rs], [r["sigma"] for r in rs])
              for k, rs in eff.items()}
    theory_slope = _slope(depths, [2 * n + 1 for n in depths])
    ratio_falls = {k: all(b["sigma"] / b["theory"] < a["sigma"] / a["theory"]
                          for a, b in itertools.pairwise(rs)) for k, rs in eff.items()}
    lab.claim("the effective field grows like sqrt(depth): log-log slope of its sigma against "
              "depth in [0.35, 0.65] (theoretical size: slope -> 1), so sigma / size falls at "
              "every depth",
              measured=", ".join(f"{k}: slope {s:.2f}" for k, s in slopes.items())
              + f"; theoretical size slope {theory_slope:.2f}; sigma/size falls: {ratio_falls}",
              reference="Luo, Li, Urtasun and Zemel 2016, 'Understanding the effective "
                        "receptive field in deep CNNs', section 2 and Fig. 1: ERF ~ O(sqrt(n)), "
                        "shrinking relative to the theoretical field as O(1/sqrt(n))",
              holds=all(0.35 <= s <= 0.65 for s in slopes.values())
              and all(ratio_falls.values()))
    deepest = {k: rs[-1] for k, rs in eff.items()}
    lab.claim(f"at depth {depths[-1]} the effective field is Gaussian-like (R^2 >= 0.9) and "
              f"95% of the gradient sits in less than half of the theoretical field",
              measured=", ".join(f"{k}: R^2 {r['gaussian_r2']:.3f}, 95% in "
                                 f"{r['mass_fraction']:.2f} of the field"
                                 for k, r in deepest.items()),
              reference="Luo et al. 2016, Fig. 1 and section 2.2 (Gaussian ERF by the central "
                        "limit theorem; it occupies a fraction of the theoretical field)",
              holds=all(r["gaussian_r2"] >= 0.9 and r["mass_fraction"] < 0.5
                        for r in deepest.values()))
    lab.record(stacks=rows, effective={k: [{a: b for a, b in r.items() if a != "map"}
                                           for r in rs] for k, rs in eff.items()},
               sigma_slopes=slopes)
    with lab.figure("effective-fields", figsize=(3 * len(depths), 6.2)) as fig:
        if fig is not None:
            from matplotlib.patches import Rectangle

            axes = fig.subplots(2, len(depths))
            for row, (kind, rs) in zip(axes, eff.items()):
                for ax, r in zip(row, rs):
                    g = r["map"]
                    ax.imshow(g / g.max(), cmap="viridis")
                    c, h = g.shape[0] // 2, r["theory"] / 2
                    ax.add_patch(Rectangle((c - h, c - h), 2 * h, 2 * h, fill=False,
                                           color="w", lw=1))
                    ax.set_title(f"{kind}, depth {r['depth']}\nsigma {r['sigma']:.1f}, "
                                 f"size {r['theory']}", fontsize=8)
                    ax.set_xticks([])
                    ax.set_yticks([])
    with lab.figure("growth", figsize=(5.5, 4)) as fig:
        if fig is not None:
            ax = fig.subplots()
            ax.loglog(depths, [2 * n + 1 for n in depths], "k-o", label="theoretical size")
            for kind, rs in eff.items():
                ax.loglog(depths, [r["sigma"] for r in rs], "-o",
                          label=f"{kind}: sigma (slope {slopes[kind]:.2f})")
            ax.loglog(depths, np.sqrt(depths), "k:", label="sqrt(depth)")
            ax.set_xlabel("depth (3x3 layers)")
            ax.set_ylabel("pixels")
            ax.legend(fontsize=8)
