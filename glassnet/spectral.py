"""The short-time Fourier transform and its inverse, ``stft`` and ``istft``, as PyTorch has them.

``stft`` cuts the signal into frames of ``n_fft`` samples every ``hop_length`` samples (after
padding ``n_fft // 2`` samples at each end when ``center``), multiplies each frame by the window
and takes its DFT: the result has one column per frame and one row per frequency,
X[f, t] = sum_k w[k] x[t hop + k] exp(-2 pi i f k / n_fft). ``istft`` inverts it by overlap-add:
each frame's inverse DFT is multiplied by the window again and added at its place, and the sum
is divided by the sum of the squared windows there (which must not vanish: the window and hop
must satisfy the "nonzero overlap-add" condition).

Both are compositions of differentiable ops (gathering frames is indexing, the DFT is
glassnet.fft, overlap-add is ``index_add``), so their gradients come for free.
"""

from __future__ import annotations

import numpy as np

from . import backend
from .complex_numbers import view_as_real
from .fft import fft, ifft, irfft, rfft
from .functions import cat
from .tensor import Tensor

_PAD_MODES = ("reflect", "constant", "replicate", "circular")


def _window(window, n_fft, win_length, like, op):
    """The window, padded with zeros on both sides to n_fft (centred), as PyTorch does."""
    win_length = n_fft if win_length is None else win_length
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"{op}: expected 0 < win_length <= n_fft, but got "
                           f"win_length={win_length}")
    if window is None:
        xp = backend.array_module(like._data)
        window = Tensor._make(xp.ones(win_length, backend.to_real(like.dtype)), False)
    elif window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"{op}: expected a 1D window tensor of size equal to win_length="
                           f"{win_length}, but got window with size {tuple(window.shape)}")
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        xp = backend.array_module(window._data)
        pad = Tensor._make(xp.zeros(n_fft, window.dtype), False)
        window = pad.index_add(0, Tensor._make(xp.arange(left, left + win_length), False),
                               window)
    return window


