"""``glassnet.backends``: PyTorch's backend switches, so device-agnostic scripts run unchanged.

PyTorch code often sets or reads these before training::

    torch.backends.cudnn.benchmark = True          # let cuDNN pick the fastest convolution
    torch.backends.cudnn.deterministic = True      # ask for reproducible kernels
    device = "mps" if torch.backends.mps.is_available() else "cpu"

glassnet has no cuDNN, MPS or oneDNN backend: its convolutions are im2col + matmul on NumPy or
CuPy (see glassnet/backend.py), always deterministic on the CPU. The flags here are plain
attributes that keep what a script assigns, and the ``is_available()`` queries answer truthfully:
cuDNN is "available" exactly when glassnet can use a GPU (through CuPy), MPS never.

One switch is glassnet's own: ``conv_algorithm`` chooses how stride-1 3x3 convolutions run on
the CPU. "auto" (the default) runs Winograd's F(2x2, 3x3) with compiled transforms (numba, the
``accel`` extra) on layers with at least 16 input and output channels and outputs at least 16
wide, where it measured faster than im2col (ResNet-20's 16- and 32-channel layers), and im2col
elsewhere; F(2x2)'s float32 results are as exact as im2col's. "im2col" always uses im2col.
"winograd" uses Winograd's F(4x4, 3x3) wherever it applies (2-D 3x3, stride 1, no dilation,
groups=1, float32/float64 NumPy arrays): faster on 64-channel layers, but its float32 results
carry up to about 1e-5 relative error, ten times im2col's, which can miss PyTorch's default
float32 tolerance: that is why it is never chosen for you (docs/performance.md).

The other is ``cpu_kernels``: "compiled" (the default) runs batch norm, col2im and Winograd
F(2x2)'s transforms as loops compiled by numba where it is installed (glassnet/accel.py),
"numpy" as NumPy expressions; both give the same results to float rounding.
"""

from __future__ import annotations

from types import SimpleNamespace

from . import backend

__all__ = ["conv_algorithm", "cpu_kernels", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp",
           "opt_einsum"]

# "auto", "im2col" or "winograd": read by every convolution call (nn/functional/conv_kernels.py)
conv_algorithm = "auto"

# "compiled" or "numpy": whether the element-wise passes that glassnet/accel.py lists run as
# compiled loops (where numba is installed) or as NumPy expressions (read at every call)
cpu_kernels = "compiled"


class _Flags:
    """A namespace of switches: attributes keep what is assigned (any name, as on PyTorch's
    modules: a legacy flag such as ``cudnn.fastest = True`` is accepted and changes nothing)."""

    _names: tuple = ()

    def flags(self, **kw):
        """Set several flags at once: ``cudnn.flags(enabled=False)``."""
        for k, v in kw.items():
            setattr(self, k, v)

    def __repr__(self):
        vals = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._names)
        return f"<glassnet.backends.{self._module}: {vals}>"


class _CuDNN(_Flags):
    _module = "cudnn"
    _names = ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit")

    def __init__(self):
        object.__setattr__(self, "enabled", True)
        object.__setattr__(self, "benchmark", False)
        object.__setattr__(self, "deterministic", False)
        object.__setattr__(self, "allow_tf32", True)
        object.__setattr__(self, "benchmark_limit", 10)

    @staticmethod
    def is_available() -> bool:
        """True when glassnet can run on a GPU (CuPy sees one); glassnet uses no cuDNN itself."""
        return backend.cuda_is_available()

    @staticmethod
    def version():
        """None: glassnet does not link cuDNN."""
        return


class _MPS:
    """Apple's Metal backend: glassnet has none, so it is never available nor built."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class _Matmul(_Flags):
    _module = "cuda.matmul"
    _names = ("allow_tf32", "allow_fp16_reduced_precision_reduction",
              "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        object.__setattr__(self, "allow_tf32", False)
        object.__setattr__(self, "allow_fp16_reduced_precision_reduction", True)
        object.__setattr__(self, "allow_bf16_reduced_precision_reduction", True)


class _CudaBackend:
    def __init__(self):
        self.matmul = _Matmul()

    @staticmethod
    def is_built() -> bool:
        """True when CuPy is installed (glassnet's GPU path)."""
        return backend._cupy is not None

    @staticmethod
    def is_flash_attention_available() -> bool:
        return False


class _Simple(_Flags):
    def __init__(self, module, **defaults):
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_names", tuple(defaults))
        for k, v in defaults.items():
            object.__setattr__(self, k, v)

    @staticmethod
    def is_available() -> bool:
        return False


cudnn = _CuDNN()
mps = _MPS()
cuda = _CudaBackend()
mkldnn = _Simple("mkldnn", enabled=True)
opt_einsum = _Simple("opt_einsum", enabled=False, strategy=None)
openmp = SimpleNamespace(is_available=lambda: False)
mkl = SimpleNamespace(is_available=lambda: False)


def _register_submodules():
    """``import torch.backends.cudnn as cudnn`` (PyTorch's submodules) finds these objects."""
    import sys

    for name in ("cudnn", "mps", "cuda", "mkldnn", "opt_einsum", "openmp", "mkl"):
        sys.modules.setdefault(f"{__name__}.{name}", globals()[name])


_register_submodules()
