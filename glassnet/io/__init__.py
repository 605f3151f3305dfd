"""Saving and loading: safetensors checkpoints with JSON state, atomic writes, PyTorch interop.

* ``save(state_dict, path)`` / ``load(path)``: weights only, one file (``torch.save``-like).
* ``save_checkpoint(path, model=, optimizer=, scheduler=, extra=)`` / ``load_checkpoint``:
  everything a run needs to continue exactly; tensors in ``.safetensors``, the rest in a
  ``.json`` sidecar.
* ``from_torch_state_dict`` / ``to_torch_state_dict``: weights to and from PyTorch.

Every file written here carries a checksum that every load verifies (``tensor_file`` for tensor
files, ``checkpoint`` for sidecars, with the rule for files from before checksums); whatever a
load rejects raises ``CheckpointError``, a ``RuntimeError``. Nothing here uses pickle (DESIGN.md
habit 12).
"""

from glassnet.io.atomic import (
                                    atomic_write,
                                    atomic_write_bytes,
                                    atomic_write_json,
                                    atomic_write_text,
)
from glassnet.io.checkpoint import (
                                    CheckpointError,
                                    checkpoint_paths,
                                    load,
                                    load_checkpoint,
                                    read_tensors,
                                    safetensors_available,
                                    save,
                                    save_checkpoint,
                                    write_tensors,
)
from glassnet.io.interop import from_torch_state_dict, to_torch_state_dict
from glassnet.io.state import (
                                    capture_rng_state,
                                    flatten_state,
                                    json_safe,
                                    restore_rng_state,
                                    unflatten_state,
)

__all__ = ["save", "load", "save_checkpoint", "load_checkpoint", "CheckpointError",
           "checkpoint_paths", "read_tensors", "write_tensors", "safetensors_available",
           "from_torch_state_dict", "to_torch_state_dict", "flatten_state", "unflatten_state",
           "capture_rng_state", "restore_rng_state", "json_safe", "atomic_write",
           "atomic_write_bytes", "atomic_write_text", "atomic_write_json"]
