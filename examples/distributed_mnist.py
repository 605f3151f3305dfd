"""LeNet-5 on Fashion-MNIST, data-parallel over K processes: the loop of PyTorch's DDP tutorial.

    mpiexec -n 2 python examples/distributed_mnist.py [--epochs 1] [--steps N] [--batch-size 64]
    python examples/distributed_mnist.py            # the same script as one process

Every rank builds the same model; DistributedDataParallel copies rank 0's weights to the others
and averages the gradients in backward, so the ranks stay identical. DistributedSampler hands
each rank its own 1/K of every epoch, and each rank's batch is ``batch_size / K`` so that one
step still sees ``batch_size`` samples in all. Only rank 0 prints. ``--steps`` stops each epoch
early (for timing); ``--threads`` caps the BLAS threads of each process.
"""

import argparse
import os
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--steps", type=int, default=None, help="optimizer steps per epoch")
parser.add_argument("--batch-size", type=int, default=64, help="global batch (all ranks)")
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--threads", type=int, default=None, help="BLAS threads per process")
args = parser.parse_args()
if args.threads:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

import glassnet as torch  # the rest is PyTorch code
import glassnet.distributed as dist
import glassnet.nn as nn  # noqa: PLR0402
from glassnet.data import datasets
from glassnet.data.transforms import Normalize
from glassnet.models import LeNet5
from glassnet.nn.parallel import DistributedDataParallel as DDP
from glassnet.utils.data import DataLoader, DistributedSampler

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
if args.batch_size % world:
    raise SystemExit(f"--batch-size {args.batch_size} must be divisible by {world} processes")
torch.manual_seed(0)

norm = Normalize((0.2860,), (0.3530,))
train = datasets.get("fashion-mnist", train=True, transform=norm)
test = datasets.get("fashion-mnist", train=False, transform=norm)
sampler = DistributedSampler(train, shuffle=True, seed=0)
loader = DataLoader(train, batch_size=args.batch_size // world, sampler=sampler)
test_loader = DataLoader(test, batch_size=500, sampler=DistributedSampler(test, shuffle=False))

model = DDP(LeNet5("modern"))
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(args.epochs):
    sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
    model.train()
    dist.barrier()
    start = time.perf_counter()
    steps = 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()  # gradients averaged across the ranks here
        optimizer.step()
        steps += 1
        if rank == 0 and steps % 100 == 0:
            print(f"epoch {epoch} step {steps:4d}  loss {loss.item():.4f}", flush=True)
        if args.steps is not None and steps >= args.steps:
            break
    dist.barrier()
    seconds = time.perf_counter() - start

    # accuracy: each rank counts its share of the test set, all_reduce adds the counts
    model.eval()
    counts = torch.zeros(2)
    with torch.no_grad():
        for x, y in test_loader:
            counts += torch.tensor([(model(x).argmax(1) == y).sum().item(), len(y)])
    dist.all_reduce(counts)
    if rank == 0:
        print(f"epoch {epoch}: {steps} steps of {args.batch_size} samples on {world} "
              f"process(es) in {seconds:.1f} s ({steps * args.batch_size / seconds:.0f} "
              f"samples/s); test accuracy {counts[0].item() / counts[1].item():.4f}",
              flush=True)

dist.destroy_process_group()
