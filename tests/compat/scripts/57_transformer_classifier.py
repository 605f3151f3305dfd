"""A small transformer text classifier as in a "transformers from scratch" notebook: token and
learned position embeddings, a sinusoidal encoding buffer, nn.TransformerEncoder (post-norm and
pre-norm, GELU), a [CLS]-style first token or masked mean pooling, weights set from NumPy
through named_parameters, dropout off, two AdamW steps with clip_grad_norm_ and a warm-up
LambdaLR."""
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(57)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=32):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, :x.size(1)]


class Classifier(nn.Module):
    def __init__(self, vocab=12, d=8, heads=2, layers=2, classes=3, norm_first=False, pool="cls"):
        super().__init__()
        self.embed = nn.Embedding(vocab, d, padding_idx=0)
        self.pos = PositionalEncoding(d)
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=16, dropout=0.0,
                                           activation="gelu", batch_first=True,
                                           norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)
        self.pool = pool

    def forward(self, tokens):
        pad = tokens == 0
        h = self.encoder(self.pos(self.embed(tokens) * math.sqrt(self.embed.embedding_dim)),
                         src_key_padding_mask=pad)
        if self.pool == "cls":
            h = h[:, 0]
        else:
            keep = (~pad).unsqueeze(-1).float()
            h = (h * keep).sum(1) / keep.sum(1)
        return self.head(h)


tokens = torch.tensor([[1, 5, 7, 2, 0, 0], [1, 3, 3, 9, 11, 2], [1, 4, 2, 0, 0, 0]])
labels = torch.tensor([2, 0, 1])
res = {}
for name, kw in [("post_cls", {}), ("pre_mean", {"norm_first": True, "pool": "mean"})]:
    model = Classifier(**kw)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            scale = 0.0 if pname.endswith("bias") else 0.3
            if "norm" in pname and pname.endswith("weight"):
                p.fill_(1.0)
            else:
                p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * scale)
                                         .astype(np.float32)))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 2))
    log = []
    for step in range(3):
        logits = model(tokens)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        log.append([loss.item(), norm.item(), sched.get_last_lr()[0]])
    model.eval()
    with torch.no_grad():
        probs = model(tokens).softmax(-1)
    res[name] = [log, probs.tolist(), sum(p.numel() for p in model.parameters())]
res["pe"] = [Classifier().pos.pe[0, :3, :4].tolist(), list(Classifier().pos.pe.shape)]
res["buffers"] = [n for n, _ in Classifier().named_buffers()]
res["param_names"] = [n for n, _ in Classifier(layers=1).named_parameters()]
print(json.dumps(res))
