"""Bounded least-recently-used caches for one searcher: query vectors, and whole text results.

Why: real query streams repeat (a head of popular queries and a long tail), and encoding a query is most of a
text search's CPU. A searcher lives exactly as long as one index generation, so its caches go with it when the
index changes; results are also keyed by the store's catalog version, so an edited price is never served stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

#: Query vectors kept (1.5 KB each); whole results are bounded by the `search_cache` setting (a few KB each).
VECTOR_ENTRIES = 8192


class LRU(Generic[V]):
    """A thread-safe mapping that forgets its least recently used entry beyond `size` (0 keeps nothing)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
