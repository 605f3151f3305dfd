"""What networks learn to represent (lectures 000, 002, 004), and how they were first trained.

* ``gabor-filters``: a CNN's first-layer filters become Gabor-like by training (a fitted 2-D
  Gabor explains more of their variance than of random filters or of the same filters at
  initialisation; Krizhevsky et al. 2012, fig. 3; 002 "learned Gabor-like filters").
* ``fixed-gabor-first-layer``: a fixed Gabor filter bank as the first layer against a learned one
  (002: "if you replace the first layer with ... Gabor filters, performance decreases").
* ``neocognitron``: Fukushima's 1980 network, learned without backprop, tolerates shifts that
  defeat template matching (000 "Neocognitron").
* ``autoencoder-vs-pca``: a deep autoencoder's 30-number code reconstructs digits better than
  30 principal components (Hinton and Salakhutdinov 2006, fig. 2).
* ``layerwise-pretraining``: greedy layer-wise (RBM) pre-training makes a deep sigmoid
  autoencoder trainable where random initialisation stalls (004 "2006 breakthrough").
"""

from __future__ import annotations

import math

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.analysis import first_layer_filters, fit_gabor, gabor_kernel, shift
from glassnet.lab.common import accuracy, fit, image_subset
from glassnet.lab.runner import experiment
from glassnet.models import Autoencoder, Neocognitron, count_parameters, pretrain_autoencoder

__all__ = ["gabor_bank", "gabor_r2_table", "pca_reconstruct", "shift_randomly", "small_cnn",
           "squared_error", "train_autoencoder"]

FASHION_MEAN, FASHION_STD = 0.2860, 0.3530  # Fashion-MNIST's pixel mean and standard deviation


def _standardise(x):
    return ((x - FASHION_MEAN) / FASHION_STD).astype(np.float32)


