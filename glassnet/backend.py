"""The one place that decides which array module runs the math.

Every kernel in glassnet is written once against ``xp``, the array module of its inputs:
NumPy on the CPU, CuPy on an NVIDIA GPU. ``array_module(*arrays)`` returns the right one,
so an op never imports numpy directly for its math (DESIGN.md habit 2).

This module also owns the default floating dtype (float32, like PyTorch), the dtype
promotion rules, the device names, and the single seeded random generator that drives
every random op (``manual_seed``).
"""

from __future__ import annotations

import functools as _functools

import numpy as np

from . import _allocator
from ._shared_memory import is_shared as is_shared_memory  # noqa: F401 - re-exported
from ._shared_memory import share as share_memory  # noqa: F401 - re-exported

# Freed arrays stay in malloc's heap for the next training step instead of going back to the
# kernel (see _allocator.py; GLASSNET_MALLOC_TUNE=0 turns this off).
_allocator.tune_from_env()
tune_allocator = _allocator.tune

try:  # CuPy is optional: the GPU backend exists only where it is installed and a GPU is visible.
    import cupy as _cupy  # type: ignore

    try:
        _CUDA_OK = _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001  # pragma: no cover - any CUDA failure means no GPU
        _CUDA_OK = False
except Exception:  # noqa: BLE001  # pragma: no cover - cupy absent or broken
    _cupy = None
    _CUDA_OK = False

# ----------------------------------------------------------------------------- dtypes
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)
half, float, double = float16, float32, float64
cfloat, cdouble = complex64, complex128
short, int, long = int16, int32, int64

