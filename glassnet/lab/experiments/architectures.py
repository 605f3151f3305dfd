"""Architectures and their inductive biases (lectures 001, 002, 004).

* ``lenet5-1998``: LeNet-5 as LeCun et al. published it (scaled tanh, trainable subsampling, the
  C3 connection table, RBF outputs on fixed digit bitmaps) against today's LeNet (ReLU, max
  pooling, softmax): parameters and test error on MNIST.
* ``mnist1d-inductive-bias``: Greydanus 2020's MNIST-1D separates models that MNIST does not:
  logistic regression < MLP < GRU, CNN (spatial inductive bias).
* ``depth-residual``: deeper plain networks train worse (higher training error); residual ones
  do not (He et al. 2016, fig. 6; 002/004 "residual connections").
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader, TensorDataset, datasets
from glassnet.lab.common import accuracy, fit, image_subset
from glassnet.lab.runner import experiment
from glassnet.models import LeNet5, count_parameters, get
from glassnet.nn import functional as F
from glassnet.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from glassnet.train import Trainer

__all__ = ["GRUBase", "lenet_input", "mnist1d_models", "train_steps"]


# ====================================================================== lenet5-1998
def lenet_input(x):
    """LeCun et al.'s input: [0, 1] digits scaled so the background is -0.1 and the ink 1.175
    (mean about 0, variance about 1), centred on a 32x32 field of background."""
    x = np.asarray(x, np.float32) * 1.275 - 0.1
    return np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-0.1)


@experiment("lenet5-1998", lecture="001 LeNet and MNIST; 002 LeNet-5",
            claim="LeNet-5 as published (scaled tanh, trainable subsampling, C3 connection table, "
                  "RBF outputs) has 60,000 trainable parameters and learns MNIST; the modern "
                  "LeNet (ReLU, max pooling, softmax) is at least as accurate",
            full="20 epochs (the paper's 20 passes) instead of 5")
def lenet5_1998(lab):
    epochs = lab.pick(5, 20)
    x, y, xt, yt = image_subset("mnist5k", None, None, lab.rng)
    x, xt = lenet_input(x), lenet_input(xt)
    results = {}
    for name, variant in (("1998 (as published)", "1998"), ("modern", "modern"),
                          ("classic (tanh, avg pool)", "classic")):
        gn.manual_seed(lab.seed)
        model = LeNet5(variant, input_size=32)
        history = fit(model, x, y, epochs, lr=1e-3, batch_size=32)
        results[name] = {"error": 1 - accuracy(model, xt, yt),
                         "parameters": count_parameters(model), "loss": history["loss"],
                         "train_error": [1 - a for a in history["accuracy"]]}
    e98, emod = results["1998 (as published)"]["error"], results["modern"]["error"]
    n98 = results["1998 (as published)"]["parameters"]
    lab.table(f"MNIST 5k subset (4,000 training / 1,000 test digits), {epochs} epochs",
              ["LeNet-5", "trainable parameters", "test error", "final training error"],
              [[k, r["parameters"], r["error"], r["train_error"][-1]]
               for k, r in results.items()])
    lab.claim("LeNet-5 as published has 60,000 trainable parameters (criterion: exact count)",
              measured=n98, reference="LeCun et al. 1998, section II.B: '340,908 connections, "
                                      "but only 60,000 trainable free parameters'",
              holds=n98 == 60_000)
    lab.claim("LeNet-5 as published learns MNIST (criterion: test error below 3 x the paper's "
              "0.95 %, allowing for 15 x fewer training digits)",
              measured=f"{100 * e98:.2f} %",
              reference="LeCun et al. 1998, section III.C: 0.95 % test error on MNIST "
                        "(60,000 training digits, 20 passes, no distortions)",
              holds=e98 < 3 * 0.0095)
    lab.claim("the modern LeNet is at least as accurate as the 1998 design with the same "
              "training (criterion: test error modern <= 1998)",
              measured=f"{100 * emod:.2f} % vs {100 * e98:.2f} %",
              reference="lecture 001/002 'LeNet-5' against today's practice (ReLU, max "
                        "pooling, softmax cross-entropy)",
              holds=emod <= e98)
    lab.record(results=results)
    lab.note(f"Same training for all three: Adam (lr 1e-3), batch 32, {epochs} epochs, "
             "cross-entropy (on minus the RBF distances for the 1998 network: the paper's "
             "maximum a posteriori criterion without its constant term); inputs scaled as in the "
             "paper (background -0.1, ink 1.175) on a 32x32 field. The paper trained on 60,000 "
             "digits with stochastic diagonal Levenberg-Marquardt; this subset has 4,000, so "
             "errors of 2-3 x the paper's are expected, and on 1,000 test digits one digit is "
             "0.1 %.")
    with lab.figure("bitmaps-and-curves", figsize=(10, 4)) as fig:
        if fig is not None:
            from glassnet.models.lenet import digit_bitmaps

            grid = fig.add_gridspec(2, 10)
            for d, bm in enumerate(digit_bitmaps()):
                ax = fig.add_subplot(grid[0, d])
                ax.imshow(bm, cmap="gray_r")
                ax.set_xticks([])
                ax.set_yticks([])
            fig.text(0.01, 0.95, "RBF centres (7x12 bitmaps, +-1)", fontsize=8)
            ax = fig.add_subplot(grid[1, :])
            for k, r in results.items():
                ax.plot(range(1, epochs + 1), r["train_error"], "o-",
                        label=f"{k}: test error {100 * r['error']:.2f} %")
            ax.set_yscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel("training error")
            ax.legend(fontsize=7)
            ax.grid(alpha=0.3)


# ====================================================================== mnist1d-inductive-bias
class GRUBase(nn.Module):
    """MNIST-1D's GRU baseline: a bidirectional GRU (6 units each way) reads the 40 samples one
    at a time; all its outputs, flattened, feed a linear layer. Shape: (N, 40) -> (N, 10)."""

    def __init__(self, hidden_size=6, steps=40, num_classes=10):
        super().__init__()
        self.gru = nn.GRU(1, hidden_size, batch_first=True, bidirectional=True)
        self.linear = nn.Linear(2 * hidden_size * steps, num_classes)

    def forward(self, x):
        out, _ = self.gru(x.unsqueeze(-1))
        return self.linear(out.reshape(out.shape[0], -1))


class _ResidualMLP(nn.Module):
    # MNIST-1D's MLP baseline: h = relu(W1 x); h = h + relu(W2 h); logits = W3 h
    def __init__(self, hidden=100):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(40, hidden), nn.Linear(hidden, hidden)
        self.linear3 = nn.Linear(hidden, 10)

    def forward(self, x):
        h = F.relu(self.linear1(x))
        return self.linear3(h + F.relu(self.linear2(h)))


def mnist1d_models():
    """The four baselines of Greydanus 2020 (the mnist1d repository's models), by name."""
    cnn = nn.Sequential(nn.Unflatten(1, (1, 40)),
                        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
                        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                        nn.Flatten(), nn.Linear(125, 10))
    return {"logistic regression": nn.Linear(40, 10), "MLP": _ResidualMLP(), "CNN": cnn,
            "GRU": GRUBase()}


def train_steps(model, x, y, steps, rng, lr=1e-2, batch_size=100, progress=None):
    """Adam on cross-entropy for ``steps`` mini-batches, a fresh shuffle each pass (the mnist1d
    recipe: lr 1e-2, batch 100)."""
    opt = optim.Adam(model.parameters(), lr=lr)
    order, pos = rng.permutation(len(x)), 0
    model.train()
    for _ in (progress or (lambda it, **k: it))(range(int(steps)), desc="steps"):
        if pos + batch_size > len(x):
            order, pos = rng.permutation(len(x)), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        opt.zero_grad()
        F.cross_entropy(model(gn.tensor(x[idx])), gn.tensor(y[idx])).backward()
        opt.step()
    return model


_MNIST1D_PAPER = {"logistic regression": 0.32, "MLP": 0.68, "CNN": 0.94, "GRU": 0.91}


@experiment("mnist1d-inductive-bias", lecture="002 CNNs: efficiency and structure (inductive "
            "bias)",
            claim="on MNIST-1D the models separate by inductive bias: logistic regression < MLP "
                  "< GRU, CNN (Greydanus 2020: 32 %, 68 %, 91 %, 94 %)",
            full="6,000 training steps per model (the paper's) instead of 1,000")
def mnist1d_inductive_bias(lab):
    steps = lab.pick(1000, 6000)
    train, test = datasets.get("mnist1d", train=True), datasets.get("mnist1d", train=False)
    x, y = np.asarray(train.data, np.float32), np.asarray(train.targets, np.int64)
    xt, yt = np.asarray(test.data, np.float32), np.asarray(test.targets, np.int64)
    gn.manual_seed(lab.seed)
    acc, params = {}, {}
    for name, model in mnist1d_models().items():
        train_steps(model, x, y, steps, lab.rng, progress=lab.progress)
        acc[name], params[name] = accuracy(model, xt, yt), count_parameters(model)
    lab.table(f"MNIST-1D test accuracy (4,000 training / 1,000 test signals), {steps} steps",
              ["model", "parameters", "test accuracy", "Greydanus 2020"],
              [[k, params[k], acc[k], _MNIST1D_PAPER[k]] for k in acc])
    ref = ("Greydanus 2020, 'Scaling down deep learning' (MNIST-1D), table 'Comparing MNIST and "
           "MNIST-1D': logistic regression 32 %, MLP 68 %, CNN 94 %, GRU 91 %")
    order = (acc["logistic regression"] < acc["MLP"] < min(acc["CNN"], acc["GRU"]))
    lab.claim("inductive bias orders the models (criterion: logistic regression < MLP < both the "
              "CNN and the GRU)",
              measured=", ".join(f"{k} {v:.3f}" for k, v in acc.items()), reference=ref,
              holds=order)
    close = {k: abs(acc[k] - _MNIST1D_PAPER[k]) for k in acc}
    lab.claim("each model reproduces the published accuracy (criterion: within 5 percentage "
              "points)", measured=", ".join(f"{k} {100 * (acc[k] - _MNIST1D_PAPER[k]):+.1f} pp"
                                            for k in acc),
              reference=ref, holds=max(close.values()) <= 0.05)
    lab.record(accuracy=acc, parameters=params, steps=steps)
    lab.note(f"Dataset from the mnist1d package's make_dataset with its default arguments (seed "
             f"42; 4,000 / 1,000 split). Models as in the mnist1d repository (MLP 100 units with "
             f"a residual second layer; CNN three strided Conv1d of 25 channels; GRU 6 units "
             f"each way, bidirectional, all outputs to a linear layer), Adam lr 1e-2, batch 100, "
             f"{steps} steps each; the paper's figures are from 6,000 steps.")
    with lab.figure("accuracies") as fig:
        if fig is not None:
            ax = fig.subplots()
            names = list(acc)
            pos = np.arange(len(names))
            ax.bar(pos - 0.2, [acc[k] for k in names], 0.4, label=f"measured ({steps} steps)")
            ax.bar(pos + 0.2, [_MNIST1D_PAPER[k] for k in names], 0.4,
                   label="Greydanus 2020", alpha=0.6)
            ax.set_xticks(pos, names)
            ax.set_ylabel("MNIST-1D test accuracy")
            ax.set_ylim(0, 1)
            ax.legend()


# ====================================================================== depth-residual
def _pooled(x, factor):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // factor, factor, w // factor, factor).mean((3, 5))


@experiment("depth-residual", lecture="002 making it work: depth and residual connections; "
            "004 residual nets",
            claim="a deeper plain network has higher training error than a shallower one "
                  "(degradation); with residual connections the deeper one does not",
            full="5,000 28x28 images for 8 epochs (the RESULTS_TRAINING.md setting) instead of "
                 "384 images downsampled to 14x14 for 2 epochs")
def depth_residual(lab):
    n_train, epochs, factor, batch = lab.pick((384, 2, 2, 32), (5000, 8, 1, 64))
    x, y, _, _ = image_subset("fashion-mnist", n_train, 0, lab.rng)
    x = _pooled(((x - 0.2860) / 0.3530).astype(np.float32), factor)
    histories, final = {}, {}
    for name in ("plain20", "plain56", "resnet20", "resnet56"):
        gn.manual_seed(lab.seed)
        model = get(name, in_channels=1)
        loader = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        warm = len(loader)  # one epoch of linear warm-up from 0.01, then cosine (He et al.)
        sched = SequentialLR(opt, [LinearLR(opt, start_factor=0.1, total_iters=warm),
                                   CosineAnnealingLR(opt, T_max=max(1, (epochs - 1) * warm))],
                             milestones=[warm])
        trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched,
                          scheduler_interval="step", run_dir=False, progress=False,
                          report=False)
        h = trainer.fit(loader, epochs=epochs)
        histories[name] = [1 - a for a in h["accuracy"]]
        final[name] = {"train_error": histories[name][-1], "loss": h["loss"][-1],
                       "eval_train_error": 1 - accuracy(model, x, y)}
    lab.table(f"Fashion-MNIST, {n_train:,} training images ({28 // factor}x{28 // factor}), "
              f"{epochs} epochs",
              ["network", "training error (last epoch)", "training loss (last epoch)",
               "training error (eval mode, after)"],
              [[k, v["train_error"], v["loss"], v["eval_train_error"]] for k, v in final.items()])
    ref = ("He et al. 2016, fig. 6 (CIFAR-10): plain-56 trains to higher error than plain-20; "
           "ResNet-56 to lower error than ResNet-20; lecture 004 'Residual nets'")
    err = {k: v["train_error"] for k, v in final.items()}
    lab.claim("degradation: the 56-layer plain network has higher training error than the "
              "20-layer one (criterion: plain56 > plain20, last epoch)",
              measured=f"{err['plain56']:.3f} vs {err['plain20']:.3f}", reference=ref,
              holds=err["plain56"] > err["plain20"])
    lab.claim("residual connections remove it: resnet56 trains at least as well as resnet20 "
              "(criterion: resnet56 <= resnet20, last epoch)",
              measured=f"{err['resnet56']:.3f} vs {err['resnet20']:.3f}", reference=ref,
              holds=err["resnet56"] <= err["resnet20"])
    lab.claim("at 56 layers the residual network trains better than the plain one (criterion: "
              "resnet56 < plain56)", measured=f"{err['resnet56']:.3f} vs {err['plain56']:.3f}",
              reference=ref, holds=err["resnet56"] < err["plain56"])
    lab.record(training_error=histories, final=final)
    lab.note(f"SGD (lr 0.1, momentum 0.9, weight decay 1e-4), one epoch of linear warm-up from "
             f"0.01, then cosine; batch {batch}; the same schedule and seed for all four. "
             f"Training error of the last epoch is measured while training (as in He et al.'s "
             f"curves).")
    if lab.quick:
        lab.note("Quick run: far too short to be conclusive (a few dozen steps; He et al. train "
                 "64,000). RESULTS_TRAINING.md has the 8- and 16-epoch runs: plain-56 ends with "
                 "2.7-5.6 x plain-20's training error there, and the deeper ResNet overtakes "
                 "the shallower one only with zero-initialised residual branches.")
    with lab.figure("training-error") as fig:
        if fig is not None:
            ax = fig.subplots()
            for k, v in histories.items():
                ax.plot(range(1, len(v) + 1), v, ("--" if k.startswith("plain") else "-") + "o",
                        lw=2 if "56" in k else 1, label=k)
            ax.set_xlabel("epoch")
            ax.set_ylabel("training error")
            ax.legend()
            ax.grid(alpha=0.3)
