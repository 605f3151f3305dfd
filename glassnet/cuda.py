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


class _PeakHook:
    """Follows the largest ``used_bytes`` of CuPy's memory pool after each allocation. CuPy
    keeps no peak of its own; hooks are per thread, so the peak counts allocations made by the
    thread that first asked for a memory statistic (glassnet's kernels run there)."""

    def __init__(self):
        self.peak = 0
        self.hook = None

    def install(self):
        if self.hook is None and is_available():
            pool = backend._cupy.get_default_memory_pool()
            outer = self

            class Hook(backend._cupy.cuda.MemoryHook):
                name = "glassnet_peak"

                def malloc_postprocess(self, **kwargs):
                    outer.peak = max(outer.peak, int(pool.used_bytes()))

            self.hook = Hook()
            self.hook.__enter__()
        self.peak = max(self.peak, memory_allocated())


_peak = _PeakHook()


def max_memory_allocated(device=None) -> int:
    """The most bytes live arrays have held on the GPU since the first memory statistic was
    asked for (or since ``reset_peak_memory_stats``); 0 without a GPU, as PyTorch gives
    on a machine without CUDA."""
    _peak.install()
    return _peak.peak


def max_memory_reserved(device=None) -> int:
    """Bytes CuPy's pool holds now (it only grows until ``empty_cache``); 0 without a GPU."""
    return memory_reserved(device)


def reset_peak_memory_stats(device=None) -> None:
    """Start the peak of ``max_memory_allocated`` again from what is allocated now."""
    _peak.install()
    _peak.peak = memory_allocated()


reset_max_memory_allocated = reset_peak_memory_stats


def memory_stats(device=None) -> dict:
    """PyTorch's main keys of ``torch.cuda.memory_stats`` (bytes); empty without a GPU, as
    PyTorch returns on a machine without CUDA."""
    if not is_available():
        return {}
    return {"allocated_bytes.all.current": memory_allocated(),
            "allocated_bytes.all.peak": max_memory_allocated(),
            "reserved_bytes.all.current": memory_reserved()}


class Event:
    """A point in the GPU's stream of work, for timing (``elapsed_time`` in milliseconds);
    CuPy's event underneath. Needs a GPU: ``record`` raises without one, as in PyTorch."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self.enable_timing = enable_timing
        self._event = None
        if is_available():
            self._event = backend._cupy.cuda.Event(block=blocking,
                                                   disable_timing=not enable_timing,
                                                   interprocess=interprocess)

    def _need(self, what):
        if self._event is None:
            raise RuntimeError(f"cuda.Event.{what}: no GPU is available (CuPy sees none)")
        return self._event

    def record(self, stream=None):
        self._need("record").record()

    def synchronize(self):
        self._need("synchronize").synchronize()

    def query(self):
        return bool(self._need("query").done)

    def elapsed_time(self, end_event):
        if not self.enable_timing:
            raise RuntimeError("cuda.Event.elapsed_time: the event was made without "
                               "enable_timing=True")
        return float(backend._cupy.cuda.get_elapsed_time(self._need("elapsed_time"),
                                                         end_event._need("elapsed_time")))


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: CuPy has no bfloat16 arrays, so GPU tensors are float16, float32 or float64
    (bfloat16 tensors live on the CPU, through ml_dtypes)."""
    return False


# torch.cuda.amp: PyTorch's older spellings of autocast('cuda') and GradScaler('cuda').
amp = SimpleNamespace(autocast=_amp._CudaAutocast, GradScaler=_amp._CudaGradScaler,
                      custom_fwd=functools.partial(_amp.custom_fwd, device_type="cuda"),
                      custom_bwd=functools.partial(_amp.custom_bwd, device_type="cuda"))
