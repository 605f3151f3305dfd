"""Making deep networks train: gradients, initialisation, inputs, optimisers, regularisers.

* ``vanishing-gradients``: sigmoid's derivative is at most 1/4, so the gradient shrinks at least
  fourfold per sigmoid layer; ReLU's is 1 where a unit is on (001 "Vanishing gradient").
* ``initialisation``: small weights make activations vanish with depth; Xavier (Glorot and
  Bengio 2010) keeps tanh networks' activations alive and He (He et al. 2015) keeps ReLU
  networks' exactly (001 "Initialize small weights").
* ``standardisation``: standardised inputs train faster (001 "Input data preparation").
* ``optimisers``: SGD, momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam and AdamW on two 2-D
  test functions and on a small network (002 "Optimization").
* ``dropout``: dropout narrows the gap between training and test accuracy (Srivastava et al.
  2014; 004 "Dropout").
* ``batch-norm``: batch normalisation trains faster and tolerates a high learning rate (Ioffe and
  Szegedy 2015; 004 "Batch normalisation").
* ``augmentation``: random crops and flips raise the test accuracy of a network trained on few
  images (002 "Learned invariance: data augmentation").

Fashion-MNIST subsets come from ``glassnet.lab.datasets``; every network is built from glassnet's
layers and trained by glassnet's optimisers.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.analysis import activation_stds, gradient_norms
from glassnet.data.transforms import Compose, RandomCrop, RandomHorizontalFlip
from glassnet.lab.datasets import fashion_mnist
from glassnet.lab.runner import experiment
from glassnet.models import MLP
from glassnet.models import get as get_model
from glassnet.train.metrics import accuracy

__all__ = ["narrow_valley", "optimiser_paths", "rosenbrock", "steps_to_target"]

_CE = nn.CrossEntropyLoss()


def _flat(x):
    return x.reshape(len(x), -1)


def _standardise(train, *others):
    """``(x - mean) / std`` with one mean and std measured on the training inputs."""
    mu, sd = float(train.mean()), float(train.std())
    return [((a - mu) / sd).astype(np.float32) for a in (train, *others)]


def _evaluate(model, x, y, batch=1000):
    """Mean cross-entropy and accuracy of ``model`` on arrays ``(x, y)``, in eval mode."""
    was = model.training
    model.eval()
    losses, outs = [], []
    with gn.no_grad():
        for i in range(0, len(x), batch):
            out = model(gn.tensor(x[i:i + batch]))
            losses.append(float(_CE(out, gn.tensor(y[i:i + batch]))) * len(out))
            outs.append(out.numpy())
    model.train(was)
    return sum(losses) / len(x), accuracy(np.concatenate(outs), y)


def _train(model, opt, x, y, steps, batch, rng, augment=None, every=0, on_eval=None):
    """Mini-batch training for ``steps`` steps (a fresh shuffle each epoch); returns the batch
    losses. Every ``every`` steps (and at the end) ``on_eval(step)`` is called. A loss that
    becomes NaN or infinite stops the run (the remaining losses are reported as NaN)."""
    losses, order, pos = [], rng.permutation(len(x)), 0
    model.train()
    for step in range(1, steps + 1):
        if pos + batch > len(x):
            order, pos = rng.permutation(len(x)), 0
        idx = order[pos:pos + batch]
        pos += batch
        xb = x[idx] if augment is None else augment(x[idx])
        opt.zero_grad()
        loss = _CE(model(gn.tensor(xb)), gn.tensor(y[idx]))
        value = float(loss)
        losses.append(value)
        if not math.isfinite(value):
            losses += [math.nan] * (steps - step)
            if on_eval is not None:
                on_eval(step, diverged=True)
            break
        loss.backward()
        opt.step()
        if on_eval is not None and every and (step % every == 0 or step == steps):
            on_eval(step)
    return losses


def steps_to_target(steps, values, target):
    """The first step at which ``values`` (measured at ``steps``) is at or below ``target``;
    ``inf`` if never."""
    for s, v in zip(steps, values):
        if math.isfinite(v) and v <= target:
            return s
    return math.inf


def _smooth(v, k=20):
    v = np.asarray(v, dtype=np.float64)
    if len(v) < k:
        return v
    return np.convolve(v, np.ones(k) / k, mode="valid")


def _set_linear_weights(model, draw):
    """Every Linear layer's weight set to ``draw(fan_out, fan_in)`` and its bias to 0."""
    with gn.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.copy_(gn.tensor(draw(*m.weight.shape).astype(np.float32)))
                m.bias.zero_()


# ------------------------------------------------------------------ vanishing gradients
def _hidden_gradient_norms(model, x, y):
    """||dL/dz|| for every Linear layer's output z, hidden layers only (the logits dropped)."""
    norms = gradient_norms(model, _CE, gn.tensor(x), gn.tensor(y), kind="output",
                           layers=nn.Linear)
    return list(norms.values())[:-1]