_default_dtype = float32


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors created without an explicit dtype (float32)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype (float32 or float64), like ``torch.set_default_dtype``."""
    global _default_dtype
    d = to_dtype(dtype)
    if not is_floating(d):
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {d}")
    _default_dtype = d


def to_dtype(dtype) -> np.dtype | None:
    """Normalise anything dtype-like (np.float32, 'float32', gn.float32, torch-style names)."""
    if dtype is None:
        return None
    if isinstance(dtype, np.dtype):
        return dtype
    if dtype is bool:
        return bool_
    if dtype is builtins_float:
        return _default_dtype
    if dtype is builtins_int:
        return int64
    if isinstance(dtype, _MissingDtype) or dtype in ("bfloat16", "torch.bfloat16"):
        d = _load_bfloat16()
        if isinstance(d, _MissingDtype):
            raise ModuleNotFoundError(BF16_MISSING)
        return d
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


import builtins as _builtins

builtins_float = _builtins.float
builtins_int = _builtins.int


def is_floating(dtype) -> bool:
    """float16, bfloat16, float32 or float64 (bfloat16 is NumPy kind 'V', not 'f')."""
    d = dtype if isinstance(dtype, np.dtype) else to_dtype(dtype)
    return d.kind == "f" or (d.kind == "V" and d.name == "bfloat16")


def is_complex(dtype) -> bool:
    """complex64 or complex128."""
    d = dtype if isinstance(dtype, np.dtype) else to_dtype(dtype)
    return d.kind == "c"


def is_differentiable(dtype) -> bool:
    """Whether a tensor of this dtype can require a gradient: the floating and complex dtypes."""
    d = dtype if isinstance(dtype, np.dtype) else to_dtype(dtype)
    return d.kind in "fc" or (d.kind == "V" and d.name == "bfloat16")


def to_complex(dtype) -> np.dtype:
    """The complex dtype whose parts have ``dtype``'s precision: float64 -> complex128, every
    narrower float (and the default for integers and bool) -> complex64, as PyTorch has no
    complex32 here."""
    if dtype.kind == "c":
        return dtype
    if dtype.kind in "biu":
        return default_complex_dtype()
    return complex128 if dtype.itemsize >= 8 else complex64


def to_real(dtype) -> np.dtype:
    """The dtype of a complex dtype's real and imaginary parts (complex64 -> float32);
    a real dtype is returned as it is."""
    return np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype


def default_complex_dtype() -> np.dtype:
    """complex64 when the default float dtype is float32, complex128 when it is float64."""
    return complex128 if _default_dtype == float64 else complex64


# ----------------------------------------------------------------------------- reduced precision
# float16 (5 exponent bits, 10 mantissa bits) is NumPy's own. bfloat16 (float32's 8 exponent
# bits, 7 mantissa bits) comes from the optional ml_dtypes package (``pip install
# glassnet[bf16]``), loaded the first time bfloat16 is asked for; without it ``bfloat16`` is a
# stand-in whose every use raises an error saying what to install.
BF16_MISSING = ("bfloat16 needs the ml_dtypes package, which is not installed: "
                "pip install 'glassnet[bf16]' (or pip install ml_dtypes)")


class _MissingDtype:
    """``glassnet.bfloat16`` where ml_dtypes is absent: it exists, and any use raises."""

    name = "bfloat16"
    is_floating_point = True
    itemsize = 2

    @property
    def dtype(self):  # what np.zeros(..., dtype=x) and np.dtype(x) read: fail there clearly
        raise ModuleNotFoundError(BF16_MISSING)

    def __repr__(self):
        return "glassnet.bfloat16 (unavailable: install ml_dtypes)"


_bfloat16 = None


def _load_bfloat16():
    """The bfloat16 dtype (ml_dtypes'), or the stand-in when ml_dtypes is not installed."""
    global _bfloat16
    if _bfloat16 is None:
        try:
            import ml_dtypes

            _bfloat16 = np.dtype(ml_dtypes.bfloat16)
        except ImportError:
            _bfloat16 = _MissingDtype()
    return _bfloat16


def __getattr__(name):
    if name == "bfloat16":  # backend.bfloat16, loaded on first use (see above)
        return _load_bfloat16()
    raise AttributeError(f"module 'glassnet.backend' has no attribute '{name}'")


def finfo(dtype):
    """NumPy's ``finfo`` for a floating dtype; for bfloat16, which NumPy's does not know,
    ml_dtypes' (the same fields)."""
    d = to_dtype(dtype)
    if d.kind == "f":
        return np.finfo(d)
    import ml_dtypes

    return ml_dtypes.finfo(d)


def is_reduced_precision(dtype) -> bool:
    """float16 or bfloat16: the 2-byte floats, which kernels compute in float32."""
    return dtype.itemsize == 2 and (dtype.kind == "f" or dtype.name == "bfloat16")


def compute_in_float32(kernel):
    """Decorator for an array kernel (a Function's ``forward`` or ``backward``): when its first
    argument is a float16 or bfloat16 array, the arguments of that dtype are computed in float32
    and the float32 results rounded back to it, as PyTorch's CPU kernels do (their "opmath"
    type): a matmul, convolution or sum of bfloat16 values accumulates in float32 and rounds
    once, not at every step. For any other dtype ``kernel`` runs as it is (one dtype check).

    What a forward saves for backward keeps the tensors' own dtype, as in PyTorch: its inputs
    and its (rounded) output, so that memory is not doubled and ``create_graph=True`` sees
    tensors of the graph's dtypes; a backward reads them in float32 again. Other arrays a
    forward computes and saves (batch statistics, im2col columns) stay float32."""

    @_functools.wraps(kernel)
    def wrapper(ctx, a, *args, **kwargs):
        low = getattr(a, "dtype", None)
        if low is None or low.itemsize != 2 or not is_reduced_precision(low):
            return kernel(ctx, a, *args, **kwargs)
        keep = {}  # id(float32 copy) -> the array in the tensors' dtype
        ups = [_upcast(x, low, keep) for x in (a, *args)]
        saved = ctx._saved
        if saved:  # a backward: what the forward saved, read in float32 for the kernel
            ctx._saved = tuple(_upcast(x, low, {}) for x in saved)
        try:
            out = kernel(ctx, *ups, **kwargs)
        finally:
            if saved:
                ctx._saved = saved
        outs = out if isinstance(out, tuple) else (out,)
        rounded = tuple(_round_to(o, low, keep) for o in outs)
        if ctx._saved and not saved:  # a forward that saved arrays
            ctx._saved = tuple(keep.get(id(x), x) for x in ctx._saved)
        return rounded if isinstance(out, tuple) else rounded[0]

    return wrapper


def _upcast(x, low, keep):
    if getattr(x, "dtype", None) == low and hasattr(x, "ndim"):
        up = x.astype(float32)
        keep[id(up)] = x
        return up
    return x


def _round_to(o, low, keep):
    if getattr(o, "dtype", None) == float32:
        r = o.astype(low)
        keep[id(o)] = r
        return r
    return o


def _category(d: np.dtype) -> int:
    return 0 if d.kind == "b" else 3 if d.kind == "c" else (2 if is_floating(d) else 1)


def _promote_complex(a: np.dtype, b: np.dtype, a_dim: bool, b_dim: bool) -> np.dtype:
    """PyTorch's promotion when an operand is complex. Between tensors of equal standing the
    result is complex with the widest precision of any floating or complex operand
    (float64 + complex64 -> complex128; integers carry no precision: int64 + complex64 ->
    complex64). A 0-d tensor next to a dimensioned one only lifts it to complex:
    float32 (3,) + complex128 () -> complex64 (c10's combine_categories)."""
    if a_dim != b_dim:
        hi, lo = (a, b) if a_dim else (b, a)
        if hi.kind == "c":
            return hi
        return to_complex(hi) if is_floating(hi) else lo
    bits = max(d.itemsize // 2 if d.kind == "c" else d.itemsize if is_floating(d) else 0
               for d in (a, b))
    return complex128 if bits >= 8 else complex64


def promote_types(a: np.dtype, b: np.dtype, a_dim: bool = True, b_dim: bool = True) -> np.dtype:
    """PyTorch's promotion for two tensors: bool < integers < floats; within a kind, the wider.

    Unlike NumPy, int64 with float32 gives float32 (not float64). ``a_dim``/``b_dim`` say whether
    each tensor has dimensions: a 0-d tensor does not widen a dimensioned tensor of the same
    category (float32 (3,) + float64 () -> float32), as in PyTorch.
    """
    if a == b:
        return a
    if a_dim != b_dim and _category(a) == _category(b):
        return a if a_dim else b
    if a.kind == "c" or b.kind == "c":
        return _promote_complex(a, b, a_dim, b_dim)
    if a.kind == "V" or b.kind == "V":  # bfloat16: below float32, beside float16
        if is_floating(a) and is_floating(b):
            return float32 if a.itemsize == b.itemsize else (a if a.itemsize > b.itemsize else b)
        return a if is_floating(a) else b
    ka, kb = a.kind, b.kind
    if ka == "f" and kb != "f":
        return a
    if kb == "f" and ka != "f":
        return b
    if ka == "b":
        return b
    if kb == "b":
        return a
    return np.promote_types(a, b)


def scalar_dtype(tensor_dtype: np.dtype, value) -> np.dtype:
    """The result dtype of ``tensor op python_scalar`` under PyTorch's rules.

    A Python scalar never widens a tensor of the same kind: float32 * 2.5 stays float32,
    but int64 * 2.5 becomes the default float dtype, and bool + 1 becomes int64.
    """
    if isinstance(value, _builtins.bool):
        return tensor_dtype
    if isinstance(value, (_builtins.float, np.floating)):
        return tensor_dtype if is_differentiable(tensor_dtype) else _default_dtype
    if isinstance(value, (_builtins.int, np.integer)):
        return int64 if tensor_dtype.kind == "b" else tensor_dtype
    if isinstance(value, (complex, np.complexfloating)):
        # complex32 does not exist here: a half-precision tensor goes to complex64
        return tensor_dtype if tensor_dtype.kind == "c" else (
            to_complex(tensor_dtype) if is_floating(tensor_dtype) else default_complex_dtype())
    return tensor_dtype


# ----------------------------------------------------------------------------- devices
class Device:
    """A device name: 'cpu' (NumPy) or 'cuda' / 'cuda:N' (CuPy)."""

    __slots__ = ("index", "type")

    def __init__(self, spec="cpu"):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        s = str(spec)
        typ, _, idx = s.partition(":")
        if typ not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu' or 'cuda[:N]', got {spec!r}")
        self.type = typ
        self.index = _builtins.int(idx) if idx else (0 if typ == "cuda" else None)

    def __eq__(self, other):
        try:
            other = Device(other)
        except (ValueError, TypeError):
            return NotImplemented
        return self.type == other.type and (self.type == "cpu" or self.index == other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.type == "cuda" else ")")

    def __str__(self):
        return self.type if self.type == "cpu" else f"cuda:{self.index}"


def cuda_is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return _CUDA_OK


def device_module(device):
    """The array module for a device, or a clear error when that device cannot be used."""
    d = Device(device)
    if d.type == "cpu":
        return np
    if _cupy is None:
        raise RuntimeError(
            f"device '{d}' requested but CuPy is not installed; install glassnet[gpu] "
            "(pip install cupy-cuda12x) on a machine with an NVIDIA GPU, or use device='cpu'"
        )
    if not _CUDA_OK:
        raise RuntimeError(f"device '{d}' requested but no CUDA GPU is visible to CuPy")
    return _cupy


def array_module(*arrays):
    """``xp`` for the given arrays: cupy if any is a cupy array, else numpy (Chainer's get_array_module)."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def device_of(array) -> Device:
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return Device(f"cuda:{array.device.id}")
    return _CPU


_CPU = Device("cpu")


def to_device(array, device):
    """Move an array to a device (a copy only when it changes place)."""
    d = Device(device)
    if d.type == "cpu":
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return _cupy.asnumpy(array)
        return array
    xp = device_module(d)
    with xp.cuda.Device(d.index):
        return xp.asarray(array)


def to_numpy(array) -> np.ndarray:
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


# ----------------------------------------------------------------------------- randomness
class Generator:
    """A seeded random source; ``glassnet.manual_seed`` reseeds the default one.

    Every random op (rand, randn, dropout, init, shuffling, augmentation) draws from a
    Generator, so one seed makes a whole run reproducible. The state is a NumPy PCG64
    bit generator; ``get_state``/``set_state`` give a JSON-safe dict for checkpoints.
    """

    def __init__(self, seed=None):
        self.manual_seed(seed if seed is not None else np.random.SeedSequence().entropy % (2**63))

    def manual_seed(self, seed):
        self._seed = _builtins.int(seed)
        self.np = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        st = self.np.bit_generator.state
        return {"seed": self._seed, "bit_generator": st["bit_generator"],
                "state": {k: _builtins.int(v) for k, v in st["state"].items()},
                "has_uint32": _builtins.int(st["has_uint32"]), "uinteger": _builtins.int(st["uinteger"])}

    def set_state(self, state: dict) -> None:
        self._seed = state.get("seed", self._seed)
        self.np.bit_generator.state = {
            "bit_generator": state["bit_generator"], "state": dict(state["state"]),
            "has_uint32": state["has_uint32"], "uinteger": state["uinteger"]}


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator that drives every random op; returns it (like PyTorch)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator from OS entropy and return the seed."""
    s = _builtins.int(np.random.SeedSequence().entropy % (2**63))
    default_generator.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


import threading as _threading

# A thread may put a generator of its own in place of the default one
# (``glassnet.random.thread_generator``): the DataLoader does so while it builds a batch, so a
# background thread's draws never touch the generator that dropout and init draw from.
_thread_local = _threading.local()


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator`` if given, else the one this thread has
    put in place of the default generator (``glassnet.random.thread_generator``), else the
    default generator."""
    if generator is not None:
        return generator.np
    return (getattr(_thread_local, "generator", None) or default_generator).np


# ----------------------------------------------------------------------------- threads
# How many threads the CPU kernels use: the convolution's chunks, pooling, batch norm, ReLU,
# the optimisers' updates, and NumPy's BLAS. One number for all of them, decided here:
#   1. set_num_threads(n), when it has been called;
#   2. else the environment variable GLASSNET_NUM_THREADS (read once, at the first kernel);
#   3. else OMP_NUM_THREADS (as PyTorch reads it);
#   4. else the number of CPUs this process may run on, used *adaptively* by glassnet's own
#      kernels: a kernel runs on as many of them as are free now (see ``threads_now``), so
#      that a machine shared with other work is not oversubscribed. BLAS then runs on one
#      thread: OpenBLAS's results change in the last bits with its thread count (a run must
#      not depend on the machine's load), and its spinning threads collapse as soon as another
#      process wants a CPU. ``set_num_threads("auto")`` lets BLAS follow the load instead
#      (results then vary in the last bits from run to run).
# With a count n > 1 set by 1, 2 or 3, BLAS runs on one thread too, except in the matrix products
# of nn.Linear and matmul of at least BLAS_THREADS_MIN_MACS multiply-adds, which run on n
# (``blas_threads_for``): OpenBLAS's threads spin for about 0.1 s after each product, on the
# CPUs that glassnet's own kernels need next (measured, two A/B runs: LeNet-5 at batch 256 took
# 56 and 76 ms a step with BLAS on two threads throughout, 43 and 39 ms with this rule, 53 and
# 49 ms on one thread).
# A kernel cuts its work into independent parts (batch chunks, slices, chunks of a parameter)
# whose number does not depend on the thread count, and runs them with ``parallel_map``: the
# calling thread and up to threads_now() - 1 workers of one shared pool take the next part as
# they become free, and the results come back in the order of the parts. So a thread that the
# operating system sets aside holds up only the part it has started, and the results are the
# same, bit for bit, whatever the number of threads. NumPy releases the interpreter lock inside
# its loops and products, so the parts run on several cores at once.
import contextlib as _contextlib
import os as _os
import time as _time

_threads = {"n": None, "pool": None, "pool_key": None, "blas": None, "auto": None,
            "auto_blas": False, "blas_now": None, "blas_held": 0}
_pool_lock = _threading.Lock()
_POOL_PREFIX = "glassnet-worker"


def _env_threads(var):
    value = _os.environ.get(var, "").strip()
    return _builtins.int(value) if value.isdigit() and _builtins.int(value) > 0 else None


def cpu_count() -> _builtins.int:
    """The number of CPUs this process may run on (its affinity set, else os.cpu_count())."""
    if hasattr(_os, "sched_getaffinity"):
        return max(1, len(_os.sched_getaffinity(0)))
    return max(1, _os.cpu_count() or 1)


def _default_threads() -> _builtins.int:
    n = _env_threads("GLASSNET_NUM_THREADS")
    if n is not None:
        _one_blas_thread()  # the variable stands for a call of set_num_threads
        return n
    n = _env_threads("OMP_NUM_THREADS")
    if n is not None:
        _one_blas_thread()
        return n
    _threads["auto"] = _threads["auto"] or _LoadMonitor()
    _one_blas_thread()
    return cpu_count()


def _one_blas_thread():
    """BLAS runs on one thread, outside ``blas_threads_for``: OpenBLAS's products change in
    the last bits with its thread count, and its threads, which wait for work by spinning, cost
    several times their worth as soon as another process wants a CPU (benchmarks/bench_load.py)
    or glassnet's own kernels want the CPUs they spin on. glassnet's kernels share their own
    work among the CPUs instead; with a count set by the user, the large products of
    ``blas_threads_for`` run on that many BLAS threads."""
    ctl = _blas_controller()
    if ctl:
        ctl.limit(limits=1, user_api="blas")
        _threads["blas_now"] = 1


def set_num_threads(n) -> None:
    """Use ``n`` threads in glassnet's CPU kernels and in the large matrix products of
    ``nn.Linear`` and ``matmul`` (PyTorch's ``torch.set_num_threads``; NumPy's BLAS is set
    through ``threadpoolctl`` when it is installed, and runs on one thread elsewhere, see
    ``blas_threads_for``). ``None`` goes back to the default: GLASSNET_NUM_THREADS,
    OMP_NUM_THREADS or the CPUs free among those this process may run on (glassnet's kernels
    only; BLAS on one thread). ``"auto"``: the CPUs free now for glassnet's kernels and for
    BLAS, whose results then vary in the last bits with the machine's load."""
    _threads["auto"], _threads["auto_blas"], _threads["blas_now"] = None, False, None
    if n == "auto":
        _threads["n"] = cpu_count()
        _threads["auto"], _threads["auto_blas"] = _LoadMonitor(), True
        return
    if n is None:
        _threads["n"] = _default_threads()
        return
    if isinstance(n, bool) or not isinstance(n, (_builtins.int, _builtins.float, np.integer)) \
            or _builtins.int(n) != n or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, None or 'auto', "
                         f"got {n!r}")
    _threads["n"] = _builtins.int(n)
    _one_blas_thread()


