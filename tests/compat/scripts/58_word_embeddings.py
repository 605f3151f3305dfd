"""Word embeddings as an NLP lesson builds them: a vocabulary from text with collections.Counter,
skip-gram pairs, negative sampling with F.logsigmoid and bmm, Embedding(sparse=False) with
max_norm, from_pretrained (frozen and not), EmbeddingBag with offsets and per_sample_weights,
cosine-similarity nearest neighbours with topk, and F.normalize."""
import json
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(58)
text = "the cat sat on the mat the dog sat on the log the cat saw the dog".split()
counts = Counter(text)
vocab = sorted(counts, key=lambda w: (-counts[w], w))
stoi = {w: i for i, w in enumerate(vocab)}
ids = torch.tensor([stoi[w] for w in text])
window = 2
pairs = [(ids[i].item(), ids[j].item()) for i in range(len(ids))
         for j in range(max(0, i - window), min(len(ids), i + window + 1)) if i != j]
centers = torch.tensor([c for c, _ in pairs])
contexts = torch.tensor([o for _, o in pairs])
freq = torch.tensor([counts[w] for w in vocab], dtype=torch.float)
noise = freq.pow(0.75) / freq.pow(0.75).sum()
noise64 = noise.double().numpy()
negatives = torch.from_numpy(rng.choice(len(vocab), size=(len(pairs), 3),
                                        p=noise64 / noise64.sum()))
res = {"vocab": vocab, "n_pairs": len(pairs), "noise": noise.tolist()}


class SkipGram(nn.Module):
    def __init__(self, n, d):
        super().__init__()
        self.inp = nn.Embedding(n, d)
        self.out = nn.Embedding(n, d)

    def forward(self, c, o, neg):
        v = self.inp(c)                                   # (B, d)
        u = self.out(o)                                   # (B, d)
        un = self.out(neg)                                # (B, k, d)
        pos = F.logsigmoid((v * u).sum(-1))
        negs = F.logsigmoid(-torch.bmm(un, v.unsqueeze(2)).squeeze(2)).sum(1)
        return -(pos + negs).mean()


model = SkipGram(len(vocab), 6)
with torch.no_grad():
    model.inp.weight.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, (len(vocab), 6))
                                            .astype(np.float32)))
    model.out.weight.zero_()
opt = torch.optim.SGD(model.parameters(), lr=0.5)
log = []
for epoch in range(5):
    opt.zero_grad()
    loss = model(centers, contexts, negatives)
    loss.backward()
    opt.step()
    log.append(loss.item())
res["skipgram"] = log
E = F.normalize(model.inp.weight.detach(), dim=1)
sims = E @ E.t()
sims.fill_diagonal_(-1.0)
res["neighbours"] = [[vocab[j] for j in sims[stoi[w]].topk(2).indices.tolist()]
                     for w in ("cat", "dog")]
res["cos"] = F.cosine_similarity(model.inp(torch.tensor([stoi["cat"]])),
                                 model.inp(torch.tensor([stoi["dog"]]))).tolist()

pretrained = torch.from_numpy(rng.standard_normal((5, 3)).astype(np.float32))
frozen = nn.Embedding.from_pretrained(pretrained)
tuned = nn.Embedding.from_pretrained(pretrained, freeze=False, padding_idx=0)
q = torch.tensor([[0, 2, 4], [1, 0, 3]])
(tuned(q).sum() + frozen(q).sum()).backward()
res["pretrained"] = [frozen.weight.requires_grad, tuned.weight.requires_grad,
                     tuned.weight.grad.tolist(), frozen(q).shape[-1]]
capped = nn.Embedding(5, 3, max_norm=1.0)
with torch.no_grad():
    capped.weight.copy_(pretrained * 2)
out = capped(torch.tensor([1, 3]))
res["max_norm"] = [out.norm(dim=1).tolist(), capped.weight.norm(dim=1).tolist()]
bag = nn.EmbeddingBag.from_pretrained(pretrained, mode="sum")
flat = torch.tensor([0, 2, 4, 1, 3])
offsets = torch.tensor([0, 3])
res["bag"] = [bag(flat, offsets).tolist(),
              bag(flat, offsets, per_sample_weights=torch.tensor([1.0, 0.5, 2.0, 1.0, -1.0]))
              .tolist(),
              nn.EmbeddingBag.from_pretrained(pretrained, mode="max")(q).tolist(),
              nn.EmbeddingBag.from_pretrained(pretrained, mode="mean")(flat, offsets).tolist()]
res["functional"] = [F.embedding(q, pretrained, padding_idx=0).sum(-1).tolist(),
                     F.embedding_bag(flat, pretrained, offsets, mode="mean").tolist()]
print(json.dumps(res))
