"""``SummaryWriter``: log scalars, histograms, images and text for TensorBoard.

The files are TensorBoard's own event files (``events.out.tfevents.*``), written directly (see
``_encode.py``): neither TensorFlow nor the ``tensorboard`` package is needed to write them; to
look at them, run ``tensorboard --logdir runs``. The API is PyTorch's
``torch.utils.tensorboard.SummaryWriter``::

    writer = SummaryWriter()                  # runs/<date>_<host>/
    for step in range(100):
        writer.add_scalar("loss/train", loss.item(), step)
    writer.add_histogram("fc.weight", model.fc.weight, step)
    writer.close()

Written: ``add_scalar``, ``add_scalars`` (one sub-run per key, as PyTorch does),
``add_histogram``, ``add_image``, ``add_images``, ``add_figure`` (matplotlib), ``add_text``
and ``add_hparams`` (its metrics as scalars and its hyperparameters as a text table, in a
sub-run; TensorBoard's HParams tab stays empty). ``add_graph`` records nothing (glassnet has no
graph exporter for TensorBoard) and warns once; ``add_embedding``, ``add_audio``,
``add_video``, ``add_mesh`` and ``add_pr_curve`` raise NotImplementedError.
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from datetime import datetime

import numpy as np

from . import _encode

__all__ = ["SummaryWriter"]


def _numpy(x):
    """A tensor, array, list or number as a NumPy array (float64 for numbers)."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.cpu().numpy() if hasattr(x, "cpu") else x.numpy()
    return np.asarray(x)


def _scalar(x, tag):
    a = _numpy(x)
    if a.size != 1:
        raise ValueError(f"add_scalar: '{tag}': expected a scalar value, got an array of shape "
                         f"{a.shape}")
    return float(a.reshape(()))


class _EventFile:
    """One ``events.out.tfevents.<time>.<host>.<pid>.<n>`` file, opened on the first event."""

    _count = 0

    def __init__(self, log_dir, filename_suffix=""):
        os.makedirs(log_dir, exist_ok=True)
        _EventFile._count += 1
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{_EventFile._count}{filename_suffix}")
        self.path = os.path.join(log_dir, name)
        self._f = open(self.path, "wb")  # noqa: SIM115 - kept open until close()
        self.write(_encode.event(time.time(), file_version="brain.Event:2"))
        self.flush()

    def write(self, event_bytes):
        self._f.write(_encode.record(event_bytes))

    def flush(self):
        if not self._f.closed:
            self._f.flush()

    def close(self):
        if not self._f.closed:
            self._f.close()