def get_num_threads() -> _builtins.int:
    """The number of threads glassnet's CPU kernels may use (see ``set_num_threads``); with
    the default setting, kernels use fewer while other work keeps the CPUs busy
    (``threads_now``)."""
    n = _threads["n"]
    if n is None:
        n = _threads["n"] = _default_threads()
    return n


class _LoadMonitor:
    """How many CPUs this process can use now: its own CPU use over the last interval plus
    the CPUs that stood idle (from /proc/stat, for the CPUs of its affinity set), rounded, at
    least 1 and at most the CPU count. Read again at most every PERIOD seconds, so a busy
    machine is noticed within a fraction of a second and a kernel pays for a read rarely.

    On a quiet machine this is the CPU count; with k other busy processes on c CPUs it drops
    towards max(1, c - k). Without /proc/stat (not Linux) it is always the CPU count.
    """

    PERIOD = 0.25

    def __init__(self):
        self.cpus = sorted(_os.sched_getaffinity(0)) if hasattr(_os, "sched_getaffinity") \
            else None
        self.hz = _os.sysconf("SC_CLK_TCK") if hasattr(_os, "sysconf") else 100
        self.last = None     # (wall time, idle jiffies, this process's CPU seconds)
        self.k = cpu_count()
        self.lock = _threading.Lock()

    def _idle_jiffies(self):
        try:
            with open("/proc/stat", "rb") as f:
                lines = f.read().split(b"\n")
        except OSError:
            return None
        want = None if self.cpus is None else {b"cpu%d" % i for i in self.cpus}
        idle = 0
        for line in lines[1:]:
            if not line.startswith(b"cpu"):
                break
            f = line.split()
            if want is None or f[0] in want:
                idle += _builtins.int(f[4]) + _builtins.int(f[5])  # idle + iowait
        return idle

    def threads(self, cap):
        now = _time.monotonic()
        last = self.last
        if last is not None and now - last[0] < self.PERIOD:
            return min(self.k, cap)
        with self.lock:
            if self.last is not last:  # another thread has just read it
                return min(self.k, cap)
            idle = self._idle_jiffies()
            if idle is None:
                self.k, self.last = cap, (now, 0, 0.0)
                return cap
            own = _time.process_time()
            if last is not None:
                dt = now - last[0]
                free = (idle - last[1]) / self.hz / dt + (own - last[2]) / dt
                self.k = max(1, min(cpu_count(), _builtins.int(free + 0.5)))
            self.last = (now, idle, own)
        return min(self.k, cap)


