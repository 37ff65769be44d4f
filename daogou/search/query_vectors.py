"""A searcher's query vectors: each text encoded once, however often a request retrieves (relaxation rounds) and
however often shoppers repeat it.

Encoders are not re-entrant, so every encode takes the searcher's one encoder lock (the query parser's value
inference takes it too). Measured and dropped: starting the encoding on a thread of its own as a request arrives,
to overlap parsing and BM25. On the Myntra shop the encoder is ~10 ms of an 11 ms search, so there was little to
overlap, and the hand-off made the median search slower (12.8–13.7 ms against 11.0 ms).
"""

from __future__ import annotations

import threading

import numpy as np

from daogou.lru import LRU
from daogou.models.protocols import TextEncoder

#: Query vectors kept (1.5 KB each).
ENTRIES = 8192


class QueryVectors:
    """Text → query vector, cached."""

    def __init__(self, encoder: TextEncoder, lock: threading.Lock, size: int = ENTRIES) -> None:
        self.encoder = encoder
        self.lock = lock
        self.cache: LRU[np.ndarray] = LRU(size)

    def get(self, text: str) -> np.ndarray:
        """The query vector of `text`, from the cache or encoded now."""
        vector = self.cache.get(text)
        if vector is None:
            with self.lock:
                vector = self.encoder.encode_queries([text])[0]
            self.cache.put(text, vector)
        return vector
