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

import math

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.analysis import (conv_matrix, conv_param_comparison, count_parameters,
                               edge_kernels, empirical_receptive_field, receptive_field,
                               summary)
from glassnet.lab.common import accuracy, fit, image_subset, rank_correlation
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
