"""PyTorch state-dict interop through NumPy (torch is imported only when these are called).

``from_torch_state_dict(torch_model.state_dict())`` gives glassnet Tensors with the same names,
shapes and dtypes, ready for ``glassnet_model.load_state_dict``; ``to_torch_state_dict`` goes
the other way. Since glassnet's layers use PyTorch's parameter names and layouts (``weight`` of
a Linear is ``(out_features, in_features)``, of a Conv2d ``(out, in/groups, kH, kW)``), the
same architecture loads the other framework's weights unchanged.
"""

from __future__ import annotations

import numpy as np

from glassnet.io.state import to_numpy

__all__ = ["from_torch_state_dict", "to_torch_state_dict"]


def from_torch_state_dict(torch_state_dict, as_numpy: bool = False) -> dict:
    """``{name: torch.Tensor}`` -> ``{name: glassnet Tensor}`` (or NumPy arrays), same order.

    bfloat16 tensors, which NumPy cannot hold, become float32.
    """
    out = {}
    for k, v in torch_state_dict.items():
        if type(v).__module__.startswith("torch"):
            v = v.detach().cpu()
            if str(v.dtype) == "torch.bfloat16":
                v = v.float()
            a = np.array(v.numpy(), copy=True)
        else:
            a = to_numpy(v).copy()
        out[k] = a
    if as_numpy:
        return out
    from glassnet.tensor import Tensor

    return {k: Tensor(a) for k, a in out.items()}


def to_torch_state_dict(state_dict) -> dict:
    """``{name: glassnet Tensor or array}`` -> ``{name: torch.Tensor}`` (copies, same dtypes)."""
    import torch

    return {k: torch.from_numpy(np.array(to_numpy(v), copy=True)) for k, v in state_dict.items()}
