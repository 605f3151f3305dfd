"""``glassnet.cuda``: is a GPU usable here? (the CuPy backend; see glassnet/backend.py)."""

from __future__ import annotations

import functools
from types import SimpleNamespace

from . import amp as _amp
from . import backend


def is_available() -> bool:
    """True when CuPy is installed and sees at least one NVIDIA GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    if not is_available():
        return 0
    return int(backend._cupy.cuda.runtime.getDeviceCount())


def synchronize() -> None:
    """Wait for queued GPU work to finish (for timing); a no-op without a GPU."""
    if is_available():
        backend._cupy.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    """glassnet has one generator for every device: this seeds it (like gn.manual_seed)."""
    backend.manual_seed(seed)


manual_seed_all = manual_seed


def current_device() -> int:
    """Index of the GPU in use (0 without one, as CuPy's default)."""
    return int(backend._cupy.cuda.Device().id) if is_available() else 0


def set_device(device) -> None:
    """Make ``device`` (an index, "cuda:1" or a glassnet.device) the current GPU."""
    if is_available():
        idx = device if isinstance(device, int) else (getattr(device, "index", None) or 0)
        if isinstance(device, str):
            idx = int(device.split(":")[1]) if ":" in device else 0
        backend._cupy.cuda.Device(idx).use()


def get_device_name(device=None) -> str:
    if not is_available():
        raise RuntimeError("cuda.get_device_name: no GPU is available (CuPy sees none)")
    props = backend._cupy.cuda.runtime.getDeviceProperties(current_device() if device is None
                                                            else int(device))
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def empty_cache() -> None:
    """Give CuPy's cached, unused GPU memory back to the driver (a no-op without a GPU)."""
    if is_available():
        backend._cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by live arrays (0 without a GPU)."""
    return int(backend._cupy.get_default_memory_pool().used_bytes()) if is_available() else 0


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory CuPy's pool holds, used or cached (0 without a GPU)."""
    return int(backend._cupy.get_default_memory_pool().total_bytes()) if is_available() else 0


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: CuPy has no bfloat16 arrays, so GPU tensors are float16, float32 or float64
    (bfloat16 tensors live on the CPU, through ml_dtypes)."""
    return False


# torch.cuda.amp: PyTorch's older spellings of autocast('cuda') and GradScaler('cuda').
amp = SimpleNamespace(autocast=_amp._CudaAutocast, GradScaler=_amp._CudaGradScaler,
                      custom_fwd=functools.partial(_amp.custom_fwd, device_type="cuda"),
                      custom_bwd=functools.partial(_amp.custom_bwd, device_type="cuda"))