def threads_now() -> _builtins.int:
    """The threads a kernel starting now should use: get_num_threads(), or fewer when the
    thread count was left to glassnet and other work keeps some CPUs busy (and, after
    ``set_num_threads("auto")``, the BLAS thread count to match)."""
    n = get_num_threads()
    auto = _threads["auto"]
    if auto is None or n == 1:
        return n
    k = auto.threads(n)
    if _threads["auto_blas"] and k != _threads["blas_now"] and not _threads["blas_held"]:
        ctl = _blas_controller()
        if ctl:  # BLAS follows (its own threads would oversubscribe the same CPUs)
            ctl.limit(limits=k, user_api="blas")
        _threads["blas_now"] = k
    return k


# Matrix products of at least this many multiply-adds use the BLAS threads of a count set by
# the user (about 0.3 ms of work on one core): below, two threads gain less than the ~5 us of
# setting the count twice and the spinning they leave behind.
BLAS_THREADS_MIN_MACS = 1 << 24


class _BlasThreads:
    """``with``: BLAS on ``n`` threads inside, on one after (the count held outside)."""

    __slots__ = ("libs", "n")

    def __init__(self, libs, n):
        self.libs, self.n = libs, n

    def __enter__(self):
        for lib in self.libs:
            lib.set_num_threads(self.n)

    def __exit__(self, *exc):
        for lib in self.libs:
            lib.set_num_threads(1)


