"""Common losses, as modules and functions, with their reductions, weights and gradients."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(13)
logits_np = rng.standard_normal((6, 4)).astype(np.float32)
target = torch.tensor([0, 3, 1, 1, 2, 3])
res = {}


def run(name, fn, *extra):
    x = torch.from_numpy(logits_np.copy()).requires_grad_(True)
    loss = fn(x, *extra)
    loss.sum().backward()
    res[name] = [loss.tolist(), x.grad.tolist()]


run("ce", nn.CrossEntropyLoss(), target)
run("ce_sum", nn.CrossEntropyLoss(reduction="sum"), target)
run("ce_none", nn.CrossEntropyLoss(reduction="none"), target)
run("ce_weight", nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0])), target)
run("ce_ignore", nn.CrossEntropyLoss(ignore_index=1), target)
run("ce_smooth", nn.CrossEntropyLoss(label_smoothing=0.2), target)
probs = torch.from_numpy(rng.dirichlet(np.ones(4), 6).astype(np.float32))
run("ce_probs", F.cross_entropy, probs)
run("nll", lambda x, t: F.nll_loss(F.log_softmax(x, dim=1), t), target)
run("nll_module", lambda x, t: nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), t), target)
binary = torch.from_numpy((rng.random((6, 4)) > 0.5).astype(np.float32))
run("bce_logits", nn.BCEWithLogitsLoss(), binary)
run("bce_logits_pw", nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 3.0, 0.5])), binary)
run("bce", lambda x, t: nn.BCELoss()(torch.sigmoid(x), t), binary)
run("bce_weight", lambda x, t: F.binary_cross_entropy(torch.sigmoid(x), t, weight=t + 0.5), binary)
reg = torch.from_numpy(rng.standard_normal((6, 4)).astype(np.float32))
run("mse", nn.MSELoss(), reg)
run("mse_none", nn.MSELoss(reduction="none"), reg)
run("l1", nn.L1Loss(), reg)
run("smooth_l1", nn.SmoothL1Loss(beta=0.5), reg)
run("huber", nn.HuberLoss(delta=0.8), reg)
run("kl", lambda x, t: nn.KLDivLoss(reduction="batchmean")(F.log_softmax(x, 1), t), probs)
run("kl_logt", lambda x, t: F.kl_div(F.log_softmax(x, 1), t.log(), reduction="sum",
                                     log_target=True), probs)
run("soft_margin", nn.SoftMarginLoss(), binary * 2 - 1)
run("margin", nn.MultiMarginLoss(), target)
run("cosine_emb", lambda x, t: nn.CosineEmbeddingLoss(margin=0.1)(x, t, torch.tensor(
    [1, -1, 1, -1, 1, 1])), reg)
run("gauss_nll", lambda x, t: nn.GaussianNLLLoss()(x, t, torch.ones(6, 4) * 0.5), reg)
run("poisson", nn.PoissonNLLLoss(), reg.abs())
# sequence-style cross entropy: (N, C, L) logits with (N, L) targets
seq = torch.from_numpy(rng.standard_normal((2, 4, 5)).astype(np.float32)).requires_grad_(True)
seq_t = torch.from_numpy(rng.integers(0, 4, (2, 5)))
loss = F.cross_entropy(seq, seq_t, ignore_index=2)
loss.backward()
res["ce_seq"] = [loss.item(), seq.grad.sum(dim=1).tolist(), seq.grad[0, :, 0].tolist()]
print(json.dumps(res))
