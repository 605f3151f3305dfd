"""RNN, LSTM and GRU sequence classifiers, batch_first both ways, weights from NumPy."""
import json

import numpy as np
import torch
import torch.nn as nn

# compat: rtol=5e-4 atol=5e-5
rng = np.random.default_rng(4)


def fill(module):
    with torch.no_grad():
        for name, p in module.named_parameters():
            w = rng.standard_normal(tuple(p.shape)) * 0.4
            p.copy_(torch.from_numpy(w.astype(np.float32)))


class SeqClassifier(nn.Module):
    def __init__(self, kind, input_size, hidden_size, num_classes, batch_first, **kw):
        super().__init__()
        rnn_cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
        self.kind = kind
        self.batch_first = batch_first
        self.rnn = rnn_cls(input_size, hidden_size, batch_first=batch_first, **kw)
        mult = 2 if kw.get("bidirectional") else 1
        self.fc = nn.Linear(hidden_size * mult, num_classes)

    def forward(self, x):
        out, hidden = self.rnn(x)
        last = out[:, -1, :] if self.batch_first else out[-1]
        return self.fc(last), out, hidden


x_bf = torch.from_numpy(rng.standard_normal((3, 5, 4)).astype(np.float32))  # (batch, seq, feat)
y = torch.tensor([0, 1, 1])
res = {}
configs = [("rnn", True, {}), ("rnn", False, {"nonlinearity": "relu", "num_layers": 2}),
           ("lstm", True, {"num_layers": 2}), ("lstm", False, {"bidirectional": True}),
           ("gru", True, {"bidirectional": True}), ("gru", False, {"bias": False})]
for kind, bf, kw in configs:
    model = SeqClassifier(kind, 4, 6, 2, bf, **kw)
    fill(model)
    inp = x_bf if bf else x_bf.transpose(0, 1)
    logits, out, hidden = model(inp)
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    key = f"{kind}_{'bf' if bf else 'sf'}_{'_'.join(sorted(kw))}"
    hs = hidden if isinstance(hidden, tuple) else (hidden,)
    res[key] = {"logits": logits.tolist(), "out_shape": list(out.shape),
                "hidden_shapes": [list(h.shape) for h in hs], "loss": loss.item(),
                "h_last": hs[0][-1].tolist(),
                "grad_ih": model.rnn.weight_ih_l0.grad.abs().sum().item(),
                "param_names": [n for n, _ in model.rnn.named_parameters()]}

# an initial hidden state, and stepping an LSTMCell / GRUCell by hand
lstm = nn.LSTM(4, 3, batch_first=True)
fill(lstm)
h0 = torch.zeros(1, 3, 3)
c0 = torch.ones(1, 3, 3) * 0.1
out, (hn, cn) = lstm(x_bf, (h0, c0))
res["lstm_h0c0"] = [hn.tolist(), cn.tolist()]
cell = nn.LSTMCell(4, 3)
gcell = nn.GRUCell(4, 3)
fill(cell)
fill(gcell)
h, c = torch.zeros(3, 3), torch.zeros(3, 3)
g = torch.zeros(3, 3)
for t in range(x_bf.size(1)):
    h, c = cell(x_bf[:, t], (h, c))
    g = gcell(x_bf[:, t], g)
res["cells"] = [h.tolist(), c.tolist(), g.tolist()]
# a short training run of a GRU classifier
model = SeqClassifier("gru", 4, 6, 2, True)
fill(model)
opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
losses = []
for step in range(10):
    opt.zero_grad()
    logits = model(x_bf)[0]
    loss = nn.CrossEntropyLoss()(logits, y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    losses.append(loss.item())
res["gru_train"] = losses
print(json.dumps(res))
