"""Text classification with nn.Embedding (padding_idx), mean pooling over a mask, and Adagrad."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-5
rng = np.random.default_rng(25)
vocab = ["<pad>", "good", "bad", "great", "awful", "movie", "plot", "fine"]
stoi = {w: i for i, w in enumerate(vocab)}
sentences = [("good movie", 1), ("bad plot", 0), ("great great movie", 1), ("awful movie", 0),
             ("fine plot", 1), ("bad awful plot", 0)]
max_len = 3
tokens = torch.tensor([[stoi[w] for w in s.split()] + [0] * (max_len - len(s.split()))
                       for s, _ in sentences])
labels = torch.tensor([label for _, label in sentences])


class BagOfWords(nn.Module):
    def __init__(self, vocab_size, dim, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, tokens):
        emb = self.embedding(tokens)
        mask = (tokens != 0).unsqueeze(-1).float()
        pooled = (emb * mask).sum(1) / mask.sum(1)
        return self.fc(pooled)


model = BagOfWords(len(vocab), 5, 2)
with torch.no_grad():
    w = rng.standard_normal((len(vocab), 5)).astype(np.float32)
    w[0] = 0
    model.embedding.weight.copy_(torch.from_numpy(w))
    model.fc.weight.copy_(torch.from_numpy(rng.standard_normal((2, 5)).astype(np.float32) * 0.3))
    model.fc.bias.zero_()
opt = torch.optim.Adagrad(model.parameters(), lr=0.1)
losses = []
for epoch in range(20):
    opt.zero_grad()
    loss = F.cross_entropy(model(tokens), labels)
    loss.backward()
    opt.step()
    losses.append(loss.item())
res = {"losses": losses[::4] + [losses[-1]],
       "pad_row_zero": model.embedding.weight[0].abs().sum().item(),
       "pad_grad_zero": model.embedding.weight.grad[0].abs().sum().item(),
       "pred": model(tokens).argmax(-1).tolist(),
       "emb_shape": list(model.embedding(tokens).shape)}
# from_pretrained, frozen by default
pre = nn.Embedding.from_pretrained(torch.arange(12.0).view(4, 3))
res["pretrained"] = [pre(torch.tensor([[3, 1]])).tolist(), pre.weight.requires_grad]
# functional embedding and max_norm-free lookups with repeated indices accumulate gradient
table = torch.ones(4, 2, requires_grad=True)
F.embedding(torch.tensor([1, 1, 3]), table).sum().backward()
res["repeat_grad"] = table.grad.tolist()
print(json.dumps(res))