@experiment("vanishing-gradients", lecture="001 vanishing gradient; ReLU as the fix",
            claim="through sigmoid layers the gradient shrinks at least fourfold per layer "
                  "(sigma' <= 1/4); ReLU with He initialisation keeps its size",
            full="depths 5, 10 and 20 and five weight draws each")
def vanishing_gradients(lab):
    x_train, y_train, _, _ = fashion_mnist(256, 0, lab.rng)
    (x,) = _standardise(_flat(x_train))
    width = 256
    depths = lab.pick((10,), (5, 10, 20))
    draws = lab.pick(1, 5)
    configs = [("sigmoid", "LeCun N(0, 1/fan_in)", 1.0), ("tanh", "LeCun N(0, 1/fan_in)", 1.0),
               ("relu", "LeCun N(0, 1/fan_in)", 1.0), ("relu", "He N(0, 2/fan_in)", 2.0)]
    rows, curves, factors, ratios = [], {}, {}, {}
    for depth in depths:
        sizes = [784] + [width] * depth + [10]
        for k in range(draws):
            # one set of random matrices per draw, shared by every activation: only g differs
            mats = [lab.rng.standard_normal((o, i)) / math.sqrt(i)
                    for i, o in itertools.pairwise(sizes)]
            for act, init, gain in configs:
                model = MLP(sizes, activation=act)
                it = iter(mats)
                _set_linear_weights(model, lambda o, i, it=it, gain=gain: next(it) * math.sqrt(gain))
                g = _hidden_gradient_norms(model, x, y_train)
                factor = (g[0] / g[-1]) ** (1 / (depth - 1))
                key = (depth, act, init)
                factors.setdefault(key, []).append(factor)
                ratios.setdefault(key, []).append(g[0] / g[-1])
                if k == 0:
                    curves[key] = g
            for act in ("sigmoid", "tanh", "relu"):  # nn.Linear's own initialisation
                gn.manual_seed(lab.seed + k)
                g = _hidden_gradient_norms(MLP(sizes, activation=act), x, y_train)
                key = (depth, act, "nn.Linear default U(+-1/sqrt(fan_in))")
                factors.setdefault(key, []).append((g[0] / g[-1]) ** (1 / (depth - 1)))
                ratios.setdefault(key, []).append(g[0] / g[-1])
    for (depth, act, init), f in factors.items():
        rows.append([depth, act, init, float(np.mean(f)), float(np.mean(ratios[(depth, act,
                                                                                 init)]))])
    lab.table("Gradient norm ||dL/dz|| of the first hidden layer vs the last, at initialisation "
              f"(width {width}, batch of 256 standardised Fashion-MNIST images, mean over "
              f"{draws} weight draw(s))",
              ["depth", "activation", "weights", "per-layer factor", "first / last"], rows)
    d0 = 10
    lecun = "LeCun N(0, 1/fan_in)"
    f_sig = float(np.mean(factors[(d0, "sigmoid", lecun)]))
    f_tanh = float(np.mean(factors[(d0, "tanh", lecun)]))
    r_he = float(np.mean(ratios[(d0, "relu", "He N(0, 2/fan_in)")]))
    lab.claim("through sigmoid layers the gradient shrinks at least fourfold per layer "
              "(criterion: geometric-mean factor per layer <= 0.25, depth 10, weights "
              "N(0, 1/fan_in) that keep a linear network's gradient)",
              measured=f"{f_sig:.3f} per layer; first / last "
                       f"{np.mean(ratios[(d0, 'sigmoid', lecun)]):.2e}",
              reference="lecture 001, slide 'Vanishing Gradient': sigma'(x) <= 1/4",
              holds=f_sig <= 0.25)
    lab.claim("tanh (derivative 1 at 0) loses less per layer than sigmoid, but still some "
              "(criterion: sigmoid factor < tanh factor < 1, same weights)",
              measured=f"sigmoid {f_sig:.3f}, tanh {f_tanh:.3f}",
              reference="lecture 001, slides 'Deep neural nets - adaptations'",
              holds=f_sig < f_tanh < 1)
    lab.claim("ReLU with He initialisation keeps the gradient's size through depth (criterion: "
              "first / last hidden-layer gradient norm in [0.5, 2] at depth 10)",
              measured=f"{r_he:.3f}",
              reference="lecture 001: ReLU's derivative 'is not (systematically) less than 1'; "
                        "He et al. 2015, eq. 14", holds=0.5 <= r_he <= 2)
    lab.record(gradient_norms={f"{d}/{a}/{i}": v for (d, a, i), v in curves.items()})

    with lab.figure("gradient-norms", figsize=(7, 4.5)) as fig:
        if fig is not None:
            ax = fig.subplots()
            for (depth, act, init), g in curves.items():
                if depth == d0:
                    ax.semilogy(range(1, depth + 1), g, "o-", ms=3, label=f"{act}, {init}")
            g_last = curves[(d0, "sigmoid", lecun)][-1]
            ax.semilogy(range(1, d0 + 1), [g_last * 4.0 ** -(d0 - k) for k in range(1, d0 + 1)],
                        "k:", label="(1/4) per layer")
            ax.set(xlabel="hidden layer (1 = nearest the input)", ylabel="||dL/dz||",
                   title=f"gradient at initialisation, depth {d0}")
            ax.legend(fontsize=7)


