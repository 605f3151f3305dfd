"""A convolutional autoencoder: Conv2d down, ConvTranspose2d up, MSELoss, Adam."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

# compat: rtol=2e-3 atol=1e-4
rng = np.random.default_rng(2)


class AutoEncoder(nn.Module):
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


model = AutoEncoder()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.3).astype(np.float32)))

images = torch.from_numpy(rng.random((6, 1, 8, 8)).astype(np.float32))
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=1e-2)
losses = []
for epoch in range(15):
    recon, code = model(images)
    loss = criterion(recon, images)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

with torch.no_grad():
    recon, code = model(images)
res = {"losses": losses, "code_shape": list(code.shape), "recon_shape": list(recon.shape),
       "recon_sample": recon[0, 0, :2].tolist(),
       "sum_mse": nn.MSELoss(reduction="sum")(recon, images).item(),
       "decreased": losses[-1] < losses[0],
       "convT_weight_shape": list(model.decoder[0].weight.shape)}
# the transpose convolution's output size formula with an explicit output_size
up = nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1)
with torch.no_grad():
    up.weight.fill_(0.1)
    up.bias.zero_()
res["output_size"] = list(up(torch.ones(1, 2, 4, 4), output_size=[8, 8]).shape)
res["upsample_sum"] = up(torch.ones(1, 2, 4, 4)).sum().item()
print(json.dumps(res))
