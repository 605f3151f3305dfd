"""Parameters as one flat vector, and back (``torch.nn.utils.parameters_to_vector``)."""

from __future__ import annotations

from glassnet.functions import cat
from glassnet.tensor import Tensor


def parameters_to_vector(parameters):
    """Concatenate the parameters, each flattened, into one 1-D Tensor (differentiable).

    Shape: parameters of sizes n_1, ..., n_k give a vector of n_1 + ... + n_k entries.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    device = None
    for p in parameters:
        if device is None:
            device = p.device
        elif p.device != device:
            raise TypeError(f"parameters_to_vector: found two parameters on different devices, "
                            f"{device} and {p.device}")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place.

    Unlike PyTorch, which rebinds each ``param.data`` to a view of ``vec``, the values are copied
    into each parameter's own array, so references to it (a ``state_dict``, an optimiser's state)
    stay valid.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got: "
                        f"{type(vec).__name__}")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vector_to_parameters: vec has shape {tuple(vec.shape)}, expected "
                         f"({total},) for parameters with {total} elements in all")
    data = vec._data
    pointer = 0
    for p in parameters:
        n = p.numel()
        p._data[...] = data[pointer:pointer + n].reshape(p.shape)
        pointer += n
