"""High-dimensional inputs: the curse of dimensionality, and why a fixed template is not enough.

* ``curse-of-dimensionality``: the lecture's numbers (000/003) - the rind of a cube holds almost
  all of its volume, the half-length tends to 1, the inscribed ball's share vanishes (samples
  land in the corners), distances between random points concentrate - measured by sampling and
  set beside the closed forms of ``glassnet.analysis.dimensionality``.
* ``template-matching``: normalised cross-correlation finds an object among look-alikes under
  any shift and any change of brightness and contrast, but fails once the object is rotated,
  scaled or deformed (000/003, the sliding-window search for "George").
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from glassnet.analysis import (
    ball_volume_fraction,
    ball_volume_fraction_mc,
    distance_limits,
    half_length,
    match_template,
    normalized_cross_correlation,
    pairwise_distance_stats,
    pairwise_distances,
    rind_volume_fraction,
    rind_volume_fraction_mc,
)
from glassnet.data.warp import affine_matrices, elastic_deform, warp_affine
from glassnet.lab.datasets import fashion_mnist
from glassnet.lab.runner import experiment

__all__ = ["make_scenes", "subcube_fraction_mc"]


# ------------------------------------------------------------------ curse of dimensionality
def subcube_fraction_mc(d, half_side, n, rng):
    """The share of ``n`` uniform points of [0, 1]^d inside the centred sub-cube of half side
    ``half_side`` (its volume is ``(2 half_side)^d``)."""
    hits, rows = 0, max(1, (1 << 21) // d)
    for start in range(0, n, rows):
        x = rng.random((min(rows, n - start), d))
        hits += int((np.abs(x - 0.5) <= half_side).all(axis=1).sum())
    return hits / n


def _agrees(mc, exact, n, k=4.0):
    """``|mc - exact| <= k`` standard errors of a share estimated from ``n`` samples (plus
    one count, so that shares of exactly 0 or 1 compare sensibly)."""
    return abs(mc - exact) <= k * math.sqrt(exact * (1 - exact) / n) + 1 / n


@experiment("curse-of-dimensionality",
            lecture="000/003 curse of dimensionality: rind, half-length, corners, distances",
            claim="in high dimensions the volume lies in a thin rind and in the corners, the "
                  "half-length tends to 1, and all distances become alike; sampling agrees "
                  "with the closed forms",
            full="200,000 samples per estimate instead of 20,000 and 500 points for the "
                 "distances instead of 200")
def curse_of_dimensionality(lab):
    n = lab.pick(20_000, 200_000)
    dims = (1, 2, 3, 5, 10, 20, 50, 100, 350, 1000)
    rows, ok_rind, ok_half, ok_ball = [], True, True, True
    for d in lab.progress(dims, desc="dimensions"):
        rind = {e: (rind_volume_fraction(d, e), rind_volume_fraction_mc(d, e, n, lab.rng))
                for e in (0.01, 0.05)}
        ok_rind &= all(_agrees(mc, ex, n) for ex, mc in rind.values())
        a = half_length(d)
        half_mc = subcube_fraction_mc(d, a / 2, n, lab.rng)
        ok_half &= _agrees(half_mc, 0.5, n)
        ball = ball_volume_fraction(d)
        ball_mc = ball_volume_fraction_mc(d, n, lab.rng)
        ok_ball &= _agrees(ball_mc, ball, n)
        rows.append([d, rind[0.01][0], rind[0.01][1], rind[0.05][0], rind[0.05][1], a,
                     1 - 0.7 / d, half_mc, ball, ball_mc])
    lab.table(f"Closed form vs sampling ({n} uniform points per estimate)",
              ["d", "rind 0.01", "sampled", "rind 0.05", "sampled", "half-length 2^(-1/d)",
               "1 - 0.7/d", "share in half-length sub-cube (sampled)", "ball share",
               "sampled"], rows)
    lab.claim("the share of the cube within eps of its surface is 1 - (1 - 2 eps)^d, and it "
              "tends to 1 (criterion: sampled share within 4 standard errors of the formula "
              "for eps = 0.01, 0.05 and every d; share > 0.99 at d = 350, eps = 0.01)",
              measured=f"agree: {ok_rind}; d = 350, eps = 0.01: "
                       f"{rind_volume_fraction(350, 0.01):.4f}",
              reference="lecture 000, slides 'Intuition' (rind volume 1 - alpha^n); "
                        "transcript 003", holds=ok_rind and rind_volume_fraction(350, 0.01) > 0.99)
    lab.claim("the half-length alpha = 2^(-1/n) exceeds 0.98 at n = 350 and the centred sub-cube "
              "with that side holds half the samples (criterion: both, the share within 4 "
              "standard errors of 0.5 for every d)",
              measured=f"alpha(350) = {half_length(350):.5f}; shares agree: {ok_half}",
              reference="lecture 000, slide 'Intuition': 'n = 350 dimensions it is greater "
                        "than 98%'", holds=half_length(350) > 0.98 and ok_half)
    lab.note(f"The lecture's rounded half-lengths use 1 - 0.7/n, an approximation for large n: "
             f"n = 2 gives 1 - 0.35 = 0.65 against the exact {half_length(2):.3f}, n = 3 gives "
             f"0.77 against {half_length(3):.3f}; at n = 350 they agree to "
             f"{abs(half_length(350) - (1 - 0.7 / 350)):.1e}.")
    lab.claim("samples land in the corners: the share inside the inscribed ball, "
              "pi^(d/2) / (Gamma(d/2 + 1) 2^d), falls below 1% by d = 10 (criterion: sampled "
              "within 4 standard errors of the formula for every d, and < 0.01 at d = 10)",
              measured=f"agree: {ok_ball}; d = 10: formula {ball_volume_fraction(10):.5f}, "
                       f"sampled {rows[dims.index(10)][-1]:.5f}",
              reference="lecture 000, slide 'Intuition' (V_sphere(d) ~ O(c^-d), the samples "
                        "are in the corners of the hypercube)",
              holds=ok_ball and ball_volume_fraction(10) < 0.01)

    points = lab.pick(200, 500)
    dist_dims = (2, 10, 100, 1000)
    stats = {d: pairwise_distance_stats(d, points, torus=True, generator=lab.rng)
             for d in dist_dims}
    lab.table(f"Distances between {points} random points of the d-torus (divided by its "
              "diameter sqrt(d) / 2)",
              ["d", "mean", "predicted mean", "cv = std / mean", "predicted cv",
               "(max - min) / min"],
              [[d, s["normalized_mean"], distance_limits(d, torus=True)["normalized_mean"],
                s["cv"], distance_limits(d, torus=True)["cv"], s["relative_contrast"]]
               for d, s in stats.items()])
    s1000 = stats[1000]
    lab.claim("distances concentrate: on the 1000-torus the normalised distance is 0.577 "
              "(1 / sqrt 3) with a spread that shrinks like 1 / sqrt(d) (criterion: mean within "
              "0.01 of 0.577, cv within 10% of the predicted sqrt(v / 4d) / m2, and the "
              "relative contrast falling with every step in d)",
              measured=f"mean {s1000['normalized_mean']:.4f}, cv {s1000['cv']:.4f} (predicted "
                       f"{distance_limits(1000, torus=True)['cv']:.4f}), contrast "
                       + " > ".join(f"{stats[d]['relative_contrast']:.3g}" for d in dist_dims),
              reference="lecture 000, slide 'Intuition' (d-torus): 'This normalization has "
                        "centered the histograms near 0.58'",
              holds=abs(s1000["normalized_mean"] - 1 / math.sqrt(3)) < 0.01
              and abs(s1000["cv"] / distance_limits(1000, torus=True)["cv"] - 1) < 0.1
              and all(stats[a]["relative_contrast"] > stats[b]["relative_contrast"]
                      for a, b in itertools.pairwise(dist_dims)))
    lab.record(table=rows)

    with lab.figure("volume", figsize=(13, 4)) as fig:
        if fig is not None:
            a1, a2, a3 = fig.subplots(1, 3)
            dd = np.array(dims)
            for j, e in ((1, 0.01), (3, 0.05)):
                a1.plot(dd, [r[j] for r in rows], "-", label=f"1 - (1 - 2 x {e})^d")
                a1.plot(dd, [r[j + 1] for r in rows], "o", ms=4, label=f"sampled, eps {e}")
            a1.set(xscale="log", xlabel="d", ylabel="share of volume", title="the rind")
            a1.legend(fontsize=7)
            a2.plot(dd, [r[5] for r in rows], "-", label="2^(-1/d)")
            a2.plot(dd, [r[6] for r in rows], ":", label="1 - 0.7/d")
            a2.set(xscale="log", xlabel="d", ylabel="alpha", title="half-length", ylim=(0, 1.02))
            a2.legend(fontsize=8)
            dball = np.arange(1, 31)
            a3.semilogy(dball, [ball_volume_fraction(int(d)) for d in dball], "-",
                        label="inscribed ball, formula")
            sampled = [(d, r[9]) for d, r in zip(dims, rows) if r[9] > 0]
            a3.semilogy(*zip(*sampled), "o", ms=4, label="sampled")
            a3.set(xlabel="d", ylabel="share of the cube", title="the corners hold the volume")
            a3.legend(fontsize=8)
    with lab.figure("distances", figsize=(7, 4)) as fig:
        if fig is not None:
            ax = fig.subplots()
            bins = np.linspace(0, 1.2, 61)
            for d in dist_dims:
                x = lab.rng.random((points, d))
                dist = pairwise_distances(x, torus=True) / (math.sqrt(d) / 2)
                ax.hist(dist, bins, density=True, histtype="step", lw=1.5, label=f"d = {d}")
            ax.axvline(1 / math.sqrt(3), color="k", ls=":", label="1 / sqrt(3)")
            ax.set(xlabel="distance / torus diameter", ylabel="density",
                   title="distances between random points on the d-torus")
            ax.legend(fontsize=8)


# ------------------------------------------------------------------ template matching
CELL, PATCH, PAD = 44, 40, 6  # a 28 x 28 object sits in the middle of a 40 x 40 patch


def _patches(objects):
    """28 x 28 objects centred in 40 x 40 patches of zeros: room to rotate and scale them."""
    out = np.zeros((len(objects), 1, PATCH, PATCH), np.float32)
    out[:, 0, PAD:PAD + 28, PAD:PAD + 28] = objects
    return out


def make_scenes(target, distractors, rng, transform=None, noise=0.05, grid=3):
    """Scenes of ``grid x grid`` cells, each holding one object at a random offset of 0-4 px:
    the target in a random cell, look-alikes in the others; Gaussian noise on top.

    ``target``: ``(S, 28, 28)``; ``distractors``: ``(S, grid^2 - 1, 28, 28)``;
    ``transform(patches) -> patches`` changes the target's 40 x 40 patches (``(S, 1, 40, 40)``,
    the object centred) before it is placed. Returns the scenes ``(S, 44 grid, 44 grid)`` and
    the target's top-left corner ``(S, 2)`` (where the untransformed template sits).
    """
    s = len(target)
    side = CELL * grid
    scenes = np.zeros((s, side, side), np.float32)
    tpatch = _patches(target)
    if transform is not None:
        tpatch = transform(tpatch).astype(np.float32)
    corners = np.zeros((s, 2), np.int64)
    for i in range(s):
        cells = rng.permutation(grid * grid)
        offsets = rng.integers(0, CELL - PATCH + 1, size=(grid * grid, 2))
        for j, cell in enumerate(cells):
            r = (cell // grid) * CELL + offsets[j, 0]
            c = (cell % grid) * CELL + offsets[j, 1]
            patch = tpatch[i, 0] if j == 0 else _patches(distractors[i, j - 1:j])[0, 0]
            scenes[i, r:r + PATCH, c:c + PATCH] = patch
            if j == 0:
                corners[i] = (r + PAD, c + PAD)
    scenes += rng.normal(0, noise, scenes.shape).astype(np.float32)
    return scenes, corners


def _detections(scenes, target, corners, tol=3):
    """Whether the best NCC window of each scene (scene i searched with template i) lies
    within ``tol`` px of the target, and the NCC at the target's own position."""
    ncc = normalized_cross_correlation(scenes, target)
    flat = ncc.reshape(len(ncc), -1).argmax(1)
    rows, cols = np.unravel_index(flat, ncc.shape[1:])
    hits = (np.abs(rows - corners[:, 0]) <= tol) & (np.abs(cols - corners[:, 1]) <= tol)
    return hits, ncc[np.arange(len(ncc)), corners[:, 0], corners[:, 1]]


