"""A searcher's query vectors: each text encoded once, and its encoding started ahead as a request arrives.

Why ahead: the e5 query encoder is about half of a text search's time, and its onnxruntime call releases the GIL.
Started on a thread of its own when the request arrives, it runs on another core while the same request parses
the query, runs BM25 and builds its filter; the search then waits for the longer of the two instead of their sum.
The CPU a search costs does not change. Encoders are not re-entrant, so every encode (ahead or not, and the query
parser's value inference) still takes the searcher's one encoder lock.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from daogou.lru import LRU
from daogou.models.protocols import TextEncoder

#: Query vectors kept (a relaxed retry of the same request, and repeated queries, reuse them).
ENTRIES = 8192
#: Encodings started ahead and not yet collected (a request that failed before retrieval leaves one behind).
PENDING = 256


class QueryVectors:
    """Text → query vector, cached, with `ahead(text)` to start an encoding before it is needed."""

    def __init__(self, encoder: TextEncoder, lock: threading.Lock, size: int = ENTRIES) -> None:
        self.encoder = encoder
        self.lock = lock
        self.cache: LRU[np.ndarray] = LRU(size)
        self._pending: dict[str, Future[np.ndarray]] = {}
        self._pending_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daogou-query-encoder")

    def ahead(self, text: str) -> None:
        """Start encoding `text` on the encoder thread unless it is cached or already started."""
        if text in self.cache:
            return
        with self._pending_lock:
            if text in self._pending:
                return
            if len(self._pending) >= PENDING:
                self._pending = {t: f for t, f in self._pending.items() if not f.done()}
                if len(self._pending) >= PENDING:  # a backlog: this request encodes on its own thread when it gets there
                    return
            self._pending[text] = self._pool.submit(self._encode, text)

    def get(self, text: str) -> np.ndarray:
        """The query vector of `text`: cached, or the encoding started ahead, or encoded now."""
        vector = self.cache.get(text)
        if vector is not None:
            return vector
        with self._pending_lock:
            started = self._pending.pop(text, None)
        if started is not None:
            return started.result()
        return self._encode(text)

    def _encode(self, text: str) -> np.ndarray:
        with self.lock:
            vector = self.encoder.encode_queries([text])[0]
        self.cache.put(text, vector)
        return vector

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
