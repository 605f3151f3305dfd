"""Variable-length sequences: padding and packing, with PyTorch's ``nn.utils.rnn`` names.

A batch of sequences of different lengths is stored either *padded*, a (T, B, *) tensor with
filler after each sequence's end, or *packed*: a ``PackedSequence`` whose ``data`` holds, step by
step, only the elements of the sequences still running (sorted by decreasing length), with
``batch_sizes[t]`` of them at step t. A recurrent layer given a packed batch stops each sequence
at its own end, so its final hidden state is the state after the sequence's last real element,
never after padding.

    padded (T=3, B=2)       lengths [3, 1]       packed data: a1 b1 a2 a3, batch_sizes [2, 1, 1]
    a1 a2 a3
    b1 .  .
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import backend
from ...functions import cat, full, stack
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence",
           "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence"]


class PackedSequence(NamedTuple):
    """``data`` (sum of lengths, *), ``batch_sizes`` (T,) int64, and the permutation that sorted
    the batch by decreasing length (``sorted_indices``) with its inverse (``unsorted_indices``),
    or None when the batch came sorted."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs):
        return self._replace(data=self.data.to(*args, **kwargs))

    def double(self):
        return self.to(backend.float64)

    def float(self):
        return self.to(backend.float32)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse permutation: ``out[permutation[i]] = i`` (None stays None)."""
    if permutation is None:
        return None
    p = _ints(permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size)
    return Tensor._make(inv, False)


def _ints(a):
    if isinstance(a, Tensor):
        a = a._data
    return np.asarray(backend.to_numpy(a) if not isinstance(a, (list, tuple)) else a,
                      dtype=np.int64).reshape(-1)


def _positions(batch_sizes, B):
    """Flat (t * B + b) positions of the packed elements in a padded (T, B) grid, step-major."""
    bs = np.asarray(batch_sizes)
    grid = np.arange(B)[None, :] < bs[:, None]
    return np.flatnonzero(grid)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch: input (T, B, *) (or (B, T, *) with ``batch_first``), lengths (B,).

    With ``enforce_sorted=True`` the lengths must already decrease; otherwise the batch is sorted
    here and the permutation is kept in the PackedSequence (and undone by
    ``pad_packed_sequence`` and by the recurrent layers' final states).
    """
    lens = _ints(lengths)
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = Tensor._make(order, False)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    T, B = input.shape[0], input.shape[1]
    if lens.size != B:
        raise ValueError(f"pack_padded_sequence: {lens.size} lengths for a batch of {B} sequences")
    if lens.size and (lens.min() <= 0 or lens.max() > T):
        raise RuntimeError(f"pack_padded_sequence: lengths must be in [1, {T}] (the padded "
                           f"length), got {lens.tolist()}")
    steps = int(lens.max()) if lens.size else 0
    batch_sizes = np.array([(lens > t).sum() for t in range(steps)], dtype=np.int64)
    flat = input[:steps].reshape((steps * B,) + tuple(input.shape[2:]))
    data = flat[Tensor._make(_positions(batch_sizes, B), False)]
    return PackedSequence(data, Tensor._make(batch_sizes, False), sorted_indices,
                          invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: returns ``(padded, lengths)`` in the original batch order.

    Shape: padded (T, B, *) (or (B, T, *)), T = ``total_length`` or the longest length;
    lengths (B,) int64.
    """
    data, batch_sizes, _, unsorted = sequence
    bs = _ints(batch_sizes)
    steps, B = bs.size, int(bs[0]) if bs.size else 0
    T = steps if total_length is None else int(total_length)
    if T < steps:
        raise ValueError(f"Expected total_length to be at least the length of the longest "
                         f"sequence in input, but got total_length={total_length} and max "
                         f"sequence length being {steps}")
    rest = tuple(data.shape[1:])
    pos = _positions(bs, B)
    xp = backend.array_module(data._data)
    base = np.full((T * B,), 1.0)
    base[pos] = 0.0
    base = xp.asarray(base.reshape((T * B,) + (1,) * len(rest)) * padding_value,
                      dtype=data.dtype)
    padded = Tensor._make(base + xp.zeros((T * B,) + rest, dtype=data.dtype), False)
    padded = padded.index_add(0, Tensor._make(pos, False), data)
    padded = padded.reshape((T, B) + rest)
    lengths = (np.arange(steps)[None, :] < bs[:, None]).sum(0) if steps else np.zeros(0, int)
    lengths = np.asarray(lengths[:B], dtype=np.int64)
    if unsorted is not None:
        padded = padded.index_select(1, unsorted)
        lengths = lengths[_ints(unsorted)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor._make(lengths, False)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into (L_max, B, *) (or (B, L_max, *)), filling with
    ``padding_value`` after each (``padding_side='left'``: before)."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    longest = max(s.shape[0] for s in seqs)
    rows = []
    for s in seqs:
        gap = longest - s.shape[0]
        if gap:
            fill = full((gap,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                        device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        rows.append(s)
    return stack(rows, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) tensors (see ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of (L_i, *) tensors inside a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_ints(lengths))]


def unpack_sequence(packed_sequences):
    """The list of (L_i, *) tensors of a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
