"""The neocognitron (Fukushima, Biological Cybernetics 1980): a CNN learned without backprop.

"A self-organizing neural network model for a mechanism of pattern recognition unaffected by
shift in position": alternating layers of

* **S-cells** (simple cells, feature extraction): each S-plane holds one template, applied at
  every position (shared weights, a convolution); a cell fires when its input patch matches
  the template closely enough, the match normalised by the patch's own strength (Fukushima's
  inhibitory V-cell) and thresholded by a *selectivity*;
* **C-cells** (complex cells, tolerance): each C-cell sums a small neighbourhood of S-cells of
  the same plane and the layer is subsampled, so a feature that moves a little still excites
  the same C-cell.

The S-templates are learned layer by layer *without labels and without backpropagation*, by
competition: each training patch reinforces only the template that answers it best
(winner-take-all), which here is run in batches (spherical k-means). Course material: 000
"Neocognitron ... Fukushima 1980 ... Lacks backprop", 003 (the transcript's history of weight
sharing and locality).
"""

from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.autograd import no_grad
from glassnet.nn import functional as F
from glassnet.nn.modules.pooling import binomial_filter
from glassnet.tensor import Tensor

from .registry import register

__all__ = ["Neocognitron", "competitive_learning"]


def _array(x):
    return np.asarray(x._data if isinstance(x, Tensor) else x, dtype=np.float32)


def competitive_learning(patches, n_templates, iters=20, generator=None):
    """Winner-take-all learning of ``n_templates`` unit-length templates from ``patches`` (P, D).

    Every patch is scaled to unit length; each iteration gives each patch to the template with
    the largest dot product (the winner) and moves every template to the normalised mean of the
    patches it won (batch competitive learning, i.e. spherical k-means). Templates start at
    distinct random patches; one that wins nothing restarts at the patch worst served so far.
    Returns a float32 array (n_templates, D).
    """
    rng = generator if isinstance(generator, np.random.Generator) else \
        np.random.default_rng(generator)
    p = np.asarray(patches, np.float64)
    if p.ndim != 2 or len(p) < n_templates:
        raise ValueError(f"competitive_learning: need at least n_templates={n_templates} patches "
                         f"of shape (P, D), got {p.shape}")
    p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
    w = p[rng.choice(len(p), n_templates, replace=False)].copy()
    for _ in range(int(iters)):
        sim = p @ w.T
        win = sim.argmax(1)
        best = sim[np.arange(len(p)), win]
        for k in range(n_templates):
            mine = win == k
            if mine.any():
                m = p[mine].sum(0)
                w[k] = m / max(np.linalg.norm(m), 1e-12)
            else:  # a template that never wins takes the worst-matched patch
                j = int(best.argmin())
                w[k], best[j] = p[j], 1.0
    return w.astype(np.float32)


