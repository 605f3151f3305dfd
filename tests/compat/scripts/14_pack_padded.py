"""Variable-length sequences: pad_sequence, pack_padded_sequence, pad_packed_sequence, LSTM."""
import json

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

# compat: rtol=5e-4 atol=5e-5
rng = np.random.default_rng(8)
lengths = [5, 2, 4]
seqs = [torch.from_numpy(rng.standard_normal((n, 3)).astype(np.float32)) for n in lengths]
padded = pad_sequence(seqs, batch_first=True)
res = {"padded_shape": list(padded.shape), "pad_zero": padded[1, 2:].abs().sum().item()}
padded_sf = pad_sequence(seqs, padding_value=-1.0)
res["padded_sf"] = [list(padded_sf.shape), padded_sf[4, 1].tolist()]

lstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
with torch.no_grad():
    for p in lstm.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.5).astype(np.float32)))

packed = pack_padded_sequence(padded, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
res["batch_sizes"] = packed.batch_sizes.tolist()
res["packed_data_shape"] = list(packed.data.shape)
out_packed, (hn, cn) = lstm(packed)
out, out_lengths = pad_packed_sequence(out_packed, batch_first=True)
res["out_shape"] = list(out.shape)
res["out_lengths"] = out_lengths.tolist()
res["out_padding_zero"] = out[1, 2:].abs().sum().item()
res["hn"] = hn.tolist()
res["cn_shape"] = list(cn.shape)
# the last valid step of the forward direction equals the forward final hidden state
last_fw = torch.stack([out[i, n - 1, :4] for i, n in enumerate(lengths)])
res["last_matches_hn"] = torch.allclose(last_fw, hn[0], atol=1e-6)

# each sequence run alone gives the same output as the packed batch
solo = [lstm(s.unsqueeze(0))[0][0] for s in seqs]
res["solo_matches"] = all(torch.allclose(solo[i], out[i, :n], atol=1e-5)
                          for i, n in enumerate(lengths))

# sorted input, time-major
order = sorted(range(3), key=lambda i: -lengths[i])
sorted_seqs = [seqs[i] for i in order]
p2 = pack_padded_sequence(pad_sequence(sorted_seqs), [lengths[i] for i in order])
gru = nn.GRU(3, 2)
with torch.no_grad():
    for p in gru.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.5).astype(np.float32)))
o2, h2 = gru(p2)
o2, l2 = pad_packed_sequence(o2, total_length=6)
res["gru_sorted"] = [list(o2.shape), l2.tolist(), h2.tolist()]

# gradients flow through the packed path
loss = hn.pow(2).sum() + out.sum()
loss.backward()
res["grad_sum"] = lstm.weight_hh_l0.grad.sum().item()
res["grad_reverse"] = lstm.weight_ih_l0_reverse.grad.abs().sum().item()
print(json.dumps(res))