def _scale(s):
    return lambda p: warp_affine(p, affine_matrices((PATCH, PATCH), scale=s))


def _rotate(angle):
    return lambda p: warp_affine(p, affine_matrices((PATCH, PATCH), angle=angle))


@experiment("template-matching",
            lecture="000/003 sliding-window correlation: why fixed templates are not enough",
            claim="normalised cross-correlation with a fixed template finds an object among "
                  "look-alikes under shifts and brightness/contrast changes, but not when it is "
                  "rotated, scaled or deformed",
            full="500 scenes per condition instead of 60")
def template_matching(lab):
    trials = lab.pick(60, 500)
    _, _, x_test, y_test = fashion_mnist(0, None, lab.rng)
    x_test = x_test[:, 0]
    target_idx = lab.rng.choice(len(x_test), trials, replace=False)
    target = x_test[target_idx]
    distractors = np.stack([x_test[lab.rng.choice(np.flatnonzero(y_test == y_test[i]), 8,
                                                  replace=False)] for i in target_idx])
    brightness = lab.rng.uniform(-0.3, 0.3, (trials, 1, 1, 1)).astype(np.float32)
    contrast = lab.rng.uniform(0.3, 2.0, (trials, 1, 1, 1)).astype(np.float32)
    alpha_rms = {}

    def elastic(alpha):
        return lambda p: elastic_deform(p, alpha, 4.0, rng=lab.rng)

    conditions = [("shift only", "shift", 0, None),
                  ("brightness/contrast", "intensity", 1,
                   lambda p: contrast * p + brightness)]
    conditions += [(f"rotation {a} deg", "rotation", a, _rotate(a)) for a in (15, 30, 45, 90, 180)]
    conditions += [(f"scale {s}", "scale", s, _scale(s)) for s in (0.67, 0.8, 1.25, 1.5)]
    conditions += [(f"elastic alpha {a}", "elastic", a, elastic(a)) for a in (17, 34, 68)]
    for a in (17, 34, 68):  # typical displacement (pixels) of such a field, for the table
        dy, dx = _displacement_rms(a, lab.rng)
        alpha_rms[a] = float(np.sqrt(dy * dy + dx * dx))
    rates, rows, examples = {}, [], {}
    for label, kind, value, transform in lab.progress(conditions, desc="conditions"):
        scenes, corners = make_scenes(target, distractors, lab.rng, transform)
        hits, score = _detections(scenes, target, corners)
        rates[label] = float(hits.mean())
        extra = f"{alpha_rms[value]:.2f} px rms displacement" if kind == "elastic" else ""
        rows.append([label, rates[label], float(np.mean(score)), extra])
        examples[label] = (scenes[0], corners[0], match_template(scenes[:1], target[0]))
    lab.table(f"Detection rate of the best NCC window ({trials} scenes per condition, target "
              "among 8 look-alikes of its class, hit = within 3 px)",
              ["condition", "detection rate", "mean NCC at the target", "note"], rows)
    base = rates["shift only"]
    ref = ("lecture 000, slides 'translation invariance and locality - sliding window' "
           "(correlation with a template); transcript 003 (finding George)")
    lab.claim("a fixed template finds the object wherever it is (criterion: detection rate "
              ">= 0.95 with shifts only)", measured=base, reference=ref, holds=base >= 0.95)
    bc = rates["brightness/contrast"]
    lab.claim("normalised cross-correlation ignores brightness and contrast (criterion: "
              "detection rate >= 0.95 with the target's patch mapped to a x + b, a in [0.3, 2], "
              "b in [-0.3, 0.3])", measured=bc, reference=ref, holds=bc >= 0.95)
    rot = rates["rotation 90 deg"]
    lab.claim("a rotated object is missed (criterion: detection rate at 90 degrees at least "
              "0.3 below the shift-only rate)", measured=f"{rot:.3f} vs {base:.3f}",
              reference=ref + "; lecture 000: rotation needs equivariant designs",
              holds=rot <= base - 0.3)
    sc = (rates["scale 0.67"] + rates["scale 1.5"]) / 2
    lab.claim("a rescaled object is missed (criterion: mean detection rate at scales 0.67 and "
              "1.5 at least 0.3 below the shift-only rate)", measured=f"{sc:.3f} vs {base:.3f}",
              reference=ref, holds=sc <= base - 0.3)
    el = rates["elastic alpha 68"]
    lab.claim("a deformed object is missed (criterion: detection rate under an elastic "
              "deformation with alpha 68, sigma 4 at least 0.3 below the shift-only rate)",
              measured=f"{el:.3f} vs {base:.3f} ({alpha_rms[68]:.2f} px rms displacement)",
              reference=ref + "; lecture 000, 'Approximate deformation invariance'",
              holds=el <= base - 0.3)
    lab.record(detection_rates=rates)

    with lab.figure("detection-rates", figsize=(12, 3.6)) as fig:
        if fig is not None:
            axes = fig.subplots(1, 3, sharey=True)
            for ax, kind, xlabel in zip(axes, ("rotation", "scale", "elastic"),
                                        ("rotation (degrees)", "scale", "elastic alpha (px)")):
                pts = [(0 if kind != "scale" else 1.0, base)]
                pts += [(v, rates[lb]) for lb, k, v, _ in conditions if k == kind]
                pts.sort()
                ax.plot(*zip(*pts), "o-")
                ax.axhline(bc, color="gray", ls=":", label="brightness/contrast")
                ax.set(xlabel=xlabel, ylim=(-0.02, 1.02))
                ax.legend(fontsize=8)
            axes[0].set_ylabel("detection rate")
    with lab.figure("scenes", figsize=(12, 3.4)) as fig:
        if fig is not None:
            shown = ["shift only", "brightness/contrast", "rotation 90 deg", "scale 1.5",
                     "elastic alpha 68"]
            axes = fig.subplots(1, len(shown))
            from matplotlib.patches import Rectangle
            for ax, label in zip(axes, shown):
                scene, corner, (r, c, s) = examples[label]
                ax.imshow(scene, cmap="gray")
                ax.add_patch(Rectangle((corner[1] - 0.5, corner[0] - 0.5), 28, 28, fill=False,
                                       ec="lime", lw=1.5))
                ax.add_patch(Rectangle((c[0] - 0.5, r[0] - 0.5), 28, 28, fill=False, ec="red",
                                       lw=1.5, ls="--"))
                ax.set_title(f"{label}\nNCC {s[0]:.2f}", fontsize=8)
                ax.axis("off")
            fig.suptitle("green: the target; red dashes: the best NCC window", fontsize=9)


def _displacement_rms(alpha, rng, sigma=4.0, n=64):
    """The rms of each component of elastic displacement fields with these settings."""
    from glassnet.data.warp import elastic_displacement

    dy, dx = elastic_displacement((n, PATCH, PATCH), alpha, sigma, rng)
    return float(np.sqrt(np.mean(dy * dy))), float(np.sqrt(np.mean(dx * dx)))
