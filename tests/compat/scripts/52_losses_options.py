"""Loss options from the documentation pages: CrossEntropyLoss with class weights, ignore_index,
label_smoothing, soft (probability) targets and reduction='none'; NLLLoss on log_softmax;
BCEWithLogitsLoss with pos_weight; KLDivLoss (batchmean, log_target); Huber/SmoothL1 with delta
and beta; CosineEmbedding, MarginRanking, TripletMargin, MultiLabelSoftMargin, PoissonNLL,
GaussianNLL; and their gradients."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(52)
logits_np = rng.standard_normal((5, 4)).astype(np.float32)
target = torch.tensor([0, 3, 1, 2, 1])
res = {}


def run(name, loss_fn, *args):
    x = torch.tensor(logits_np, requires_grad=True)
    loss = loss_fn(x, *args)
    loss.sum().backward()
    res[name] = [loss.tolist(), x.grad.tolist()]


w = torch.tensor([1.0, 2.0, 0.5, 1.5])
run("ce_weight", nn.CrossEntropyLoss(weight=w), target)
run("ce_ignore", nn.CrossEntropyLoss(ignore_index=1), target)
run("ce_ignore_weight_none", nn.CrossEntropyLoss(weight=w, ignore_index=3, reduction="none"),
    target)
run("ce_smooth", nn.CrossEntropyLoss(label_smoothing=0.2), target)
run("ce_smooth_weight", nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, reduction="sum"),
    target)
soft = torch.softmax(torch.from_numpy(rng.standard_normal((5, 4)).astype(np.float32)), dim=1)
run("ce_soft", nn.CrossEntropyLoss(), soft)
run("ce_soft_smooth_weight", nn.CrossEntropyLoss(weight=w, label_smoothing=0.1), soft)
run("nll", lambda x, t: nn.NLLLoss(weight=w)(F.log_softmax(x, dim=1), t), target)
run("nll_ignore_none", lambda x, t: F.nll_loss(x.log_softmax(1), t, ignore_index=0,
                                               reduction="none"), target)
multi = (torch.from_numpy(rng.uniform(size=(5, 4)).astype(np.float32)) > 0.5).float()
run("bce_pos_weight", nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 3.0, 0.5, 2.0])), multi)
run("bce_weight_none", nn.BCEWithLogitsLoss(weight=torch.tensor([2.0, 1.0, 1.0, 0.5]),
                                            reduction="none"), multi)
run("bce_probs", lambda x, t: F.binary_cross_entropy(torch.sigmoid(x), t), multi)
tgt_dist = F.softmax(torch.from_numpy(logits_np[::-1].copy()), dim=1)
run("kl_batchmean", lambda x, t: nn.KLDivLoss(reduction="batchmean")(F.log_softmax(x, 1), t),
    tgt_dist)
run("kl_log_target", lambda x, t: nn.KLDivLoss(reduction="sum", log_target=True)(
    F.log_softmax(x, 1), t.log()), tgt_dist)
y = torch.from_numpy(rng.standard_normal((5, 4)).astype(np.float32))
run("huber", nn.HuberLoss(delta=0.5), y)
run("huber_none", nn.HuberLoss(reduction="none", delta=2.0), y)
run("smooth_l1", nn.SmoothL1Loss(beta=0.3), y)
run("smooth_l1_beta0", nn.SmoothL1Loss(beta=0.0), y)
run("cos_emb", nn.CosineEmbeddingLoss(margin=0.1), y, torch.tensor([1, -1, 1, -1, -1]))
run("margin_rank", lambda x, t: nn.MarginRankingLoss(margin=0.2)(x[:, 0], x[:, 1], t),
    torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0]))
run("triplet", lambda x, t: nn.TripletMarginLoss(margin=1.0, p=2)(x, t, x.flip(0)), y)
run("triplet_swap", lambda x, t: F.triplet_margin_loss(x, t, x.roll(1, 0), swap=True, p=1), y)
run("multilabel_soft", nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1.0, 2.0, 1.0, 1.0])),
    multi)
run("poisson", nn.PoissonNLLLoss(log_input=True), y.abs())
run("poisson_full", nn.PoissonNLLLoss(log_input=False, full=True), y.abs() + 1)
run("gaussian", lambda x, t: nn.GaussianNLLLoss()(x, t, torch.ones(5, 4) * 0.5), y)
run("gaussian_full", lambda x, t: F.gaussian_nll_loss(x, t, x.exp(), full=True,
                                                      reduction="none"), y)
run("l1_mse", lambda x, t: F.l1_loss(x, t) + F.mse_loss(x, t, reduction="sum"), y)
run("hinge_emb", nn.HingeEmbeddingLoss(margin=0.5), torch.tensor([1.0, -1.0, -1.0, 1.0])
    .expand(5, 4))
run("multi_margin", nn.MultiMarginLoss(p=1, margin=0.5, weight=w), target)
run("soft_margin", nn.SoftMarginLoss(), y.sign())
print(json.dumps(res))
