"""Test configuration: the repository root on sys.path, and seeded randomness for every test."""

from __future__ import annotations

import os
import random
import sys

# Tests run two workers on two cores (pytest -n 2): one BLAS thread each avoids oversubscription,
# which otherwise makes small matrix products many times slower. Set before NumPy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (ROOT, os.path.join(ROOT, "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import glassnet as gn

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is a test dependency
    torch = None

try:  # property-based tests draw the same examples on every run (no example database either)
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("seeded", derandomize=True)
    _hypothesis_settings.load_profile("seeded")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same seeds: glassnet's generator, NumPy's, Python's and
    PyTorch's, whichever tests ran before it on the same worker."""
    gn.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    if torch is not None:
        torch.manual_seed(0)
    yield


@pytest.fixture
def rng():
    """A seeded NumPy Generator for test data."""
    return np.random.default_rng(1234)


@pytest.fixture
def world():
    """A process group of one (``glassnet.distributed`` without mpiexec), destroyed afterwards."""
    import glassnet.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()
    dist.init_process_group(backend="gloo")
    yield
    dist.destroy_process_group()
