"""LeNet-5 on Fashion-MNIST, written as a plain PyTorch-style loop and then with the Trainer.

Swap ``import glassnet as gn`` for ``import torch`` (and the names below) and this is the loop
from every PyTorch tutorial. The same run from the command line:

    glassnet train --model lenet5 --dataset fashion-mnist --epochs 10 --lr 0.01 --momentum 0.9

    python examples/03_lenet5_fashion_mnist.py [epochs]
"""

import sys

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader, datasets
from glassnet.data.transforms import Normalize
from glassnet.models import LeNet5, summary
from glassnet.train import Trainer

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
gn.manual_seed(0)
norm = Normalize((0.2860,), (0.3530,))  # Fashion-MNIST's pixel mean and standard deviation
train = datasets.get("fashion-mnist", train=True, transform=norm)
test = datasets.get("fashion-mnist", train=False, transform=norm)
train_loader = DataLoader(train, batch_size=64, shuffle=True)
test_loader = DataLoader(test, batch_size=256)

model = LeNet5("modern")
print(summary(model, (1, 28, 28)))
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()

# the loop, by hand: one epoch
model.train()
for step, (x, y) in enumerate(train_loader):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    if step % 200 == 0:
        print(f"step {step:4d}  loss {loss.item():.4f}")

# the rest with the Trainer: metrics, checkpoints, a run folder with plots and report.md
trainer = Trainer(model, optimizer, loss_fn, metrics=("accuracy",), run_dir="runs/example-lenet5")
if epochs > 1:  # ``epochs`` counts the run's total
    trainer.fit(train_loader, test_loader, epochs=epochs - 1)
print("test:", trainer.evaluate(test_loader))
