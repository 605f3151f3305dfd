"""Single neurons and shallow networks: the claims of the history of deep learning.

* ``mcculloch-pitts``: threshold units with hand-set weights are logic gates; two layers of
  them compute XOR (McCulloch and Pitts, 1943; course material 004 "Prehistory").
* ``perceptron``: Rosenblatt's rule converges on linearly separable data within Novikoff's
  bound (R / gamma)^2 of updates, and never on data that are not separable.
* ``xor``: no single linear threshold unit gets more than 3 of XOR's 4 points right; a network
  with two hidden units learns it (Minsky and Papert, 1969; 004 "1969").
* ``universal-approximation``: one hidden layer of sigmoids approximates a continuous function
  on an interval; a hand-built staircase of steep sigmoids shows how, and trained networks show
  the error falling as hidden units are added (Cybenko 1989, Hornik 1991; 000/001 "Universal
  approximation theorem").
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.lab.runner import experiment
from glassnet.models import McCullochPitts, Perceptron

__all__ = ["best_linear_accuracy", "logic_functions_of_one_unit", "novikoff_data",
           "staircase_network", "xor_network"]

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.float32)


# ------------------------------------------------------------------ McCulloch-Pitts
def xor_network(x):
    """XOR from McCulloch-Pitts units: ``AND(OR(a, b), NAND(a, b))``, two layers of thresholds.

    ``x``: ``(N, 2)`` of zeros and ones; returns ``(N,)`` float32 zeros and ones.
    """
    x = gn.tensor(np.asarray(x, dtype=np.float32))
    hidden = gn.stack([McCullochPitts.gate("or")(x), McCullochPitts.gate("nand")(x)], dim=1)
    return McCullochPitts.gate("and")(hidden).numpy()


def logic_functions_of_one_unit(weights=range(-2, 3), thresholds=tuple(k / 2 for k in range(-5, 6))):
    """Every two-input Boolean function one threshold unit ``1[w1 a + w2 b >= theta]`` computes,
    searched over a grid of integer weights and half-integer thresholds.

    Returns a set of truth tables, each a tuple of the outputs for (0,0), (0,1), (1,0), (1,1).
    """
    found = set()
    for w1, w2 in itertools.product(weights, weights):
        for theta in thresholds:
            unit = McCullochPitts((w1, w2), theta)
            found.add(tuple(int(v) for v in unit.truth_table()[1]))
    return found


@experiment("mcculloch-pitts", lecture="004 prehistory: McCulloch-Pitts neurons (1943)",
            claim="threshold units with fixed weights implement AND, OR, NOT; two layers of "
                  "them implement XOR, which no single unit can",
            full="nothing: the truth tables are exact and the search is complete in quick mode")
def mcculloch_pitts(lab):
    expected = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "nand": [1, 1, 1, 0], "not": [1, 0]}
    rows, exact = [], True
    for name, want in expected.items():
        _, outputs = McCullochPitts.gate(name).truth_table()
        got = [int(v) for v in outputs]
        exact &= got == want
        w, t = McCullochPitts.GATES[name]
        rows.append([name.upper(), str(list(w)), t, str(got), str(want)])
    lab.table("Gates: weights, threshold, truth table (inputs in binary order)",
              ["gate", "weights", "threshold", "output", "expected"], rows)
    lab.claim("AND, OR, NAND and NOT units reproduce their truth tables exactly "
              "(criterion: every output equal)", measured="exact" if exact else "mismatch",
              reference="McCulloch and Pitts 1943; lecture 004, slide 'McCulloch-Pitts neuron'",
              holds=exact)

    xor_out = xor_network(XOR_X)
    xor_ok = [int(v) for v in xor_out] == [0, 1, 1, 0]
    lab.claim("two layers, AND(OR(a, b), NAND(a, b)), compute XOR exactly "
              "(criterion: outputs [0, 1, 1, 0])", measured=[int(v) for v in xor_out],
              reference="McCulloch and Pitts 1943: nets of threshold units compute any "
                        "logical expression; lecture 004", holds=xor_ok)

    found = logic_functions_of_one_unit()
    missing = sorted(set(itertools.product((0, 1), repeat=4)) - found)
    lab.claim("a single threshold unit computes 14 of the 16 two-input Boolean functions, all "
              "but XOR and XNOR (criterion: search over weights -2..2 and thresholds "
              "-2.5..2.5 finds exactly those 14)",
              measured=f"{len(found)} found; missing {missing}",
              reference="Minsky and Papert 1969 (Perceptrons); lecture 004, slide '1969'",
              holds=len(found) == 14 and missing == [(0, 1, 1, 0), (1, 0, 0, 1)])

    with lab.figure("xor-from-gates", figsize=(9, 4)) as fig:
        if fig is not None:
            ax, ax2 = fig.subplots(1, 2)
            t = np.linspace(-0.5, 1.5, 2)
            ax.plot(t, 1 - t, label="OR: a + b = 1")
            ax.plot(t, 2 - t, label="NAND: a + b = 2 (off at or above)")
            ax.fill_between(t, 1 - t, 2 - t, alpha=0.15, label="XOR = OR and NAND")
            ax.scatter(XOR_X[:, 0], XOR_X[:, 1], c=XOR_Y, cmap="coolwarm", s=120,
                       edgecolors="k", zorder=3)
            ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="a", ylabel="b",
                   title="two threshold lines make XOR")
            ax.legend(fontsize=7, loc="upper right")
            tables = np.array([[int(v) for v in McCullochPitts.gate(g).truth_table()[1]]
                               for g in ("and", "or", "nand")] + [list(xor_out)])
            ax2.imshow(tables, cmap="Greys", vmin=0, vmax=1.5)
            for (i, j), v in np.ndenumerate(tables):
                ax2.text(j, i, int(v), ha="center", va="center", color="tab:red")
            ax2.set_xticks(range(4), ["00", "01", "10", "11"])
            ax2.set_yticks(range(4), ["AND", "OR", "NAND", "XOR (2 layers)"])
            ax2.set_title("truth tables")


# ------------------------------------------------------------------ perceptron
def novikoff_data(n, margin, rng, dim=2):
    """``n`` points uniform in [-1, 1]^dim labelled by a random hyperplane, keeping only points
    at least ``margin`` from it (in the augmented space x~ = (x, 1), where the perceptron's bias
    is one more weight).

    Returns ``(x, y, gamma, radius)``: labels y in {0, 1}, the margin ``gamma = min_i s_i u.x~_i``
    of the generating unit vector u (s_i = +-1) and ``radius = max_i ||x~_i||``; the perceptron
    rule then makes at most ``(radius / gamma)^2`` updates (Novikoff, 1962).
    """
    u = rng.standard_normal(dim + 1)
    u[-1] *= 0.3  # keep the plane near the data
    u /= np.linalg.norm(u)
    xs = []
    while sum(len(a) for a in xs) < n:
        x = rng.uniform(-1, 1, size=(4 * n, dim))
        m = np.c_[x, np.ones(len(x))] @ u
        xs.append(x[np.abs(m) >= margin])
    x = np.concatenate(xs)[:n]
    xa = np.c_[x, np.ones(n)]
    m = xa @ u
    return (x.astype(np.float32), (m > 0).astype(np.float32), float(np.abs(m).min()),
            float(np.linalg.norm(xa, axis=1).max()))


@experiment("perceptron", lecture="004 prehistory: Rosenblatt's perceptron (1958)",
            claim="the perceptron rule converges within (R / gamma)^2 updates on separable data "
                  "and never converges on data that are not separable",
            full="more trials (20 per margin), a smaller margin (0.01) and 10-D data")
def perceptron(lab):
    margins = lab.pick((0.2, 0.1, 0.05), (0.2, 0.1, 0.05, 0.02, 0.01))
    dims = lab.pick((2,), (2, 10))
    trials = lab.pick(5, 20)
    n = 200
    rows, within, converged, points = [], True, True, []
    for dim in dims:
        for margin in margins:
            updates, bounds, epochs = [], [], []
            for _ in lab.progress(range(trials), desc=f"d={dim} margin={margin}"):
                x, y, gamma, radius = novikoff_data(n, margin, lab.rng, dim)
                bound = (radius / gamma) ** 2
                p = Perceptron(dim).fit(x, y, epochs=int(bound) + 1, shuffle=True,
                                        seed=int(lab.rng.integers(1 << 31)))
                converged &= p.converged and p.score(x, y) == 1.0
                updates.append(sum(p.history))
                bounds.append(bound)
                epochs.append(len(p.history))
                within &= updates[-1] <= bound
                points.append((dim, margin, updates[-1], bound))
            rows.append([dim, margin, trials, int(np.max(updates)), float(np.min(bounds)),
                         float(np.max(np.array(updates) / np.array(bounds))),
                         int(np.max(epochs))])
    lab.table("Separable data: updates of the perceptron rule vs Novikoff's bound",
              ["dim", "min margin", "trials", "max updates", "min bound (R/gamma)^2",
               "max updates / bound", "max epochs"], rows)
    lab.claim("on linearly separable data the perceptron rule converges (every trial ends with "
              "an epoch without mistakes, training accuracy 1.0)",
              measured=f"{'all' if converged else 'not all'} of {len(points)} trials converged",
              reference="Rosenblatt 1958; perceptron convergence theorem (Novikoff 1962); "
                        "lecture 004, slide 'Perceptron'", holds=converged)
    worst = max(u / b for _, _, u, b in points)
    lab.claim("the number of updates never exceeds Novikoff's bound (R / gamma)^2 "
              "(criterion: updates <= bound in every trial)",
              measured=f"largest updates / bound = {worst:.3f}",
              reference="Novikoff 1962, 'On convergence proofs for perceptrons': at most "
                        "(R / gamma)^2 mistakes", holds=within)

    # Not separable: noisy blobs around XOR's corners, plus the four XOR points themselves,
    # which no line separates (so neither does anything containing them).
    centres = XOR_X[lab.rng.integers(0, 4, size=n - 4)]
    xn = np.concatenate([XOR_X, centres + 0.15 * lab.rng.standard_normal(centres.shape)])
    yn = np.concatenate([XOR_Y, (centres[:, 0] != centres[:, 1]).astype(np.float32)])
    epochs = lab.pick(200, 1000)
    p_bad = Perceptron(2).fit(xn, yn, epochs=epochs, shuffle=True, seed=lab.seed)
    tail = p_bad.history[-min(50, epochs):]
    lab.claim(f"on XOR-like data (not separable) the rule never converges (criterion: no "
              f"epoch without mistakes in {epochs} epochs)",
              measured=f"converged={p_bad.converged}; mistakes per epoch over the last "
                       f"{len(tail)} epochs: {min(tail)}..{max(tail)}",
              reference="Minsky and Papert 1969; lecture 004, slide '1969'",
              holds=not p_bad.converged and min(p_bad.history) > 0)

    # a separable run to draw
    x, y, gamma, radius = novikoff_data(n, margins[-1], lab.rng, 2)
    p_ok = Perceptron(2).fit(x, y, epochs=int((radius / gamma) ** 2) + 1, shuffle=True,
                             seed=lab.seed)
    lab.record(updates_vs_bound=points, nonseparable_history=p_bad.history,
               separable_history=p_ok.history)
    with lab.figure("perceptron", figsize=(13, 4)) as fig:
        if fig is not None:
            a1, a2, a3 = fig.subplots(1, 3)
            pts = np.array([(u, b) for _, _, u, b in points])
            a1.loglog(pts[:, 1], pts[:, 0], "o", alpha=0.6, label="trials")
            lim = [pts.min() * 0.5, pts.max() * 2]
            a1.loglog(lim, lim, "k--", label="updates = (R/gamma)^2")
            a1.set(xlabel="Novikoff bound (R/gamma)^2", ylabel="updates made",
                   title="updates stay under the bound")
            a1.legend(fontsize=8)
            a2.plot(np.arange(1, len(p_ok.history) + 1), p_ok.history, label="separable")
            a2.plot(np.arange(1, len(p_bad.history) + 1), p_bad.history,
                    label="XOR-like (not separable)", alpha=0.8)
            a2.set(xlabel="epoch", ylabel="mistakes (= updates) in the epoch",
                   title="mistakes per epoch", xscale="log")
            a2.legend(fontsize=8)
            w, b = p_ok.weight.numpy(), float(p_ok.bias.numpy())
            a3.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=10)
            t = np.linspace(-1, 1, 2)
            if abs(w[1]) > 1e-12:
                a3.plot(t, -(w[0] * t + b) / w[1], "k-", label="learned line")
            a3.set(xlim=(-1, 1), ylim=(-1, 1), title=f"margin {gamma:.3f}: converged in "
                   f"{len(p_ok.history)} epochs")
            a3.legend(fontsize=8)


# ------------------------------------------------------------------ XOR
def best_linear_accuracy(x, y, n_angles=720, n_offsets=321):
    """The best accuracy of any line ``1[cos(phi) a + sin(phi) b + c >= 0]`` on ``(x, y)``,
    searched over ``n_angles`` directions and ``n_offsets`` offsets c in [-1.6, 1.6], and the
    number of distinct labellings of the points those lines produce.

    Returns ``(accuracy, (phi, c), n_labellings)``.
    """
    phi = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    c = np.linspace(-1.6, 1.6, n_offsets)
    w = np.stack([np.cos(phi), np.sin(phi)], 1)  # (A, 2)
    pred = (np.asarray(x, np.float64) @ w.T)[None] + c[:, None, None] >= 0  # (C, N, A)
    acc = (pred == (np.asarray(y)[None, :, None] > 0.5)).mean(1)  # (C, A)
    i, j = np.unravel_index(np.argmax(acc), acc.shape)
    labellings = {tuple(col) for col in pred.transpose(0, 2, 1).reshape(-1, len(x))}
    return float(acc[i, j]), (float(phi[j]), float(c[i])), len(labellings)


def _train_xor_mlps(seeds, steps, lr, rng):
    """``seeds`` independent 2-2-1 sigmoid networks trained side by side on XOR (a batch of
    weight matrices; each network's loss and Adam state are its own). Initialised like
    ``nn.Linear`` (uniform in +-1/sqrt(fan_in)). Returns their accuracies, final losses and
    weights."""
    bound = 1 / math.sqrt(2)

    def param(*shape):
        return nn.Parameter(gn.tensor(rng.uniform(-bound, bound, shape).astype(np.float32)))

    w1, b1, w2, b2 = param(seeds, 2, 2), param(seeds, 1, 2), param(seeds, 2, 1), param(seeds, 1, 1)
    x, y = gn.tensor(XOR_X), gn.tensor(np.broadcast_to(XOR_Y[None, :, None], (seeds, 4, 1)))
    opt = optim.Adam([w1, b1, w2, b2], lr=lr)

    def logits():
        return gn.sigmoid(x @ w1 + b1) @ w2 + b2  # (S, 4, 1)

    for _ in range(steps):
        opt.zero_grad()
        per_net = nn.functional.binary_cross_entropy_with_logits(
            logits(), y, reduction="none").mean(dim=(1, 2))
        per_net.sum().backward()
        opt.step()
    with gn.no_grad():
        out = logits().numpy()[..., 0]
    acc = ((out >= 0) == (XOR_Y[None] > 0.5)).mean(1)
    return acc, per_net.detach().numpy(), (w1, b1, w2, b2)


@experiment("xor", lecture="004 history: perceptron, XOR (Minsky and Papert 1969)",
            claim="a single perceptron cannot fit XOR (best accuracy 0.75); an MLP with two "
                  "hidden units can",
            full="50 random initialisations of the 2-2-1 network instead of 10")
def xor(lab):
    acc, (phi, c), n_lab = best_linear_accuracy(XOR_X, XOR_Y)
    lab.claim("no line classifies more than 3 of XOR's 4 points (criterion: best accuracy over "
              "230,000 lines is exactly 0.75)",
              measured=f"best accuracy {acc:.2f}; lines realise {n_lab} of the 16 labellings",
              reference="Minsky and Papert 1969; lecture 004, slide '1969': a perceptron "
                        "cannot learn XOR", holds=acc == 0.75)
    p = Perceptron(2).fit(XOR_X, XOR_Y, epochs=100)
    lab.claim("the perceptron rule does not converge on XOR (criterion: mistakes in every one of "
              "100 epochs, final accuracy <= 0.75)",
              measured=f"converged={p.converged}, final accuracy {p.score(XOR_X, XOR_Y):.2f}, "
                       f"mistakes per epoch {min(p.history)}..{max(p.history)}",
              reference="Minsky and Papert 1969", holds=not p.converged and
              min(p.history) > 0 and p.score(XOR_X, XOR_Y) <= 0.75)

    seeds, steps, lr = lab.pick(10, 50), 2000, 0.1
    accs, losses, (w1, b1, w2, b2) = _train_xor_mlps(seeds, steps, lr, lab.rng)
    solved = int((accs == 1.0).sum())
    lab.table("2-2-1 sigmoid MLP on XOR, one row per random initialisation "
              f"(Adam, lr {lr}, {steps} full-batch steps)", ["init", "accuracy", "final BCE"],
              [[i, float(a), float(v)] for i, (a, v) in enumerate(zip(accs, losses))])
    lab.claim(f"a 2-2-1 sigmoid MLP trained by gradient descent fits XOR (criterion: accuracy 1.0 "
              f"in at least half of {seeds} random initialisations)",
              measured=f"{solved} of {seeds} reach accuracy 1.0 (the rest: "
                       f"{sorted({float(a) for a in accs if a < 1})})",
              reference="Rumelhart, Hinton and Williams 1986, 'Learning internal "
                        "representations by error propagation' (PDP vol. 1, ch. 8: XOR with "
                        "hidden units); lecture 004, slide 'Multi-Layer Perceptron'",
              holds=solved >= seeds / 2)
    if solved < seeds:
        lab.note("The initialisations that fail stall below accuracy 1: with only two hidden "
                 "units, gradient descent on XOR gets stuck for a sizeable share of starting "
                 "points, so the claim of the lecture (a solution exists) is not the same as "
                 "this criterion (training finds it from most starting points).")

    with lab.figure("xor", figsize=(9, 4)) as fig:
        if fig is not None:
            a1, a2 = fig.subplots(1, 2)
            g = np.linspace(-0.5, 1.5, 201, dtype=np.float32)
            gx, gy = np.meshgrid(g, g)
            grid = np.c_[gx.ravel(), gy.ravel()]
            line = (grid @ np.array([np.cos(phi), np.sin(phi)]) + c >= 0).reshape(gx.shape)
            a1.contourf(gx, gy, line, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.3)
            a1.set_title(f"best line: accuracy {acc:.2f}")
            k = int(np.argmax(accs))
            with gn.no_grad():
                h = gn.sigmoid(gn.tensor(grid) @ w1[k] + b1[k])
                z = (h @ w2[k] + b2[k]).numpy().reshape(gx.shape)
            a2.contourf(gx, gy, z >= 0, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.3)
            a2.set_title(f"2-2-1 MLP: accuracy {accs[k]:.2f}")
            for ax in (a1, a2):
                ax.scatter(XOR_X[:, 0], XOR_X[:, 1], c=XOR_Y, cmap="coolwarm", s=120,
                           edgecolors="k")
                ax.set(xlabel="a", ylabel="b")


# ------------------------------------------------------------------ universal approximation
def smooth_function(x):
    """sin(2 pi x) on [0, 1]: Lipschitz constant 2 pi."""
    return np.sin(2 * np.pi * x)


def bumpy_function(x):
    """sin(2 pi x) + 0.4 sin(12 pi x) on [0, 1]: Lipschitz constant 2 pi (1 + 2.4)."""
    return np.sin(2 * np.pi * x) + 0.4 * np.sin(12 * np.pi * x)


FUNCTIONS = {"smooth": (smooth_function, 2 * np.pi), "bumpy": (bumpy_function, 2 * np.pi * 3.4)}


def staircase_network(f, n_steps, steepness=20.0):
    """A one-hidden-layer sigmoid network built by hand whose output is a staircase through
    ``f`` on [0, 1] (the constructive proof of universal approximation, 001 "squash and shift").

    The interval is cut into ``n_steps`` cells of width h = 1 / n_steps; the staircase takes
    ``f``'s value at each cell's centre. Hidden unit k is a steep sigmoid
    ``sigma(s (x - k h))`` (``s = steepness / h``: a step at the cell border k h) and its output
    weight is the jump ``f(c_k) - f(c_{k-1})`` between neighbouring centres; the output bias is
    ``f(c_0)``:

        F(x) = f(c_0) + sum_k (f(c_k) - f(c_{k-1})) sigma(s (x - k h)).

    For an L-Lipschitz f the error is at most about L h / 2 away from the steps. Returns an
    ``nn.Sequential(Linear(1, n-1), Sigmoid(), Linear(n-1, 1))`` in float64.
    """
    n = int(n_steps)
    if n < 2:
        raise ValueError(f"staircase_network: n_steps must be at least 2, got {n_steps}")
    h = 1.0 / n
    centres = (np.arange(n) + 0.5) * h
    values = f(centres)
    s = steepness / h
    net = nn.Sequential(nn.Linear(1, n - 1), nn.Sigmoid(), nn.Linear(n - 1, 1)).double()
    with gn.no_grad():
        net[0].weight.copy_(gn.tensor(np.full((n - 1, 1), s)))
        net[0].bias.copy_(gn.tensor(-s * h * np.arange(1, n)))
        net[2].weight.copy_(gn.tensor(np.diff(values)[None]))
        net[2].bias.copy_(gn.tensor(values[:1]))
    return net


def _fit_shallow_nets(targets, widths, x, steps, lr, rng):
    """Fit one one-hidden-layer sigmoid network per (target, width) pair by full-batch Adam on
    the mean squared error, all side by side: the hidden units of every network sit in one wide
    layer, and a fixed 0/1 matrix sums each network's units into its own output. No parameter
    is shared and Adam's update is element-wise, so each network trains exactly as it would
    alone.

    Hidden unit i of a network computes ``sigmoid(w_i (x - t_i))`` with its step t_i drawn
    uniformly in [0, 1] and slope |w_i| uniform in [5, 50] (random sign); output weights start
    at zero and the output bias at the target's mean. Returns the predictions ``(P, G)``.
    """
    groups = [(t, n) for t in range(len(targets)) for n in widths]
    k = sum(n for _, n in groups)
    owner = np.repeat(np.arange(len(groups)), [n for _, n in groups])
    mask = np.zeros((k, len(groups)), np.float32)
    mask[np.arange(k), owner] = 1
    slope = rng.uniform(5, 50, k) * rng.choice([-1.0, 1.0], k)
    step = rng.uniform(0, 1, k)
    y = np.stack([targets[t] for t, _ in groups], 1).astype(np.float32)  # (P, G)
    w = nn.Parameter(gn.tensor(slope[None].astype(np.float32)))
    b = nn.Parameter(gn.tensor((-slope * step)[None].astype(np.float32)))
    v = nn.Parameter(gn.zeros(k))
    c = nn.Parameter(gn.tensor(y.mean(0)))
    xt, yt, mt = gn.tensor(x[:, None].astype(np.float32)), gn.tensor(y), gn.tensor(mask)
    opt = optim.Adam([w, b, v, c], lr=lr)

    def predict(inputs):
        return (gn.sigmoid(inputs @ w + b) * v) @ mt + c

    for _ in range(steps):
        opt.zero_grad()
        ((predict(xt) - yt) ** 2).mean(dim=0).sum().backward()
        opt.step()
    return groups, predict


@experiment("universal-approximation",
            lecture="000/001 universal approximation theorem (Cybenko 1989, Hornik 1991)",
            claim="one hidden layer of sigmoids approximates a continuous function, the error "
                  "shrinking as hidden units are added; bumpier functions need more units",
            full="20,000 Adam steps instead of 3,000 and widths up to 256")
def universal_approximation(lab):
    grid = np.linspace(0, 1, 4001)
    # 1. the constructive proof: a staircase of steep sigmoids
    steps_list = (4, 8, 16, 32, 64, 128, 256)
    rows, stair = [], {}
    for name, (f, lip) in FUNCTIONS.items():
        errs = []
        for n in steps_list:
            net = staircase_network(f, n)
            with gn.no_grad():
                out = net(gn.tensor(grid[:, None])).numpy()[:, 0]
            errs.append(float(np.abs(out - f(grid)).max()))
            rows.append([name, n, n - 1, errs[-1], lip / n])
        stair[name] = errs
    lab.table("Hand-built staircases (steep sigmoids, steepness 20 / h)",
              ["function", "steps n", "hidden units", "sup error", "L / n"], rows)
    slopes = {k: float(np.polyfit(np.log(steps_list), np.log(v), 1)[0]) for k, v in stair.items()}
    under = all(r[3] <= r[4] for r in rows)
    lab.claim("a staircase of n steep sigmoids (n - 1 hidden units) approximates f with sup error "
              "<= L / n, falling like 1 / n (criterion: error <= L / n for every n and log-log "
              "slope in [-1.2, -0.8])",
              measured=f"all under L / n: {under}; slopes "
                       + ", ".join(f"{k} {v:.2f}" for k, v in slopes.items()),
              reference="lecture 001, slide 'Universal Approximation Theorem': 'squash and shift "
                        "every such activation function to construct step-like functions'; "
                        "Cybenko 1989",
              holds=under and all(-1.2 <= s <= -0.8 for s in slopes.values()))

    # 2. trained networks
    widths = lab.pick((1, 2, 4, 8, 16, 32, 64), (1, 2, 4, 8, 16, 32, 64, 128, 256))
    steps = lab.pick(3000, 20000)
    x = np.linspace(0, 1, 256)
    names = list(FUNCTIONS)
    groups, predict = _fit_shallow_nets([FUNCTIONS[k][0](x) for k in names], widths, x, steps,
                                        0.01, lab.rng)
    with gn.no_grad():
        pred = predict(gn.tensor(grid[:, None].astype(np.float32))).numpy()
    rmse = {}
    for g, (t, n) in enumerate(groups):
        rmse[(names[t], n)] = float(np.sqrt(np.mean((pred[:, g] - FUNCTIONS[names[t]][0](grid))
                                                    ** 2)))
    lab.table(f"Trained one-hidden-layer sigmoid networks (Adam, lr 0.01, {steps} steps, "
              "256 training points; RMSE on 4001 points)", ["hidden units"] + names,
              [[n] + [rmse[(k, n)] for k in names] for n in widths])
    falls = {k: rmse[(k, widths[-1])] / rmse[(k, widths[0])] for k in names}
    lab.claim(f"the trained network's error falls with width (criterion: RMSE with "
              f"{widths[-1]} units < RMSE with {widths[0]} unit / 10, for both functions)",
              measured=", ".join(f"{k}: x{v:.3g}" for k, v in falls.items()),
              reference="lecture 001, slide 'Universal Approximation Theorem': 'the number of "
                        "hidden units is important for the approximation error'; Hornik 1991",
              holds=all(v < 0.1 for v in falls.values()))
    need = {k: next((n for n in widths if rmse[(k, n)] <= 0.05), math.inf) for k in names}
    lab.claim("a bumpier function needs more hidden units (criterion: the smallest width with "
              "RMSE <= 0.05 is larger for the bumpy function than for the smooth one)",
              measured=", ".join(f"{k}: {v}" for k, v in need.items()),
              reference="lecture 001, slide 'Universal Approximation Theorem': 'to approximate "
                        "more complex functions, just add more hidden neurons'",
              holds=need["bumpy"] > need["smooth"])
    lab.record(staircase_sup_error=stair, trained_rmse={f"{k}/{n}": v for (k, n), v in
                                                         rmse.items()})

    with lab.figure("staircase", figsize=(10, 4)) as fig:
        if fig is not None:
            axes = fig.subplots(1, 2)
            for ax, (name, (f, _)) in zip(axes, FUNCTIONS.items()):
                ax.plot(grid, f(grid), "k", lw=2, label="f")
                for n in (4, 16, 64):
                    with gn.no_grad():
                        out = staircase_network(f, n)(gn.tensor(grid[:, None])).numpy()
                    ax.plot(grid, out, lw=1, label=f"{n} steps")
                ax.set(title=f"{name}: staircases of steep sigmoids", xlabel="x")
                ax.legend(fontsize=8)
    with lab.figure("error-vs-units", figsize=(10, 4)) as fig:
        if fig is not None:
            a1, a2 = fig.subplots(1, 2)
            for name, (_, lip) in FUNCTIONS.items():
                a1.loglog(steps_list, stair[name], "o-", label=f"{name}")
                a1.loglog(steps_list, [lip / n for n in steps_list], ":", label=f"{name}: L / n")
                a2.loglog(widths, [rmse[(name, n)] for n in widths], "o-", label=name)
            a1.set(xlabel="steps n", ylabel="sup error", title="hand-built staircase")
            a2.axhline(0.05, color="gray", ls="--", lw=0.8)
            a2.set(xlabel="hidden units", ylabel="RMSE", title="trained (Adam)")
            a1.legend(fontsize=7)
            a2.legend(fontsize=8)
    with lab.figure("trained-fits", figsize=(10, 4)) as fig:
        if fig is not None:
            axes = fig.subplots(1, 2)
            for t, (ax, name) in enumerate(zip(axes, names)):
                ax.plot(grid, FUNCTIONS[name][0](grid), "k", lw=2, label="f")
                for g, (tt, n) in enumerate(groups):
                    if tt == t and n in (2, 8, widths[-1]):
                        ax.plot(grid, pred[:, g], lw=1, label=f"{n} units")
                ax.set(title=f"{name}: trained networks", xlabel="x")
                ax.legend(fontsize=8)
