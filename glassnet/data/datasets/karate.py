"""Zachary's karate club (W. W. Zachary, J. Anthropological Research 33, 1977): a social graph.

34 members of a university karate club and the 78 friendships Zachary observed outside the club.
A dispute between the instructor ("Mr. Hi", member 0) and the administrator ("Officer", member
33) split the club in two; ``club`` records which side each member joined. The split follows
the friendship graph closely, which makes the graph the classic small test of community
detection and of semi-supervised node classification (Kipf and Welling, ICLR 2017, used it to
show what an untrained GCN's embedding already separates).
"""

from __future__ import annotations

import numpy as np

__all__ = ["karate_club"]

# the 78 undirected edges (i < j), members numbered 0..33 as in Zachary's table
_EDGES = (
    (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, 7), (0, 8), (0, 10), (0, 11), (0, 12),
    (0, 13), (0, 17), (0, 19), (0, 21), (0, 31), (1, 2), (1, 3), (1, 7), (1, 13), (1, 17),
    (1, 19), (1, 21), (1, 30), (2, 3), (2, 7), (2, 8), (2, 9), (2, 13), (2, 27), (2, 28),
    (2, 32), (3, 7), (3, 12), (3, 13), (4, 6), (4, 10), (5, 6), (5, 10), (5, 16), (6, 16),
    (8, 30), (8, 32), (8, 33), (9, 33), (13, 33), (14, 32), (14, 33), (15, 32), (15, 33),
    (18, 32), (18, 33), (19, 33), (20, 32), (20, 33), (22, 32), (22, 33), (23, 25), (23, 27),
    (23, 29), (23, 32), (23, 33), (24, 25), (24, 27), (24, 31), (25, 31), (26, 29), (26, 33),
    (27, 33), (28, 31), (28, 33), (29, 32), (29, 33), (30, 32), (30, 33), (31, 32), (31, 33),
    (32, 33),
)
# 0: Mr. Hi's side, 1: the Officer's side
_CLUB = (0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1,
         1, 1, 1, 1, 1)


def karate_club():
    """``(edge_index, club)``: the friendship graph as an int64 (2, 156) edge list (every edge
    in both directions, PyTorch Geometric's convention) and each member's side after the split,
    int64 (34,) (0: Mr. Hi, member 0; 1: the Officer, member 33)."""
    e = np.array(_EDGES, np.int64).T
    return np.concatenate([e, e[::-1]], axis=1), np.array(_CLUB, np.int64)
