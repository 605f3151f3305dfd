"""Several processes under ``mpiexec``: tests/distributed/mpi_checks.py runs its checks on
every rank (collectives; DistributedDataParallel equal on all ranks and equal to one process
training on the full batch; no_sync; buffers; DistributedSampler) and reports them here; and
importing glassnet does not start MPI.

One launch per world size keeps MPI's start-up cost to a second or so each. A job that hangs
is killed with its whole process group after a timeout, so it cannot stall the suite."""

from __future__ import annotations

import importlib.util
import json
import os
import sys

import pytest

from ._util import HERE, MPIEXEC, run_job

pytestmark = pytest.mark.skipif(
    MPIEXEC is None or importlib.util.find_spec("mpi4py") is None,
    reason="needs mpi4py and an mpiexec launcher (pip install mpi4py mpich)")


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