# ------------------------------------------------------------------ initialisation
_INITS = {
    "small N(0, 0.01^2)": lambda o, i, rng: rng.standard_normal((o, i)) * 0.01,
    "Xavier N(0, 2/(fan_in+fan_out))": lambda o, i, rng: rng.standard_normal((o, i))
    * math.sqrt(2 / (i + o)),
    "He N(0, 2/fan_in)": lambda o, i, rng: rng.standard_normal((o, i)) * math.sqrt(2 / i),
}


@experiment("initialisation", lecture="001 weight initialisation; Glorot 2010, He 2015",
            claim="with small weights the activations vanish through depth and the network "
                  "barely trains; Xavier (tanh) and He (ReLU) keep them alive and train",
            full="20 hidden layers of 256 units, 10,000 images and 2,000 steps instead of "
                 "8 x 128, 2,000 images and 200 steps")
def initialisation(lab):
    depth, width = lab.pick((8, 128), (20, 256))
    steps = lab.pick(200, 2000)
    x_train, y_train, _, _ = fashion_mnist(lab.pick(2000, 10000), 0, lab.rng)
    (x,) = _standardise(_flat(x_train))
    sizes = [784] + [width] * depth + [10]
    stats, curves, rows = {}, {}, []
    for act, act_layer in (("tanh", nn.Tanh), ("relu", nn.ReLU)):
        for init, draw in _INITS.items():
            model = MLP(sizes, activation=act)
            rng = np.random.default_rng(lab.seed)  # the same matrices, scaled, for every init
            _set_linear_weights(model, lambda o, i, rng=rng, draw=draw: draw(o, i, rng))
            acts = list(activation_stds(model, gn.tensor(x[:512]), layers=act_layer).values())
            grads = gradient_norms(model, _CE, gn.tensor(x[:512]), gn.tensor(y_train[:512]),
                                   kind="output", layers=nn.Linear)
            grads = [g / math.sqrt(512 * width) for g in list(grads.values())[:-1]]  # rms
            opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            losses = _train(model, opt, x, y_train, steps, 64, np.random.default_rng(lab.seed))
            final = float(np.mean(losses[-20:]))
            stats[(act, init)] = (acts, grads, final)
            curves[(act, init)] = losses
            rows.append([act, init, acts[0], acts[-1], acts[-1] / acts[0], grads[0], grads[-1],
                         final])
    lab.table(f"Depth {depth}, width {width}: activation std and gradient rms at the first and "
              f"last hidden layer at initialisation; training loss (mean of the last 20 of "
              f"{steps} steps, SGD lr 0.01 momentum 0.9)",
              ["activation", "init", "act std first", "act std last", "last / first",
               "grad rms first", "grad rms last", "final loss"], rows)
    small, xav, he = list(_INITS)
    r = {k: v[0][-1] / v[0][0] for k, v in stats.items()}
    lab.claim(f"small weights make activations vanish through depth (criterion: last / first "
              f"hidden-layer activation std < 1e-3 for tanh and ReLU, depth {depth})",
              measured=f"tanh {r[('tanh', small)]:.2e}, relu {r[('relu', small)]:.2e}",
              reference="lecture 001, slide 'Deep neural nets - adaptations': weights too small "
                        "- nothing is put through; Glorot and Bengio 2010",
              holds=r[("tanh", small)] < 1e-3 and r[("relu", small)] < 1e-3)
    lab.claim("Xavier initialisation keeps a tanh network's activations alive (criterion: "
              "last / first activation std > 0.2)", measured=f"{r[('tanh', xav)]:.3f}",
              reference="Glorot and Bengio 2010, fig. 6 (normalised initialisation keeps the "
                        "activation distributions across layers)", holds=r[("tanh", xav)] > 0.2)
    lab.claim("He initialisation keeps a ReLU network's activations constant, Xavier lets them "
              "shrink (criterion: He's last / first in [0.5, 2] and Xavier's below half of "
              "He's)", measured=f"He {r[('relu', he)]:.3f}, Xavier {r[('relu', xav)]:.3f}",
              reference="He et al. 2015, sec. 2.2 and fig. 3 (Xavier's variance halves per ReLU "
                        "layer)", holds=0.5 <= r[("relu", he)] <= 2
              and r[("relu", xav)] < 0.5 * r[("relu", he)])
    fin = {k: v[2] for k, v in stats.items()}
    lab.claim("the small-weight networks train slowest (criterion: final training loss with "
              "small weights above Xavier's for tanh and above He's for ReLU)",
              measured=f"tanh: small {fin[('tanh', small)]:.3f} vs Xavier "
                       f"{fin[('tanh', xav)]:.3f}; relu: small {fin[('relu', small)]:.3f} vs "
                       f"He {fin[('relu', he)]:.3f}",
              reference="Glorot and Bengio 2010; He et al. 2015, fig. 3",
              holds=fin[("tanh", small)] > fin[("tanh", xav)]
              and fin[("relu", small)] > fin[("relu", he)])
    lab.record(activation_stds={f"{a}/{i}": v[0] for (a, i), v in stats.items()},
               gradient_rms={f"{a}/{i}": v[1] for (a, i), v in stats.items()})

    with lab.figure("activations", figsize=(13, 4)) as fig:
        if fig is not None:
            a1, a2, a3 = fig.subplots(1, 3)
            for (act, init), (acts, grads, _) in stats.items():
                style = "-" if act == "tanh" else "--"
                a1.semilogy(range(1, depth + 1), acts, style, marker="o", ms=3,
                            label=f"{act}, {init}")
                a2.semilogy(range(1, depth + 1), grads, style, marker="o", ms=3)
                a3.plot(_smooth(curves[(act, init)]), style, label=f"{act}, {init}")
            a1.set(xlabel="hidden layer", ylabel="activation std", title="forward, at init")
            a2.set(xlabel="hidden layer", ylabel="gradient rms dL/dz", title="backward, at init")
            a3.set(xlabel="step", ylabel="training loss (20-step mean)", title="training")
            a1.legend(fontsize=6)


