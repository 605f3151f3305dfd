"""Evaluation and prediction: a model over a whole dataset, in eval mode, without gradients.

``evaluate`` gives the dataset's mean loss and metrics (each batch weighted by its size);
``predict`` gives every sample's outputs as one array. Both accept a DataLoader, any iterable
of ``(x, y)`` batches, or plain arrays, and restore the model's train/eval mode afterwards.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad
from glassnet.io.state import to_numpy
from glassnet.train.epoch_metrics import Accumulator, resolve_metrics

__all__ = ["evaluate", "predict", "to_batch_tensor", "unpack_batch", "iterate_batches", "forward"]


def to_batch_tensor(x, device="cpu"):
    """A batch (array, Tensor, or a list/tuple of them) as Tensors on ``device``."""
    from glassnet.tensor import Tensor

    if isinstance(x, (list, tuple)):
        return type(x)(to_batch_tensor(v, device) for v in x)
    if x is None:
        return None
    if not isinstance(x, Tensor):
        x = Tensor(np.asarray(x))
    return x if str(device) == "cpu" and str(x.device) == "cpu" else x.to(device)


def unpack_batch(batch):
    """(inputs, targets) from a batch: ``(x, y)``/``[x, y]``, a dict, or inputs alone."""
    if isinstance(batch, dict):
        x = next((batch[k] for k in ("input", "inputs", "x", "image", "images") if k in batch), None)
        y = next((batch[k] for k in ("target", "targets", "y", "label", "labels") if k in batch), None)
        if x is None:
            raise ValueError(f"Trainer: a dict batch needs an 'input'/'x'/'image' entry, "
                             f"got keys {sorted(batch)}")
        return x, y
    if isinstance(batch, (list, tuple)):
        return (batch[0], batch[1]) if len(batch) >= 2 else (batch[0], None)
    return batch, None


def iterate_batches(data, batch_size=256):
    """Iterate a DataLoader-like object, or cut ``(X, y)`` / ``X`` arrays into batches."""
    if isinstance(data, tuple) and len(data) == 2 and hasattr(data[0], "shape"):
        X, y = data
        return ([X[i:i + batch_size], y[i:i + batch_size]] for i in range(0, len(X), batch_size))
    if hasattr(data, "shape"):
        return ([data[i:i + batch_size]] for i in range(0, len(data), batch_size))
    return iter(data)


def forward(model, x):
    """``model(x)``, or ``model(*x)`` for a batch of several inputs."""
    return model(*x) if isinstance(x, (list, tuple)) else model(x)


def batch_len(x) -> int:
    return int(x[0].shape[0] if isinstance(x, (list, tuple)) else x.shape[0])


class _EvalMode:
    """``with _EvalMode(model):`` eval mode and no gradients inside, the old mode after."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.was_training = self.model.training
        self.model.eval()
        self.ng = no_grad()
        self.ng.__enter__()

    def __exit__(self, *exc):
        self.ng.__exit__(*exc)
        self.model.train(self.was_training)
        return False


def evaluate(model, data, loss_fn, metrics=("accuracy",), device="cpu", batch_size=256, prefix=""):
    """Mean loss and metrics of ``model`` over ``data`` (eval mode, no gradients).

    Returns ``{prefix + "loss": ..., prefix + "accuracy": ...}``; ``metrics`` are names or
    callables as in ``Trainer`` (already-resolved ``(name, fn)`` pairs are accepted too).
    """
    resolved = resolve_metrics(metrics)
    acc = Accumulator([n for n, _ in resolved])
    with _EvalMode(model):
        for batch in iterate_batches(data, batch_size):
            x, y = unpack_batch(batch)
            x, y = to_batch_tensor(x, device), to_batch_tensor(y, device)
            out = forward(model, x)
            acc.add_loss(float(loss_fn(out, y).item()), batch_len(x))
            if resolved:
                out_np, y_np = to_numpy(out._data), to_numpy(y._data)
                for name, fn in resolved:
                    acc.add(name, *fn(out_np, y_np))
    return acc.means(prefix)


def predict(model, data, device="cpu", batch_size=256, probabilities=False) -> np.ndarray:
    """Outputs of ``model`` for every sample of ``data``, concatenated (eval mode, no gradients).

    ``data``: a DataLoader / iterable of batches (the inputs are each batch's first element),
    or an array / Tensor of inputs cut into ``batch_size`` batches. ``probabilities=True``
    applies softmax over dim 1 (the sigmoid for a single output column).
    """
    outs = []
    with _EvalMode(model):
        for batch in iterate_batches(data, batch_size):
            x = batch if hasattr(batch, "shape") else unpack_batch(batch)[0]
            outs.append(to_numpy(forward(model, to_batch_tensor(x, device))._data))
    out = np.concatenate(outs) if outs else np.zeros((0,), np.float32)
    if probabilities:
        if out.ndim >= 2 and out.shape[1] > 1:
            e = np.exp(out - out.max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
        else:
            out = 1.0 / (1.0 + np.exp(-out))
    return out
