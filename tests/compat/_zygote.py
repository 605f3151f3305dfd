"""A process that imports a library once, then runs each script in a fresh child forked from it.

Importing PyTorch (with the torch._dynamo machinery its optimisers pull in) costs seconds of CPU,
more than most compat scripts take to run; forking from a process that has already imported it
gives every script a fresh process whose only history is that import.

Protocol, one line each way: the runner writes ``{"script": path, "cwd": folder}``; the child
runs the script with stdout and stderr sent to ``stdout.txt`` / ``stderr.txt`` in that folder;
this process answers ``{"rc": exit_status}``.

    python _zygote.py torch|glassnet
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import time
import traceback

TIMEOUT_S = 300


def preload(lib: str) -> None:
    if lib == "torch":
        import torch
        import torch.nn.functional
        import torch.optim
        import torch.utils.data

        try:  # the optimisers import it on their first step
            import torch._dynamo  # noqa: F401
        except Exception:  # noqa: BLE001,S110 - only a warm-up
            pass
    else:
        import glassnet
        import glassnet.nn.functional
        import glassnet.optim
        import glassnet.utils.data  # noqa: F401


def run_child(script: str, cwd: str) -> None:
    os.chdir(cwd)
    out = os.open("stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open("stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.argv = [script]
    sys.path[0] = os.path.dirname(script)
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on stderr, like an uncaught exception
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def wait(pid: int) -> int:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return 124
        time.sleep(0.01)


def main() -> None:
    preload(sys.argv[1])
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run_child(req["script"], req["cwd"])
        print(json.dumps({"rc": wait(pid)}), flush=True)


if __name__ == "__main__":
    main()
