"""A searcher's query vectors: encoded once per text whether started ahead or not, the encoding running on its own
thread while the request goes on, errors reaching the request, and the encoder lock always held."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from daogou.search.query_vectors import PENDING, QueryVectors


class SlowEncoder:
    """Counts calls, holds each for `delay` seconds, and checks the lock is held (the real encoders are not re-entrant)."""

    name, dim = "slow", 4

    def __init__(self, lock: threading.Lock, delay: float = 0.05, fail: bool = False) -> None:
        self.lock, self.delay, self.fail = lock, delay, fail
        self.calls: list[str] = []
        self.threads: set[str] = set()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        assert self.lock.locked()
        self.calls += texts
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("encoder broke")
        return np.array([[len(t), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32)


def test_ahead_runs_while_the_caller_works_and_encodes_once() -> None:
    lock = threading.Lock()
    encoder = SlowEncoder(lock, delay=0.2)
    vectors = QueryVectors(encoder, lock)
    started = time.perf_counter()
    vectors.ahead("red dress")
    vectors.ahead("red dress")  # already started: not again
    time.sleep(0.2)  # the request's own work (parsing, BM25) overlaps the encoding
    vector = vectors.get("red dress")
    assert time.perf_counter() - started < 0.35  # the wait was the longer of the two, not their sum
    assert vector[0] == len("red dress") and encoder.calls == ["red dress"]
    assert all(name.startswith("daogou-query-encoder") for name in encoder.threads)
    assert vectors.get("red dress") is vector and encoder.calls == ["red dress"]  # cached
    vectors.ahead("red dress")  # cached: nothing started
    assert encoder.calls == ["red dress"]
    assert vectors.get("blue jeans")[0] == len("blue jeans")  # never started ahead: encoded on the caller's thread
    vectors.close()


def test_an_error_reaches_the_request_and_pending_work_stays_bounded() -> None:
    lock = threading.Lock()
    vectors = QueryVectors(SlowEncoder(lock, delay=0.0, fail=True), lock)
    vectors.ahead("x")
    with pytest.raises(RuntimeError, match="encoder broke"):
        vectors.get("x")
    ok = QueryVectors(SlowEncoder(lock, delay=0.0), lock)
    for i in range(PENDING * 3):  # requests that failed before retrieval never collect theirs
        ok.ahead(f"q{i}")
    time.sleep(0.2)
    assert len(ok._pending) <= PENDING
    ok.close()
