"""glassnet.backend's thread policy: one number for every CPU kernel (convolution, pooling,
batch norm, optimisers), set by set_num_threads or the GLASSNET_NUM_THREADS variable; and the
dtypes, the default dtype, the seeded generators and the devices it defines."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def restore_threads():
    """Put back the thread count (and BLAS's) that the test found."""
    old, adaptive = backend.get_num_threads(), backend._threads["auto"] is not None
    auto_blas = backend._threads["auto_blas"]
    yield
    backend.set_num_threads("auto" if auto_blas else None if adaptive else old)


def test_set_num_threads_is_the_one_setting(restore_threads):
    assert gn.set_num_threads is backend.set_num_threads
    assert gn.get_num_threads is backend.get_num_threads
    backend.set_num_threads(3)
    assert gn.get_num_threads() == 3
    gn.set_num_threads(1)
    assert backend.get_num_threads() == 1
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="set_num_threads"):
            gn.set_num_threads(bad)


def test_set_num_threads_none_reads_the_environment(monkeypatch, restore_threads):
    monkeypatch.setenv("GLASSNET_NUM_THREADS", "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    gn.set_num_threads(None)
    assert gn.get_num_threads() == 3  # GLASSNET_NUM_THREADS before OMP_NUM_THREADS
    monkeypatch.delenv("GLASSNET_NUM_THREADS")
    gn.set_num_threads(None)
    assert gn.get_num_threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setenv("GLASSNET_NUM_THREADS", "not a number")
    gn.set_num_threads(None)
    assert gn.get_num_threads() >= 1  # ignored: the CPU count


@pytest.mark.parametrize("value", ["1", "3"])
def test_environment_variable_is_honoured_at_start(value):
    env = dict(os.environ, GLASSNET_NUM_THREADS=value, OMP_NUM_THREADS="2")
    code = "import glassnet; print(glassnet.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == value


def test_parallel_map_keeps_order_and_raises():
    assert backend.parallel_map(lambda v: v * v, range(7)) == [v * v for v in range(7)]
    assert backend.parallel_map(lambda v: v, []) == []

    def boom(v):
        if v == 2:
            raise KeyError("part 2")
        return v

    with pytest.raises(KeyError, match="part 2"):
        backend.parallel_map(boom, range(4))


def test_every_kernel_takes_its_threads_from_the_backend(monkeypatch, restore_threads):
    """Convolution, pooling, batch norm and the optimisers split their work through
    backend.parallel_map: pooling and batch norm into parallel_parts() slices (here
    max(CPUs, 3)), the convolution into a multiple of it, the optimisers into one part per
    thread (elementwise, so the split cannot change a result)."""
    from glassnet.nn.functional import conv_kernels
    from glassnet.optim import _elementwise

    gn.set_num_threads(3)
    parts = []
    real = backend.parallel_map

    def spy(fn, items):
        items = list(items)
        parts.append(len(items))
        return real(fn, items)

    monkeypatch.setattr(backend, "parallel_map", spy)
    monkeypatch.setattr(backend, "MIN_PARALLEL_SLICE_BYTES", 0)
    monkeypatch.setattr(conv_kernels, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", 1)
    monkeypatch.setattr(_elementwise, "_MIN_PARALLEL", 1)
    monkeypatch.setattr(_elementwise, "_CHUNK", 4)
    r = np.random.default_rng(0)
    x = gn.tensor(r.standard_normal((6, 2, 8, 8)).astype(np.float32))
    w = gn.tensor(r.standard_normal((3, 2, 3, 3)).astype(np.float32))
    k = backend.parallel_parts()
    assert k == max(backend.cpu_count(), 3)
    if backend.blas_threads_controllable():
        parts.clear()
        F.conv2d(x, w, padding=1)
        assert len(parts) == 1 and parts[0] % k == 0, "conv2d"
    parts.clear()
    F.max_pool2d(x, 2)
    assert parts == [min(k, 6)], "max_pool2d"
    parts.clear()
    F.batch_norm(x, None, None, training=True)
    assert parts and set(parts) == {min(k, 6)}, "batch_norm"
    p = gn.tensor(r.standard_normal(64).astype(np.float32), requires_grad=True)
    p.grad = gn.ones_like(p)
    parts.clear()
    gn.optim.SGD([p], lr=0.1).step()
    assert parts == [3], "SGD"


def test_parallel_map_shares_parts_dynamically(restore_threads):
    """The parts go to whichever thread is free: a part that sleeps does not hold up the
    others (a descheduled thread costs only the part it has started)."""
    import threading
    import time

    gn.set_num_threads(2)
    who = {}

    def part(i):
        if i == 0:
            time.sleep(0.3)
        who[i] = threading.current_thread().name
        return i

    assert backend.parallel_map(part, range(6)) == list(range(6))
    slow = who[0]
    assert all(who[i] != slow for i in range(1, 6))  # the free thread took all the rest


@pytest.mark.skipif(not backend.blas_threads_controllable(), reason="needs threadpoolctl")
def test_results_do_not_depend_on_the_thread_count(monkeypatch, restore_threads):
    """Convolution (output and all three gradients) and batch norm give the same bits on 1
    and 2 threads: their parts are cut by parallel_parts(), not by the thread count, and the
    partial sums are added in part order."""
    from glassnet import nn
    from glassnet.nn.functional import conv_kernels

    monkeypatch.setattr(backend, "cpu_count", lambda: 2)
    monkeypatch.setattr(conv_kernels, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(backend, "MIN_PARALLEL_SLICE_BYTES", 0)
    x0 = np.random.default_rng(0).standard_normal((10, 3, 12, 12)).astype(np.float32)
    got = []
    for threads in (1, 2):
        gn.set_num_threads(threads)
        gn.manual_seed(0)
        conv, bn = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        x = gn.tensor(x0, requires_grad=True)
        y = bn(conv(x))
        (y * y).sum().backward()
        got.append([a.detach().numpy().copy() for a in
                    (y, x.grad, conv.weight.grad, conv.bias.grad, bn.weight.grad)])
    for a, b in zip(*got):
        assert np.array_equal(a, b)


def test_default_threads_follow_the_free_cpus(monkeypatch, restore_threads):
    """With the thread count left to glassnet, threads_now() is this process's CPU use plus
    the idle CPUs over the last interval, rounded, between 1 and the CPU count; a count the
    user set is used as it is."""
    monkeypatch.delenv("GLASSNET_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(backend, "cpu_count", lambda: 4)
    gn.set_num_threads(None)
    mon = backend._threads["auto"]
    assert mon is not None
    clock = {"t": 100.0, "idle": 0, "own": 0.0}
    monkeypatch.setattr(backend._time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(backend._time, "process_time", lambda: clock["own"])
    monkeypatch.setattr(mon, "_idle_jiffies", lambda: clock["idle"])
    mon.last, mon.k = None, 4
    assert mon.threads(4) == 4  # the first reading: no history yet

    def interval(own_cpus, idle_cpus, dt=1.0):
        clock["t"] += dt
        clock["own"] += own_cpus * dt
        clock["idle"] += round(idle_cpus * dt * mon.hz)
        return mon.threads(4)

    assert interval(3.8, 0.2) == 4   # quiet machine, all four CPUs ours
    assert interval(1.3, 0.0) == 1   # three other busy processes
    assert interval(1.0, 1.1) == 2   # one of them has ended
    assert interval(0.2, 0.0) == 1   # never below one
    clock["t"] += 0.1                # within PERIOD: the last answer, nothing read
    clock["idle"] += 10 ** 6
    assert mon.threads(4) == 1
    assert mon.threads(1) == 1       # never above the cap
    gn.set_num_threads(3)            # an explicit count: used as it is, no monitor
    assert backend._threads["auto"] is None and backend.threads_now() == 3


def test_blas_follows_the_load_only_when_asked(monkeypatch, restore_threads):
    """OpenBLAS's results depend on its thread count, so by default BLAS runs on one thread
    whatever the load; set_num_threads("auto") moves it with the load."""
    limits = []

    class Ctl:
        def limit(self, limits, user_api):
            seen.append(limits)

    seen = limits
    monkeypatch.setattr(backend, "_blas_controller", lambda: Ctl())
    monkeypatch.delenv("GLASSNET_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(backend, "cpu_count", lambda: 4)
    gn.set_num_threads(None)
    assert limits == [1]                                  # one BLAS thread by default
    monkeypatch.setattr(backend._threads["auto"], "threads", lambda cap: 2)
    assert backend.threads_now() == 2 and limits == [1]   # and the load does not move it
    limits.clear()
    gn.set_num_threads("auto")
    assert backend._threads["auto_blas"]
    monkeypatch.setattr(backend._threads["auto"], "threads", lambda cap: 2)
    assert backend.threads_now() == 2 and limits == [2]
    assert backend.threads_now() == 2 and limits == [2]   # applied once per change
    with pytest.raises(ValueError, match="'auto'"):
        gn.set_num_threads("many")


def test_a_set_count_gives_blas_threads_to_large_products_only(monkeypatch, restore_threads):
    """After set_num_threads(n) BLAS runs on one thread (OpenBLAS's threads spin after each
    product, on the CPUs glassnet's own kernels need next) except in the products of
    nn.Linear and matmul of at least BLAS_THREADS_MIN_MACS multiply-adds, which get n."""
    calls = []

    class Lib:
        user_api = "blas"

        def set_num_threads(self, n):
            calls.append(n)

    class Ctl:
        lib_controllers = [Lib()]

        def limit(self, limits, user_api):
            calls.append(("limit", limits))

    monkeypatch.setattr(backend, "_blas_controller", lambda: Ctl())
    gn.set_num_threads(3)
    assert calls == [("limit", 1)]
    calls.clear()
    # x (4, 5) W^T (5, 6): 120 multiply-adds; (2, 3, 4) @ (4, 5): 120 too
    x, w = gn.ones(4, 5, requires_grad=True), gn.ones(6, 5, requires_grad=True)
    a, b = gn.ones(2, 3, 4, requires_grad=True), gn.ones(4, 5, requires_grad=True)
    monkeypatch.setattr(backend, "BLAS_THREADS_MIN_MACS", 121)
    F.linear(x, w).sum().backward()
    (a @ b).sum().backward()
    assert calls == []
    monkeypatch.setattr(backend, "BLAS_THREADS_MIN_MACS", 120)
    F.linear(x, w).sum().backward()
    assert calls == [3, 1, 3, 1]  # forward, then both gradients under one switch
    calls.clear()
    (a @ b).sum().backward()
    assert calls == [3, 1, 3, 1]
    calls.clear()
    for setting in (None, 1, "auto"):  # the default and one thread: BLAS left as it is
        gn.set_num_threads(setting)
        calls.clear()
        with backend.blas_threads_for(10 ** 9):
            pass
        assert calls == [], setting


# --------------------------------------------------------------- dtypes, generators, devices
def test_dtype_objects():
    assert gn.float32 == np.float32 and gn.float64 == np.float64
    assert gn.int64 == np.int64 and gn.bool == np.bool_
    assert gn.tensor([1.0]).dtype == gn.float32
    assert gn.tensor([1]).dtype == gn.int64
    assert gn.tensor([True]).dtype == gn.bool
    assert gn.ones(2, dtype=gn.float64).dtype == gn.float64
    assert gn.ones(2, dtype="float64").dtype == gn.float64
    assert gn.ones(2, dtype=float).dtype == gn.float32
    assert gn.ones(2, dtype=int).dtype == gn.int64
    assert gn.ones(2, dtype=bool).dtype == gn.bool
    assert gn.get_default_dtype() == gn.float32


def test_set_default_dtype():
    try:
        gn.set_default_dtype(gn.float64)
        assert gn.tensor([1.0]).dtype == gn.float64
        assert gn.zeros(2).dtype == gn.float64
        assert (gn.tensor([1, 2]) / 2).dtype == gn.float64
    finally:
        gn.set_default_dtype(gn.float32)
    with pytest.raises(TypeError, match="floating"):
        gn.set_default_dtype(gn.int64)


def test_a_generator_object_is_independent_of_the_default():
    g = gn.Generator(7)
    gn.manual_seed(1)
    a = gn.rand(3, generator=g).tolist()
    b = gn.rand(3).tolist()
    g2 = gn.Generator(7)
    gn.manual_seed(1)
    assert gn.rand(3, generator=g2).tolist() == a and gn.rand(3).tolist() == b


def test_rng_state_roundtrip():
    gn.manual_seed(3)
    state = gn.get_rng_state()
    a = gn.randn(4).tolist()
    gn.set_rng_state(state)
    assert gn.randn(4).tolist() == a
    import json
    json.dumps(state)  # the state is JSON-safe (no pickle)


def test_unavailable_device_is_a_clear_error():
    if gn.backend.cuda_is_available():
        pytest.skip("a GPU is present")
    for make in (lambda: gn.zeros(2, device="cuda"), lambda: gn.tensor([1.0], device="cuda"),
                 lambda: gn.ones(2).to("cuda"), lambda: gn.randn(2, device="cuda:0"),
                 lambda: gn.arange(3, device="cuda")):
        with pytest.raises(RuntimeError, match="cuda.*(CuPy|GPU)"):
            make()
    with pytest.raises(ValueError, match="device.*'cpu' or 'cuda"):
        gn.zeros(2, device="tpu")
    assert gn.zeros(2, device="cpu").device == "cpu"
