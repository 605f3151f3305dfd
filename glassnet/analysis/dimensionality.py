"""The curse of dimensionality, measured: volumes near the boundary and distances that concentrate.

Course material 000/003, "The curse of dimensionality". Approximating a Lipschitz function
``f: R^d -> R`` to accuracy eps needs O(eps^-d) samples, because high-dimensional space is
strange in three ways that this module computes in closed form and checks by Monte Carlo:

* **The rind holds the volume.** Shrinking a d-dimensional shape by alpha keeps alpha^d of its
  volume, so the rind (the shell between the shape and its shrunken copy) holds ``1 - alpha^d``.
  For the unit cube and a rind of thickness eps, alpha = 1 - 2 eps: ``1 - (1 - 2 eps)^d``, which
  tends to 1. The rind's growth rate at alpha = 1 is ``d``: it grows d times faster than the
  object shrinks.
* **The half-length tends to 1.** The shrink factor that keeps half the volume is
  ``alpha = 2^(-1/d) = exp(-log 2 / d) ~ 1 - 0.7 / d``: 0.71 in 2-D, 0.79 in 3-D and above 0.98 in
  350-D, where half of a uniformly spread "pizza's salami" lies within 0.1% of the diameter from
  the boundary. The inscribed ball's share of the cube, ``pi^(d/2) / (Gamma(d/2 + 1) 2^d)``,
  vanishes: the samples live in the corners.
* **Distances concentrate.** The distance between two uniform random points grows like
  ``sqrt(d)`` while its spread stays constant, so the relative contrast ``(max - min) / min``
  of a data set's pairwise distances shrinks and every point is about equally far from every
  other. On the d-torus (the cube with opposite faces glued, which removes the cube's
  asymmetry), the distance divided by the torus diameter ``sqrt(d) / 2`` concentrates at
  ``1 / sqrt(3) = 0.577``: the lecture's histograms "centred near 0.58".

Shape: these functions take a dimension ``d`` (an int) and return Python floats or dicts.
"""

from __future__ import annotations

import math

import numpy as np

from ._util import Table, np_rng

__all__ = ["ball_volume_fraction", "ball_volume_fraction_mc", "curse_of_dimensionality_table",
           "distance_limits", "half_length", "log10_samples_needed", "pairwise_distance_stats",
           "pairwise_distances", "rind_growth_rate", "rind_volume_fraction",
           "rind_volume_fraction_mc", "subcube_half_length"]

# Moments of one coordinate difference delta of two uniform points: on the cube delta = |u - v|
# has E delta^2 = 1/6 and E delta^4 = 1/15; on the torus delta = min(|u - v|, 1 - |u - v|) is
# uniform on [0, 1/2] with E delta^2 = 1/12 and E delta^4 = 1/80.
_MOMENTS = {False: (1 / 6, 1 / 15), True: (1 / 12, 1 / 80)}


def _check_d(fn, d):
    if int(d) != d or d < 1:
        raise ValueError(f"{fn}: d must be a positive integer, got {d!r}")
    return int(d)


def _check_eps(fn, eps):
    if not 0 <= eps <= 0.5:
        raise ValueError(f"{fn}: eps must be in [0, 0.5] (a rind thicker than half the unit "
                         f"cube fills it), got {eps!r}")
    return float(eps)


def rind_volume_fraction(d, eps):
    """The share of the unit cube [0, 1]^d within ``eps`` of its boundary: ``1 - (1 - 2 eps)^d``.

    The interior is the cube shrunk by alpha = 1 - 2 eps, with volume alpha^d; the rind is what
    is left. ``rind_volume_fraction(2, 0.01) = 0.0396`` but ``rind_volume_fraction(350, 0.01)
    = 0.9991``: in 350 dimensions a 1% rind is almost the whole cube.
    """
    d, eps = _check_d("rind_volume_fraction", d), _check_eps("rind_volume_fraction", eps)
    return float(-math.expm1(d * math.log1p(-2 * eps))) if eps < 0.5 else 1.0