class Neocognitron(nn.Module):
    """Fukushima's neocognitron: (S-layer -> C-layer) x L, learned by competition, no backprop.

    ``Neocognitron(channels=(8, 16, 32), kernel_sizes=(5, 5, 5), thresholds=(0.7, 0.6, 0.5))``.

    S-layer l has ``channels[l]`` templates ``w`` of size ``kernel_sizes[l]`` over all planes of
    the layer below; an S-cell's response to the patch ``u`` under it is

        s = relu(<w, u> / ||u|| - theta) / (1 - theta),     ||w|| = 1,

    the cosine of the angle between patch and template above the threshold ``theta`` (the
    selectivity: Fukushima's S-cell fires when its excitation exceeds r / (1 + r) of the
    inhibition, theta plays r / (1 + r)). C-layer: a ``pool_size`` x ``pool_size`` (default 5,
    wider than a 2 x 2 pool: Fukushima's C-cells gather from a larger area than they are apart)
    binomial-weighted sum over each plane and subsampling by 2 (Fukushima's C-cells also saturate, ``x / (a + x)``; this is left out
    because the next S-layer divides by the patch strength anyway).

    ``fit(x, y)`` learns the templates layer by layer from training images with
    ``competitive_learning`` (labels are not used for that) and, given ``y``, a nearest-class
    read-out: the mean of each class's unit-length last C-layer output. ``forward`` gives the
    cosine similarity to each class mean (the largest wins); ``features`` the last C-layer,
    flattened. Nothing has a gradient: the templates and class means are buffers.

    Parameters: 0 (learnable by gradient); templates 8 x 25 + 16 x 200 + 32 x 400 numbers with
    the defaults.

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, num_classes)``; ``features``: ``(N, channels[-1] * H_L * W_L)``
    """

    def __init__(self, channels=(8, 16, 32), kernel_sizes=(5, 5, 5),
                 thresholds=(0.7, 0.6, 0.5), in_channels=1, num_classes=10, pool_size=5):
        super().__init__()
        if not 1 <= int(pool_size) <= 7 or int(pool_size) % 2 == 0:
            raise ValueError(f"Neocognitron: pool_size must be 1, 3, 5 or 7, got {pool_size}")
        self.pool_size = int(pool_size)
        channels, kernel_sizes, thresholds = (tuple(channels), tuple(kernel_sizes),
                                              tuple(thresholds))
        if not len(channels) == len(kernel_sizes) == len(thresholds) or not channels:
            raise ValueError(f"Neocognitron: channels, kernel_sizes and thresholds need one entry "
                             f"per layer, got {len(channels)}, {len(kernel_sizes)} and "
                             f"{len(thresholds)}")
        if any(not 0 <= t < 1 for t in thresholds):
            raise ValueError(f"Neocognitron: thresholds must lie in [0, 1), got {thresholds}")
        if any(k % 2 == 0 for k in kernel_sizes):
            raise ValueError(f"Neocognitron: kernel_sizes must be odd, got {kernel_sizes}")
        self.channels, self.kernel_sizes, self.thresholds = channels, kernel_sizes, thresholds
        self.in_channels, self.num_classes = int(in_channels), int(num_classes)
        c_in = self.in_channels
        for i, (c, k) in enumerate(zip(channels, kernel_sizes)):
            self.register_buffer(f"templates{i}", Tensor(np.zeros((c, c_in, k, k), np.float32)))
            c_in = c
        self.register_buffer("class_means", None)

    # ---------------------------------------------------------------- the two kinds of cell
    def s_layer(self, i, u):
        """S-cells of layer ``i``: thresholded cosine match of every patch of ``u`` with every
        template (N, C, H, W) -> (N, channels[i], H, W) (zero padding keeps the size)."""
        w = getattr(self, f"templates{i}")
        k, theta = self.kernel_sizes[i], self.thresholds[i]
        excite = F.conv2d(u, w, padding=k // 2)
        ones = Tensor(np.ones((1,) + tuple(w.shape[1:]), np.float32))
        strength = F.conv2d(u * u, ones, padding=k // 2).clamp(min=0).sqrt()  # ||patch||
        return F.relu(excite / (strength + 1e-6) - theta) / (1 - theta)

    def c_layer(self, s):
        """C-cells: a ``pool_size`` x ``pool_size`` binomial-weighted sum over each plane,
        subsampled by 2."""
        c, k = s.shape[1], self.pool_size
        blur = np.broadcast_to(binomial_filter(k).astype(np.float32), (c, 1, k, k))
        return F.conv2d(s, Tensor(np.ascontiguousarray(blur)), stride=2, padding=k // 2,
                        groups=c)

    def layers(self, x, upto=None):
        """The C-layer outputs after each stage (a list), up to stage ``upto`` (default all)."""
        u = x if isinstance(x, Tensor) else Tensor(_array(x))
        out = []
        with no_grad():
            for i in range(len(self.channels) if upto is None else upto):
                u = self.c_layer(self.s_layer(i, u))
                out.append(u)
        return out

    def features(self, x):
        """The last C-layer, flattened: (N, features)."""
        c = self.layers(x)[-1]
        return c.reshape(c.shape[0], -1)

    # ---------------------------------------------------------------- learning without backprop
    def fit(self, x, y=None, patches_per_layer=20000, iters=20, batch_size=500, generator=None):
        """Learn the S-templates layer by layer from images ``x`` (N, C, H, W) by competitive
        learning on random patches of the previous C-layer (patches carrying less than a
        quarter of the median patch strength, blank background, are skipped); then, if labels
        ``y`` are given, the nearest-class read-out. Returns ``self``."""
        rng = generator if isinstance(generator, np.random.Generator) else \
            np.random.default_rng(generator)
        x = _array(x)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Neocognitron.fit: expected images (N, {self.in_channels}, H, W), "
                             f"got shape {x.shape}")
        for i, k in enumerate(self.kernel_sizes):
            u = np.concatenate([self._below(x[j:j + batch_size], i)
                                for j in range(0, len(x), batch_size)])
            pad = k // 2
            up = np.pad(u, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
            n, _, h, w = u.shape
            draw = int(patches_per_layer) * 2
            ni, yi, xi = rng.integers(0, n, draw), rng.integers(0, h, draw), \
                rng.integers(0, w, draw)
            rows = np.arange(k)
            p = up[ni[:, None, None], :, (yi[:, None] + rows)[:, :, None],
                   (xi[:, None] + rows)[:, None, :]]                  # (draw, k, k, C)
            p = p.transpose(0, 3, 1, 2).reshape(draw, -1)
            strength = np.linalg.norm(p, axis=1)
            keep = strength > 0.25 * np.median(strength[strength > 0])
            p = p[keep][:int(patches_per_layer)]
            t = competitive_learning(p, self.channels[i], iters, rng)
            getattr(self, f"templates{i}")._data[...] = t.reshape(
                getattr(self, f"templates{i}").shape)
        if y is not None:
            self.fit_readout(x, y, batch_size)
        return self

    def _below(self, x, i):
        return x if i == 0 else _array(self.layers(x, upto=i)[-1])

    def fit_readout(self, x, y, batch_size=500):
        """The nearest-class read-out: each class's mean unit-length feature vector."""
        f = self._unit_features(x, batch_size)
        y = np.asarray(_array(y), np.int64).reshape(-1)
        if len(y) != len(f):
            raise ValueError(f"Neocognitron.fit_readout: {len(f)} images but {len(y)} labels")
        means = np.zeros((self.num_classes, f.shape[1]), np.float32)
        for c in range(self.num_classes):
            if (y == c).any():
                m = f[y == c].mean(0)
                means[c] = m / max(float(np.linalg.norm(m)), 1e-12)
        self.class_means = Tensor(means)
        return self

    def _unit_features(self, x, batch_size=500):
        x = _array(x)
        f = np.concatenate([_array(self.features(x[j:j + batch_size]))
                            for j in range(0, len(x), batch_size)])
        return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)

    def forward(self, x):
        if self.class_means is None:
            raise RuntimeError("Neocognitron: call fit(x, y) before classifying (the templates "
                               "and the class read-out are learned by fit)")
        f = self.features(x)
        f = f / (f.norm(dim=1, keepdim=True) + 1e-12)
        return f @ self.class_means.T

    def extra_repr(self):
        return (f"channels={self.channels}, kernel_sizes={self.kernel_sizes}, "
                f"thresholds={self.thresholds}, pool_size={self.pool_size}")


@register("neocognitron", "Neocognitron: Fukushima 1980, S/C layers learned by winner-take-all, "
          "no backprop", kind="classic")
def neocognitron(channels=(8, 16, 32), kernel_sizes=(5, 5, 5), thresholds=(0.7, 0.6, 0.5),
                 in_channels=1, num_classes=10, pool_size=5):
    return Neocognitron(channels, kernel_sizes, thresholds, in_channels, num_classes, pool_size)
