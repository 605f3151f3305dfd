"""Zachary's karate club (glassnet/data/datasets/karate.py)."""

import numpy as np

from glassnet.data.datasets import karate_club


def test_karate_club_graph():
    ei, club = karate_club()
    assert ei.shape == (2, 156) and ei.dtype == np.int64 and club.shape == (34,)
    pairs = {tuple(p) for p in ei.T.tolist()}
    assert len(pairs) == 156 and all((b, a) in pairs for a, b in pairs)  # undirected
    deg = np.bincount(ei[0], minlength=34)
    assert deg[0] == 16 and deg[33] == 17 and deg.min() == 1  # the two leaders are the hubs
    assert club[0] == 0 and club[33] == 1 and club.sum() == 17
