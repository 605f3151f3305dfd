"""Failing loudly under MPI (glassnet/distributed/watchdog.py): tests/distributed/
mpi_failures.py makes one rank fail (an exception, a stall, SIGKILL) and the whole job must end
with a non-zero status within seconds instead of hanging."""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import sys
import time

import pytest

from ._util import HERE, MPIEXEC, run_job

pytestmark = pytest.mark.skipif(
    MPIEXEC is None or importlib.util.find_spec("mpi4py") is None,
    reason="needs mpi4py and an mpiexec launcher (pip install mpi4py mpich)")


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