_SAME_BLAS = _contextlib.nullcontext()


def blas_threads_for(macs):
    """The context to run one matrix product of ``macs`` multiply-adds in: on the
    set_num_threads(n) BLAS threads when n > 1 was set (by the call, GLASSNET_NUM_THREADS or
    OMP_NUM_THREADS) and the product has at least BLAS_THREADS_MIN_MACS; else BLAS stays as
    it is (one thread, or following the load after ``set_num_threads("auto")``).
    ``nn.Linear`` and ``matmul`` run their products in it."""
    n = _threads["n"]
    if (n is None or n < 2 or macs < BLAS_THREADS_MIN_MACS or _threads["auto"] is not None
            or _threads["blas_held"]):
        return _SAME_BLAS
    ctl = _blas_controller()
    if not ctl:
        return _SAME_BLAS
    return _BlasThreads([c for c in ctl.lib_controllers if c.user_api == "blas"], n)


def _blas_controller():
    """threadpoolctl's controller of NumPy's BLAS (made once), or False when threadpoolctl is
    missing or finds no BLAS."""
    ctl = _threads["blas"]
    if ctl is None:
        ctl = False
        try:
            import threadpoolctl

            found = threadpoolctl.ThreadpoolController()
            if any(c.user_api == "blas" for c in found.lib_controllers):
                ctl = found
        except Exception:  # noqa: BLE001, S110 - missing or unable to inspect: BLAS is left alone
            pass
        _threads["blas"] = ctl
    return ctl


