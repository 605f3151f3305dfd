"""Shared helpers for the distribution tests: the distributions module of whichever library
a tensor belongs to."""

from __future__ import annotations

import torch

import glassnet as gn

D = {gn: gn.distributions, torch: torch.distributions}


def _m(x):
    return torch if isinstance(x, torch.Tensor) else gn


def _d(x):
    return D[_m(x)]
