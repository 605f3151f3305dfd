"""The PyTorch quickstart's train(dataloader, ...) / test(dataloader, ...) on a toy set."""
import json

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def dtype_name(dt):
    names = {torch.float16: "float16", torch.float32: "float32", torch.float64: "float64",
             torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool"}
    return names[dt]

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(29)
X = rng.standard_normal((60, 1, 6, 6)).astype(np.float32)
y = (X.reshape(60, -1).mean(1) > 0).astype(np.int64) + (X[:, 0, 0, 0] > 1)
training_data = TensorDataset(torch.from_numpy(X[:48]), torch.from_numpy(y[:48]))
test_data = TensorDataset(torch.from_numpy(X[48:]), torch.from_numpy(y[48:]))
batch_size = 16
train_dataloader = DataLoader(training_data, batch_size=batch_size)
test_dataloader = DataLoader(test_data, batch_size=batch_size)
for X_b, y_b in test_dataloader:
    shape_info = [list(X_b.shape), list(y_b.shape), dtype_name(y_b.dtype)]
    break

device = "cuda" if torch.cuda.is_available() else "cpu"


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(36, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.3).astype(np.float32)))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    seen = 0
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        seen += len(X)
    return loss.item(), seen == size


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    return test_loss, correct


history = []
for t in range(6):
    last_loss, all_seen = train(train_dataloader, model, loss_fn, optimizer)
    history.append([last_loss, all_seen, *test(test_dataloader, model, loss_fn)])

model.eval()
x_one, y_one = test_data[0][0], test_data[0][1]
with torch.no_grad():
    pred = model(x_one.unsqueeze(0))
    predicted = pred[0].argmax(0).item()
res = {"shape_info": shape_info, "history": history, "predicted": predicted,
       "actual": y_one.item(), "n_train": len(training_data)}
print(json.dumps(res))
