"""Index generations published in the store, for stateless serving replicas (setting `index_in_store`).

Why: with the vectors (`vector_url`) and BM25 (`lexical_url`) in engines, what is left of a generation is small:
the engines' manifests, predicted attributes, review signals, explanation terms and the embedded attribute values.
Published into the store beside the catalog, any number of `daogou serve` processes on any machines read the same
live generation from there: a replica needs no index file on its disk, and a re-index by a third process (which
builds in its own folder, then publishes) is seen by every replica within REFRESH_S.

A replica copies the live generation's files into a private folder in memory (/dev/shm where it exists, a temporary
folder otherwise), because the searcher reads the small files it needs at open; the folder is removed when the
replica moves to the next generation or exits normally. A replica stopped by a signal that skips `atexit`
(SIGKILL, and SIGTERM under uvicorn) leaves its copy; copies are named by the serving pid, and the next replica
to open a generation removes those of dead pids. The checksum manifest travels with the files and is verified
before a generation is served, as for a folder.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from daogou.catalog.store import CatalogStore
from daogou.errors import DaogouError
from daogou.index.generations import KEEP_PREVIOUS, Generations
from daogou.processes import alive

#: Seconds a replica trusts its last read of the live generation's name (one small store read per request otherwise).
REFRESH_S = 1.0
#: What only a folder can hold: a generation with these cannot be served from the store.
LOCAL_ONLY = ("*.faiss", "*.npy", "lexical/*")
MEMORY = Path("/dev/shm")
#: The copies' folder names: PREFIX, the serving process's pid, the generation.
PREFIX = "daogou-replica-"


class NotPublishable(DaogouError):
    """A generation whose indexes are files (FAISS, tantivy): replicas could not serve it from the store."""


class PublishedGenerations(Generations):
    """Generations built in a local folder and published into the store; served from the store's copy."""

    def __init__(self, root: Path, store: CatalogStore) -> None:
        super().__init__(root)
        self.store = store
        self._name = ""
        self._read_at = 0.0
        self._served: tuple[str, Path] | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def commit(self, folder: Path, release: Callable[[Path, list[Path]], None] | None = None) -> None:
        """Switch the local pointer (super), publish the generation's files, then forget published generations that
        are neither live nor the previous one, releasing their engine collections."""
        local = [p for pattern in LOCAL_ONLY for p in folder.glob(pattern)]
        if local:
            self.abandon(folder, release)
            raise NotPublishable(f"index_in_store needs every index in an engine (vector_url and lexical_url); {folder.name} holds "
                                 f"{', '.join(sorted({p.name for p in local})[:3])}")
        super().commit(folder, release)
        previous = self.store.live_generation()
        files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        self.store.publish_generation(folder.name, files)
        keep = {folder.name, previous} if KEEP_PREVIOUS else {folder.name}
        for name in self.store.published_generations():
            if name in keep:
                continue
            if release is not None:
                with tempfile.TemporaryDirectory() as tmp:  # its manifests name the collections to drop
                    for file, data in self.store.generation_files(name, ".json").items():
                        (Path(tmp) / file).write_bytes(data)
                    release(Path(tmp), [folder])  # (the caller adds the live generation it read)
            self.store.forget_generation(name)
        with self._lock:
            self._read_at = 0.0

    def current_name(self) -> str:
        """The live generation's name in the store, read at most every REFRESH_S."""
        now = time.monotonic()
        with self._lock:
            if now - self._read_at >= REFRESH_S:
                self._name = self.store.live_generation()
                self._read_at = now
            return self._name

    def current(self) -> Path:
        """A private in-memory copy of the live generation's files (the folder is the root when none is published)."""
        name = self.current_name()
        if not name:
            return self.root
        with self._lock:
            if self._served is not None and self._served[0] == name:
                return self._served[1]
            files = self.store.generation_files(name)
            if not files:  # pruned between the two reads: the next request reads the new name
                self._read_at = 0.0
                raise DaogouError(f"index generation {name} was replaced while opening it; try again")
            base = MEMORY if MEMORY.is_dir() else Path(tempfile.gettempdir())
            _remove_orphans(base)
            folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-{name}-", dir=base))
            for file, data in files.items():
                target = folder / file
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            old, self._served = self._served, (name, folder)
        if old is not None:
            shutil.rmtree(old[1], ignore_errors=True)
        return folder

    def close(self) -> None:
        """Remove the in-memory copy (at exit too)."""
        with self._lock:
            served, self._served = self._served, None
        if served is not None:
            shutil.rmtree(served[1], ignore_errors=True)


def _remove_orphans(base: Path) -> None:
    """Remove the copies of replicas that died without cleaning up (a kill -9 skips atexit)."""
    for folder in base.glob(f"{PREFIX}*"):
        try:
            pid = int(folder.name.removeprefix(PREFIX).split("-", 1)[0])
        except ValueError:
            continue
        if pid != os.getpid() and not alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
