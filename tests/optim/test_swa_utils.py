"""swa_utils: AveragedModel (SWA and EMA), update_bn and SWALR against torch.optim.swa_utils."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.optim import swa_utils as tswa

import glassnet as gn
import glassnet.nn as gnn
from glassnet.optim import swa_utils as gswa


def _pair_models(seed=0):
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                             torch.nn.Linear(4, 2)).double()
    gm = gnn.Sequential(gnn.Linear(3, 4), gnn.BatchNorm1d(4), gnn.ReLU(), gnn.Linear(4, 2))
    gm.load_state_dict({k: gn.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    gm.double()
    return gm, tm


def _perturb(gm, tm, t):
    rng = np.random.default_rng(t)
    for (name, gp), (_, tp) in zip(gm.named_parameters(), tm.named_parameters()):
        delta = rng.standard_normal(gp.shape)
        gp._data[...] += delta
        with torch.no_grad():
            tp += torch.tensor(delta)
    x = rng.standard_normal((8, 3))
    gm(gn.tensor(x))        # training mode: the running statistics move
    tm(torch.tensor(x))


def _state_close(gavg, tavg, rtol=1e-12, atol=1e-12):
    gsd, tsd = gavg.state_dict(), tavg.state_dict()
    assert list(gsd) == list(tsd)
    for k, v in tsd.items():
        np.testing.assert_allclose(np.asarray(gsd[k]._data), v.numpy(), rtol=rtol, atol=atol,
                                   err_msg=k)


@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema_single", "swa_multi", "buffers"])
def test_averaged_model_matches_torch(kind):
    gm, tm = _pair_models()
    kw_g, kw_t = {}, {}
    if kind == "ema_multi":
        kw_g["multi_avg_fn"], kw_t["multi_avg_fn"] = (gswa.get_ema_multi_avg_fn(0.9),
                                                      tswa.get_ema_multi_avg_fn(0.9))
    elif kind == "ema_single":
        kw_g["avg_fn"], kw_t["avg_fn"] = gswa.get_ema_avg_fn(0.8), tswa.get_ema_avg_fn(0.8)
    elif kind == "swa_multi":
        kw_g["multi_avg_fn"], kw_t["multi_avg_fn"] = (gswa.get_swa_multi_avg_fn(),
                                                      tswa.get_swa_multi_avg_fn())
    elif kind == "buffers":
        kw_g["use_buffers"] = kw_t["use_buffers"] = True
    gavg, tavg = gswa.AveragedModel(gm, **kw_g), tswa.AveragedModel(tm, **kw_t)
    for t in range(6):
        _perturb(gm, tm, t)
        gavg.update_parameters(gm)
        tavg.update_parameters(tm)
    assert int(gavg.n_averaged._data) == 6
    _state_close(gavg, tavg)
    x = np.random.default_rng(9).standard_normal((5, 3))
    gavg.eval()
    tavg.eval()
    np.testing.assert_allclose(gavg(gn.tensor(x))._data, tavg(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_averaged_model_is_a_copy_and_update_bn_matches_torch():
    gm, tm = _pair_models(1)
    gavg, tavg = gswa.AveragedModel(gm), tswa.AveragedModel(tm)
    assert gavg.module is not gm and gavg.module[0].weight is not gm[0].weight
    for t in range(3):
        _perturb(gm, tm, t)
        gavg.update_parameters(gm)
        tavg.update_parameters(tm)
    rng = np.random.default_rng(3)
    data = [rng.standard_normal((6, 3)) for _ in range(4)]
    gswa.update_bn([(gn.tensor(x), 0) for x in data], gavg)
    tswa.update_bn([(torch.tensor(x), 0) for x in data], tavg)
    _state_close(gavg, tavg, rtol=1e-10, atol=1e-12)
    assert gavg.module[1].momentum == 0.1 and gavg.training
    gswa.update_bn([gn.tensor(data[0])], gnn.Linear(3, 1))   # no batch norm: nothing to do


@pytest.mark.parametrize("strategy,anneal", [("cos", 5), ("linear", 3), ("cos", 0)])
def test_swalr_matches_torch(strategy, anneal):
    gp = gn.zeros(2, requires_grad=True)
    tp = torch.zeros(2, requires_grad=True)
    gopt = gn.optim.SGD([{"params": [gp]}, {"params": [gn.zeros(1, requires_grad=True)],
                                            "lr": 0.3}], lr=1.0)
    topt = torch.optim.SGD([{"params": [tp]}, {"params": [torch.zeros(1, requires_grad=True)],
                                               "lr": 0.3}], lr=1.0)
    gs = gswa.SWALR(gopt, swa_lr=[0.05, 0.1], anneal_epochs=anneal, anneal_strategy=strategy)
    ts = tswa.SWALR(topt, swa_lr=[0.05, 0.1], anneal_epochs=anneal, anneal_strategy=strategy)
    for _ in range(8):
        np.testing.assert_allclose(gs.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
        gopt.step()
        topt.step()
        gs.step()
        ts.step()
    sd = gs.state_dict()
    gs2 = gswa.SWALR(gopt, swa_lr=0.5)
    gs2.load_state_dict(sd)
    assert gs2.anneal_epochs == anneal and gs2.anneal_func(1.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        gswa.SWALR(gopt, swa_lr=0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="decay"):
        gswa.get_ema_avg_fn(1.5)
