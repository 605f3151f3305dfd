"""Small helpers shared by the analysis tools: random sources, array conversion, plain tables."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor


def np_rng(generator=None) -> np.random.Generator:
    """A NumPy Generator from a NumPy Generator, a glassnet ``Generator``, an int seed or None
    (glassnet's seeded default generator)."""
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    return backend.rng(generator)


def as_tensor(x) -> Tensor:
    """``x`` as a Tensor (float arrays keep their dtype; anything else becomes float32)."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype.kind != "f":
        a = a.astype(np.float32)
    return Tensor(a)


def as_numpy(x) -> np.ndarray:
    """The NumPy array behind a Tensor (moved to the CPU), or ``np.asarray(x)``."""
    if isinstance(x, Tensor):
        return backend.to_numpy(x._data)
    return np.asarray(x)


def evaluate(fn, x):
    """``fn(x)`` without recording gradients, in evaluation mode if ``fn`` is a Module (its
    training flag is restored afterwards)."""
    training = getattr(fn, "training", None)
    if training is not None:
        fn.eval()
    try:
        with no_grad():
            return fn(x)
    finally:
        if training is not None:
            fn.train(training)


def relative_error(a, b, eps=1e-12):
    """Per-sample ``||a - b|| / ||b||`` averaged over the batch (axis 0), in float64."""
    a = as_numpy(a).astype(np.float64)
    a = a.reshape(a.shape[0], -1)
    b = as_numpy(b).astype(np.float64).reshape(a.shape[0], -1)
    num = np.sqrt(((a - b) ** 2).sum(1))
    den = np.sqrt((b ** 2).sum(1))
    return float(np.mean(num / np.maximum(den, eps)))


def format_table(rows, columns, formats=None) -> str:
    """A plain-text table of ``rows`` (dicts) with the given ``columns`` (keys, in order).

    ``formats`` maps a column to a format spec such as ``'.4f'``; other values use ``str``.
    """
    formats = formats or {}

    def cell(row, c):
        v = row.get(c, "")
        if isinstance(v, (float, np.floating)) and c in formats:
            return format(float(v), formats[c])
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.4g}"
        return str(v)

    body = [[cell(r, c) for c in columns] for r in rows]
    widths = [max(len(c), *(len(b[i]) for b in body)) if body else len(c)
              for i, c in enumerate(columns)]
    line = "  ".join(c.rjust(w) for c, w in zip(columns, widths))
    out = [line, "-" * len(line)]
    out += ["  ".join(v.rjust(w) for v, w in zip(b, widths)) for b in body]
    return "\n".join(out)


class Table(list):
    """A list of row dicts that prints as a plain-text table (``print(table)``)."""

    def __init__(self, rows, columns, formats=None, title=None):
        super().__init__(rows)
        self.columns, self.formats, self.title = list(columns), dict(formats or {}), title

    def column(self, name):
        """The values of one column, as a NumPy array."""
        return np.array([r[name] for r in self])

    def __str__(self):
        text = format_table(self, self.columns, self.formats)
        return f"{self.title}\n{text}" if self.title else text

    def __repr__(self):
        return str(self)
