"""Receptive fields: how much of the digit one unit of each layer sees.

Lecture 002 "Receptive fields": r_out = r_in + (k - 1) * dilation * j_in and j_out = j_in * stride,
layer after layer. The table is that recurrence for LeNet-5; the check below asks the network
itself: the gradient of one central unit with respect to the input is non-zero exactly on its
field, and its size (the "effective receptive field") fades from the centre outwards.

    python examples/analysis_receptive_fields.py
"""

from glassnet import nn
from glassnet.analysis import empirical_receptive_field, receptive_field
from glassnet.models import LeNet5

print(receptive_field(LeNet5("modern"), (1, 28, 28)))

features = LeNet5("modern").features[:6]  # C1 .. S4: each S4 unit sees 16 x 16 pixels
emp = empirical_receptive_field(features, (1, 28, 28), probes=256, generator=0)
print(f"\ngradient of S4 unit {emp.unit}: non-zero on rows/columns {emp.bbox}, size {emp.size}")
g = emp.gradient[emp.bbox[0][0]:emp.bbox[0][1] + 1, emp.bbox[1][0]:emp.bbox[1][1] + 1]
print("its magnitude (the effective receptive field), darkest = largest:")
for row in g / g.max():
    print("  " + "".join(" .:-=+*#%@"[min(9, int(10 * v))] for v in row))

print("\ndilation grows the field exponentially with depth, at the same number of weights:")
for dilations in ((1, 1, 1, 1), (1, 2, 4, 8)):
    stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=d, dilation=d) for d in dilations])
    t = receptive_field(stack, (1, 64, 64))
    print(f"  dilations {dilations}: fields {[r['receptive_field'] for r in t[1:]]}, "
          f"measured {empirical_receptive_field(stack, (1, 64, 64)).size[0]}")
