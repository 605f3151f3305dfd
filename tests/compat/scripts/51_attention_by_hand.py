"""Attention written out as in a transformer lecture: embeddings, Q/K/V projections, bmm scores
scaled by sqrt(d), padding masks with masked_fill(-inf), causal masks from triu, softmax rows that
are all -inf except one, multi-head reshapes, then the same through F.scaled_dot_product_attention
and nn.MultiheadAttention with copied weights."""
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=5e-4 atol=5e-5
rng = np.random.default_rng(51)


def arr(*shape, scale=0.5):
    return torch.from_numpy((rng.standard_normal(shape) * scale).astype(np.float32))


B, T, E, H = 2, 5, 8, 2
tokens = torch.tensor([[3, 1, 4, 1, 0], [5, 9, 0, 0, 0]])
emb = nn.Embedding(10, E, padding_idx=0)
with torch.no_grad():
    emb.weight.copy_(arr(10, E))
    emb.weight[0].zero_()
x = emb(tokens) * math.sqrt(E)
pad = tokens == 0                                   # (B, T) True where padding
Wq, Wk, Wv = arr(E, E), arr(E, E), arr(E, E)
for w in (Wq, Wk, Wv):
    w.requires_grad_()
q, k, v = x @ Wq, x @ Wk, x @ Wv
scores = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(E)
scores = scores.masked_fill(pad.unsqueeze(1), float("-inf"))
causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
scores = scores.masked_fill(causal, float("-inf"))
attn = F.softmax(scores, dim=-1)
out = torch.bmm(attn, v)
res = {"attn": attn.tolist(), "out_sum": out.sum(dim=-1).tolist(),
       "row_sums": attn.sum(-1).tolist(), "zeros_above_diag": attn.triu(1).abs().sum().item()}
out.pow(2).sum().backward()
res["grads"] = [Wq.grad.abs().sum().item(), Wk.grad.norm().item(), Wv.grad[0].tolist()]

# multi-head by reshaping (B, T, E) -> (B, H, T, E/H)
def heads(t):
    return t.view(B, T, H, E // H).transpose(1, 2)


qh, kh, vh = heads(q.detach()), heads(k.detach()), heads(v.detach())
s = qh @ kh.transpose(-2, -1) / math.sqrt(E // H)
mask = causal | pad[:, None, None, :]
s = s.masked_fill(mask, float("-inf"))
o = (s.softmax(-1) @ vh).transpose(1, 2).contiguous().view(B, T, E)
res["multihead"] = o[0].tolist()
sdpa = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=~mask)
res["sdpa_same"] = torch.allclose(sdpa.transpose(1, 2).reshape(B, T, E), o, atol=1e-5)
res["sdpa_causal"] = F.scaled_dot_product_attention(qh, kh, vh, is_causal=True)[1, 0].tolist()
float_mask = torch.zeros(T, T).masked_fill(causal, float("-inf"))
res["sdpa_float_mask"] = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=float_mask)[0, 1, 2] \
    .tolist()

mha = nn.MultiheadAttention(E, H, batch_first=True)
with torch.no_grad():
    mha.in_proj_weight.copy_(arr(3 * E, E))
    mha.in_proj_bias.copy_(arr(3 * E))
    mha.out_proj.weight.copy_(arr(E, E))
    mha.out_proj.bias.zero_()
xd = x.detach()
y, w = mha(xd, xd, xd, key_padding_mask=pad, attn_mask=causal)
res["mha"] = [list(y.shape), list(w.shape), y[0, :2].tolist(), w[1, 1].tolist()]
y2, w2 = mha(xd, xd, xd, key_padding_mask=pad, need_weights=True, average_attn_weights=False)
res["mha_heads"] = [list(w2.shape), w2[0, 1, 0].tolist()]
y3, w3 = mha(xd, xd, xd, need_weights=False)
res["mha_no_weights"] = [w3 is None, y3.sum().item()]
print(json.dumps(res))
