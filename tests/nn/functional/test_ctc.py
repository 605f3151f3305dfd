"""CTC loss against PyTorch: padded and concatenated targets, repeated labels, empty targets,
short inputs, impossible alignments (zero_infinity), every reduction, and gradients through
log_softmax (checked in float64 by finite differences)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, assert_close, check_parity, gradcheck

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _case(rng, t=10, n=4, c=5, s=4, blank=0):
    logits = rng.standard_normal((t, n, c))
    labels = [k for k in range(c) if k != blank]
    targets = rng.choice(labels, (n, s)).astype(np.int64)
    targets[0, 1] = targets[0, 0]  # a repeated label needs a blank between them
    in_len = np.array([t, t - 2, 5, t][:n], dtype=np.int64)
    tg_len = np.array([s, s - 1, 0, 2][:n], dtype=np.int64)
    return logits, targets, in_len, tg_len


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 4])
def test_ctc_loss_parity(dtype, reduction, blank, rng):
    logits, targets, il, tl = _case(rng, blank=blank)

    def g(x):
        return F.ctc_loss(x.log_softmax(2), gn.tensor(targets), gn.tensor(il), gn.tensor(tl),
                          blank=blank, reduction=reduction)

    def t(x):
        return TF.ctc_loss(x.log_softmax(2), torch.tensor(targets), torch.tensor(il),
                           torch.tensor(tl), blank=blank, reduction=reduction)

    check_parity(g, t, [logits], dtype=dtype)
    check_parity(lambda x: nn.CTCLoss(blank, reduction)(x.log_softmax(2), gn.tensor(targets),
                                                        tuple(il), tuple(tl)),
                 lambda x: tnn.CTCLoss(blank, reduction)(x.log_softmax(2),
                                                         torch.tensor(targets), tuple(il),
                                                         tuple(tl)), [logits], dtype=dtype)


def test_ctc_loss_log_probs_gradient_is_pytorchs(rng):
    """A leaf of log-probabilities gets PyTorch's gradient exp(log p) - occupancy."""
    logits, targets, il, tl = _case(rng)
    lp = torch.from_numpy(logits).log_softmax(2).numpy()
    for reduction in REDUCTIONS:
        check_parity(lambda x: F.ctc_loss(x, gn.tensor(targets), gn.tensor(il), gn.tensor(tl),
                                          reduction=reduction),
                     lambda x: TF.ctc_loss(x, torch.tensor(targets), torch.tensor(il),
                                           torch.tensor(tl), reduction=reduction),
                     [lp], dtype=np.float64)


def test_ctc_loss_concatenated_targets_and_unbatched(rng):
    logits, targets, il, tl = _case(rng)
    flat = np.concatenate([targets[b, :tl[b]] for b in range(len(tl))])
    for dtype in FLOAT_DTYPES:
        check_parity(lambda x: F.ctc_loss(x.log_softmax(2), gn.tensor(flat), gn.tensor(il),
                                          gn.tensor(tl), reduction="none"),
                     lambda x: TF.ctc_loss(x.log_softmax(2), torch.tensor(flat),
                                           torch.tensor(il), torch.tensor(tl),
                                           reduction="none"), [logits], dtype=dtype)
    for reduction in REDUCTIONS:
        check_parity(lambda x: F.ctc_loss(x.log_softmax(1), gn.tensor(targets[0]),
                                          gn.tensor(10), gn.tensor(4), reduction=reduction),
                     lambda x: TF.ctc_loss(x.log_softmax(1), torch.tensor(targets[0]),
                                           torch.tensor(10), torch.tensor(4),
                                           reduction=reduction), [logits[:, 0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_impossible_alignment_zero_infinity(reduction, rng):
    logits, targets, il, tl = _case(rng)
    il = il.copy()
    il[0] = 4  # four labels (one repeated) need at least five frames: the loss is infinite
    args_g = (gn.tensor(targets), gn.tensor(il), gn.tensor(tl))
    args_t = (torch.tensor(targets), torch.tensor(il), torch.tensor(tl))
    check_parity(lambda x: F.ctc_loss(x.log_softmax(2), *args_g, reduction=reduction,
                                      zero_infinity=True),
                 lambda x: TF.ctc_loss(x.log_softmax(2), *args_t, reduction=reduction,
                                       zero_infinity=True), [logits])
    out = F.ctc_loss(gn.tensor(logits).log_softmax(2), *args_g, reduction="none")
    ref = TF.ctc_loss(torch.tensor(logits).log_softmax(2), *args_t, reduction="none")
    assert np.isinf(out.numpy()[0])
    assert_close(out, ref, 1e-7, 1e-7)


def test_ctc_loss_gradcheck(rng):
    logits, targets, il, tl = _case(rng, t=6, n=3, c=4, s=3)
    il = np.array([6, 5, 6])
    tl = np.array([3, 1, 0])
    gradcheck(lambda x: F.ctc_loss(x.log_softmax(2), gn.tensor(targets), gn.tensor(il),
                                   gn.tensor(tl)), [logits])
    gradcheck(lambda x: F.ctc_loss(x.log_softmax(2), gn.tensor(targets), gn.tensor(il),
                                   gn.tensor(tl), reduction="sum"), [logits])


def test_ctc_loss_errors(rng):
    logits, targets, il, tl = _case(rng)
    lp = gn.tensor(logits).log_softmax(2)
    with pytest.raises(RuntimeError, match="input_lengths to have value at most 10"):
        F.ctc_loss(lp, gn.tensor(targets), gn.tensor(il + 1), gn.tensor(tl))
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(lp, gn.tensor(targets), gn.tensor(il), gn.tensor(tl), blank=5)
    with pytest.raises(RuntimeError, match="4 values"):
        F.ctc_loss(lp, gn.tensor(targets), gn.tensor(il[:3]), gn.tensor(tl))
