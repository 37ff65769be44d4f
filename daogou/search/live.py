"""The searcher over the live index generation, shared by a server's threads and reopened when the generation changes.

Why its own object: a re-index (here or by another process on the same store) publishes a new generation under a
new name; every request compares that name, and the first one after a change opens the new generation's searcher
while the others wait. The old searcher is dropped before the new one is settled as long-lived (search/long_lived.py).
"""

from __future__ import annotations

import threading

from daogou.index.service import IndexService
from daogou.search import long_lived
from daogou.search.engine import Searcher


class LiveSearcher:
    """Opens a `Searcher` for the live generation on first use and again whenever the live generation changes."""

    def __init__(self, indexes: IndexService) -> None:
        self.indexes = indexes
        self._searcher: Searcher | None = None
        self._stamp: tuple[object, ...] = ()
        self._lock = threading.Lock()

    def get(self) -> Searcher:
        with self._lock:
            stamp = self.indexes.live_stamp()
            if self._searcher is None or stamp != self._stamp:
                generations = self.indexes.generations
                folder = generations.current()
                generations.verify(folder)
                self._searcher = None  # the old one goes before the new one is counted as long-lived
                indexes = self.indexes
                self._searcher = Searcher(indexes.store, indexes.settings, folder, indexes.models_dir, indexes.alignment())
                self._stamp = stamp
                long_lived.settle()
            return self._searcher
