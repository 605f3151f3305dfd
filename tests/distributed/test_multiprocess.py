"""Several processes under ``mpiexec``: tests/distributed/mpi_checks.py runs its checks on
every rank (collectives; DistributedDataParallel equal on all ranks and equal to one process
training on the full batch; no_sync; buffers; DistributedSampler) and reports them here.
tests/distributed/mpi_failures.py makes one rank fail (an exception, a stall, SIGKILL): the
whole job must end with a non-zero status within seconds instead of hanging.

One launch per world size keeps MPI's start-up cost to a second or so each. A job that hangs
is killed with its whole process group after a timeout, so it cannot stall the suite."""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT_S = 90


def _mpiexec():
    # the launcher installed next to this interpreter matches mpi4py's MPI library
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return local if os.path.exists(local) else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(
    MPIEXEC is None or importlib.util.find_spec("mpi4py") is None,
    reason="needs mpi4py and an mpiexec launcher (pip install mpi4py mpich)")


def run_job(args, timeout=TIMEOUT_S):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT)
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        env.pop(var, None)
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # mpiexec, its proxies and every rank
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(args)} did not finish in {timeout} s:\n{out[-3000:]}")
    return proc.returncode, out


@pytest.mark.parametrize("ranks", [2, 3])
def test_checks_pass_on_every_rank(ranks, tmp_path):
    code, out = run_job([MPIEXEC, "-n", str(ranks), sys.executable,
                         os.path.join(HERE, "mpi_checks.py"), str(tmp_path)])
    results = {}
    for r in range(ranks):
        path = tmp_path / f"rank{r}.json"
        if path.exists():
            results[r] = json.loads(path.read_text())
    assert code == 0 and sorted(results) == list(range(ranks)), out[-3000:]
    failed = {(r, name): msg for r, res in results.items() for name, msg in res.items()
              if msg != "ok"}
    assert not failed, failed
    assert len(results[0]) >= 12


def test_importing_does_not_start_mpi():
    script = ("import sys, glassnet, glassnet.nn, glassnet.distributed, glassnet.utils.data; "
              "glassnet.distributed.is_available(); print('mpi4py' in sys.modules)")
    code, out = run_job([sys.executable, "-c", script], timeout=60)
    assert code == 0 and out.strip() == "False", out


SHM = "/dev/shm"


def _mpich_segments():
    try:
        return {n for n in os.listdir(SHM) if n.startswith("mpich_shm_")}
    except OSError:  # no /dev/shm here
        return set()


def _mapped():
    text = ""
    for maps in glob.glob("/proc/[0-9]*/maps"):
        try:
            with open(maps) as f:
                text += f.read()
        except OSError:
            continue
    return text


def _remove_orphaned(names, wait_s=3.0):
    """Unlink the shared-memory segments an aborted MPICH job leaves behind (a normal finish
    removes them, MPI_Abort and SIGKILL do not) once no live process maps them; the job's
    ranks may take a moment to die, and another job's live segment is left alone."""
    paths = {os.path.join(SHM, n) for n in names}
    deadline = time.monotonic() + wait_s
    while paths:
        mapped = _mapped()
        for path in [p for p in paths if p not in mapped]:
            paths.discard(path)
            try:
                os.unlink(path)
            except OSError:
                pass
        if not paths or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def _fail(mode, ranks, bad):
    """Run mpi_failures.py; (exit status, output, seconds from the failure to the job's end)."""
    before = _mpich_segments()
    try:
        code, out = run_job([MPIEXEC, "-n", str(ranks), sys.executable,
                             os.path.join(HERE, "mpi_failures.py"), mode, str(bad)])
        end = time.time()
    finally:
        _remove_orphaned(_mpich_segments() - before)
    found = re.search(r"FAILING AT ([0-9.]+)", out)
    assert found, out[-3000:]
    assert "the job went on" not in out, out[-3000:]
    return code, out, end - float(found.group(1))


@pytest.mark.parametrize("ranks,bad", [(2, 0), (2, 1), (3, 0), (3, 1), (3, 2)])
def test_exception_on_any_rank_ends_the_job(ranks, bad):
    code, out, waited = _fail("raise", ranks, bad)
    assert code != 0, out[-3000:]
    assert f"ValueError: boom on rank {bad}" in out  # the traceback is printed
    assert f"uncaught ValueError on rank {bad} of {ranks}: aborting the whole MPI job" in out
    assert waited < 15, f"the job took {waited:.1f} s to end:\n{out[-3000:]}"


@pytest.mark.parametrize("mode,ranks,limit", [("stall", 3, "0:00:02"), ("barrier", 2, "0:00:01")])
def test_collective_timeout_ends_the_job(mode, ranks, limit):
    code, out, waited = _fail(mode, ranks, 1)
    op = "all_reduce" if mode == "stall" else "barrier"
    assert code != 0, out[-3000:]
    # every rank but the stalled one (1) waits; whichever watchdog fires first aborts the job
    assert any(f"glassnet.distributed.DistBackendError: rank {r} of {ranks}: {op} did not "
               f"complete within the timeout of {limit}" in out
               for r in range(ranks) if r != 1), out[-3000:]
    assert f"dist.{op}(" in out  # the stack of the waiting call
    assert 1 <= waited < 20, f"the job took {waited:.1f} s to end:\n{out[-3000:]}"


def test_killed_rank_ends_the_job():
    code, out, waited = _fail("kill", 2, 1)
    assert code != 0, out[-3000:]
    assert waited < 15, f"the job took {waited:.1f} s to end:\n{out[-3000:]}"