# ------------------------------------------------------------------ standardisation
@experiment("standardisation", lecture="001 input data preparation (standardisation)",
            claim="standardised inputs reach a target training loss in fewer steps than raw "
                  "pixels, at the best learning rate of each",
            full="10,000 images and 1,000 steps instead of 2,000 and 300")
def standardisation(lab):
    x_train, y_train, _, _ = fashion_mnist(lab.pick(2000, 10000), 0, lab.rng)
    unit = _flat(x_train)
    mu, sd = unit.mean(0), unit.std(0)
    inputs = {"raw pixels 0..255": unit * 255,
              "pixels / 255 in [0, 1]": unit,
              "standardised per feature": ((unit - mu) / np.where(sd < 1e-8, 1, sd))
              .astype(np.float32)}
    steps, every, target = lab.pick(300, 1000), 10, 0.6
    lrs = (0.001, 0.01, 0.1, 1.0)
    rows, best, curves = [], {}, {}
    for name, x in inputs.items():
        for lr in lab.progress(lrs, desc=name):
            gn.manual_seed(lab.seed)  # the same initial weights for every run
            model = MLP([784, 100, 10])
            opt = optim.SGD(model.parameters(), lr=lr)
            at, vals = [], []

            def on_eval(step, diverged=False, model=model, x=x, at=at, vals=vals):
                at.append(step)
                vals.append(math.nan if diverged else _evaluate(model, x, y_train)[0])

            with np.errstate(over="ignore", invalid="ignore"):  # the diverging runs
                _train(model, opt, x, y_train, steps, 64, np.random.default_rng(lab.seed),
                       every=every, on_eval=on_eval)
            reached = steps_to_target(at, vals, target)
            curves[(name, lr)] = (at, vals)
            rows.append([name, lr, reached, vals[-1]])
            if reached < best.get(name, (math.inf,))[0] or name not in best:
                best[name] = (reached, lr)
    lab.table(f"Steps of plain SGD (batch 64, MLP 784-100-10) until the training loss is "
              f"<= {target} (inf: not within {steps} steps; NaN: diverged)",
              ["inputs", "lr", "steps to target", "final training loss"], rows)
    raw, unit_, std = (best[k][0] for k in inputs)
    lab.claim(f"standardised inputs reach training loss {target} in fewer steps than [0, 1] "
              f"and raw pixels, each at its best learning rate of {list(lrs)} (criterion: "
              "strictly fewer than both)",
              measured=", ".join(f"{k}: {v[0]} (lr {v[1]})" for k, v in best.items()),
              reference="lecture 001, slide 'Deep neural nets - adaptations': input data "
                        "preparation x := (x - mean) / std; LeCun et al. 1998 'Efficient "
                        "BackProp', sec. 4.3", holds=std < unit_ and std < raw)

    for name, (reached_, lr) in best.items():
        if math.isfinite(reached_) and lr in (lrs[0], lrs[-1]):
            lab.note(f"{name}: the best learning rate ({lr}) is at the edge of the grid; a rate "
                     "beyond it might reach the target sooner.")
        if not math.isfinite(reached_):
            lab.note(f"{name}: no learning rate of the grid reached the target; raw pixels "
                     "scaled by 255 need a rate about 255^2 times smaller than [0, 1] pixels, "
                     "below this grid.")
    with lab.figure("loss-curves", figsize=(7, 4.5)) as fig:
        if fig is not None:
            ax = fig.subplots()
            for name, (_, lr) in best.items():
                at, vals = curves[(name, lr)]
                ax.plot(at, vals, label=f"{name} (best lr {lr})")
            ax.axhline(target, color="gray", ls=":")
            ax.set(xlabel="step", ylabel="training loss", yscale="log",
                   title="each input scaling at its best learning rate")
            ax.legend(fontsize=8)


