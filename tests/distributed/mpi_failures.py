"""Run under ``mpiexec -n K``: one rank fails in a chosen way; the whole job must end.

    python mpi_failures.py raise R     rank R raises (the others wait in all_reduce)
    python mpi_failures.py stall R     rank R stops calling collectives; timeout 2 s
    python mpi_failures.py barrier R   the same, with the default timeout and a 1 s barrier
    python mpi_failures.py kill R      rank R is killed with SIGKILL

The failing rank prints ``FAILING AT <time.time()>`` just before it fails, so
tests/distributed/test_watchdog.py can measure how long the job takes to die. Without
glassnet's excepthook and watchdog, every mode but ``kill`` would hang until killed.
"""

from __future__ import annotations

import datetime
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import glassnet as gn
import glassnet.distributed as dist


def main(mode, bad):
    timeout = datetime.timedelta(seconds=2) if mode == "stall" else None
    dist.init_process_group("gloo", timeout=timeout)
    r = dist.get_rank()
    dist.all_reduce(gn.ones(2))  # everyone is up
    if r == bad:
        print(f"FAILING AT {time.time()}", flush=True)
        if mode == "raise":
            raise ValueError(f"boom on rank {r}")
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(300)  # stall, barrier: never reaches the next collective
    if mode == "barrier":
        dist.barrier(timeout=datetime.timedelta(seconds=1))
    dist.all_reduce(gn.ones(2))
    print(f"rank {r}: the job went on without rank {bad}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
