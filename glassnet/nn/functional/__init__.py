"""Stateless neural-network maths with PyTorch's names (``import glassnet.nn.functional as F``)."""

# --- activations, losses, normalisation, dropout, linear (activation.py, loss.py, ...) ---
# --- end activations ---

# --- convolution, padding, pooling, sampling (conv.py, padding.py, pooling.py, sampling.py) ---
# --- end convolution ---
