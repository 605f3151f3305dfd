import numpy as np


def arr(x):
    """The ndarray of a Tensor (or the array itself)."""
    data = getattr(x, "data", None)
    return data if isinstance(data, np.ndarray) else np.asarray(x)