def small_cnn(n_filters=24, size=7):
    """The CNN whose first layer is studied: conv n_filters@size x size (padding keeps 28x28) ->
    ReLU -> max pool 2 -> conv 32@3x3 -> ReLU -> max pool 2 -> linear (28x28 inputs, 10 classes).
    7 x 7 first-layer kernels are large enough that a 9-number Gabor cannot fit noise well."""
    return nn.Sequential(nn.Conv2d(1, n_filters, size, padding=size // 2), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(n_filters, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def _sgd(model):
    # Krizhevsky et al. 2012's recipe: SGD, momentum 0.9, weight decay 5e-4
    return optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.02, momentum=0.9,
                     weight_decay=5e-4)


def _mosaic(rows, pad=1):
    """Rows of k x k kernels as one image: each kernel scaled by its own largest |value| to
    [-1, 1], separated by ``pad`` blank (NaN) pixels."""
    k = rows[0][0].shape[-1]
    n = max(len(r) for r in rows)
    out = np.full((len(rows) * (k + pad) - pad, n * (k + pad) - pad), np.nan)
    for i, row in enumerate(rows):
        for j, f in enumerate(row):
            out[i * (k + pad):i * (k + pad) + k, j * (k + pad):j * (k + pad) + k] = \
                f / (float(np.abs(f).max()) or 1.0)
    return out


def _show_mosaic(ax, rows, labels):
    ax.imshow(_mosaic(rows), cmap="RdBu_r", vmin=-1, vmax=1)
    k = rows[0][0].shape[-1]
    ax.set_yticks([i * (k + 1) + k / 2 - 0.5 for i in range(len(rows))], labels, fontsize=7)
    ax.set_xticks([])


def gabor_r2_table(sets):
    """``{name: kernels (K, k, k)}`` -> ``{name: r2 array}`` (``fit_gabor``'s fraction of
    variance explained) and table rows [name, K, mean, median, share with r2 > 0.8]."""
    r2 = {name: fit_gabor(k)["r2"] for name, k in sets.items()}
    rows = [[name, len(v), float(v.mean()), float(np.median(v)), float((v > 0.8).mean())]
            for name, v in r2.items()]
    return r2, rows


# ====================================================================== gabor-filters
@experiment("gabor-filters", lecture="002 CNNs: what neural networks learn (learned Gabor-like "
            "filters)",
            claim="a CNN's first-layer filters become Gabor-like by training: a fitted 2-D Gabor "
                  "explains more of their variance than of random filters or of the same "
                  "filters at initialisation",
            full="all 60,000 Fashion-MNIST training images for 15 epochs instead of 4,000 for 3")
def gabor_filters(lab):
    n_train, epochs = lab.pick((4000, 3), (60000, 15))
    x, y, xt, yt = image_subset("fashion-mnist", n_train, 2000, lab.rng)
    x, xt = _standardise(x), _standardise(xt)
    model = small_cnn()
    w_init = first_layer_filters(model, normalize=None)[:, 0]
    history = fit(model, x, y, epochs, batch_size=64, optimizer=_sgd(model))
    w = first_layer_filters(model, normalize=None)[:, 0]
    acc = accuracy(model, xt, yt)
    k = w.shape[-1]
    shuffled = np.stack([lab.rng.permutation(f.reshape(-1)).reshape(k, k)
                         for f in np.repeat(w, 4, axis=0)])
    sets = {"trained": w, "at initialisation": w_init,
            "random (i.i.d. Gaussian)": lab.rng.standard_normal((200, k, k)),
            "trained, pixels shuffled": shuffled}
    r2, rows = gabor_r2_table(sets)
    lab.table(f"Gabor fit quality r2 (fraction of variance explained) of {k}x{k} filters",
              ["filters", "count", "mean r2", "median r2", "share r2 > 0.8"], rows)
    m_tr, m_init, m_rand = (float(r2[n].mean()) for n in ("trained", "at initialisation",
                                                          "random (i.i.d. Gaussian)"))
    ref = ("Krizhevsky et al. 2012, fig. 3 (AlexNet's first layer: oriented, Gabor-like "
           "kernels); lecture 002, slide 'What Neural Network Learn: Gabor filters'")
    lab.claim("trained filters are more Gabor-like than random ones (criterion: mean r2 of the "
              "trained filters exceeds the random filters' by more than 0.1)",
              measured=f"mean r2 {m_tr:.3f} vs {m_rand:.3f}", reference=ref,
              holds=m_tr - m_rand > 0.1)
    lab.claim("training made them Gabor-like (criterion: mean r2 after training exceeds the same "
              "filters' at initialisation by more than 0.1)",
              measured=f"mean r2 {m_tr:.3f} vs {m_init:.3f}", reference=ref,
              holds=m_tr - m_init > 0.1)
    lab.record(test_accuracy=acc, train_loss=history["loss"], r2={n: v for n, v in r2.items()})
    lab.note(f"{n_train:,} Fashion-MNIST training images, {epochs} epochs of SGD (lr 0.02, momentum "
             f"0.9, weight decay 5e-4); test accuracy {acc:.3f} on 2,000 test images. A random "
             f"7x7 kernel already gets r2 near 0.28 from the 9-parameter fit (5x5: near 0.47), "
             f"which is why the baselines matter. Fashion-MNIST is small grey 28x28 images, not "
             f"ImageNet photographs; Gabor-like filters are the claim for natural images.")
    if lab.quick:
        lab.note("Quick run: few epochs on a subset; filters far from convergence keep much of "
                 "their random initialisation (weight decay removes it only slowly).")
    fitted = fit_gabor(w)["fit"]
    with lab.figure("filters", figsize=(12, 2.6)) as fig:
        if fig is not None:
            ax = fig.subplots()
            _show_mosaic(ax, [list(w_init), list(w), list(fitted)],
                         ["initial", "trained", "Gabor fit"])
            ax.set_xticks([j * (k + 1) + k / 2 - 0.5 for j in range(len(w))],
                          [f"{v:.2f}" for v in r2["trained"]], fontsize=6)
            ax.set_xlabel("r2 of the fit to the trained filter", fontsize=7)
            ax.set_title("first-layer filters: at initialisation, trained, and the Gabor fitted "
                         "to the trained one", fontsize=9)
    with lab.figure("r2-histograms") as fig:
        if fig is not None:
            ax = fig.subplots()
            bins = np.linspace(0, 1, 26)
            for name, v in r2.items():
                ax.hist(v, bins=bins, density=True, histtype="step", lw=2, label=name)
            ax.set_xlabel("Gabor fit r2 (fraction of variance explained)")
            ax.set_ylabel("density")
            ax.legend()


# ====================================================================== fixed-gabor-first-layer
def gabor_bank(size=7, orientations=6, wavelengths=(3.5, 6.0), phases=(0.0, math.pi / 2)):
    """A fixed Gabor filter bank (orientations x wavelengths x phases kernels, float32
    (K, 1, size, size)): sigma = 0.56 wavelength (one-octave bandwidth), aspect gamma 0.5, each
    kernel made zero-mean (no response to flat regions) and scaled to unit L2 norm."""
    ks = []
    for lam in wavelengths:
        for i in range(orientations):
            for psi in phases:
                g = gabor_kernel(size, 0.56 * lam, math.pi * i / orientations, lam, 0.5, psi)
                g = g - g.mean()
                ks.append(g / np.linalg.norm(g))
    return np.stack(ks)[:, None].astype(np.float32)


@experiment("fixed-gabor-first-layer", lecture="002 CNNs: what neural networks learn (fixed "
            "Gabor first layer)",
            claim="a network whose first layer is a fixed Gabor filter bank is less accurate "
                  "than the same network with that layer learned",
            full="all 60,000 training images and 10,000 test images for 10 epochs instead of "
                 "4,000 / 2,000 for 3")
def fixed_gabor_first_layer(lab):
    n_train, n_test, epochs = lab.pick((4000, 2000, 3), (60000, None, 10))
    x, y, xt, yt = image_subset("fashion-mnist", n_train, n_test, lab.rng)
    x, xt = _standardise(x), _standardise(xt)
    bank = gabor_bank()
    results = {}
    for name in ("learned", "fixed Gabor"):
        gn.manual_seed(lab.seed)
        model = small_cnn(n_filters=len(bank), size=bank.shape[-1])
        if name == "fixed Gabor":
            with gn.no_grad():
                model[0].weight.copy_(gn.tensor(bank))
            model[0].weight.requires_grad = False
        history = fit(model, x, y, epochs, batch_size=64, optimizer=_sgd(model))
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        results[name] = {"accuracy": accuracy(model, xt, yt), "trainable": trainable,
                         "total": count_parameters(model), "loss": history["loss"],
                         "filters": first_layer_filters(model, normalize=None)[:, 0]}
    a_l, a_g = results["learned"]["accuracy"], results["fixed Gabor"]["accuracy"]
    n_t = len(yt)
    se = math.sqrt(a_l * (1 - a_l) / n_t + a_g * (1 - a_g) / n_t)
    lab.table("Learned vs fixed Gabor first layer (same network, same training)",
              ["first layer", "test accuracy", "trainable parameters", "all parameters",
               "final training loss"],
              [[n, r["accuracy"], r["trainable"], r["total"], r["loss"][-1]]
               for n, r in results.items()])
    lab.claim("replacing the learned first layer by a fixed Gabor bank lowers test accuracy "
              "(criterion: accuracy learned > accuracy fixed Gabor)",
              measured=f"{a_l:.4f} vs {a_g:.4f} (difference {a_l - a_g:+.4f}, standard error "
                       f"{se:.4f})",
              reference="lecture 002, slide 'What Neural Network Learn': 'if you replace the "
                        "first layer with the explicit mathematical expression for Gabor "
                        "filters, performance decreases' (Goldt 2023)",
              holds=a_l > a_g)
    lab.record(results={n: {k: v for k, v in r.items() if k != "filters"}
                        for n, r in results.items()}, standard_error=se)
    saved = results["learned"]["trainable"] - results["fixed Gabor"]["trainable"]
    lab.note(f"{len(bank)} Gabor kernels 7x7: 6 orientations x wavelengths 3.5 and 6 px x phases "
             f"0 and pi/2; the fixed bank saves {saved:,} trainable weights (its biases still "
             f"learn). {n_train:,} training images, {epochs} epochs, SGD (lr 0.02, momentum 0.9, "
             f"weight decay 5e-4), {n_t:,} test images; the standard error says how much of the "
             f"difference one run can resolve.")
    if lab.quick:
        lab.note("Quick run: after 3 short epochs the learned first layer still carries most of "
                 "its random initialisation, while the fixed bank is a good first layer from the "
                 "start; the claim is about trained-to-convergence networks (the full run).")
    with lab.figure("filters-and-accuracy", figsize=(10, 4)) as fig:
        if fig is not None:
            grid = fig.add_gridspec(1, 16)
            fg, fl = results["fixed Gabor"]["filters"], results["learned"]["filters"]
            _show_mosaic(fig.add_subplot(grid[0, :12]),
                         [list(fg[:12]), list(fg[12:]), list(fl[:12]), list(fl[12:])],
                         ["fixed Gabor", "", "learned", ""])
            ax = fig.add_subplot(grid[0, 13:])
            ax.bar([0, 1], [a_g, a_l], yerr=[se, se], color=["tab:orange", "tab:blue"])
            ax.set_xticks([0, 1], ["fixed Gabor", "learned"], fontsize=8)
            ax.set_ylim(min(a_g, a_l) - 0.05, min(1.0, max(a_g, a_l) + 0.02))
            ax.set_title("test acc.", fontsize=8)


# ====================================================================== neocognitron
def shift_randomly(x, s, rng):
    """Each image of ``x`` (N, C, H, W) moved by ``s`` pixels in one of the 8 directions
    (horizontal, vertical or diagonal, drawn by ``rng``), zeros filling the border."""
    if s == 0:
        return x.copy()
    dirs = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)])
    d = dirs[rng.integers(0, 8, len(x))] * int(s)
    out = np.empty_like(x)
    for v in {tuple(r) for r in d.tolist()}:
        sel = np.all(d == v, axis=1)
        out[sel] = shift(x[sel], v, circular=False)
    return out


