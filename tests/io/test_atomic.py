"""Atomic writes (glassnet/io/atomic.py): a failure or a hard crash mid-write leaves the old
checkpoint readable and no temporary file behind."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from checkpoint_helpers import model_sd

import glassnet.io as gio

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = gio.save_checkpoint(tmp_path / "last.safetensors", model=model_sd(), extra={"step": 1})
    before = open(path, "rb").read()

    def boom(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", boom)
    big = {k: v * 2 for k, v in model_sd().items() if v.dtype.kind == "f"}
    with pytest.raises(OSError, match="simulated"):
        gio.save_checkpoint(tmp_path / "last.safetensors", model=big, extra={"step": 2})
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["last.json", "last.safetensors"]  # no temp left
    assert gio.load_checkpoint(path)["extra"] == {"step": 1}

    def half_then_fail(f):
        f.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gio.atomic_write(path, half_then_fail)
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["last.json", "last.safetensors"]


def test_hard_crash_mid_write_leaves_old_checkpoint(tmp_path):
    """A process killed while writing (os._exit inside fsync) leaves the old checkpoint readable."""
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {ROOT!r})
        import numpy as np
        import glassnet.io as gio
        p = {str(tmp_path / 'last.safetensors')!r}
        gio.save_checkpoint(p, model={{"w": np.ones(4, np.float32)}}, extra={{"step": 1}})
        os.fsync = lambda fd: os._exit(3)   # the power goes out while the new file is written
        gio.save_checkpoint(p, model={{"w": np.full(4, 9, np.float32)}}, extra={{"step": 2}})
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 3, r.stderr
    ck = gio.load_checkpoint(tmp_path / "last.safetensors")
    assert ck["extra"] == {"step": 1}
    np.testing.assert_array_equal(ck["model"]["w"].numpy(), np.ones(4, np.float32))
