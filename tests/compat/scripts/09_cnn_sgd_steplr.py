"""A small CNN classifier: Conv2d, MaxPool2d, Flatten, Linear, CrossEntropyLoss, SGD momentum,
StepLR."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

# compat: rtol=1e-3 atol=1e-4
torch.manual_seed(0)
rng = np.random.default_rng(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


net = Net()
state = {k: torch.from_numpy((rng.standard_normal(tuple(v.shape)) * 0.3).astype(np.float32))
         for k, v in net.state_dict().items()}
net.load_state_dict(state)

images = torch.from_numpy(rng.standard_normal((24, 1, 12, 12)).astype(np.float32))
labels = torch.from_numpy(rng.integers(0, 3, 24)).long()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

history = []
for epoch in range(4):
    running_loss = 0.0
    correct = 0
    total = 0
    for i in range(0, 24, 8):
        inputs, targets = images[i:i + 8], labels[i:i + 8]
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        _, predicted = torch.max(outputs.data, 1)
        total += targets.size(0)
        correct += (predicted == targets).sum().item()
    scheduler.step()
    history.append({"loss": running_loss / 3, "acc": correct / total,
                    "lr": scheduler.get_last_lr()[0]})

net.eval()
with torch.no_grad():
    logits = net(images)
    probs = F.softmax(logits, dim=1)
res = {"history": history, "probs": probs[:4].tolist(),
       "final_acc": logits.argmax(1).eq(labels).sum().item() / 24,
       "conv1_grad_norm": net.conv1.weight.grad.norm().item(),
       "lr_group": optimizer.param_groups[0]["lr"]}
print(json.dumps(res))