def blas_threads_controllable() -> bool:
    """Whether ``one_blas_thread`` can hold BLAS to one thread (threadpoolctl is installed)."""
    return _blas_controller() is not False


@_contextlib.contextmanager
def one_blas_thread():
    """``with one_blas_thread():`` BLAS runs on one thread inside (the caller spreads its
    products over the threads itself); the old count is restored on exit."""
    ctl = _blas_controller()
    if not ctl:
        yield
        return
    _threads["blas_held"] += 1
    try:
        if _threads["blas_now"] == 1:  # already one thread (the default): 30 us saved a call
            yield
        else:
            with ctl.limit(limits=1, user_api="blas"):
                yield
    finally:
        _threads["blas_held"] -= 1


def _pool():
    """The shared worker pool for the current thread count (a fresh one after a fork)."""
    key = (get_num_threads(), _os.getpid())
    if _threads["pool_key"] != key:
        from concurrent.futures import ThreadPoolExecutor

        with _pool_lock:
            if _threads["pool_key"] != key:
                old, old_key = _threads["pool"], _threads["pool_key"]
                if old is not None and old_key[1] == key[1]:
                    old.shutdown(wait=False)
                _threads["pool"] = ThreadPoolExecutor(max_workers=max(1, key[0] - 1),
                                                      thread_name_prefix=_POOL_PREFIX)
                _threads["pool_key"] = key
    return _threads["pool"]


