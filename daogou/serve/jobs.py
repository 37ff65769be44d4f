"""Background admin jobs (re-indexing takes minutes), one at a time across all server processes.

Why files and a file lock: with `serve --workers 2` the status poll may reach another process than
the start, and two processes must not both start a rebuild (an in-memory lock only covered one).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from pathlib import Path

from fastapi import HTTPException

from daogou import atomic
from daogou.processes import alive


class Jobs:
    """Background admin jobs (re-indexing takes minutes), one at a time, recorded as JSON files in the shop.

    Files, not memory: with several server processes the status poll may reach another process than the start.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def _save(self, job: dict[str, object]) -> None:
        atomic.write_text(self.directory / f"{job['id']}.json", json.dumps(job, default=str))

    def start(self, name: str, work) -> dict[str, object]:  # type: ignore[no-untyped-def]
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.directory / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two server processes must not both start a job
            for path in self.directory.glob("*.json"):
                try:
                    other = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue  # a damaged job record does not block new jobs
                if other.get("state") == "running" and alive(int(other.get("pid", 0))):
                    raise HTTPException(409, "another admin job is running; wait for it to finish")
            job: dict[str, object] = {"id": uuid.uuid4().hex[:12], "name": name, "state": "running", "started": time.time(), "pid": os.getpid()}
            self._save(job)

        def run() -> None:
            try:
                job["result"] = work()
                job["state"] = "done"
            except Exception as exc:  # reported to the admin through the job status (the message, no traceback)
                job["state"], job["error"] = "failed", f"{exc.__class__.__name__}: {exc}"[:500]
            job["finished"] = time.time()
            self._save(job)

        threading.Thread(target=run, daemon=True).start()
        return job

    def get(self, job_id: str) -> dict[str, object]:
        if not job_id.isalnum():
            raise HTTPException(404, f"no job {job_id!r}")
        path = self.directory / f"{job_id}.json"
        if not path.exists():
            raise HTTPException(404, f"no job {job_id!r}")
        return json.loads(path.read_text(encoding="utf-8"))
