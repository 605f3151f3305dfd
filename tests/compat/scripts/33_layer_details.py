"""Layer options beyond the defaults: LSTM proj_size and unbatched input, RNN dropout in eval,
BatchNorm without running stats or affine, functional batch_norm, Dropout2d/AlphaDropout in eval,
Linear on 3-D input, Bilinear, Softmax2d, LogSoftmax, CrossEntropy on 4-D logits."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=5e-4 atol=5e-5
rng = np.random.default_rng(33)


def fill(module, scale=0.4):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * scale)
                                     .astype(np.float32)))
    return module


def t(*shape):
    return torch.from_numpy(rng.standard_normal(shape).astype(np.float32))


res = {}
lstm = fill(nn.LSTM(3, 5, proj_size=2, batch_first=True))
out, (h, c) = lstm(t(2, 4, 3))
res["proj"] = [list(out.shape), list(h.shape), list(c.shape), out[0, -1].tolist(),
               [n for n, _ in lstm.named_parameters()]]
gru = fill(nn.GRU(3, 4))
seq = t(6, 3)
o1, h1 = gru(seq)  # unbatched: (L, H_in)
o2, h2 = gru(seq.unsqueeze(1))
res["unbatched"] = [list(o1.shape), list(h1.shape), torch.allclose(o1, o2[:, 0], atol=1e-6)]
rnn = fill(nn.RNN(3, 4, num_layers=2, dropout=0.5))
rnn.eval()
x = t(5, 2, 3)
res["rnn_eval_dropout"] = torch.equal(rnn(x)[0], rnn(x)[0])
res["rnn_out"] = rnn(x)[1].tolist()

bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
z = t(6, 3) * 2 + 1
res["bn_no_stats"] = [bn(z).tolist(), bn.running_mean is None, len(list(bn.parameters()))]
bn.eval()
res["bn_no_stats_eval"] = bn(z)[0].tolist()  # still batch statistics
bn3 = fill(nn.BatchNorm1d(3, momentum=0.3))
seq3 = t(4, 3, 5)  # (N, C, L)
y3 = bn3(seq3)
res["bn_ncl"] = [y3[1, :, 2].tolist(), bn3.running_mean.tolist(), bn3.running_var.tolist()]
rm, rv = torch.zeros(3), torch.ones(3)
yf = F.batch_norm(z, rm, rv, weight=torch.ones(3) * 2, bias=None, training=True, momentum=0.2)
res["F_batch_norm"] = [yf[0].tolist(), rm.tolist(), rv.tolist()]
res["F_batch_norm_eval"] = F.batch_norm(z, rm, rv)[0].tolist()
bn64 = nn.BatchNorm2d(2).double()
res["bn_double"] = bn64(t(2, 2, 3, 3).double()).dtype == torch.float64

for mod, q in ((nn.Dropout2d(0.5), t(2, 3, 4, 4)), (nn.Dropout1d(0.3), t(2, 3, 4)),
               (nn.AlphaDropout(0.2), t(2, 3)), (nn.Dropout3d(), t(2, 3, 2, 2, 2))):
    mod.eval()
    assert torch.equal(mod(q), q)
d2 = nn.Dropout2d(0.5)
q = torch.ones(4, 8, 3, 3)
y = d2(q)
per_channel = y.sum(dim=(2, 3))
res["dropout2d_whole_channels"] = bool(((per_channel == 0) | (per_channel == 18)).all())

lin = fill(nn.Linear(3, 2))
res["linear_3d"] = lin(t(2, 4, 3)).shape[:2] == (2, 4)
res["linear_1d"] = list(lin(t(3)).shape)
bil = fill(nn.Bilinear(3, 4, 2))
a, b = t(5, 3), t(5, 4)
res["bilinear"] = bil(a, b).tolist()
res["identity_args"] = nn.Identity(54, unused="x")(a).shape == a.shape
img = t(2, 3, 2, 2)
res["softmax2d"] = nn.Softmax2d()(img).sum(1).tolist()
res["log_softmax_mod"] = nn.LogSoftmax(dim=1)(img)[0, :, 0, 0].tolist()
tgt = torch.from_numpy(rng.integers(0, 3, (2, 2, 2)))
img.requires_grad_(True)
loss = F.cross_entropy(img, tgt, weight=torch.tensor([1.0, 0.5, 2.0]), label_smoothing=0.1)
loss.backward()
res["ce_4d"] = [loss.item(), img.grad[0, :, 1, 1].tolist()]
res["nll_4d"] = F.nll_loss(F.log_softmax(img, 1), tgt, reduction="sum").item()
res["bce_2d_reduction_none"] = F.binary_cross_entropy_with_logits(
    t(3, 2), torch.ones(3, 2) * 0.3, reduction="none").tolist()
res["flatten_unflatten"] = [list(nn.Flatten(0, 1)(img).shape),
                            list(nn.Unflatten(1, (3, 1))(t(2, 3)).shape)]
emb = fill(nn.Embedding(5, 3, max_norm=1.0))
e = emb(torch.tensor([0, 1, 1, 4]))
res["emb_max_norm"] = [e.norm(dim=1).max().item() <= 1.0 + 1e-6,
                       emb.weight.norm(dim=1).tolist()]
print(json.dumps(res))
