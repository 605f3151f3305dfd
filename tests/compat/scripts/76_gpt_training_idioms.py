"""The habits of small GPT training scripts: a causal mask kept as a non-persistent buffer and
the same attention through F.scaled_dot_product_attention(is_causal=True), weight tying between
the token embedding and the output layer, init by module type with a scaled std for residual
projections (found by parameter name), AdamW with weight decay only on matrices (param groups
by p.dim()), a warm-up plus cosine learning-rate function written into param_group["lr"],
gradient accumulation, clipping, a batch drawn with torch.randint from a 1-D token array, and
generation that crops the context, keeps the top-k logits and samples with torch.multinomial."""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# compat: rtol=2e-3 atol=1e-5
rng = np.random.default_rng(76)
V, T, D, H = 11, 8, 16, 2


class Attention(nn.Module):
    def __init__(self, fused):
        super().__init__()
        self.qkv = nn.Linear(D, 3 * D)
        self.out = nn.Linear(D, D)
        self.fused = fused
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T),
                             persistent=False)

    def forward(self, x):
        b, t, c = x.size()
        q, k, v = self.qkv(x).split(D, dim=2)
        q, k, v = (z.view(b, t, H, c // H).transpose(1, 2) for z in (q, k, v))
        if self.fused:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
            att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
            y = F.softmax(att, dim=-1) @ v
        return self.out(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, fused):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.attn = Attention(fused)
        self.mlp = nn.Sequential(nn.Linear(D, 4 * D), nn.GELU(), nn.Linear(4 * D, D))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, fused=True, layers=2):
        super().__init__()
        self.tok = nn.Embedding(V, D)
        self.pos = nn.Embedding(T, D)
        self.blocks = nn.ModuleList([Block(fused) for _ in range(layers)])
        self.ln = nn.LayerNorm(D)
        self.lm_head = nn.Linear(D, V, bias=False)
        self.tok.weight = self.lm_head.weight
        self.apply(self._init)
        for name, p in self.named_parameters():
            if name.endswith("out.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * layers))

    def _init(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            torch.nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        t = idx.size(1)
        x = self.tok(idx) + self.pos(torch.arange(t, dtype=torch.long))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln(x))
        if targets is None:
            return logits[:, [-1], :], None
        return logits, F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-1)


def set_weights(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.2)
                                         .astype(np.float32)))


def lr_at(it, warmup=2, total=6, top=3e-3, low=3e-4):
    if it < warmup:
        return top * (it + 1) / (warmup + 1)
    ratio = (it - warmup) / (total - warmup)
    return low + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (top - low)


data = torch.from_numpy((np.arange(200) * 7 % V).astype(np.int64))
res = {}
for fused in (True, False):
    rng = np.random.default_rng(0)
    model = TinyGPT(fused)
    res[f"init_{fused}"] = [model.blocks[0].attn.out.weight.std().item() < 0.02,
                            model.tok.weight is model.lm_head.weight,
                            sorted(model.state_dict().keys())[:3], len(list(model.buffers()))]
    set_weights(model)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}], lr=1e-3,
                            betas=(0.9, 0.95))
    starts = [[0, 5, 17], [3, 40, 90], [11, 2, 60]]
    log = []
    for it in range(3):
        for group in opt.param_groups:
            group["lr"] = lr_at(it)
        for micro in range(2):
            ix = torch.tensor(starts[it][micro:micro + 2])
            xb = torch.stack([data[i:i + T] for i in ix])
            yb = torch.stack([data[i + 1:i + 1 + T] for i in ix])
            _, loss = model(xb, yb)
            (loss / 2).backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        log.append([loss.item(), norm.item(), opt.param_groups[0]["lr"]])
    res[f"train_{fused}"] = log
    model.eval()
    torch.manual_seed(0)
    idx = torch.zeros((1, 1), dtype=torch.long)
    with torch.no_grad():
        for _ in range(10):
            cond = idx if idx.size(1) <= T else idx[:, -T:]
            logits, _ = model(cond)
            logits = logits[:, -1, :] / 0.8
            v, _ = torch.topk(logits, 3)
            logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            nxt = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, nxt), dim=1)
    res[f"gen_{fused}"] = [list(idx.shape), int((probs > 0).sum().item())]
print(json.dumps(res))
