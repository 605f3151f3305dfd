"""A convolutional autoencoder: strided Conv2d encoder, ConvTranspose2d decoder with
output_padding, an Upsample + Conv decoder variant (nearest and bilinear, align_corners both ways),
F.interpolate with size and scale_factor, Sigmoid output and BCE/MSE reconstruction losses."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(47)


def fill(m, scale=0.3):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * scale)
                                     .astype(np.float32)))
    return m


class AE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z


class UpAE(nn.Module):
    def __init__(self, mode, align):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Tanh())
        kw = {} if mode == "nearest" else {"align_corners": align}
        self.dec = nn.Sequential(nn.Upsample(scale_factor=2, mode=mode, **kw),
                                 nn.Conv2d(4, 1, 3, padding=1))

    def forward(self, x):
        return self.dec(self.enc(x))


x = torch.from_numpy(rng.uniform(0, 1, (3, 1, 8, 8)).astype(np.float32))
ae = fill(AE())
opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
log = []
for step in range(5):
    opt.zero_grad()
    recon, z = ae(x)
    loss = F.binary_cross_entropy(recon, x)
    loss.backward()
    opt.step()
    log.append(loss.item())
res = {"ae": [log, list(z.shape), list(recon.shape)]}
for mode, align in [("nearest", None), ("bilinear", False), ("bilinear", True)]:
    m = fill(UpAE(mode, align))
    out = m(x)
    loss = F.mse_loss(out, x)
    loss.backward()
    res[f"up_{mode}_{align}"] = [loss.item(), m.dec[1].weight.grad.abs().sum().item(),
                                 m.enc[0].weight.grad.abs().sum().item()]
img = torch.arange(16.0).view(1, 1, 4, 4)
res["interp"] = [F.interpolate(img, size=(6, 6), mode="bilinear", align_corners=False)[0, 0, 1]
                 .tolist(),
                 F.interpolate(img, scale_factor=0.5, mode="nearest")[0, 0].tolist(),
                 F.interpolate(img, size=5, mode="nearest")[0, 0, 2].tolist(),
                 F.interpolate(img, scale_factor=1.5, mode="bicubic", align_corners=True)[0, 0, 1]
                 .tolist(),
                 F.interpolate(img, size=(3, 3), mode="area")[0, 0].tolist(),
                 F.interpolate(img.view(1, 4, 4), size=7, mode="linear")[0, 1].tolist(),
                 F.interpolate(img, scale_factor=2, mode="nearest-exact")[0, 0, 0].tolist()]
res["pixel_shuffle"] = [F.pixel_shuffle(torch.arange(16.0).view(1, 4, 2, 2), 2)[0, 0].tolist(),
                        nn.PixelUnshuffle(2)(img)[0, :, 0, 0].tolist()]
ct = fill(nn.ConvTranspose2d(2, 3, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0),
                             dilation=(1, 2), groups=1))
inp = torch.from_numpy(rng.standard_normal((1, 2, 3, 3)).astype(np.float32))
o = ct(inp)
res["convT"] = [list(o.shape), o.sum().item(), list(ct(inp, output_size=[6, 5]).shape)]
print(json.dumps(res))
