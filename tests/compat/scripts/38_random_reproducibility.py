"""Randomness from a course's "reproducibility" cell: manual_seed, Generator objects passed as
generator=, get_rng_state/set_rng_state, fork_rng-free replays, and the shapes, dtypes and ranges
of rand/randn/randint/randperm/multinomial/bernoulli/normal/random_. (The streams themselves are
each library's own: only properties of the draws are compared.)"""
import json

import torch

res = {}
torch.manual_seed(0)
a = torch.rand(3, 4)
torch.manual_seed(0)
b = torch.rand(3, 4)
res["same_seed_same_draws"] = torch.equal(a, b)
res["next_differs"] = not torch.equal(torch.rand(3, 4), a)

g = torch.Generator().manual_seed(42)
g2 = torch.Generator()
g2.manual_seed(42)
r1 = torch.randn(5, generator=g)
r2 = torch.randn(5, generator=g2)
res["generator_objects"] = [torch.equal(r1, r2), g.initial_seed(), list(r1.shape),
                            r1.dtype == torch.float32]
state = torch.get_rng_state()
c = torch.randn(4)
torch.set_rng_state(state)
d = torch.randn(4)
res["rng_state_replay"] = torch.equal(c, d)
gs = g.get_state()
e = torch.rand(3, generator=g)
g.set_state(gs)
res["generator_state_replay"] = torch.equal(e, torch.rand(3, generator=g))

u = torch.rand(1000)
n = torch.randn(2000, dtype=torch.float64)
res["rand"] = [bool(u.min() >= 0), bool(u.max() < 1), abs(u.mean().item() - 0.5) < 0.05,
               n.dtype == torch.float64, abs(n.mean().item()) < 0.1, abs(n.std().item() - 1) < 0.1]
ri = torch.randint(3, 9, (200,))
res["randint"] = [ri.dtype == torch.int64, int(ri.min()) >= 3, int(ri.max()) <= 8,
                  len(torch.unique(ri)) == 6, list(torch.randint(5, (2, 3)).shape),
                  torch.randint(0, 2, (4,), dtype=torch.int32).dtype == torch.int32,
                  list(torch.randint_like(torch.zeros(2, 2), 10).shape)]
perm = torch.randperm(10, generator=g)
res["randperm"] = [sorted(perm.tolist()), perm.dtype == torch.int64, torch.randperm(0).numel()]
probs = torch.tensor([0.0, 0.2, 0.8])
mn = torch.multinomial(probs, 100, replacement=True, generator=g)
res["multinomial"] = [mn.dtype == torch.int64, 0 not in mn.tolist(), list(mn.shape),
                      sorted(torch.multinomial(torch.tensor([1.0, 1, 1, 1]), 4).tolist()),
                      list(torch.multinomial(torch.ones(2, 5), 3).shape),
                      (torch.bincount(mn, minlength=3)[2] > 60).item()]
bern = torch.bernoulli(torch.full((500,), 0.3), generator=g)
res["bernoulli"] = [sorted(torch.unique(bern).tolist()), bern.dtype == torch.float32,
                    abs(bern.mean().item() - 0.3) < 0.08,
                    torch.bernoulli(torch.tensor([0.0, 1.0, 1.0])).tolist(),
                    torch.empty(4).bernoulli_(1.0).tolist()]
nm = torch.normal(mean=torch.full((300,), 3.0), std=0.1)
res["normal"] = [abs(nm.mean().item() - 3) < 0.05, list(torch.normal(0.0, 1.0, size=(2, 3)).shape),
                 abs(torch.empty(400).normal_(5, 2).mean().item() - 5) < 0.5,
                 bool((torch.empty(100).uniform_(-2, -1) < -1).all()),
                 sorted(set(torch.empty(300).random_(0, 3).long().tolist())),
                 bool((torch.empty(50).exponential_() > 0).all()),
                 list(torch.rand_like(torch.zeros(2, 3, dtype=torch.float64)).shape),
                 torch.randn_like(torch.zeros(2, dtype=torch.float64)).dtype == torch.float64]
# dropout masks drawn under one seed replay under the same seed
torch.manual_seed(7)
m1 = torch.nn.functional.dropout(torch.ones(20), p=0.5)
torch.manual_seed(7)
m2 = torch.nn.functional.dropout(torch.ones(20), p=0.5)
res["dropout_replay"] = [torch.equal(m1, m2), sorted(set(m1.tolist())) in ([0.0, 2.0], [2.0],
                                                                          [0.0])]
print(json.dumps(res))
