"""The complete loop of a course project: a Dataset built from NumPy, train/val split by index,
DataLoaders (unshuffled so both libraries see the same batches), a model with BatchNorm1d and
Dropout(p=0), gradient accumulation over two batches, ReduceLROnPlateau on the validation loss,
early stopping with the best state_dict kept by deepcopy, and accuracy/confusion matrix at the end."""
import copy
import json

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, Subset

# compat: rtol=2e-3 atol=2e-4
rng = np.random.default_rng(59)
centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
labels_np = rng.integers(0, 3, 90)
points = centers[labels_np] + rng.normal(0, 0.9, (90, 2))


class Blobs(Dataset):
    def __init__(self, x, y):
        self.x = torch.tensor(x, dtype=torch.float32)
        self.y = torch.tensor(y, dtype=torch.long)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


ds = Blobs(points, labels_np)
train_ds, val_ds = Subset(ds, range(0, 60)), Subset(ds, range(60, 90))
train_dl = DataLoader(train_ds, batch_size=8, shuffle=False)
val_dl = DataLoader(val_ds, batch_size=16)

model = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.0),
                      nn.Linear(16, 3))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5,
                                                       patience=1)
accum = 2
best_loss, best_state, patience, bad_epochs = float("inf"), None, 3, 0
history = []
for epoch in range(12):
    model.train()
    running, seen = 0.0, 0
    optimizer.zero_grad()
    for i, (xb, yb) in enumerate(train_dl):
        loss = criterion(model(xb), yb) / accum
        loss.backward()
        if (i + 1) % accum == 0 or i + 1 == len(train_dl):
            optimizer.step()
            optimizer.zero_grad()
        running += loss.item() * accum * xb.size(0)
        seen += xb.size(0)
    model.eval()
    val_loss, correct = 0.0, 0
    with torch.no_grad():
        for xb, yb in val_dl:
            out = model(xb)
            val_loss += criterion(out, yb).item() * xb.size(0)
            correct += (out.argmax(1) == yb).sum().item()
    val_loss /= len(val_ds)
    scheduler.step(val_loss)
    history.append([running / seen, val_loss, correct / len(val_ds),
                    optimizer.param_groups[0]["lr"]])
    if val_loss < best_loss - 1e-4:
        best_loss, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
    else:
        bad_epochs += 1
        if bad_epochs >= patience:
            break
res = {"history": history, "stopped_at": epoch, "best_loss": best_loss}
model.load_state_dict(best_state)
model.eval()
with torch.no_grad():
    preds = torch.cat([model(xb).argmax(1) for xb, _ in val_dl])
truth = torch.cat([yb for _, yb in val_dl])
conf = torch.zeros(3, 3, dtype=torch.long)
for t, p in zip(truth, preds):
    conf[t, p] += 1
res["confusion"] = conf.tolist()
res["accuracy"] = (preds == truth).float().mean().item()
res["per_class"] = (conf.diag().float() / conf.sum(1).clamp(min=1).float()).tolist()
res["best_is_copy"] = best_state["0.weight"].data_ptr() != model[0].weight.data_ptr()
print(json.dumps(res))