def _uniform_chunks(d, n, rng, budget=1 << 21):
    """Uniform points in [0, 1]^d, ``n`` in all, yielded in chunks of about ``budget`` numbers."""
    rows = max(1, budget // d)
    for start in range(0, n, rows):
        yield rng.random((min(rows, n - start), d))


def rind_volume_fraction_mc(d, eps, n=100_000, generator=None):
    """Monte-Carlo estimate of ``rind_volume_fraction``: the share of ``n`` uniform points of
    [0, 1]^d with some coordinate within ``eps`` of 0 or 1 (standard error
    ``sqrt(p (1 - p) / n)``)."""
    d, eps = _check_d("rind_volume_fraction_mc", d), _check_eps("rind_volume_fraction_mc", eps)
    rng, hits = np_rng(generator), 0
    for x in _uniform_chunks(d, int(n), rng):
        hits += int((np.minimum(x, 1 - x) < eps).any(axis=1).sum())
    return hits / int(n)


def rind_growth_rate(d, alpha=1.0):
    """``-d(1 - alpha^d) / d alpha = d alpha^(d-1)``: how fast the rind's volume grows as the
    shape shrinks. At alpha = 1 it is ``d``: the rind grows d times faster than the shrinking."""
    d = _check_d("rind_growth_rate", d)
    return float(d * alpha ** (d - 1))


def half_length(d, fraction=0.5):
    """The shrink factor alpha whose copy keeps ``fraction`` of the volume: ``fraction^(1/d)``.

    For ``fraction = 1/2`` (the lecture's half-length, named after a half-life) alpha =
    ``2^(-1/d) ~ 1 - 0.7 / d``: 0.707 (2-D), 0.794 (3-D), 0.998 (350-D). Half of the volume then
    lies within ``(1 - alpha) / 2`` of the diameter from the boundary.
    """
    d = _check_d("half_length", d)
    if not 0 < fraction <= 1:
        raise ValueError(f"half_length: fraction must be in (0, 1], got {fraction!r}")
    return float(fraction ** (1.0 / d))


def subcube_half_length(d, fraction=0.5):
    """Half the side of the centred sub-cube holding ``fraction`` of the unit cube's volume:
    ``0.5 * fraction^(1/d)``. It tends to 0.5 (the whole cube's half side) as d grows: a
    sub-cube holding 1% of the volume of [0, 1]^100 still spans 95% of each axis."""
    return 0.5 * half_length(d, fraction)


def ball_volume_fraction(d, log10=False):
    """The share of the cube [-1/2, 1/2]^d inside its inscribed ball of radius 1/2:

        V_sphere(d) = pi^(d/2) / (Gamma(d/2 + 1) 2^d)  ~  O(c^-d)

    pi/4 = 0.785 in 2-D, 0.524 in 3-D, 0.0025 in 10-D: almost all of the volume (and of uniformly
    spread samples) lies in the cube's 2^d corners. Computed through log-gamma; ``log10=True``
    returns the base-10 logarithm instead (the fraction underflows float64 beyond d ~ 340).
    """
    d = _check_d("ball_volume_fraction", d)
    ln = d / 2 * math.log(math.pi) - math.lgamma(d / 2 + 1) - d * math.log(2)
    ln = min(ln, 0.0)  # d = 1: the ball is the whole segment (exp(ln) rounds to 1 + ulp)
    return float(ln / math.log(10)) if log10 else float(math.exp(ln))


def ball_volume_fraction_mc(d, n=100_000, generator=None):
    """Monte-Carlo estimate of ``ball_volume_fraction``: the share of ``n`` uniform points of
    the cube within distance 1/2 of its centre."""
    d = _check_d("ball_volume_fraction_mc", d)
    rng, hits = np_rng(generator), 0
    for x in _uniform_chunks(d, int(n), rng):
        hits += int((((x - 0.5) ** 2).sum(axis=1) <= 0.25).sum())
    return hits / int(n)


def log10_samples_needed(d, eps=0.1):
    """``log10(eps^-d) = -d log10(eps)``: the order of magnitude of the number of samples that
    approximate a Lipschitz function on R^d to accuracy ``eps``. A 12-megapixel RGB photo has
    d = 36,000,000, so eps = 0.1 needs 10^36,000,000 samples (the universe has 10^78 to 10^82
    atoms)."""
    d = _check_d("log10_samples_needed", d)
    if not 0 < eps < 1:
        raise ValueError(f"log10_samples_needed: eps must be in (0, 1), got {eps!r}")
    return float(-d * math.log10(eps))


def pairwise_distances(points, torus=False):
    """All ``n (n - 1) / 2`` Euclidean distances between the rows of ``points`` (n, d).

    On the torus each coordinate difference wraps around: ``delta = min(|u - v|, 1 - |u - v|)``.
    Computed a block of rows at a time, in float64.
    """
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"pairwise_distances: points must be (n, d), got shape {x.shape}")
    n, d = x.shape
    out = []
    rows = max(1, (1 << 22) // max(1, n * d))
    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        diff = np.abs(x[i0:i1, None, :] - x[None, :, :])  # (rows, n, d)
        if torus:
            np.minimum(diff, 1 - diff, out=diff)
        dist = np.sqrt((diff * diff).sum(-1))
        for r in range(i0, i1):  # keep the pairs (r, c) with c > r
            out.append(dist[r - i0, r + 1:])
    return np.concatenate(out) if out else np.zeros(0)


def pairwise_distance_stats(d, n=500, torus=False, generator=None):
    """Statistics of the distances between ``n`` uniform random points of [0, 1]^d (or the
    d-torus): a dict with ``mean``, ``std``, ``min``, ``max``,

    * ``relative_contrast = (max - min) / min``, which shrinks towards 0 as d grows (every point
      is nearly equally far from every other, so "nearest" neighbours lose their meaning);
    * ``cv = std / mean``, which shrinks like ``1 / sqrt(d)`` (see ``distance_limits``);
    * ``normalized_mean = mean / diameter``, the diameter being ``sqrt(d)`` for the cube and
      ``sqrt(d) / 2`` for the torus; it tends to ``1/sqrt(6) = 0.408`` (cube) and
      ``1/sqrt(3) = 0.577`` (torus, the lecture's 0.58).
    """
    d = _check_d("pairwise_distance_stats", d)
    if n < 3:
        raise ValueError(f"pairwise_distance_stats: n must be at least 3, got {n}")
    x = np_rng(generator).random((int(n), d))
    dist = pairwise_distances(x, torus=torus)
    diameter = math.sqrt(d) / (2 if torus else 1)
    lo, hi, mean = float(dist.min()), float(dist.max()), float(dist.mean())
    return {"d": d, "n": int(n), "torus": bool(torus), "mean": mean, "std": float(dist.std()),
            "min": lo, "max": hi, "relative_contrast": (hi - lo) / lo if lo > 0 else math.inf,
            "cv": float(dist.std()) / mean, "normalized_mean": mean / diameter}


def distance_limits(d, torus=False):
    """Large-d approximations of ``pairwise_distance_stats`` from the coordinate moments.

    The squared distance is a sum of d independent terms delta_i^2 with mean m2 = E delta^2 and
    variance v = E delta^4 - m2^2 (cube: 1/6 and 1/15 - 1/36; torus: 1/12 and 1/80 - 1/144), so
    by the delta method the distance has

        mean ~ sqrt(d m2),   std ~ sqrt(v / (4 m2))  (constant),   cv ~ sqrt(v / (4 d)) / m2,

    and ``normalized_mean -> sqrt(m2) / (diameter / sqrt(d))``: 0.408 (cube), 0.577 (torus).
    """
    d = _check_d("distance_limits", d)
    m2, m4 = _MOMENTS[bool(torus)]
    v = m4 - m2 * m2
    return {"mean": math.sqrt(d * m2), "std": math.sqrt(v / (4 * m2)),
            "cv": math.sqrt(v / (4 * d)) / m2,
            "normalized_mean": math.sqrt(m2) * (2 if torus else 1)}


def curse_of_dimensionality_table(dims=(1, 2, 3, 10, 100, 350, 1000), eps=0.01, n_points=200,
                                  torus=True, generator=None):
    """One row per dimension d with the lecture's numbers, closed form and measured:

    ``rind`` (share of the cube within ``eps`` of the boundary), ``half_length`` (2^(-1/d)),
    ``boundary_share`` ((1 - half_length) / 2: half the volume lies this close to the boundary,
    as a fraction of the diameter), ``log10_ball`` (log10 of the inscribed ball's share),
    ``contrast`` and ``cv``
    of the distances between ``n_points`` random points (on the torus unless ``torus=False``),
    ``normalized_mean`` of those distances, and ``log10_samples`` (accuracy 0.1).

    Returns a ``Table`` (a list of row dicts that prints as a table).
    """
    rng = np_rng(generator)
    rows = []
    for d in dims:
        stats = pairwise_distance_stats(d, n_points, torus=torus, generator=rng)
        a = half_length(d)
        rows.append({"d": int(d), "rind": rind_volume_fraction(d, eps), "half_length": a,
                     "boundary_share": (1 - a) / 2,
                     "log10_ball": ball_volume_fraction(d, log10=True),
                     "contrast": stats["relative_contrast"], "cv": stats["cv"],
                     "normalized_mean": stats["normalized_mean"],
                     "log10_samples": log10_samples_needed(d, 0.1)})
    cols = ["d", "rind", "half_length", "boundary_share", "log10_ball", "contrast", "cv",
            "normalized_mean", "log10_samples"]
    fmts = {"rind": ".4f", "half_length": ".4f", "boundary_share": ".4f", "log10_ball": ".1f",
            "contrast": ".3f", "cv": ".4f", "normalized_mean": ".3f", "log10_samples": ".0f"}
    title = (f"Curse of dimensionality (rind eps={eps}, {n_points} random points on the "
             f"{'torus' if torus else 'cube'})")
    return Table(rows, cols, fmts, title)