class SummaryWriter:
    """Write TensorBoard event files into ``log_dir``.

    Args:
        log_dir: the run's folder; default ``runs/<Mon><DD>_<HH>-<MM>-<SS>_<host><comment>``.
        comment: appended to the default ``log_dir`` name.
        purge_step, max_queue: accepted for PyTorch compatibility.
        flush_secs: write buffered events to disk at least this often (default 120 s).
        filename_suffix: appended to the event file's name.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.filename_suffix = filename_suffix
        self.flush_secs = flush_secs
        self._last_flush = time.time()
        self._file = _EventFile(self.log_dir, filename_suffix)
        self._sub = {}  # sub-runs of add_scalars / add_hparams: {folder: _EventFile}
        self._graph_warned = False

    def get_logdir(self):
        return self.log_dir

    # ------------------------------------------------------------------ writing events

    def _add(self, value, global_step, walltime, file=None):
        step = None if global_step is None else int(_scalar(global_step, "global_step"))
        ev = _encode.event(time.time() if walltime is None else walltime, step,
                           _encode.summary(value))
        (file or self._file).write(ev)
        if time.time() - self._last_flush >= self.flush_secs:
            self.flush()

    def _sub_file(self, folder):
        if folder not in self._sub:
            self._sub[folder] = _EventFile(folder, self.filename_suffix)
        return self._sub[folder]

    # ------------------------------------------------------------------ summaries

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One point of the curve ``tag``: ``scalar_value`` (a number or one-element tensor)
        at step ``global_step``."""
        self._add(_encode.scalar_value(tag, _scalar(scalar_value, tag)), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves on one chart: each key is written to the sub-run
        ``log_dir/<main_tag>_<key>`` under the tag ``main_tag``."""
        for key, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, f"{main_tag}_{key}".replace("/", "_"))
            self._add(_encode.scalar_value(main_tag, _scalar(value, main_tag)), global_step,
                      walltime, self._sub_file(folder))

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """The distribution of ``values``: with ``bins="tensorflow"`` TensorFlow's buckets
        (edges growing by 10% from 1e-12 outwards, mirrored for negatives); otherwise any
        ``numpy.histogram`` bins (a count, an edge array or a rule such as ``"auto"``)."""
        v = _numpy(values).astype(np.float64).reshape(-1)
        if v.size == 0:
            raise ValueError(f"add_histogram: '{tag}': the input has no element")
        edges = _tensorflow_edges() if isinstance(bins, str) and bins == "tensorflow" else bins
        counts, limits = np.histogram(v, bins=edges)
        nz = np.nonzero(counts)[0]
        lo, hi = (nz[0], nz[-1] + 1) if nz.size else (0, 1)
        lo, hi = max(lo - 1, 0), min(hi + 1, counts.size)  # keep one empty bucket either side
        self._add(_encode.histogram_value(tag, v.min(), v.max(), v.size, v.sum(), (v * v).sum(),
                                          limits[lo + 1:hi + 1], counts[lo:hi]),
                  global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: float values in [0, 1] (scaled by 255) or uint8, laid out as
        ``dataformats`` ("CHW", "HWC", "HW", ...), with 1, 3 or 4 channels."""
        pixels = _to_hwc(_numpy(img_tensor), dataformats, tag)
        self._add(_image(tag, pixels), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None,
                   dataformats="NCHW"):
        """A batch of images shown as one grid, eight to a row."""
        a = _numpy(img_tensor)
        fmt = dataformats.upper()
        if len(fmt) != a.ndim or "N" not in fmt:
            raise ValueError(f"add_images: '{tag}': dataformats {dataformats!r} does not match "
                             f"an array of shape {a.shape}")
        a = np.moveaxis(a, fmt.index("N"), 0)
        per = fmt.replace("N", "")
        self._add(_image(tag, _grid([_to_hwc(im, per, tag) for im in a])), global_step,
                  walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, shown as a grid), rendered to an image."""
        figs = figure if isinstance(figure, (list, tuple)) else [figure]
        images = [_render(f, close) for f in figs]
        self._add(_image(tag, images[0] if len(images) == 1 else _grid(images)), global_step,
                  walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Text (Markdown) shown in TensorBoard's Text tab."""
        self._add(_encode.text_value(tag, str(text_string)), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """Record one run's hyperparameters and final metrics in the sub-run ``run_name``
        (default: the current time): the metrics as scalars, the hyperparameters as a text
        table. TensorBoard's HParams dashboard is not filled."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("add_hparams: hparam_dict and metric_dict must be dicts")
        folder = os.path.join(self.log_dir, run_name or str(time.time()))
        f = self._sub_file(folder)
        rows = "\n".join(f"| {k} | {v} |" for k, v in hparam_dict.items())
        self._add(_encode.text_value("hparams", f"| hparam | value |\n|---|---|\n{rows}"),
                  global_step, None, f)
        for k, v in metric_dict.items():
            self._add(_encode.scalar_value(k, _scalar(v, k)), global_step, None, f)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Records nothing: glassnet has no exporter of its graphs to TensorBoard."""
        if not self._graph_warned:
            warnings.warn("SummaryWriter.add_graph: glassnet does not export model graphs to "
                          "TensorBoard; nothing was written", stacklevel=2)
            self._graph_warned = True

    def _unsupported(self, what):
        raise NotImplementedError(f"SummaryWriter.{what}: not supported by glassnet's "
                                  f"SummaryWriter (scalars, histograms, images, figures, text "
                                  f"and hparams are)")

    def add_embedding(self, *args, **kwargs):
        self._unsupported("add_embedding")

    def add_audio(self, *args, **kwargs):
        self._unsupported("add_audio")

    def add_video(self, *args, **kwargs):
        self._unsupported("add_video")

    def add_mesh(self, *args, **kwargs):
        self._unsupported("add_mesh")

    def add_pr_curve(self, *args, **kwargs):
        self._unsupported("add_pr_curve")

    # ------------------------------------------------------------------ files

    def flush(self):
        """Write buffered events to disk."""
        self._file.flush()
        for f in self._sub.values():
            f.flush()
        self._last_flush = time.time()

    def close(self):
        """Flush and close every event file."""
        self._file.close()
        for f in self._sub.values():
            f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _tensorflow_edges():
    pos = [1e-12]
    while pos[-1] < 1e20:
        pos.append(pos[-1] * 1.1)
    return np.array([-x for x in reversed(pos)] + [0.0] + pos)


def _to_hwc(a, dataformats, tag):
    fmt = dataformats.upper()
    if len(fmt) != a.ndim or not set(fmt) <= set("CHW") or "H" not in fmt or "W" not in fmt:
        raise ValueError(f"add_image: '{tag}': dataformats {dataformats!r} does not match an "
                         f"array of shape {a.shape}")
    if "C" not in fmt:
        a, fmt = a[..., None], fmt + "C"
    a = np.transpose(a, [fmt.index(k) for k in "HWC"])
    if a.shape[2] not in (1, 3, 4):
        raise ValueError(f"add_image: '{tag}': expected 1, 3 or 4 channels, got {a.shape[2]}")
    if a.dtype != np.uint8:
        a = np.clip(a.astype(np.float64) * 255.0, 0, 255).round().astype(np.uint8)
    return a


def _grid(images, ncols=8):
    """Equal-sized HWC images tiled left to right, ``ncols`` to a row (blank cells black)."""
    h, w, c = images[0].shape
    cols = min(len(images), ncols)
    rows = -(-len(images) // cols)
    out = np.zeros((rows * h, cols * w, c), np.uint8)
    for i, im in enumerate(images):
        r, q = divmod(i, cols)
        out[r * h:(r + 1) * h, q * w:(q + 1) * w] = im
    return out


def _image(tag, pixels):
    h, w, c = pixels.shape
    return _encode.image_value(tag, h, w, c, _encode.png(np.ascontiguousarray(pixels)))


def _render(figure, close):
    import matplotlib.pyplot as plt  # optional; needed only for add_figure

    figure.canvas.draw()
    rgba = np.asarray(figure.canvas.buffer_rgba(), dtype=np.uint8)
    if close:
        plt.close(figure)
    return rgba.copy()
