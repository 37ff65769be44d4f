"""Whether a process recorded in a file (a job's server, an index build's builder) is still running.

Why its own module: jobs and index generations both record a pid and must tell a live owner from a
crashed one, the same way.
"""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Whether process `pid` exists (a signal-0 probe; a pid of 0 or less never does)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
