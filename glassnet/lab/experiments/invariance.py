"""Invariance (lectures 000/003): what pooling buys, what striding loses, and what a stable
representation notices of a deformation.

* ``pooling-invariance``: max pooling makes features insensitive to shifts smaller than the pool.
* ``aliasing-blurpool``: max pooling aliases; blurring before subsampling (Zhang 2019) makes a
  small CNN's prediction more consistent under shifts, the more the wider the blur.
* ``deformation-stability``: at a fixed displacement, a stable representation changes with how
  much the warp bends (||grad tau||), not with how far it moves pixels; pixels do the opposite.
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.analysis import (
    displacement_gradient_norm,
    displacement_norm,
    gabor_kernel,
    kernels_to_weight,
    shift_batch,
    shift_consistency,
    shift_deviation,
)
from glassnet.analysis._util import as_numpy, evaluate, relative_error
from glassnet.data.warp import elastic_displacement, gaussian_blur, sample_pixels
from glassnet.lab.common import accuracy, fit, rank_correlation
from glassnet.lab.datasets import fashion_mnist
from glassnet.lab.runner import experiment
from glassnet.nn import functional as F


def small_cnn(pool, channels=(16, 32, 64)):
    """(trunk, classifier): [conv 3x3, batch norm, ReLU, ``pool(c)``] twice, then conv 3x3,
    batch norm, ReLU (the trunk); then global average pooling and a linear layer, as in
    ResNets. ``pool(c)`` returns the downsampling layer for ``c`` channels."""
    c1, c2, c3 = channels

    def unit(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]

    trunk = nn.Sequential(*unit(1, c1), pool(c1), *unit(c1, c2), pool(c2), *unit(c2, c3))
    return trunk, nn.Sequential(trunk, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c3, 10))


# ====================================================================== pooling-invariance
def gabor_bank(orientations=8, size=7):
    """A fixed first layer: ``orientations`` Gabor filters (wavelength 5 px), (K, 1, 7, 7)."""
    return kernels_to_weight([gabor_kernel(size, sigma=2.0, theta=np.pi * i / orientations,
                                           lambd=5.0) for i in range(orientations)])


def pooled_features(weight, pool):
    """x -> pool(ReLU(conv(x, weight))): ``pool`` is None (no pooling), an int k (k x k max
    pooling, stride k) or ``'global'`` (the maximum over the whole map)."""
    def f(x):
        y = F.relu(F.conv2d(x, weight, padding=weight.shape[-1] // 2))
        if pool is None:
            return y
        if pool == "global":
            return y.amax(dim=(-2, -1))
        return F.max_pool2d(y, pool)
    return f


def unchanged_fraction(f, x, v=(0, 1), rtol=1e-6):
    """Among the units of ``f`` active (non-zero) before or after shifting ``x`` by ``v``
    pixels, the fraction whose value did not change (to ``rtol`` of the largest value)."""
    shifted = shift_batch(as_numpy(x), np.broadcast_to(v, (len(x), 2)), circular=False)
    a, b = as_numpy(evaluate(f, gn.tensor(x))), as_numpy(evaluate(f, gn.tensor(shifted)))
    tol = rtol * max(np.abs(a).max(), 1e-12)
    active = (np.abs(a) > tol) | (np.abs(b) > tol)
    return float((np.abs(a - b)[active] <= tol).mean())


POOLS = {"no pooling": None, "max 2x2": 2, "max 4x4": 4, "global max": "global"}


@experiment("pooling-invariance", lecture="000 deep learning: pooling",
            claim="max pooling makes features invariant to shifts smaller than the pool: after "
                  "pooling a 1-2 px shift changes them less, the more the wider the pool",
            full="1,000 test images instead of 256")
def pooling_invariance(lab):
    _, _, x, _ = fashion_mnist(0, lab.pick(256, 1000), lab.rng)
    w = gabor_bank()
    shifts = (1, 2, 3, 4, 6, 8)
    dev = {}
    for name, pool in POOLS.items():
        f = pooled_features(w, pool)
        # the mean of a horizontal and a vertical shift by s pixels, zeros moved in
        dev[name] = (shift_deviation(f, x, [(0, s) for s in shifts], mode="invariance",
                                     circular=False)
                     + shift_deviation(f, x, [(s, 0) for s in shifts], mode="invariance",
                                       circular=False)) / 2
    lab.table("Relative change ||f(S x) - f(x)|| / ||f(x)|| of Gabor features (8 orientations, "
              "ReLU) under a shift by s px", ["features"] + [f"s = {s}" for s in shifts],
              [[k] + list(v) for k, v in dev.items()])
    i1, i2, i8 = shifts.index(1), shifts.index(2), shifts.index(8)
    order = all(dev["no pooling"][i] > dev["max 2x2"][i] > dev["max 4x4"][i] for i in (i1, i2))
    lab.claim("for 1 and 2 px shifts, features change less after 2x2 max pooling than before, "
              "and less again after 4x4",
              measured=", ".join(f"s={shifts[i]}: none {dev['no pooling'][i]:.3f} > 2x2 "
                                 f"{dev['max 2x2'][i]:.3f} > 4x4 {dev['max 4x4'][i]:.3f}"
                                 for i in (i1, i2)),
              reference="lecture 000, 'Pooling' slide: 'contributes to approximate "
                        "shift/deformation invariance'; lecture 003 (01:13:53): 'regardless of "
                        "minor shifts ... the pooling operation remains largely unaffected'",
              holds=order)
    ratio8 = dev["max 2x2"][i8] / dev["no pooling"][i8]
    lab.claim("the invariance is local: for an 8 px shift, 4 times the 2x2 pool, the pooled "
              "features change at least 0.8 times as much as unpooled ones",
              measured=f"2x2 / none at 8 px: {ratio8:.2f} (at 1 px: "
                       f"{dev['max 2x2'][i1] / dev['no pooling'][i1]:.2f})",
              reference="lecture 003 (01:13:53): 'we're not talking really huge shifts here'",
              holds=ratio8 >= 0.8)
    same = {k: unchanged_fraction(pooled_features(w, POOLS[k]), x)
            for k in ("no pooling", "max 2x2")}
    lab.claim("a 1 px shift leaves at least a quarter of the active 2x2-max-pooled units exactly "
              "unchanged, and at least twice the fraction of unchanged units before pooling",
              measured=f"unchanged: {same['max 2x2']:.2f} after pooling, {same['no pooling']:.2f} "
                       "before",
              reference="Goodfellow, Bengio and Courville 2016, Fig. 9.8 (a one-pixel shift "
                        "changes every detector unit but only half of the max-pooled units)",
              holds=same["max 2x2"] >= 0.25 and same["max 2x2"] >= 2 * same["no pooling"])
    lab.record(shifts=shifts, relative_change=dev, unchanged_fraction=same)
    with lab.figure("shift-curves", figsize=(10, 4)) as fig:
        if fig is not None:
            gs = fig.add_gridspec(2, 4)
            a1 = fig.add_subplot(gs[:, :2])
            for name, v in dev.items():
                a1.plot(shifts, v, "-o", label=name)
            a1.set_xlabel("shift (px)")
            a1.set_ylabel("relative change of the features")
            a1.legend()
            a1.set_title("Gabor features on Fashion-MNIST")
            x0 = gn.tensor(x[:1])
            x1 = gn.tensor(shift_batch(x[:1], [(0, 1)], circular=False))
            for k, (pool, xi, title) in enumerate([
                    (None, x0, "no pooling"), (None, x1, "no pooling, 1 px shift"),
                    (2, x0, "2x2 max pool"), (2, x1, "2x2 max pool, 1 px shift")]):
                ax = fig.add_subplot(gs[k // 2, 2 + k % 2])
                ax.imshow(pooled_features(w, pool)(xi).numpy()[0, 2], cmap="magma")
                ax.set_title(title, fontsize=8)
                ax.set_xticks([])
                ax.set_yticks([])


# ====================================================================== aliasing-blurpool
BLUR_SIZES = (1, 2, 3, 4, 5)  # 1: plain max pooling; 2, 3, 5: Zhang's Rect-2, Tri-3, Bin-5


def blur_pool(filt_size):
    """The downsampling layer for ``small_cnn``: MaxPool2d(2) for ``filt_size`` 1, else
    MaxBlurPool2d (max at stride 1, then a binomial blur of that size at stride 2)."""
    if filt_size == 1:
        return lambda c: nn.MaxPool2d(2)
    return lambda c: nn.MaxBlurPool2d(c, 2, filt_size=filt_size)


@experiment("aliasing-blurpool", lecture="000 deep learning: aliasing and anti-aliased "
            "downsampling (Zhang 2019)",
            claim="blurring before subsampling (MaxBlurPool) makes a CNN's prediction more "
                  "consistent under small shifts, the more the wider the blur filter",
            full="20,000 training images instead of 3,000, 8 epochs instead of 3, 16/32/64 "
                 "channels instead of 8/16/32, the whole test set, 3 seeds")
def aliasing_blurpool(lab):
    x_tr, y_tr, x_te, y_te = fashion_mnist(lab.pick(3000, 20000),
                                          lab.pick(1000, None), lab.rng)
    channels = lab.pick((8, 16, 32), (16, 32, 64))
    epochs, seeds, max_shift = lab.pick(3, 8), lab.pick(1, 3), 3
    res = {}
    for k in lab.progress(BLUR_SIZES, desc="blur filter sizes"):
        accs, cons = [], []
        for s in range(seeds):
            gn.manual_seed(lab.seed + s)
            _, net = small_cnn(blur_pool(k), channels)
            fit(net, x_tr, y_tr, epochs)
            accs.append(accuracy(net, x_te, y_te))
            cons.append(shift_consistency(net, x_te, max_shift, circular=False, pairs=2,
                                          generator=lab.seed + s))
        res[k] = {"accuracy": float(np.mean(accs)), "consistency": float(np.mean(cons)),
                  "accuracies": accs, "consistencies": cons}
    names = {1: "MaxPool", 2: "Rect-2", 3: "Tri-3", 4: "Bin-4", 5: "Bin-5"}
    lab.table(f"Small CNN on Fashion-MNIST: shift consistency (same class for two random shifts "
              f"of up to {max_shift} px, zeros moved in) and accuracy",
              ["downsampling", "blur filter", "consistency", "test accuracy"],
              [["MaxPool2d(2)" if k == 1 else "MaxBlurPool2d", names[k], r["consistency"],
                r["accuracy"]] for k, r in res.items()])
    rho = rank_correlation(list(res), [r["consistency"] for r in res.values()])
    lab.claim("consistency rises with the blur filter's size: rank correlation of filter size "
              "(1 = MaxPool ... 5) with consistency > 0.5, and Bin-5 more consistent than "
              "MaxPool",
              measured=", ".join(f"{names[k]} {r['consistency']:.3f}" for k, r in res.items())
              + f"; Spearman rho {rho:.2f}",
              reference="Zhang 2019, 'Making convolutional networks shift-invariant again', "
                        "Table 2 / Fig. 5 (ImageNet consistency, MaxPool -> Rect-2 -> Tri-3 -> "
                        "Bin-5: VGG16 88.52 -> 89.24 -> 89.60 -> 90.19; ResNet-50 89.20 -> "
                        "89.96 -> 90.91 -> 91.31)",
              holds=rho > 0.5 and res[5]["consistency"] > res[1]["consistency"])
    lab.claim("anti-aliasing costs no accuracy: Bin-5's test accuracy is at least MaxPool's "
              "minus 1 point",
              measured=f"MaxPool {res[1]['accuracy']:.3f}, Bin-5 {res[5]['accuracy']:.3f}",
              reference="Zhang 2019, Table 2 (ImageNet accuracy rises too, e.g. ResNet-50 "
                        "76.16 -> 77.04, VGG16 71.59 -> 72.33)",
              holds=res[5]["accuracy"] >= res[1]["accuracy"] - 0.01)
    if lab.quick:
        lab.note("Quick run: 3,000 training images, 3 epochs, 8/16/32 channels, one seed; "
                 "consistency is estimated from 1,000 test images x 2 shift pairs (standard "
                 "error about 1 point), and accuracy differences of a few points between such "
                 "briefly trained nets are within seed-to-seed noise.")
    lab.record(results=res, max_shift=max_shift, rank_correlation=rho)
    with lab.figure("consistency", figsize=(9, 4)) as fig:
        if fig is not None:
            a1, a2 = fig.subplots(1, 2)
            ks = list(res)
            a1.plot(ks, [100 * res[k]["consistency"] for k in ks], "-o")
            a1.set_xticks(ks, [names[k] for k in ks])
            a1.set_ylabel("shift consistency (%)")
            a1.set_title("this run (Fashion-MNIST)")
            for name, vals in (("VGG16", [88.52, 89.24, 89.60, 90.19]),
                               ("ResNet-50", [89.20, 89.96, 90.91, 91.31])):
                a2.plot([1, 2, 3, 5], vals, "-o", label=name)
            a2.set_xticks([1, 2, 3, 5], ["MaxPool", "Rect-2", "Tri-3", "Bin-5"])
            a2.set_title("Zhang 2019, Table 2 (ImageNet)")
            a2.legend()


# ====================================================================== deformation-stability
def spectral_resize(x, size):
    """Resample images (N, C, H, W) to ``size`` by zero-padding or cropping their
    centred 2-D spectrum: ideal (sinc) interpolation of a band-limited image. Pixel k of the
    input sits at pixel k * size / H of the output, and shrinking back to (H, W) returns the
    input exactly. The smaller size must be odd in each dimension."""
    h, w = x.shape[-2:]
    h2, w2 = size
    if min(h, h2) % 2 == 0 or min(w, w2) % 2 == 0:
        raise ValueError(f"spectral_resize: the smaller size must be odd in each dimension (no "
                         f"Nyquist bin), got {h}x{w} -> {h2}x{w2}")
    spec = np.fft.fftshift(np.fft.fft2(x), axes=(-2, -1))
    out = np.zeros(x.shape[:-2] + (h2, w2), complex)
    mh, mw = min(h, h2), min(w, w2)  # the frequencies both grids hold (odd counts)
    oi, oj = h2 // 2 - mh // 2, w2 // 2 - mw // 2
    ii, ij = h // 2 - mh // 2, w // 2 - mw // 2
    out[..., oi:oi + mh, oj:oj + mw] = spec[..., ii:ii + mh, ij:ij + mw]
    y = np.fft.ifft2(np.fft.ifftshift(out, axes=(-2, -1))) * (h2 * w2) / (h * w)
    return y.real.astype(x.dtype)


def _linear_upsample(n, factor):
    """The (n * factor, n) matrix of linear interpolation from pixel k to fine pixel k * factor
    (clamped beyond the last pixel)."""
    pos = np.minimum(np.arange(n * factor) / factor, n - 1)
    lo = np.minimum(np.floor(pos).astype(int), n - 2)
    m = np.zeros((n * factor, n))
    m[np.arange(n * factor), lo] = lo + 1 - pos
    m[np.arange(n * factor), lo + 1] = pos - lo
    return m


def warp(images, dy, dx, factor=4, fine=None):
    """``(D_tau x)(p) = x(p + tau(p))`` for every image (N, C, H, W) and its own field (dy, dx),
    each (N, H, W), in pixels; zeros outside.

    Resampling between pixels with bilinear weights would smooth the image, a change that is
    neither displacement nor bending. Instead the image is taken as band-limited: it is
    upsampled ``factor`` times by ``spectral_resize`` (pass it as ``fine`` to reuse it), warped
    there (bilinear sampling on a grid ``factor`` times finer loses almost nothing of a
    band-limited image; the field is interpolated linearly, which is exact for translations
    and rotations), and band-limited back. The identity and whole-pixel translations are then
    exact up to the band limit."""
    h, w = images.shape[-2:]
    if fine is None:
        fine = spectral_resize(images.astype(np.float64), (h * factor, w * factor))
    uh, uw = _linear_upsample(h, factor), _linear_upsample(w, factor)
    yy, xx = np.mgrid[0:h * factor, 0:w * factor].astype(np.float64)
    fy, fx = (uh @ np.asarray(d, np.float64) @ uw.T for d in (dy, dx))
    out = sample_pixels(fine, yy + factor * fy, xx + factor * fx)
    return spectral_resize(out, (h, w)).astype(images.dtype)


def mass_centres(weights):
    """The centre of mass (y, x) of each (N, H, W) weight map, as an (N, 2) array."""
    n, h, w = weights.shape
    yy, xx = np.mgrid[0:h, 0:w]
    tot = weights.reshape(n, -1).sum(1)
    return np.stack([(weights * yy).reshape(n, -1).sum(1) / tot,
                     (weights * xx).reshape(n, -1).sum(1) / tot], 1)


def translation_field(shape, v):
    """A constant field: every pixel of image n moves by v[n] = (dy, dx). Bends nothing."""
    n, h, w = shape
    v = np.asarray(v, np.float64).reshape(n, 2)
    return (np.broadcast_to(v[:, :1, None], (n, h, w)).copy(),
            np.broadcast_to(v[:, 1:, None], (n, h, w)).copy())


def rotation_field(shape, centres, theta):
    """Rotation of image n by theta[n] (radians) about centres[n] = (cy, cx): the field
    tau(p) = R (p - c) + c - p. Its Jacobian R - I is the same everywhere, ||R - I|| =
    2 sqrt(2) sin(theta / 2); its displacement grows with the distance from the centre."""
    h, w = shape[1:]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = (np.asarray(centres, np.float64)[:, i, None, None] for i in (0, 1))
    c, s = (f(np.asarray(theta, np.float64))[:, None, None] for f in (np.cos, np.sin))
    ry, rx = yy - cy, xx - cx
    return cy + c * ry + s * rx - yy, cx - s * ry + c * rx - xx


def fixed_displacement_warps(x, weights, dist, rng, centre_distances, sigmas):
    """Warps of every image whose (``weights``-weighted) RMS displacement is exactly ``dist``
    px, from no bending to a lot: translations (random direction; and a whole-pixel one that
    needs no interpolation), rotations about a centre ``d`` px from the image's centre of mass
    (d -> infinity tends to a translation, d = 0 bends most), and smooth random fields of
    smoothness ``sigma`` (Simard et al. 2003), rescaled per image. Returns
    [(family, label, dy, dx)]."""
    n, _, h, w = x.shape
    shape = (n, h, w)
    out = []
    a = rng.uniform(0, 2 * np.pi, n)
    out.append(("translation", "translation", *translation_field(
        shape, dist * np.stack([np.sin(a), np.cos(a)], 1))))
    axis = np.eye(2)[rng.integers(0, 2, n)] * rng.choice([-1.0, 1.0], (n, 1))
    out.append(("translation", "whole-pixel translation",
                *translation_field(shape, np.round(dist) * axis)))
    centre = mass_centres(weights)
    yy, xx = np.mgrid[0:h, 0:w]
    for d in centre_distances:
        b = rng.uniform(0, 2 * np.pi, n)
        c = centre + d * np.stack([np.sin(b), np.cos(b)], 1)
        r2 = (weights * ((yy - c[:, :1, None]) ** 2 + (xx - c[:, 1:, None]) ** 2)).reshape(
            n, -1).sum(1) / weights.reshape(n, -1).sum(1)
        # |tau(p)| = 2 sin(theta / 2) |p - c|: the angle that moves pixels dist px (RMS)
        theta = 2 * np.arcsin(np.minimum(dist / (2 * np.sqrt(r2)), 1.0)) * \
            rng.choice([-1.0, 1.0], n)
        out.append(("rotation", f"rotation about a centre {d:g} px away",
                    *rotation_field(shape, c, theta)))
    for s in sigmas:
        dy, dx = elastic_displacement(shape, 1.0, s, rng)
        k = dist / displacement_norm(dy, dx, weights, per_sample=True)
        out.append(("elastic", f"smooth field, sigma {s:g}", dy * k[:, None, None],
                    dx * k[:, None, None]))
    return out


def fixed_bending_warps(x, weights, theta, shifts, rng):
    """A rotation by ``theta`` about each image's centre of mass (fixed bending), composed
    with translations by each of ``shifts`` px (growing displacement); and plain translations
    by the same amounts (no bending). Returns [(family, shift, dy, dx)]."""
    n, _, h, w = x.shape
    centre = mass_centres(weights)
    a = rng.uniform(0, 2 * np.pi, n)
    direction = np.stack([np.sin(a), np.cos(a)], 1)
    ry, rx = rotation_field((n, h, w), centre, np.full(n, theta))
    out = []
    for t in shifts:
        ty, tx = translation_field((n, h, w), t * direction)
        out.append((f"rotation {np.degrees(theta):.0f} deg + translation", t, ry + ty, rx + tx))
        if t > 0:
            out.append(("translation", t, ty, tx))
    return out


def representations(trained, untrained):
    """name -> features, for images (N, 1, H, W): the pixels, then ever more pooling from one
    trained ``small_cnn`` trunk, and the same architecture untrained."""
    def gap(trunk):
        return nn.Sequential(trunk, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return {"pixels": None, "conv": trained[:3], "conv + 2x2 pool": trained[:4],
            "conv + pool, twice": trained[:8], "deep, global pool (trained)": gap(trained),
            "deep, global pool (untrained)": gap(untrained)}


def relative_changes(reps, x, warps):
    """{name: [relative change ||f(D x) - f(x)|| / ||f(x)|| for each warp]}."""
    ref = {k: x if f is None else as_numpy(evaluate(f, gn.tensor(x))) for k, f in reps.items()}
    out = {k: [] for k in reps}
    fine = spectral_resize(x.astype(np.float64), (x.shape[-2] * 4, x.shape[-1] * 4))
    for *_, dy, dx in warps:
        xw = warp(x, dy, dx, fine=fine)
        for k, f in reps.items():
            y = xw if f is None else as_numpy(evaluate(f, gn.tensor(xw)))
            out[k].append(relative_error(y, ref[k]))
    return out


@experiment("deformation-stability", lecture="000/003 deep learning: approximate deformation "
            "invariance",
            claim="a stable representation changes with how much a warp bends (||grad tau||), "
                  "not with how far it moves pixels (||tau||); pixels change with displacement",
            full="512 test images instead of 128, a CNN trained on 20,000 images for 6 epochs "
                 "instead of 4,000 for 3")
def deformation_stability(lab):
    x_tr, y_tr, x_te, y_te = fashion_mnist(lab.pick(4000, 20000), lab.pick(1000, None),
                                           lab.rng)
    # Every warp but a whole-pixel translation samples between pixels, and bilinear sampling
    # there smooths the image: a change that is neither displacement nor bending. Images
    # smoothed a little first (Gaussian, sigma 1 px) carry little detail for it to remove.
    x_tr, x_te = gaussian_blur(x_tr, 1.0), gaussian_blur(x_te, 1.0)
    gn.manual_seed(lab.seed)
    trained, net = small_cnn(lambda c: nn.MaxPool2d(2))
    fit(net, x_tr, y_tr, lab.pick(3, 6))
    acc = accuracy(net, x_te, y_te)
    untrained, _ = small_cnn(lambda c: nn.MaxPool2d(2))
    reps = representations(trained, untrained)
    # 28x28 images on a 41x41 black canvas, so that nothing is pushed out of the frame (odd,
    # for spectral_resize)
    x = np.pad(x_te[:lab.pick(128, 512)], ((0, 0), (0, 0), (6, 7), (6, 7)))
    weights = x[:, 0].astype(np.float64)  # displacement counts where there is ink
    dist = 2.0
    warps_a = fixed_displacement_warps(x, weights, dist, lab.rng,
                                       centre_distances=(64, 32, 16, 8, 4, 0),
                                       sigmas=(12, 8, 6, 4, 3, 2, 1.5, 1))
    bend_a = [displacement_gradient_norm(dy, dx, weights) for *_, dy, dx in warps_a]
    disp_a = [displacement_norm(dy, dx, weights) for *_, dy, dx in warps_a]
    ch_a = relative_changes(reps, x, warps_a)
    lab.table(f"Relative change of each representation under warps that all move pixels "
              f"{dist:g} px (RMS over the ink), ordered by bending",
              ["warp", "||tau|| (px)", "||grad tau||"] + list(reps),
              [[w[1], disp_a[i], bend_a[i]] + [ch_a[k][i] for k in reps]
               for i, w in sorted(enumerate(warps_a), key=lambda t: bend_a[t[0]])])
    theta = np.radians(6.0)
    warps_b = fixed_bending_warps(x, weights, theta, (0, 1, 2, 3, 4), lab.rng)
    disp_b = [displacement_norm(dy, dx, weights) for *_, dy, dx in warps_b]
    bend_b = [displacement_gradient_norm(dy, dx, weights) for *_, dy, dx in warps_b]
    ch_b = relative_changes(reps, x, warps_b)
    lab.table("Relative change at fixed bending: a 6 degree rotation about the centre of mass "
              "plus a growing translation, and plain translations (no bending)",
              ["warp", "translation (px)", "||tau|| (px)", "||grad tau||"] + list(reps),
              [[w[0], w[1], disp_b[i], bend_b[i]] + [ch_b[k][i] for k in reps]
               for i, w in enumerate(warps_b)])
    # the interpolation alone: half a pixel diagonally and back (no net displacement)
    n, _, h, w = x.shape
    there, back = translation_field((n, h, w), np.full((n, 2), 0.5)), \
        translation_field((n, h, w), np.full((n, 2), -0.5))
    ref = {k: x if f is None else as_numpy(evaluate(f, gn.tensor(x))) for k, f in reps.items()}
    floor = {}
    for how, xr in (("bilinear on the pixel grid", sample_pixels(sample_pixels(
            x, *(np.mgrid[0:h, 0:w] + 0.5)), *(np.mgrid[0:h, 0:w] - 0.5))),
                    ("band-limited, 4x finer grid (used here)", warp(warp(x, *there), *back))):
        floor[how] = {k: relative_error(xr if f is None else as_numpy(evaluate(
            f, gn.tensor(xr))), ref[k]) for k, f in reps.items()}
    lab.table("Interpolation alone: relative change after moving half a pixel diagonally and "
              "back", ["resampling"] + list(reps),
              [[how] + [v[k] for k in reps] for how, v in floor.items()])
    i_t = [w[1] for w in warps_a].index("translation")
    i_b = int(np.argmax(bend_a))
    rot = [i for i, w in enumerate(warps_b) if w[0].startswith("rotation")]
    stats = {}
    for k in reps:
        stats[k] = {"rho_bending": rank_correlation(bend_a, ch_a[k]),
                    "translation_over_bending": ch_a[k][i_t] / ch_a[k][i_b],
                    "growth_with_displacement": ch_b[k][rot[-1]] / ch_b[k][rot[0]]}
    lab.table(f"Summary: rank correlation with ||grad tau|| at fixed displacement; change under "
              f"a {dist:g} px translation / under the most bending warp of the same displacement; "
              f"change at 4 px / 0 px extra translation with the bending fixed",
              ["representation", "rho(||grad tau||, change)", "translation / most bending",
               "growth with displacement"],
              [[k, s["rho_bending"], s["translation_over_bending"],
                s["growth_with_displacement"]] for k, s in stats.items()])
    deep, pix = stats["deep, global pool (trained)"], stats["pixels"]
    lab.claim("trained deep features (global pooling) follow bending, not displacement: at a "
              "fixed 2 px displacement their change rises with ||grad tau|| (Spearman rho >= "
              "0.8), a pure 2 px translation changes them less than half as much as the most "
              "bending warp, and at fixed bending 4 px more displacement raises their change "
              "less than 1.5x",
              measured=f"rho {deep['rho_bending']:.2f}, translation / bending "
                       f"{deep['translation_over_bending']:.2f}, growth "
                       f"{deep['growth_with_displacement']:.2f}",
              reference="lecture 000, 'Approximate deformation invariance': ||f(x) - "
                        "f(D_tau x)|| ~ ||grad tau||; Mallat 2012, 'Group invariant "
                        "scattering', Thm 2.12 (the displacement term 2^-J ||tau|| vanishes as "
                        "the pooling scale 2^J grows)",
              holds=deep["rho_bending"] >= 0.8 and deep["translation_over_bending"] < 0.5
              and deep["growth_with_displacement"] < 1.5)
    lab.claim("pixels change with displacement: a pure 2 px translation changes them at least "
              "half as much as the most bending warp of the same displacement, and at fixed "
              "bending 4 px more displacement raises their change at least 1.5x",
              measured=f"translation / bending {pix['translation_over_bending']:.2f}, growth "
                       f"{pix['growth_with_displacement']:.2f} (rho with bending "
                       f"{pix['rho_bending']:.2f})",
              reference="lecture 003 (01:23:43-01:24:40): a warped digit is 'a completely new "
                        "arrangement' of pixels; Mallat 2012, section 2.5 (the modulus of the "
                        "Fourier transform / raw signal is unstable to deformations)",
              holds=pix["translation_over_bending"] >= 0.5
              and pix["growth_with_displacement"] >= 1.5)
    chain = ["conv", "conv + pool, twice", "deep, global pool (trained)"]
    r = [stats[k]["translation_over_bending"] for k in chain]
    lab.claim("more pooling, less sensitivity to displacement: the translation / bending ratio "
              "falls from one conv layer to conv + pool twice to the globally pooled deep "
              "features",
              measured=", ".join(f"{k} {v:.2f}" for k, v in zip(chain, r)),
              reference="Mallat 2012, Thm 2.12 (a representation pooled over scale 2^J is "
                        "stable to deformations up to 2^-J ||tau||); lecture 003 (01:14:46): "
                        "'pooling really contributes to the network's robustness against small "
                        "shifts and deformation'",
              holds=r[0] > r[1] > r[2])
    plain = [ch_b["deep, global pool (trained)"][i] for i, w in enumerate(warps_b)
             if w[0] == "translation"]
    lab.note(f"Pure translations of 1 to 4 px change the trained deep features by "
             f"{min(plain):.3f} to {max(plain):.3f}: even with global pooling they are not "
             f"translation invariant (max pooling at stride 2 aliases; see aliasing-blurpool), "
             f"and this part does not shrink with bending.")
    lab.note(f"Warps sample between pixels, and bilinear sampling there smooths the image, a "
             f"change that is neither displacement nor bending (the 'interpolation alone' table: "
             f"{floor['bilinear on the pixel grid']['deep, global pool (trained)']:.3f} for the "
             f"trained features after half a pixel there and back). So the images are smoothed "
             f"a little (Gaussian, sigma 1 px), treated as band-limited and warped on a 4x finer "
             f"grid, which leaves "
             f"{floor['band-limited, 4x finer grid (used here)']['deep, global pool (trained)']:.4f}"
             f". The trained CNN reaches {acc:.3f} test accuracy on the smoothed 28x28 test "
             f"images; here it sees them on a 41x41 black canvas.")
    lab.record(test_accuracy=acc, displacement=dist, interpolation_floor=floor,
               fixed_displacement=[{"family": w[0], "warp": w[1], "displacement": disp_a[i],
                                    "bending": bend_a[i],
                                    "change": {k: ch_a[k][i] for k in reps}}
                                   for i, w in enumerate(warps_a)],
               fixed_bending=[{"family": w[0], "translation": w[1], "displacement": disp_b[i],
                               "bending": bend_b[i], "change": {k: ch_b[k][i] for k in reps}}
                              for i, w in enumerate(warps_b)],
               summary=stats)
    with lab.figure("bending-vs-displacement", figsize=(12, 4.8)) as fig:
        if fig is not None:
            a1, a2 = fig.subplots(1, 2)
            marks = {"translation": "s", "rotation": "^", "elastic": "o"}
            for k in reps:
                color = None
                for fam, m in marks.items():
                    idx = sorted((i for i, w in enumerate(warps_a) if w[0] == fam),
                                 key=lambda i: bend_a[i])
                    line, = a1.plot([bend_a[i] for i in idx], [ch_a[k][i] for i in idx],
                                    "-" + m, ms=4, lw=1, color=color,
                                    label=k if color is None else None)
                    color = line.get_color()
            a1.set_yscale("log")
            a1.set_xlabel("||grad tau|| (bending)   [squares: translations, triangles: "
                          "rotations, circles: smooth fields]", fontsize=8)
            a1.set_ylabel("relative change ||f(D x) - f(x)|| / ||f(x)||")
            a1.set_title(f"fixed displacement: every warp moves the ink {dist:g} px (RMS)")
            a1.legend(fontsize=7)
            idx_r = [i for i, w in enumerate(warps_b) if w[0].startswith("rotation")]
            idx_t = [i for i, w in enumerate(warps_b) if w[0] == "translation"]
            for k in reps:
                line, = a2.plot([disp_b[i] for i in idx_r], [ch_b[k][i] for i in idx_r],
                                "-^", ms=4, label=k)
                a2.plot([disp_b[i] for i in idx_t], [ch_b[k][i] for i in idx_t], "--s",
                        ms=3, color=line.get_color())
            a2.set_yscale("log")
            a2.set_xlabel("||tau|| (displacement, px)")
            a2.set_ylabel("relative change")
            a2.set_title("fixed bending: 6 deg rotation + translation (solid), "
                         "translation only (dashed)", fontsize=9)
