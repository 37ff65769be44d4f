"""A searcher's query vectors: one encode per text, under the encoder lock."""

from __future__ import annotations

import threading

import numpy as np

from daogou.search.query_vectors import QueryVectors


class CountingEncoder:
    name, dim = "counting", 4

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.calls: list[str] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        assert self.lock.locked()  # the real encoders are not re-entrant
        self.calls += texts
        return np.array([[len(t), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32)


def test_each_text_is_encoded_once_under_the_lock() -> None:
    lock = threading.Lock()
    encoder = CountingEncoder(lock)
    vectors = QueryVectors(encoder, lock, size=2)
    first = vectors.get("red dress")
    assert first[0] == len("red dress") and vectors.get("red dress") is first and encoder.calls == ["red dress"]
    vectors.get("blue jeans")
    vectors.get("black shoes")  # the cache keeps 2: "red dress" is forgotten
    vectors.get("red dress")
    assert encoder.calls == ["red dress", "blue jeans", "black shoes", "red dress"]
