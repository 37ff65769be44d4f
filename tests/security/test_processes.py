"""M8: encoding workers exit when their parent is killed with SIGKILL (no orphans left holding memory)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

PARENT = r"""
import os, sys, time
from daogou.pipeline.distributors import ProcessDistributor

def pid_then_sleep(_):
    import os, time
    time.sleep(0.5)
    return os.getpid()

if __name__ == "__main__":
    pool = ProcessDistributor(2)
    pids = sorted(set(pool.map(pid_then_sleep, range(6))))
    print(" ".join(map(str, pids)), flush=True)
    list(pool.map(time.sleep, [60] * 4))
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is dead too
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and SIGKILL")
def test_m8_workers_die_with_a_killed_parent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()  # type: ignore[union-attr]
        workers = [int(p) for p in line.split()]
        assert workers and all(_alive(p) for p in workers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers), "workers outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
