"""The curse of dimensionality in numbers: rinds, half-lengths and distances that all look alike.

Lecture 000/003: in d dimensions the shell of a cube holds almost all of its volume, half of a
uniformly spread "pizza" lies within a hair of its crust, and the distances between random points
bunch up around one value (on the torus: 0.58 of its diameter), so "near" and "far" stop meaning
much. Every number below is a closed form checked by Monte Carlo.

    python examples/analysis_curse_of_dimensionality.py
"""

import numpy as np

from glassnet.analysis import (curse_of_dimensionality_table, half_length, pairwise_distances,
                               rind_volume_fraction, rind_volume_fraction_mc)

print(curse_of_dimensionality_table((1, 2, 3, 10, 100, 350, 1000), eps=0.01, generator=0))

print("\nrind of thickness 0.05: closed form 1 - (1 - 2 eps)^d vs 100,000 random points")
for d in (2, 10, 50):
    print(f"  d={d:3d}  {rind_volume_fraction(d, 0.05):.4f}  "
          f"{rind_volume_fraction_mc(d, 0.05, generator=d):.4f}")

print("\nhalf-length 2^(-1/n) and the lecture's approximation 1 - 0.7/n")
for n in (2, 3, 350):
    print(f"  n={n:3d}  {half_length(n):.4f}  {1 - 0.7 / n:.4f}")

print("\ndistances between 300 random points of the d-torus, divided by its diameter sqrt(d)/2")
rng = np.random.default_rng(0)
bins = np.linspace(0, 1, 21)
for d in (2, 10, 100, 1000):
    dist = pairwise_distances(rng.random((300, d)), torus=True) / (np.sqrt(d) / 2)
    hist, _ = np.histogram(dist, bins)
    bar = "".join(" .:-=+*#%@"[min(9, int(10 * h / hist.max()))] for h in hist)
    print(f"  d={d:4d}  |{bar}|  mean {dist.mean():.3f}  std {dist.std():.3f}")
print(" " * 11 + "0" + " " * 18 + "1   (the mean tends to 1/sqrt(3) = 0.577)")