def parallel_map(fn, parts) -> list:
    """``[fn(p) for p in parts]``, on this thread and up to threads_now() - 1 pool workers,
    each taking the next part when it is free; the results in the order of ``parts``.

    The parts must be independent (they write disjoint outputs or return their results);
    an exception in any part is raised here. Called from inside a part, it runs sequentially.
    """
    parts = list(parts)
    if len(parts) < 2 or _threading.current_thread().name.startswith(_POOL_PREFIX):
        return [fn(p) for p in parts]
    workers = min(threads_now(), len(parts))
    if workers < 2:
        return [fn(p) for p in parts]
    results = [None] * len(parts)
    order = iter(range(len(parts)))
    take = _threading.Lock()
    failed = []

    def drain():
        while not failed:
            with take:
                i = next(order, None)
            if i is None:
                return
            try:
                results[i] = fn(parts[i])
            except BaseException as exc:  # stop the others; raised below
                failed.append(exc)
                raise

    pool = _pool()
    futures = [pool.submit(drain) for _ in range(workers - 1)]
    try:
        drain()
    finally:
        for f in futures:
            f.exception()  # wait for every worker before anything is read or raised
    if failed:
        raise failed[0]
    return results


# Elementwise work (pooling, batch norm) on less memory than this runs on one thread.
MIN_PARALLEL_SLICE_BYTES = 2 * 2**20


def parallel_parts() -> _builtins.int:
    """How many parts a kernel cuts parallel work into: one per CPU (or per thread, if more
    threads were asked for). It does not follow the load, so neither do the results."""
    return max(cpu_count(), get_num_threads())


def parallel_slices(fn, n, work_bytes) -> None:
    """Call ``fn(slice)`` over ``parallel_parts()`` slices covering range(n) when the work
    (``work_bytes`` of memory traffic) is at least MIN_PARALLEL_SLICE_BYTES, else one call;
    the same slices whatever the number of threads."""
    parts = min(parallel_parts(), n)
    if parts < 2 or work_bytes < MIN_PARALLEL_SLICE_BYTES:
        fn(slice(0, n))
        return
    bounds = [n * i // parts for i in range(parts + 1)]
    parallel_map(fn, [slice(bounds[i], bounds[i + 1]) for i in range(parts)])
