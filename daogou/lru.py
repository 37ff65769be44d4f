"""A bounded least-recently-used mapping: the one cache shape of the project (query vectors and whole results in
the searcher, phrase vectors in query inference).

Why one small class: real query streams repeat (a head of popular queries and a long tail) and encoding text is
most of a search's CPU; every cache must also stay bounded in a long-running server. Who owns an instance decides
when it is dropped (a searcher's caches go with its index generation).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


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

    def clear(self) -> None:
        """Forget every entry (the hit and miss counts stay)."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