def _class_means(x, y, classes=10):
    f = x.reshape(len(x), -1)
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    m = np.stack([f[y == c].mean(0) for c in range(classes)])
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


@experiment("neocognitron", lecture="000 deep learning: Neocognitron (Fukushima 1980)",
            claim="a neocognitron (S-cells extract, C-cells pool) learned without backprop "
                  "recognises shifted digits better than template matching",
            full="templates learned from all 4,000 training digits (quick: 1,000) with 40 "
                 "competition rounds instead of 15")
def neocognitron(lab):
    n_templates, iters = lab.pick((1000, 15), (4000, 40))
    x, y, xt, yt = image_subset("mnist5k", None, None, lab.rng)
    model = Neocognitron()
    model.fit(x[lab.rng.permutation(len(x))[:n_templates]], iters=iters, generator=lab.rng)
    model.fit_readout(x, y)
    means = _class_means(x, y)
    shifts = [0, 1, 2, 3, 4, 5, 6]
    acc_neo, acc_tm = [], []
    for s in shifts:
        xs = shift_randomly(xt, s, lab.rng)
        acc_neo.append(accuracy(model, xs, yt))
        acc_tm.append(float((np.argmax(xs.reshape(len(xs), -1) @ means.T, 1) == yt).mean()))
    lab.table("Test accuracy on digits moved by s pixels (1,000 test digits, random directions)",
              ["shift s (px)", "neocognitron", "template matching"],
              [[s, a, b] for s, a, b in zip(shifts, acc_neo, acc_tm)])
    i4 = shifts.index(4)
    keep_neo, keep_tm = acc_neo[i4] / acc_neo[0], acc_tm[i4] / acc_tm[0]
    ref = ("Fukushima 1980, 'Neocognitron: ... pattern recognition unaffected by shift in "
           "position'; lecture 000, slide 'Neocognitron' (S- and C-cells, 'lacks backprop')")
    lab.claim("the neocognitron keeps more of its accuracy under 4-pixel shifts than template "
              "matching (criterion: accuracy(4 px) / accuracy(0 px) larger)",
              measured=f"{keep_neo:.2f} vs {keep_tm:.2f}", reference=ref,
              holds=keep_neo > keep_tm)
    lab.claim("on digits shifted by 4 pixels the neocognitron is more accurate than template "
              "matching (criterion: accuracy higher)",
              measured=f"{acc_neo[i4]:.3f} vs {acc_tm[i4]:.3f}", reference=ref,
              holds=acc_neo[i4] > acc_tm[i4])
    lab.record(shifts=shifts, accuracy_neocognitron=acc_neo, accuracy_template=acc_tm)
    lab.note(f"MNIST 5k subset (4,000 training, 1,000 test digits). S-templates (8, 16, 32 of "
             f"5x5) learned by winner-take-all competition on patches of {n_templates:,} training "
             f"digits, no labels and no gradients; both classifiers read out by the nearest "
             f"class mean (cosine), the neocognitron from its last C-layer (32 x 4 x 4), the "
             f"template matcher from the pixels. Shifts move the digit within its 28x28 frame "
             f"(MNIST digits have a 4-pixel margin), zeros filling in.")
    with lab.figure("shift-tolerance", figsize=(10, 4)) as fig:
        if fig is not None:
            grid = fig.add_gridspec(4, 6)
            t = model.templates0.numpy()[:, 0]
            for j in range(len(t)):
                ax = fig.add_subplot(grid[j // 2, j % 2])
                ax.imshow(t[j], cmap="gray")
                ax.set_xticks([])
                ax.set_yticks([])
            fig.text(0.02, 0.97, "S1 templates (learned by competition)", fontsize=8)
            ax = fig.add_subplot(grid[:, 2:])
            ax.plot(shifts, acc_neo, "o-", label="neocognitron (no backprop)")
            ax.plot(shifts, acc_tm, "s--", label="template matching (class means)")
            ax.set_xlabel("shift (pixels)")
            ax.set_ylabel("test accuracy")
            ax.set_ylim(0, 1)
            ax.legend()
            ax.grid(alpha=0.3)


# ====================================================================== autoencoder-vs-pca
def pca_reconstruct(x_train, x_test, k):
    """Reconstruct ``x_test`` (N, D) from its first ``k`` principal components of ``x_train``
    (mean-centred, by SVD)."""
    mean = x_train.mean(0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    v = vt[:k]
    return ((x_test - mean) @ v.T) @ v + mean


def squared_error(a, b):
    """Mean over images of the summed squared pixel error (Hinton and Salakhutdinov's
    'average squared error')."""
    return float(((np.asarray(a, np.float64) - b) ** 2).sum(1).mean())


def reconstruct(model, x, batch=500):
    model.eval()
    with gn.no_grad():
        return np.concatenate([model(gn.tensor(x[i:i + batch])).numpy()
                               for i in range(0, len(x), batch)])


def train_autoencoder(model, x, epochs, rng, lr=1e-3, batch_size=100, x_test=None, progress=None):
    """Adam on the summed squared error per image (batch mean); returns the test error after
    each epoch when ``x_test`` is given."""
    opt = optim.Adam(model.parameters(), lr=lr)
    curve = []
    for _ in (progress or (lambda it, **k: it))(range(int(epochs)), desc="epochs"):
        model.train()
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch_size):
            xb = gn.tensor(x[order[i:i + batch_size]])
            opt.zero_grad()
            loss = ((model(xb) - xb) ** 2).sum(dim=1).mean()
            loss.backward()
            opt.step()
        if x_test is not None:
            curve.append(squared_error(reconstruct(model, x_test), x_test))
    return curve


@experiment("autoencoder-vs-pca", lecture="002 autoencoders; 004 2006 breakthrough (Hinton and "
            "Salakhutdinov)",
            claim="a deep autoencoder's 30-number code reconstructs images better than 30 "
                  "principal components",
            full="the paper's 784-1000-500-250-30 network for 50 epochs on MNIST (5k subset) "
                 "and on all 60,000 Fashion-MNIST images (quick: 784-256-128-30, 8 epochs, "
                 "MNIST only)")
def autoencoder_vs_pca(lab):
    sizes, epochs, sets = lab.pick(((784, 256, 128, 30), 8, ("mnist5k",)),
                                   ((784, 1000, 500, 250, 30), 50, ("mnist5k", "fashion-mnist")))
    code = sizes[-1]
    rows, shown, errors = [], {}, {}
    for name in sets:
        x, _, xt, yt = image_subset(name, None if name == "mnist5k" else 60000, None, lab.rng)
        x, xt = x.reshape(len(x), -1), xt.reshape(len(xt), -1)
        gn.manual_seed(lab.seed)
        ae = Autoencoder(sizes, activation="relu")
        curve = train_autoencoder(ae, x, epochs, lab.rng, batch_size=32 if lab.quick else 100,
                                  x_test=xt, progress=lab.progress)
        rec_ae, rec_pca = reconstruct(ae, xt), pca_reconstruct(x, xt, code)
        e_ae, e_pca = squared_error(rec_ae, xt), squared_error(rec_pca, xt)
        errors[name] = (e_ae, e_pca, curve)
        rows.append([name, len(x), len(xt), e_ae, e_pca, e_ae / e_pca])
        pick = [int(np.nonzero(yt == c)[0][0]) for c in range(10)]
        shown[name] = (xt[pick], rec_ae[pick], rec_pca[pick])
    lab.table(f"Average squared error per test image (sum over 784 pixels in [0, 1]), "
              f"{code}-number codes",
              ["dataset", "train images", "test images", "autoencoder", "PCA", "ratio"], rows)
    e_ae, e_pca, _ = errors["mnist5k"]
    ref = ("Hinton and Salakhutdinov 2006, fig. 2B (MNIST, 30-d codes): average squared error "
           "3.00 (autoencoder) vs 13.87 (PCA)")
    lab.claim("the deep autoencoder reconstructs MNIST test digits better than PCA with the same "
              "code size (criterion: squared error lower)",
              measured=f"{e_ae:.2f} vs {e_pca:.2f}", reference=ref, holds=e_ae < e_pca)
    lab.claim("'much better than PCA' (criterion: autoencoder error at most half of PCA's; "
              "the paper's ratio is 0.22)", measured=f"ratio {e_ae / e_pca:.2f}", reference=ref,
              holds=e_ae <= 0.5 * e_pca)
    lab.record(errors={k: {"autoencoder": a, "pca": p, "curve": c}
                       for k, (a, p, c) in errors.items()}, sizes=list(sizes), epochs=epochs)
    lab.note(f"Autoencoder {'-'.join(map(str, sizes))} (ReLU, linear code, sigmoid output), "
             f"random initialisation, Adam (lr 1e-3) on the summed squared error for {epochs} "
             f"epochs; PCA from the SVD of the centred training images. The paper pre-trained "
             f"with RBMs and fine-tuned far longer on 60,000 digits (see the "
             f"layerwise-pretraining experiment).")
    if lab.quick:
        lab.note("Quick run: a narrower network, 4,000 training digits and 8 epochs; an "
                 "autoencoder this short of convergence may not yet beat PCA.")
    with lab.figure("reconstructions", figsize=(8, 2.8 * len(shown))) as fig:
        if fig is not None:
            axes = fig.subplots(3 * len(shown), 10, squeeze=False)
            for d, (name, imgs) in enumerate(shown.items()):
                for r, (label, a) in enumerate(zip(("original", "autoencoder", "PCA"), imgs)):
                    for c in range(10):
                        ax = axes[3 * d + r, c]
                        ax.imshow(a[c].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
                        ax.set_xticks([])
                        ax.set_yticks([])
                    axes[3 * d + r, 0].set_ylabel(f"{label}" if r else f"{name}\n{label}",
                                                  fontsize=7)
            fig.suptitle(f"test images and their reconstructions from {code} numbers",
                         fontsize=9)


# ====================================================================== layerwise-pretraining
@experiment("layerwise-pretraining", lecture="004 history: 2006 breakthrough (Hinton and "
            "Salakhutdinov), greedy layer-wise pre-training",
            claim="a deep sigmoid autoencoder pre-trained layer by layer (stacked RBMs) and then "
                  "fine-tuned reconstructs far better than the same network trained from random "
                  "weights",
            full="the paper's 784-1000-500-250-30 network, 4,000 digits, 10 RBM epochs per layer "
                 "and 30 fine-tuning epochs (quick: 784-500-250-125-30, 1,500 digits, 2 and 4), "
                 "and a ReLU + Adam network from random weights for comparison")
def layerwise_pretraining(lab):
    sizes, n_train, rbm_epochs, epochs = lab.pick(((784, 500, 250, 125, 30), 1500, 2, 4),
                                                  ((784, 1000, 500, 250, 30), None, 10, 30))
    x, _, xt, _ = image_subset("mnist5k", n_train, None, lab.rng)
    x, xt = x.reshape(len(x), -1), xt.reshape(len(xt), -1)
    rbm_errors = []
    pre = pretrain_autoencoder(x, sizes, epochs=rbm_epochs, generator=lab.rng,
                               history=rbm_errors)
    e_unrolled = squared_error(reconstruct(pre, xt), xt)
    curves = {"pre-trained (RBMs), fine-tuned": [e_unrolled]}
    curves["pre-trained (RBMs), fine-tuned"] += train_autoencoder(
        pre, x, epochs, lab.rng, x_test=xt, progress=lab.progress)
    gn.manual_seed(lab.seed)
    rand = Autoencoder(sizes, activation="sigmoid")
    curves["random weights, same network"] = [squared_error(reconstruct(rand, xt), xt)]
    curves["random weights, same network"] += train_autoencoder(
        rand, x, epochs, lab.rng, x_test=xt, progress=lab.progress)
    if not lab.quick:
        gn.manual_seed(lab.seed)
        relu = Autoencoder(sizes, activation="relu")
        curves["random weights, ReLU (modern)"] = [squared_error(reconstruct(relu, xt), xt)]
        curves["random weights, ReLU (modern)"] += train_autoencoder(
            relu, x, epochs, lab.rng, x_test=xt, progress=lab.progress)
    e_pre = curves["pre-trained (RBMs), fine-tuned"][-1]
    e_rand = curves["random weights, same network"][-1]
    mean_error = squared_error(np.broadcast_to(x.mean(0), xt.shape), xt)
    e_pca = squared_error(pca_reconstruct(x, xt, sizes[-1]), xt)
    lab.table("Average squared error per test digit after fine-tuning",
              ["initialisation", "before fine-tuning", f"after {epochs} epochs"],
              [[k, v[0], v[-1]] for k, v in curves.items()]
              + [["(the mean image)", mean_error, mean_error],
                 [f"(PCA, {sizes[-1]} components)", e_pca, e_pca]])
    ref = ("Hinton and Salakhutdinov 2006: fine-tuning 'works well only if the initial weights "
           "are close to a good solution'; without pre-training the deep autoencoder 'always "
           "reconstructs the average of the training data'; lecture 004, slide '2006 "
           "Breakthrough'")
    lab.claim("pre-training wins (criterion: after the same fine-tuning, the pre-trained "
              "network's test error is below 0.8 x the randomly initialised one's)",
              measured=f"{e_pre:.2f} vs {e_rand:.2f}", reference=ref,
              holds=e_pre < 0.8 * e_rand)
    lab.claim("from random weights the deep sigmoid network stays near the mean image "
              "(criterion: its test error is above 0.9 x the mean image's)",
              measured=f"{e_rand:.2f} vs mean image {mean_error:.2f}", reference=ref,
              holds=e_rand > 0.9 * mean_error)
    lab.record(curves=curves, rbm_errors=rbm_errors, mean_image_error=mean_error, pca_error=e_pca)
    lab.note(f"Network {'-'.join(map(str, sizes))}: logistic units, linear code, as in the paper. "
             f"Pre-training: one RBM per layer by CD-1 ({rbm_epochs} epochs each, lr 0.1, "
             f"momentum 0.5 then 0.9, weight decay 2e-4; the code layer's RBM has Gaussian "
             f"hidden units and lr 0.001), then unrolled (decoder = transposed weights). "
             f"Fine-tuning of both networks: Adam (lr 1e-3, batch 100) on the summed squared "
             f"error for {epochs} epochs (the paper used conjugate gradients). The pre-training "
             f"costs roughly {rbm_epochs} extra epochs of cheaper, gradient-free updates.")
    with lab.figure("fine-tuning-curves") as fig:
        if fig is not None:
            ax = fig.subplots()
            for k, v in curves.items():
                ax.plot(range(len(v)), v, "o-", label=k)
            ax.axhline(mean_error, color="gray", ls=":", label="mean image")
            ax.axhline(e_pca, color="gray", ls="--", label=f"PCA ({sizes[-1]})")
            ax.set_xlabel("fine-tuning epoch")
            ax.set_ylabel("average squared error per test digit")
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)
