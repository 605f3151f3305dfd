"""Rotated digits and clothes: a CNN, a p4 network and a Harmonic Network, side by side.

Lecture 000/003 "Rotation invariant CNNs". Every training and test image is turned by its own
uniformly random angle (as in MNIST-rot). Three classifiers of about the same size learn it:

* ``cnn``: an ordinary CNN (conv-BN-ReLU, max pooling, global average pooling), which must
  learn every orientation from the data;
* ``p4``: a p4 group-convolution network (Cohen and Welling 2016, ``nn.P4ConvZ2``/``P4ConvP4``,
  max over the four rotations, global average): invariant by construction to quarter turns;
* ``harmonic``: the Harmonic Network of Worrall et al. 2017 (``models.get("harmonic-net")``):
  invariant by construction to every angle, up to the pixel grid.

For each it reports the test accuracy and how much its logits move when an upright test image
turns by 0, 5, ..., 360 degrees, measured two ways: with the image resampled (bilinear), next
to how much the image itself changes under the same resampling (a turn by theta and back by
-theta); and with the image rotated exactly, drawn as one small Gaussian blob per pixel whose
centres turn (``analysis.BlobScene.from_images``), so that no interpolation enters. Images
are masked to their inscribed disc (nothing leaves the frame when they turn) and scaled by the
training pixels' standard deviation without subtracting the mean, so the background stays 0
like the zero padding. After training, every batch norm's running statistics are recomputed
over the training set (the running averages of a short run lag behind the weights).

    python examples/harmonic_rotation_study.py --quick      # 4-9 minutes on 2 shared cores
    python examples/harmonic_rotation_study.py --datasets mnist5k --train 4000 --test 1000 \
        --epochs 4 --sweep 16                               # 20 minutes
    python examples/harmonic_rotation_study.py              # 12 epochs on both (not timed)

Writes OUT/results.json, OUT/report.md and the figure (OUT/invariance.png unless --figure).
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import models, nn, optim
from glassnet.analysis import BlobScene, disk_mask, rotate, rotation_sensitivity
from glassnet.data import datasets
from glassnet.data.warp import rotate as warp_rotate
from glassnet.lab.experiments.symmetry import P4Net  # P4CNN-like, 30k parameters
from glassnet.optim.lr_scheduler import CosineAnnealingLR

QUICK = {"train": 1000, "test": 500, "epochs": 2, "sweep": 8}
FULL = {"train": 4000, "test": 1000, "epochs": 12, "sweep": 64}
PUBLISHED = "MNIST-rot (12k training images): Harmonic Network 1.69 % error, P4CNN 2.28 %"


# ----------------------------------------------------------------------------- the models
def cnn(num_classes=10):
    """conv3x3-BN-ReLU x 5 (16, 16 | 32, 32 | 48 channels, 2x2 max pooling between), global
    average pooling, linear: 31k parameters."""
    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
    return nn.Sequential(*block(1, 16), *block(16, 16), nn.MaxPool2d(2), *block(16, 32),
                         *block(32, 32), nn.MaxPool2d(2), *block(32, 48),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(48, num_classes))


BUILDERS = {"cnn": cnn, "p4": P4Net, "harmonic": lambda: models.get("harmonic-net")}


# ----------------------------------------------------------------------------- data
def load(name, n_train, n_test, rng):
    """``n_train``/``n_test`` images of ``name`` (N, 1, 28, 28), masked to the inscribed disc,
    each rotated by its own uniform random angle; and the upright (masked) test images."""
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        ds = datasets.get(name, train=split == "train")
        x, y = ds.get_batch(rng.permutation(len(ds))[:n])
        x = np.asarray(x, dtype=np.float32) * disk_mask(28)
        turned = warp_rotate(x, rng.uniform(0, 360, size=len(x))).astype(np.float32)
        out[split] = (turned, np.asarray(y))
        if split == "test":
            out["upright"] = x
    return out


# ----------------------------------------------------------------------------- training
def train(model, x, y, epochs, batch, lr, rng, log):
    opt = optim.Adam(model.parameters(), lr=lr)
    steps = epochs * (len(x) // batch)
    sched = CosineAnnealingLR(opt, steps)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        total, seen = 0.0, 0
        for s in range(len(x) // batch):
            b = order[s * batch:(s + 1) * batch]
            loss = loss_fn(model(gn.tensor(x[b])), gn.tensor(y[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total, seen = total + float(loss.item()) * len(b), seen + len(b)
        log(f"    epoch {epoch + 1}/{epochs}: training loss {total / seen:.4f}")


def recalibrate_batch_norm(model, x, batch=100):
    """Replace every batch norm's running statistics by the average of its batch statistics
    over ``x`` in training mode (PyTorch's ``momentum=None``): after a short run the running
    averages lag behind the weights, and evaluation suffers for it."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.momentum = None
        m.reset_running_stats()
    model.train()
    with gn.no_grad():
        for i in range(0, len(x), batch):
            model(gn.tensor(x[i:i + batch]))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum


def predict(model, x, batch=250):
    model.eval()
    with gn.no_grad():
        return np.concatenate([model(gn.tensor(x[i:i + batch])).numpy()
                               for i in range(0, len(x), batch)])


def _logit_change(model, upright, images, n_angles):
    """Per angle: mean_n ||c(f(x'_n)) - c(f(x_n))|| / mean_{n != m} ||c(f(x_n)) - c(f(x_m))||
    for the transformed images x' (c: logits minus their mean, which softmax ignores), and the
    share of images whose predicted class stays that of the upright image."""
    n = len(upright)
    base = predict(model, upright.astype(np.float32))
    base = base - base.mean(-1, keepdims=True)
    logits = predict(model, images.astype(np.float32)).reshape(n_angles, n, -1)
    logits = logits - logits.mean(-1, keepdims=True)
    spread = np.sqrt(((base[:, None] - base[None]) ** 2).sum(-1)).sum() / (n * (n - 1))
    err = np.sqrt(((logits - base) ** 2).sum(-1)).mean(1) / spread
    same = (logits.argmax(-1) == base.argmax(-1)).mean(1)
    return err, same


def invariance_curve(model, upright, angles):
    """How much the logits move when the upright images turn by each angle (``_logit_change``),
    and how much they move when the images are only resampled (turned there and back), the
    part of the change that comes from interpolation rather than from the rotation."""
    turned = np.concatenate([rotate(upright, float(a)) for a in angles])
    back = np.concatenate([rotate(rotate(upright, float(a)), -float(a)) for a in angles])
    err, same = _logit_change(model, upright, turned, len(angles))
    err_back, _ = _logit_change(model, upright, back, len(angles))
    return err, same, err_back


def resampling_curve(upright, angles):
    """The image's own round-trip resampling error, on the same scale as the logits'."""
    n = len(upright)
    flat = upright.reshape(n, -1).astype(np.float64)
    spread = np.sqrt(((flat[:, None] - flat[None]) ** 2).sum(-1)).sum() / (n * (n - 1))
    out = []
    for a in angles:
        back = rotate(rotate(upright, float(a)), -float(a)).reshape(n, -1)
        out.append(np.sqrt(((back - flat) ** 2).sum(-1)).mean() / spread)
    return np.array(out)


# ----------------------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help=f"small configuration {QUICK}")
    p.add_argument("--datasets", default="mnist5k,fashion-mnist")
    p.add_argument("--models", default="cnn,p4,harmonic")
    p.add_argument("--train", type=int, help="training images per dataset")
    p.add_argument("--test", type=int, help="test images per dataset")
    p.add_argument("--epochs", type=int)
    p.add_argument("--sweep", type=int, help="upright test images in the angle sweep")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate (cosine to 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/harmonic-rotation-study")
    p.add_argument("--figure", default=None, help="figure path (default OUT/invariance.png)")
    a = p.parse_args()
    cfg = dict(QUICK if a.quick else FULL)
    for k in cfg:
        if getattr(a, k) is not None:
            cfg[k] = getattr(a, k)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    figure = Path(a.figure) if a.figure else out / "invariance.png"
    angles = np.arange(0, 361, 5)
    names = [m for m in a.models.split(",") if m]
    log_lines = []

    def log(msg):
        print(msg, flush=True)
        log_lines.append(msg)

    results = {"config": {**cfg, "batch_size": a.batch_size, "lr": a.lr, "seed": a.seed},
               "angles": angles.tolist(), "datasets": {}}
    start = time.time()
    for d in [s for s in a.datasets.split(",") if s]:
        rng = np.random.default_rng(a.seed)
        data = load(d, cfg["train"], cfg["test"], rng)
        x_tr, y_tr = data["train"]
        scale = float(x_tr.std())
        x_tr = x_tr / scale
        x_te, y_te = data["test"][0] / scale, data["test"][1]
        upright = data["upright"][:cfg["sweep"]] / scale
        # the same test images as sums of small Gaussian blobs, one per pixel, redrawn with
        # the blob centres turned: exact rotations, without interpolation
        splats = BlobScene.from_images(upright)
        entry = {"resampling": resampling_curve(upright, angles).tolist(), "models": {}}
        log(f"{d}: {len(x_tr)} training / {len(x_te)} test images, each rotated at random")
        for name in names:
            gn.manual_seed(a.seed)
            model = BUILDERS[name]()
            params = sum(q.numel() for q in model.parameters())
            t0 = time.time()
            log(f"  {name} ({params} parameters)")
            train(model, x_tr, y_tr, cfg["epochs"], a.batch_size, a.lr,
                  np.random.default_rng(a.seed), log)
            recalibrate_batch_norm(model, x_tr)
            t_train = time.time() - t0
            acc = float((predict(model, x_te).argmax(1) == y_te).mean())
            err, same, err_back = invariance_curve(model, upright, angles)
            exact = rotation_sensitivity(model, splats, angles)
            off = (angles % 90) != 0
            row = {"parameters": params, "test_accuracy": acc,
                   "train_seconds": round(t_train, 1), "invariance": err.tolist(),
                   "same_class": same.tolist(), "resampling_only": err_back.tolist(),
                   "mean_invariance_off_grid": float(err[off].mean()),
                   "mean_same_class_off_grid": float(same[off].mean()),
                   "max_invariance_quarter_turns": float(err[~off].max()),
                   "mean_resampling_only_off_grid": float(err_back[off].mean()),
                   "exact_rotation": exact.tolist(),
                   "mean_exact_rotation_off_grid": float(exact[off].mean())}
            entry["models"][name] = row
            log(f"    test accuracy {acc:.4f} (error {100 * (1 - acc):.2f} %), "
                f"trained in {t_train:.0f} s; logit change under rotation (off 90-degree "
                f"grid, mean) {row['mean_invariance_off_grid']:.3f} (resampled there and back "
                f"only: {row['mean_resampling_only_off_grid']:.3f}), same class "
                f"{row['mean_same_class_off_grid']:.3f}; at quarter turns "
                f"{row['max_invariance_quarter_turns']:.2e}; images rotated exactly "
                f"{row['mean_exact_rotation_off_grid']:.3f}")
        results["datasets"][d] = entry
    results["seconds"] = round(time.time() - start, 1)
    log(f"total {results['seconds']:.0f} s; published: {PUBLISHED}")
    (out / "results.json").write_text(json.dumps(results, indent=1))
    (out / "report.md").write_text("\n".join(log_lines) + "\n")
    plot(results, figure)
    print(f"wrote {out / 'results.json'}, {out / 'report.md'}, {figure}")


def plot(results, path):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print("matplotlib is not installed: no figure")
        return
    sets = list(results["datasets"])
    fig = Figure(figsize=(5.2 * len(sets), 7.6), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, len(sets), squeeze=False)
    angles = results["angles"]
    for col, d in enumerate(sets):
        entry = results["datasets"][d]
        top, bottom = axes[0, col], axes[1, col]
        for name, row in entry["models"].items():
            line, = top.plot(angles, row["invariance"],
                             label=f"{name} (test acc {row['test_accuracy']:.3f})")
            bottom.plot(angles, row["exact_rotation"], color=line.get_color(), label=name)
            if name == "harmonic":
                top.plot(angles, row["resampling_only"], ":", color=line.get_color(),
                         label="harmonic, input resampled there and back only")
        top.plot(angles, entry["resampling"], "k--", label="image: resampled there and back")
        top.set_title(f"trained on {d}, rotated; upright test images turned (bilinear)",
                      fontsize=9)
        bottom.set_title("the same test images, rotated exactly (drawn from blobs)", fontsize=9)
        for ax in (top, bottom):
            ax.set_xlabel("rotation of the input (degrees)")
            ax.set_xticks(range(0, 361, 45))
            ax.set_ylabel("change of logits / distance between images")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


if __name__ == "__main__":
    main()
