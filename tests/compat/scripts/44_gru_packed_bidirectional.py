"""Recurrent nets on variable-length batches: pack_padded_sequence with enforce_sorted=False,
pack_sequence, a 2-layer bidirectional GRU given h0, pad_packed_sequence with total_length, the
PackedSequence fields, gathering the last valid step, and an RNN(tanh/relu) with batch_first."""
import json

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import (pack_padded_sequence, pack_sequence, pad_packed_sequence,
                                pad_sequence)

# compat: rtol=5e-4 atol=5e-5
rng = np.random.default_rng(44)


def fill(m, scale=0.4):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * scale)
                                     .astype(np.float32)))
    return m


lengths = torch.tensor([3, 5, 2, 4])
seqs = [torch.from_numpy(rng.standard_normal((int(n), 3)).astype(np.float32)) for n in lengths]
padded = pad_sequence(seqs, batch_first=True)
packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
res = {"batch_sizes": packed.batch_sizes.tolist(), "sorted_indices": packed.sorted_indices.tolist(),
       "unsorted_indices": packed.unsorted_indices.tolist(), "data_shape": list(packed.data.shape)}

gru = fill(nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True))
h0 = torch.from_numpy(rng.standard_normal((4, 4, 4)).astype(np.float32) * 0.1)
h0.requires_grad_(True)
out_packed, hn = gru(packed, h0)
out, out_lens = pad_packed_sequence(out_packed, batch_first=True, total_length=6)
res["out"] = [list(out.shape), out_lens.tolist(), out[2, 2:].abs().sum().item(),
              out[1, -1].abs().sum().item(), out.sum(dim=(1, 2)).tolist()]
res["hn"] = [list(hn.shape), hn[-1].tolist(), hn[-2].tolist()]
# last valid step of the forward direction equals the last layer's forward final state
idx = (lengths - 1).view(-1, 1, 1).expand(-1, 1, 8)
last = out.gather(1, idx).squeeze(1)
res["last_eq_hn"] = torch.allclose(last[:, :4], hn[-2], atol=1e-6)
res["first_eq_hn_bwd"] = torch.allclose(out[:, 0, 4:], hn[-1], atol=1e-6)
(out.pow(2).sum() + hn.sum()).backward()
res["grads"] = [h0.grad.abs().sum().item(), gru.weight_hh_l1_reverse.grad.abs().sum().item(),
                gru.bias_ih_l0.grad.tolist()]

# pack_sequence of already sorted sequences and an LSTM over it
ps = pack_sequence(sorted(seqs, key=len, reverse=True))
lstm = fill(nn.LSTM(3, 2))
o, (h, c) = lstm(ps)
unpacked, lens = pad_packed_sequence(o)
res["lstm_packed"] = [list(unpacked.shape), lens.tolist(), h.squeeze(0).tolist(),
                      c.squeeze(0).tolist()]
# unsorted pack_sequence keeps original order in h
ps2 = pack_sequence(seqs, enforce_sorted=False)
_, (h2, _) = lstm(ps2)
res["unsorted_h"] = h2.squeeze(0).tolist()

rnn = fill(nn.RNN(3, 5, num_layers=2, nonlinearity="relu", batch_first=True, dropout=0.0))
o, h = rnn(padded)
res["rnn_relu"] = [list(o.shape), list(h.shape), o[:, -1].tolist(), bool((o >= 0).all())]
cell = fill(nn.GRUCell(3, 4))
hx = torch.zeros(4, 4)
steps = []
for t in range(padded.shape[1]):
    hx = cell(padded[:, t], hx)
    steps.append(hx[0, 0].item())
res["grucell"] = [steps, hx.tolist()]
print(json.dumps(res))
