"""A linear-regression chapter: the normal equations, torch.linalg.lstsq (tall and rank-deficient
design matrices), pinv, solve, polynomial features built with torch.stack/pow and vander, ridge
regression with an identity, and gradient descent reaching the same solution."""
import json

import numpy as np
import torch

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(50)
n = 20
x = torch.from_numpy(rng.uniform(-1, 1, n).astype(np.float32))
y = 2.0 - 1.5 * x + 0.5 * x ** 2 + torch.from_numpy(rng.normal(0, 0.05, n).astype(np.float32))
X = torch.stack([torch.ones_like(x), x, x ** 2], dim=1)
res = {}
w_normal = torch.linalg.solve(X.T @ X, X.T @ y)
w_inv = torch.inverse(X.T @ X) @ X.T @ y
sol = torch.linalg.lstsq(X, y.unsqueeze(1))
w_pinv = torch.linalg.pinv(X) @ y
res["fits"] = [w_normal.tolist(), w_inv.tolist(), sol.solution.squeeze(1).tolist(),
               sol.rank.item(), w_pinv.tolist()]
res["lstsq_gelsd"] = [[t.tolist() for t in torch.linalg.lstsq(X, y.unsqueeze(1), driver="gelsd")]]
# a duplicated column: rank deficient; lstsq and pinv give the minimum-norm solution
Xd = torch.cat([X, X[:, 1:2]], dim=1)
sd = torch.linalg.lstsq(Xd, y.unsqueeze(1))
res["rank_deficient"] = [sd.rank.item(), sd.solution.squeeze(1).tolist(),
                         (torch.linalg.pinv(Xd) @ y).tolist(),
                         torch.linalg.matrix_rank(Xd).item()]
V = torch.vander(x, N=3, increasing=True)
res["vander_same"] = torch.allclose(V, X)
lam = 0.1
w_ridge = torch.linalg.solve(X.T @ X + lam * torch.eye(3), X.T @ y)
res["ridge"] = w_ridge.tolist()
res["residual"] = torch.linalg.norm(X @ w_normal - y).item()
res["r2"] = (1 - ((X @ w_normal - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()).item()

w = torch.zeros(3, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.5)
for step in range(300):
    opt.zero_grad()
    loss = ((X @ w - y) ** 2).mean()
    loss.backward()
    opt.step()
res["gd"] = [w.detach().tolist(), loss.item(), torch.allclose(w.detach(), w_normal, atol=1e-2)]
# the same with an explicit weight update and no optimizer
w2 = torch.zeros(3, 1, requires_grad=True)
for step in range(50):
    loss = torch.mean((X @ w2 - y.view(-1, 1)) ** 2)
    loss.backward()
    with torch.no_grad():
        w2 -= 0.5 * w2.grad
        w2.grad.zero_()
res["manual"] = w2.squeeze().tolist()
cov = torch.linalg.inv(X.T @ X) * ((X @ w_normal - y) ** 2).sum() / (n - 3)
res["stderr"] = cov.diagonal().sqrt().tolist()
res["cond"] = torch.linalg.cond(X).item()
res["qr"] = torch.linalg.solve_triangular(torch.linalg.qr(X).R, (torch.linalg.qr(X).Q.T @ y)
                                          .unsqueeze(1), upper=True).squeeze(1).tolist()
print(json.dumps(res))