# ------------------------------------------------------------------ optimisers
def rosenbrock(p):
    """Rosenbrock's banana valley ``(1 - x)^2 + 100 (y - x^2)^2``; minimum 0 at (1, 1)."""
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def narrow_valley(p):
    """An elongated quadratic ``x^2 / 100 + y^2`` (curvatures 0.02 and 2, condition number
    100); minimum 0 at (0, 0)."""
    x, y = p[..., 0], p[..., 1]
    return x * x / 100 + y * y


OPTIMISERS = {
    "SGD": lambda groups: optim.SGD(groups),
    "momentum": lambda groups: optim.SGD(groups, momentum=0.9),
    "Nesterov": lambda groups: optim.SGD(groups, momentum=0.9, nesterov=True),
    "Adagrad": lambda groups: optim.Adagrad(groups),
    "RMSprop": lambda groups: optim.RMSprop(groups),
    "Adadelta": lambda groups: optim.Adadelta(groups),
    "Adam": lambda groups: optim.Adam(groups),
    "AdamW": lambda groups: optim.AdamW(groups, weight_decay=0.01),
}


def optimiser_paths(fn, start, make_optimiser, lrs, steps):
    """Minimise ``fn`` from ``start`` once per learning rate in ``lrs`` (one parameter group
    each, in one optimiser: the runs are independent). Returns ``(paths, values)``:
    ``(len(lrs), steps + 1, 2)`` positions and ``(len(lrs), steps + 1)`` function values."""
    params = [nn.Parameter(gn.tensor(np.asarray(start, np.float64))) for _ in lrs]
    opt = make_optimiser([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
    paths = [np.stack([p.detach().numpy() for p in params])]
    for _ in range(steps):
        opt.zero_grad()
        fn(gn.stack(params)).sum().backward()
        opt.step()
        paths.append(np.stack([p.detach().numpy() for p in params]))
    paths = np.stack(paths, 1)
    with np.errstate(over="ignore", invalid="ignore"):  # the runs whose rate is too high
        return paths, fn(paths)


@experiment("optimisers", lecture="002 making it work: optimisation (SGD, momentum, Adadelta, "
            "Adam, AdamW)",
            claim="momentum and adaptive methods travel narrow valleys faster than plain SGD",
            full="1,000 steps on the test functions and 3,000 steps on 10,000 images instead "
                 "of 300 and 300 on 3,000")
def optimisers(lab):
    steps = lab.pick(300, 1000)
    lrs = tuple(float(v) for v in 10.0 ** np.arange(-4, 0.5, 0.5))
    functions = {"Rosenbrock": (rosenbrock, (-1.2, 1.0)),
                 "narrow valley": (narrow_valley, (-10.0, 1.0))}
    best, rows = {}, []
    for fname, (fn, start) in functions.items():
        for oname, make in lab.progress(OPTIMISERS.items(), desc=fname):
            paths, values = optimiser_paths(fn, start, make, lrs, steps)
            final = np.where(np.isfinite(values[:, -1]), values[:, -1], np.inf)
            k = int(np.argmin(final))
            best[(fname, oname)] = (float(final[k]), lrs[k], paths[k])
            rows.append([fname, oname, lrs[k], float(final[k])])
    lab.table(f"Best final value after {steps} steps over learning rates 1e-4 ... 1 "
              "(half-decade grid)", ["function", "optimiser", "best lr", "final f"], rows)
    v = {k: b[0] for k, b in best.items()}
    lab.claim("momentum and Nesterov end lower than plain SGD on both test functions (criterion: "
              "best final value of each below SGD's best)",
              measured="; ".join(f"{f}: SGD {v[(f, 'SGD')]:.2e}, momentum "
                                 f"{v[(f, 'momentum')]:.2e}, Nesterov {v[(f, 'Nesterov')]:.2e}"
                                 for f in functions),
              reference="lecture 002, slide 'Optimization' (SGD vs momentum); Polyak 1964, "
                        "Sutskever et al. 2013",
              holds=all(v[(f, m)] < v[(f, "SGD")] for f in functions
                        for m in ("momentum", "Nesterov")))
    lab.claim("Adam ends lower than plain SGD on Rosenbrock's valley (criterion: best final "
              "value below SGD's best)",
              measured=f"Adam {v[('Rosenbrock', 'Adam')]:.2e}, SGD {v[('Rosenbrock', 'SGD')]:.2e}",
              reference="lecture 002, slide 'Optimization': 'Adam: adds momentum to RMSprop' "
                        "(Kingma and Ba 2014)",
              holds=v[("Rosenbrock", "Adam")] < v[("Rosenbrock", "SGD")])

    # a real network: each optimiser at its usual learning rate
    n_train = lab.pick(3000, 10000)
    net_steps = lab.pick(300, 3000)
    x_train, y_train, x_test, y_test = fashion_mnist(n_train, 2000, lab.rng)
    x, xt = _standardise(_flat(x_train), _flat(x_test))
    usual = {"SGD": 0.01, "momentum": 0.01, "Nesterov": 0.01, "Adagrad": 0.01,
             "RMSprop": 0.01, "Adadelta": 1.0, "Adam": 0.001, "AdamW": 0.001}
    net_curves, net_rows = {}, []
    for oname, make in lab.progress(OPTIMISERS.items(), desc="MLP"):
        gn.manual_seed(lab.seed)
        model = MLP([784, 128, 10])
        opt = make([{"params": list(model.parameters()), "lr": usual[oname]}])
        losses = _train(model, opt, x, y_train, net_steps, 64, np.random.default_rng(lab.seed))
        net_curves[oname] = losses
        net_rows.append([oname, usual[oname], float(np.mean(losses[-50:])),
                         _evaluate(model, xt, y_test)[1]])
    lab.table(f"MLP 784-128-10 on {n_train} Fashion-MNIST images, {net_steps} steps of batch 64",
              ["optimiser", "lr", "training loss (last 50 steps)", "test accuracy"], net_rows)
    nl = {r[0]: r[2] for r in net_rows}
    lab.claim("on a real network at their usual learning rates, momentum and Adam reach a lower "
              "training loss than plain SGD in the same number of steps (criterion: mean loss "
              "of the last 50 steps below SGD's)",
              measured=f"SGD {nl['SGD']:.3f}, momentum {nl['momentum']:.3f}, "
                       f"Adam {nl['Adam']:.3f}",
              reference="lecture 002, slide 'Optimization' (training curves of SGD, momentum, "
                        "Adadelta, Adam); Kingma and Ba 2014, fig. 2",
              holds=nl["momentum"] < nl["SGD"] and nl["Adam"] < nl["SGD"])

    with lab.figure("paths", figsize=(12, 5)) as fig:
        if fig is not None:
            axes = fig.subplots(1, 2)
            for ax, (fname, (fn, start)), lim in zip(
                    axes, functions.items(), (((-2, 2), (-1, 3)), ((-11, 2), (-2, 2)))):
                gx, gy = np.meshgrid(np.linspace(*lim[0], 300), np.linspace(*lim[1], 300))
                z = fn(np.stack([gx, gy], -1))
                ax.contour(gx, gy, np.log10(z + 1e-3), levels=20, cmap="Greys", linewidths=0.5)
                for oname in OPTIMISERS:
                    p = best[(fname, oname)][2]
                    ax.plot(p[:, 0], p[:, 1], lw=1.2, label=f"{oname}")
                ax.plot(*start, "ko")
                ax.set(xlim=lim[0], ylim=lim[1], title=f"{fname}: best lr each, {steps} steps")
            axes[0].legend(fontsize=7)
    with lab.figure("curves", figsize=(12, 4.5)) as fig:
        if fig is not None:
            axes = fig.subplots(1, 3)
            for ax, fname in zip(axes[:2], functions):
                for oname in OPTIMISERS:
                    fn, _ = functions[fname]
                    ax.semilogy(fn(best[(fname, oname)][2]) + 1e-16, lw=1, label=oname)
                ax.set(xlabel="step", ylabel="f", title=fname)
            for oname, losses in net_curves.items():
                axes[2].plot(_smooth(losses), lw=1, label=f"{oname} (lr {usual[oname]})")
            axes[2].set(xlabel="step", ylabel="training loss (20-step mean)",
                        title="MLP on Fashion-MNIST")
            axes[2].legend(fontsize=7)


# ------------------------------------------------------------------ dropout
@experiment("dropout", lecture="004 dropout (Srivastava et al. 2014)",
            claim="dropout narrows the gap between training and test accuracy of a network "
                  "trained on few examples",
            full="hidden layers of 1024 units, 2,000 training images, 100 epochs and the whole "
                 "test set instead of 256 units, 1,000 images, 30 epochs, 2,000 test images")
def dropout(lab):
    width = lab.pick(256, 1024)
    epochs = lab.pick(30, 100)
    n_train = lab.pick(1000, 2000)
    x_train, y_train, x_test, y_test = fashion_mnist(n_train, lab.pick(2000, None), lab.rng)
    x, xt = _flat(x_train), _flat(x_test)
    steps_per_epoch = n_train // 50
    results, curves = {}, {}
    for p in (0.0, 0.5):
        gn.manual_seed(lab.seed)
        model = MLP([784, width, width, 10], dropout=p)
        opt = optim.Adam(model.parameters(), lr=1e-3)
        hist = []

        def on_eval(step, diverged=False, model=model, hist=hist):
            if step % (5 * steps_per_epoch) == 0 or step == epochs * steps_per_epoch:
                hist.append((step // steps_per_epoch, _evaluate(model, x, y_train)[1],
                             _evaluate(model, xt, y_test)[1]))

        _train(model, opt, x, y_train, epochs * steps_per_epoch, 50,
               np.random.default_rng(lab.seed), every=steps_per_epoch, on_eval=on_eval)
        curves[p] = hist
        results[p] = hist[-1][1:]
    rows = [[p, tr, te, tr - te] for p, (tr, te) in results.items()]
    lab.table(f"MLP 784-{width}-{width}-10 on {n_train} images, {epochs} epochs (Adam 1e-3)",
              ["dropout p", "train accuracy", "test accuracy", "gap"], rows)
    gap = {p: tr - te for p, (tr, te) in results.items()}
    lab.claim("dropout narrows the train - test accuracy gap (criterion: gap with p = 0.5 below "
              "the gap without dropout)", measured=f"gap {gap[0.0]:.3f} without, "
                                                    f"{gap[0.5]:.3f} with dropout",
              reference="Srivastava et al. 2014, JMLR 15; lecture 004, slide 'Dropout: a simple "
                        "way to prevent neural networks from overfitting'",
              holds=gap[0.5] < gap[0.0])
    lab.claim("dropout raises the test accuracy (criterion: test accuracy with p = 0.5 above "
              "without)", measured=f"{results[0.0][1]:.4f} without, {results[0.5][1]:.4f} with",
              reference="Srivastava et al. 2014, table 2 (MNIST: dropout lowers the test error "
                        "of every architecture)", holds=results[0.5][1] > results[0.0][1])

    with lab.figure("accuracy", figsize=(7, 4.5)) as fig:
        if fig is not None:
            ax = fig.subplots()
            for p, hist in curves.items():
                e, tr, te = zip(*hist)
                line, = ax.plot(e, tr, "--", label=f"p = {p}: train")
                ax.plot(e, te, "-", color=line.get_color(), label=f"p = {p}: test")
            ax.set(xlabel="epoch", ylabel="accuracy", title="dropout and overfitting")
            ax.legend(fontsize=8)


# ------------------------------------------------------------------ batch norm
@experiment("batch-norm", lecture="004 batch normalisation (Ioffe and Szegedy 2015)",
            claim="with batch normalisation a network trains faster and tolerates a high "
                  "learning rate",
            full="10,000 images and 2,000 steps instead of 2,000 and 300")
def batch_norm(lab):
    x_train, y_train, x_test, y_test = fashion_mnist(lab.pick(2000, 10000), 2000, lab.rng)
    x, xt = _flat(x_train), _flat(x_test)
    steps, every, target = lab.pick(300, 2000), 10, 0.6
    lrs = (0.1, 1.0, 10.0)
    rows, reached, curves = [], {}, {}
    for bn in (False, True):
        for lr in lab.progress(lrs, desc=f"batch norm {bn}"):
            gn.manual_seed(lab.seed)
            model = MLP([784, 100, 100, 100, 10], activation="sigmoid", batch_norm=bn)
            opt = optim.SGD(model.parameters(), lr=lr)
            at, vals = [], []

            def on_eval(step, diverged=False, model=model, at=at, vals=vals):
                at.append(step)
                vals.append(math.nan if diverged else _evaluate(model, x[:1000],
                                                                y_train[:1000])[0])

            with np.errstate(over="ignore", invalid="ignore"):  # the diverging runs
                _train(model, opt, x, y_train, steps, 60, np.random.default_rng(lab.seed),
                       every=every, on_eval=on_eval)
            reached[(bn, lr)] = steps_to_target(at, vals, target)
            curves[(bn, lr)] = (at, vals)
            rows.append([bn, lr, reached[(bn, lr)], vals[-1], _evaluate(model, xt, y_test)[1]])
    lab.table(f"3 x 100 sigmoid MLP (Ioffe and Szegedy's MNIST network), plain SGD, batch 60: "
              f"steps until the training loss is <= {target}",
              ["batch norm", "lr", "steps to target", "final training loss", "test accuracy"],
              rows)
    hi = lrs[-1]
    lab.claim(f"at a high learning rate ({hi}) the network with batch norm reaches training loss "
              f"{target} in fewer steps (criterion: steps with BN < steps without; never = inf)",
              measured=f"with BN {reached[(True, hi)]}, without {reached[(False, hi)]}",
              reference="Ioffe and Szegedy 2015, sec. 3.3 'Batch normalization enables higher "
                        "learning rates'; lecture 004, slide 'Batch Normalization'",
              holds=reached[(True, hi)] < reached[(False, hi)])
    b_bn = min(reached[(True, lr)] for lr in lrs)
    b_no = min(reached[(False, lr)] for lr in lrs)
    lab.claim("batch norm trains faster (criterion: fewest steps to the target over the "
              f"learning rates {list(lrs)} smaller with BN than without)",
              measured=f"with BN {b_bn}, without {b_no}",
              reference="Ioffe and Szegedy 2015, fig. 1(a) (MNIST: higher test accuracy at every "
                        "step with BN)", holds=b_bn < b_no)

    with lab.figure("loss-curves", figsize=(7, 4.5)) as fig:
        if fig is not None:
            ax = fig.subplots()
            for (bn, lr), (at, vals) in curves.items():
                ax.plot(at, vals, "-" if bn else "--", label=f"{'BN' if bn else 'no BN'}, lr {lr}")
            ax.axhline(target, color="gray", ls=":")
            ax.set(xlabel="step", ylabel="training loss", yscale="log",
                   title="batch normalisation and the learning rate")
            ax.legend(fontsize=8)


# ------------------------------------------------------------------ augmentation
@experiment("augmentation", lecture="002 learned invariance: data augmentation",
            claim="random crops and flips raise the test accuracy of a CNN trained on a small "
                  "training set",
            full="2,000 training images, 60 epochs and the whole test set instead of 1,000, 15 "
                 "and 2,000")
def augmentation(lab):
    n_train = lab.pick(1000, 2000)
    epochs = lab.pick(15, 60)
    x, y_train, xt, y_test = fashion_mnist(n_train, lab.pick(2000, None), lab.rng)
    steps_per_epoch = n_train // 64
    results, curves = {}, {}
    for aug in (False, True):
        gn.manual_seed(lab.seed)
        model = get_model("lenet5")
        opt = optim.Adam(model.parameters(), lr=1e-3)
        g = gn.Generator().manual_seed(lab.seed)
        transform = Compose([RandomCrop(28, padding=2, generator=g),
                             RandomHorizontalFlip(0.5, generator=g)]) if aug else None
        hist = []

        def on_eval(step, diverged=False, model=model, hist=hist):
            if step % (5 * steps_per_epoch) == 0 or step == epochs * steps_per_epoch:
                hist.append((step // steps_per_epoch, _evaluate(model, x, y_train)[1],
                             _evaluate(model, xt, y_test)[1]))

        _train(model, opt, x, y_train, epochs * steps_per_epoch, 64,
               np.random.default_rng(lab.seed), augment=transform, every=steps_per_epoch,
               on_eval=on_eval)
        results[aug] = hist[-1][1:]
        curves[aug] = hist
    lab.table(f"LeNet-5 on {n_train} Fashion-MNIST images, {epochs} epochs (Adam 1e-3); "
              "augmentation: random crop (padding 2) and horizontal flip",
              ["augmentation", "train accuracy", "test accuracy"],
              [[a, tr, te] for a, (tr, te) in results.items()])
    lab.claim("augmentation raises the test accuracy (criterion: test accuracy with crop + flip "
              "above without, same network, initialisation and number of steps)",
              measured=f"{results[False][1]:.4f} without, {results[True][1]:.4f} with",
              reference="lecture 002, slide 'Learned invariance: data augmentation' (random "
                        "cropping, mirroring); Krizhevsky et al. 2012, sec. 4.1",
              holds=results[True][1] > results[False][1])
    if results[True][0] < results[False][0]:
        lab.note(f"After {epochs} epochs the augmented network fits its own training images less "
                 f"well ({results[True][0]:.3f} vs {results[False][0]:.3f} training accuracy): "
                 "augmentation is a regulariser, and its benefit is expected once training "
                 "runs long enough for the plain network to overfit (the full run trains "
                 "four times as many epochs).")

    with lab.figure("accuracy", figsize=(7, 4.5)) as fig:
        if fig is not None:
            ax = fig.subplots()
            for aug, hist in curves.items():
                e, tr, te = zip(*hist)
                line, = ax.plot(e, tr, "--", label=f"{'crop + flip' if aug else 'none'}: train")
                ax.plot(e, te, "-", color=line.get_color(),
                        label=f"{'crop + flip' if aug else 'none'}: test")
            ax.set(xlabel="epoch", ylabel="accuracy", title="data augmentation")
            ax.legend(fontsize=8)
