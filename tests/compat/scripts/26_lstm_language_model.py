"""A word-level LSTM language model with truncated BPTT (hidden state detached between batches)."""
import json
import math

import numpy as np
import torch
import torch.nn as nn

# compat: rtol=2e-3 atol=1e-4
rng = np.random.default_rng(26)
ntokens, emsize, nhid, bptt, batch_size = 11, 6, 8, 4, 3
corpus = torch.from_numpy(rng.integers(0, ntokens, 3 * 13))


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


class RNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.0)
        self.encoder = nn.Embedding(ntokens, emsize)
        self.rnn = nn.LSTM(emsize, nhid, num_layers=2, dropout=0.0)
        self.decoder = nn.Linear(nhid, ntokens)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, ntokens)
        return torch.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(2, bsz, nhid), weight.new_zeros(2, bsz, nhid))


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


train_data = batchify(corpus, batch_size)
model = RNNModel()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
criterion = nn.NLLLoss()
lr = 2.0
history = []
for epoch in range(3):
    model.train()
    total_loss = 0.0
    hidden = model.init_hidden(batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
    history.append([total_loss / (batch + 1), math.exp(total_loss / (batch + 1))])

model.eval()
with torch.no_grad():
    hidden = model.init_hidden(1)
    inp = torch.tensor([[3]])
    generated = []
    for _ in range(6):
        output, hidden = model(inp, hidden)
        word = output.argmax(dim=1)
        generated.append(word.item())
        inp.fill_(word.item())
res = {"train_shape": list(train_data.shape), "history": history, "generated": generated,
       "hidden_shapes": [list(h.shape) for h in hidden]}
print(json.dumps(res))
