"""A text classifier in the style of Kim (2014): Embedding with padding_idx, Conv1d filters of
several widths over the sequence (permute to NCL), max-over-time pooling, dropout, a Linear head;
plus Conv1d with dilation, groups, padding='same', stride, and a causal (left-padded) conv."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(45)


def fill(m, scale=0.3):
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * scale)
                                     .astype(np.float32)))
    return m


class TextCNN(nn.Module):
    def __init__(self, vocab=20, dim=6, n_filters=4, widths=(2, 3, 4), classes=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.convs = nn.ModuleList([nn.Conv1d(dim, n_filters, w) for w in widths])
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(n_filters * len(widths), classes)

    def forward(self, tokens):
        x = self.emb(tokens).permute(0, 2, 1)          # (N, L, C) -> (N, C, L)
        pooled = [F.relu(conv(x)).max(dim=2)[0] for conv in self.convs]
        return self.fc(self.drop(torch.cat(pooled, dim=1)))


model = fill(TextCNN())
with torch.no_grad():
    model.emb.weight[0].zero_()
tokens = torch.tensor([[5, 3, 9, 1, 0, 0], [2, 2, 7, 11, 19, 4], [8, 0, 0, 0, 0, 0],
                       [13, 6, 6, 1, 3, 0]])
labels = torch.tensor([0, 2, 1, 2])
opt = torch.optim.Adam(model.parameters(), lr=0.01)
model.eval()
log = []
for step in range(6):
    opt.zero_grad()
    logits = model(tokens)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    opt.step()
    log.append([loss.item(), (logits.argmax(dim=1) == labels).float().mean().item()])
res = {"log": log}
res["pad_row"] = model.emb.weight[0].abs().sum().item()
res["emb_grad_pad"] = model.emb.weight.grad[0].abs().sum().item()

x = torch.from_numpy(rng.standard_normal((2, 4, 9)).astype(np.float32)).requires_grad_()
convs = {"dilated": nn.Conv1d(4, 3, 3, dilation=2), "grouped": nn.Conv1d(4, 6, 3, groups=2),
         "same": nn.Conv1d(4, 2, 4, padding="same"), "strided": nn.Conv1d(4, 2, 3, stride=2,
                                                                          padding=1),
         "depthwise": nn.Conv1d(4, 4, 5, groups=4, padding=2, bias=False),
         "reflect": nn.Conv1d(4, 2, 3, padding=1, padding_mode="reflect"),
         "circular": nn.Conv1d(4, 2, 3, padding=2, padding_mode="circular")}
for name, conv in convs.items():
    fill(conv)
    y = conv(x)
    g = torch.autograd.grad(y.pow(2).sum(), x)[0]
    res[name] = [list(y.shape), y.sum().item(), y[0, 0].tolist(), g[1].abs().sum().item()]
causal = fill(nn.Conv1d(4, 2, 3))
y = causal(F.pad(x, (2, 0)))
res["causal"] = [list(y.shape), y[:, :, 0].tolist()]
# causal: the first output depends only on the first input step
gx = torch.autograd.grad(y[:, :, 0].sum(), x)[0]
res["causal_grad_support"] = (gx.abs().sum(dim=(0, 1)) > 0).tolist()
res["functional"] = F.conv1d(x, causal.weight, causal.bias, padding=1).sum(dim=2).tolist()
res["pool1d"] = [F.max_pool1d(x, 2).shape[-1], F.avg_pool1d(x, 3, stride=2).sum().item(),
                 F.adaptive_max_pool1d(x, 1).squeeze(-1).tolist(),
                 nn.AdaptiveAvgPool1d(3)(x).shape[-1]]
print(json.dumps(res))
