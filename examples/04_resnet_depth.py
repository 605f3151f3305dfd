"""The degradation problem (He et al. 2016, figure 6), small enough for a CPU.

Deeper *plain* networks train worse than shallow ones; with shortcuts, deeper trains better.
This trains plain-20, plain-56, resnet20 and resnet56 on a Fashion-MNIST subset with the same
schedule, then draws their training and test error per epoch in one figure and writes a short
report (``OUT/depth.png``, ``OUT/report.md``; each model's own run folder sits beside them).

    python examples/04_resnet_depth.py [train_samples] [epochs] [out] [test_samples] [options]

Options: ``--models=resnet20,resnet56`` trains only those; ``--zero-init-residual`` starts the
last batch norm of every residual block at 0 (Goyal et al. 2017; plain nets are unaffected).
"""

import json
import sys
from pathlib import Path

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader, Subset, datasets
from glassnet.data.transforms import Normalize
from glassnet.models import get
from glassnet.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from glassnet.train import Trainer

args = [a for a in sys.argv[1:] if not a.startswith("--")]
opts = [a for a in sys.argv[1:] if a.startswith("--")]
n_train = int(args[0]) if len(args) > 0 else 2000
epochs = int(args[1]) if len(args) > 1 else 3
out = Path(args[2] if len(args) > 2 else "runs/depth")
n_test = int(args[3]) if len(args) > 3 else 2000
zero_init = "--zero-init-residual" in opts
models = ("plain20", "plain56", "resnet20", "resnet56")
for o in opts:
    if o.startswith("--models="):
        models = tuple(m for m in o.split("=", 1)[1].split(",") if m)
    elif o != "--zero-init-residual":
        sys.exit(f"04_resnet_depth.py: unknown option {o!r} (use --models=a,b or --zero-init-residual)")
norm = Normalize((0.2860,), (0.3530,))  # Fashion-MNIST's pixel mean and standard deviation
train = Subset(datasets.get("fashion-mnist", train=True, transform=norm), range(n_train))
test = Subset(datasets.get("fashion-mnist", train=False, transform=norm), range(n_test))

histories = {}
for name in models:
    gn.manual_seed(0)
    model = get(name, in_channels=1, zero_init_residual=zero_init)
    loader = DataLoader(train, batch_size=64, shuffle=True, prefetch=2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    # One epoch of linear warm-up from lr 0.01 (He et al. warm up their deepest networks the
    # same way), then cosine decay; the same schedule for every model.
    warm = len(loader)
    sched = SequentialLR(opt, [LinearLR(opt, start_factor=0.1, total_iters=warm),
                               CosineAnnealingLR(opt, T_max=max(1, (epochs - 1) * warm))],
                         milestones=[warm])
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, scheduler_interval="step",
                      run_dir=out / name, report=False)
    print(f"--- {name}")
    histories[name] = trainer.fit(loader, DataLoader(test, batch_size=256), epochs=epochs)

(out / "histories.json").write_text(json.dumps(histories, indent=1))
rows = [f"| model | final training loss | final training error | test error ({n_test}) |",
        "|---|---|---|---|"]
for name, h in histories.items():
    rows.append(f"| {name} | {h['loss'][-1]:.4f} | {1 - h['accuracy'][-1]:.4f} | "
                f"{1 - h['val_accuracy'][-1]:.4f} |")
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, h in histories.items():
        style = {"ls": "--" if name.startswith("plain") else "-", "lw": 2 if "56" in name else 1}
        x = range(1, len(h["loss"]) + 1)
        axes[0].plot(x, [1 - a for a in h["accuracy"]], label=name, **style)
        axes[1].plot(x, [1 - a for a in h["val_accuracy"]], label=name, **style)
    for ax, what in zip(axes, ("training error", f"test error ({n_test} images)")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(what)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(f"Fashion-MNIST, {n_train} training images, {epochs} epochs"
                 f"{', zero-initialised residual branches' if zero_init else ''}")
    fig.tight_layout()
    fig.savefig(out / "depth.png", dpi=100)
    plot = "![training and test error per epoch](depth.png)\n"
except ImportError:
    plot = ""
(out / "report.md").write_text(
    "# Depth: plain vs residual networks\n\n"
    f"Fashion-MNIST, first {n_train} training images, {epochs} epochs"
    f"{', zero-initialised residual branches' if zero_init else ''}, SGD (lr 0.1, momentum "
    "0.9, weight decay 1e-4, one epoch of linear warm-up from 0.01, then cosine), batch 64, "
    f"seed 0; test error on the first {n_test} test images.\n\n" + "\n".join(rows) + "\n\n" + plot)
print("\n".join(rows))
