"""Shared helpers for the multi-process tests: the mpiexec launcher next to this interpreter
and a job runner that kills a hung job with its whole process group."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT_S = 90


def _mpiexec():
    # the launcher installed next to this interpreter matches mpi4py's MPI library
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return local if os.path.exists(local) else shutil.which("mpiexec")


MPIEXEC = _mpiexec()


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