def _pad_index(n, pad, mode, op):
    """Positions in the signal (length n) of the padded signal's samples, and a 0/1 mask that
    is 0 where ``constant`` padding puts a zero."""
    k = np.arange(-pad, n + pad)
    mask = None
    if mode == "reflect":
        if pad >= n:
            raise RuntimeError(f"{op}: reflect padding of {pad} needs a signal longer than "
                               f"{pad} samples, got {n}")
        k = np.abs(k)
        k = np.where(k > n - 1, 2 * (n - 1) - k, k)
    elif mode == "replicate":
        k = np.clip(k, 0, n - 1)
    elif mode == "circular":
        k = k % n
    elif mode == "constant":
        mask = (k >= 0) & (k < n)
        k = np.clip(k, 0, n - 1)
    else:
        raise ValueError(f"{op}: pad_mode must be one of {_PAD_MODES}, got {mode!r}")
    return k, mask


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None):
    """Short-time Fourier transform of a signal (L,) or batch (B, L).

    Returns a complex tensor (n_freq, n_frames) or (B, n_freq, n_frames), with
    n_freq = n_fft // 2 + 1 when ``onesided`` (the default for a real signal and window) else
    n_fft, and n_frames = 1 + (L' - n_fft) // hop_length, L' the padded length.
    ``hop_length`` defaults to n_fft // 4, ``win_length`` to n_fft, the window to ones;
    ``normalized`` multiplies by n_fft^-1/2. ``return_complex=False`` gives the real view
    (..., 2) instead, as PyTorch's deprecated form.
    """
    if return_complex is None:
        if input.dtype.kind != "c" and (window is None or window.dtype.kind != "c"):
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")
        return_complex = True
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, got shape {tuple(input.shape)}")
    hop = n_fft // 4 if hop_length is None else hop_length
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    if not backend.is_differentiable(x.dtype):
        x = x.to(backend.get_default_dtype())
    win = _window(window, n_fft, win_length, x, "stft")
    n = x.shape[-1]
    if center:
        pos, mask = _pad_index(n, n_fft // 2, pad_mode, "stft")
    else:
        pos, mask = np.arange(n), None
    if not 0 < n_fft <= len(pos):
        raise RuntimeError(f"stft: expected 0 < n_fft <= {len(pos)} (the padded length), but "
                           f"got n_fft={n_fft}")
    frames = 1 + (len(pos) - n_fft) // hop
    at = np.arange(frames)[:, None] * hop + np.arange(n_fft)[None, :]  # (frames, n_fft)
    xp = backend.array_module(x._data)
    seg = x[:, Tensor._make(xp.asarray(pos[at]), False)]  # (B, frames, n_fft)
    if mask is not None:
        seg = seg * Tensor._make(xp.asarray(mask[at], dtype=backend.to_real(x.dtype)), False)
    seg = seg * win
    if onesided is None:
        onesided = seg.dtype.kind != "c"
    norm = "ortho" if normalized else "backward"
    if onesided:
        if seg.dtype.kind == "c":
            raise RuntimeError("stft: onesided output is not possible for a complex input or "
                               "window")
        out = rfft(seg, dim=-1, norm=norm)
    else:
        out = fft(seg, dim=-1, norm=norm)
    out = out.transpose(-1, -2)
    if input.ndim == 1:
        out = out.squeeze(0)
    if not return_complex:
        return view_as_real(out)
    return out


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """The inverse of ``stft`` by windowed overlap-add: input (n_freq, n_frames) or
    (B, n_freq, n_frames), complex; output (L,) or (B, L), real unless ``return_complex``.
    ``length`` trims or zero-pads the result to that many samples."""
    if input.dtype.kind != "c":
        raise RuntimeError(f"istft requires a complex-valued input tensor, got {input.dtype}")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a 2D or 3D tensor, got shape {tuple(input.shape)}")
    hop = n_fft // 4 if hop_length is None else hop_length
    if hop <= 0:
        raise RuntimeError(f"istft: expected hop_length > 0, but got hop_length={hop}")
    spec = input if input.ndim == 3 else input.unsqueeze(0)
    n_freq, frames = spec.shape[-2], spec.shape[-1]
    if onesided is None:
        onesided = n_freq != n_fft
    if onesided and n_freq != n_fft // 2 + 1:
        raise RuntimeError(f"istft: expected the frequency dimension (size {n_freq}) of the "
                           f"input to equal n_fft / 2 + 1 = {n_fft // 2 + 1} when onesided")
    if not onesided and n_freq != n_fft:
        raise RuntimeError(f"istft: expected the frequency dimension (size {n_freq}) of the "
                           f"input to equal n_fft = {n_fft} when not onesided")
    if onesided and return_complex:
        raise RuntimeError("istft: cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    cols = spec.transpose(-1, -2)  # (B, frames, n_freq)
    if return_complex:
        seg = ifft(cols, n=n_fft, dim=-1, norm=norm)
    else:  # a real signal: only the first half of a full spectrum is read, as PyTorch does
        seg = irfft(cols[..., :n_fft // 2 + 1], n=n_fft, dim=-1, norm=norm)
    win = _window(window, n_fft, win_length, seg, "istft")
    seg = seg * win
    total = n_fft + hop * (frames - 1)
    xp = backend.array_module(seg._data)
    at = Tensor._make(xp.asarray((np.arange(frames)[:, None] * hop
                                  + np.arange(n_fft)[None, :]).reshape(-1)), False)
    y = Tensor._make(xp.zeros((seg.shape[0], total), seg.dtype), False)
    y = y.index_add(1, at, seg.reshape(seg.shape[0], -1))
    wsq = win * win  # w^2 (not |w|^2) for a complex window too, as PyTorch; differentiated
    env = Tensor._make(xp.zeros(total, wsq.dtype), False).index_add(
        0, at, wsq.expand(frames, n_fft).reshape(-1))
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    env_part = env[start:min(end, total)]
    if env_part.numel() and float(env_part.abs().min()) < 1e-11:
        raise RuntimeError("istft: window overlap add min: the window's squares sum to (almost) "
                           "zero somewhere; choose a window and hop_length that overlap")
    y = y[:, start:min(end, total)] / env_part
    if length is not None and end > total:
        y = _pad_end(y, end - total)
    if input.ndim == 2:
        y = y.squeeze(0)
    return y


def _pad_end(y, extra):
    xp = backend.array_module(y._data)
    return cat([y, Tensor._make(xp.zeros((y.shape[0], extra), y.dtype), False)], 1)


__all__ = ["istft", "stft"]
