"""Distributors: how mapper calls are spread over cores — in-process, or a pool of worker processes.

Why processes and not threads: the models run one intra-op thread each (faster per core here), and
the GIL would serialise the Python around them. A pool of `workers` processes keeps both cores busy.
Swappable like clip-retrieval's backends: the cluster distributor (Ray, cluster.py) has the same two methods.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Distributor(Protocol):
    #: True when workers may not see this machine's files (batches must then carry the photos' bytes)
    ships_files: bool

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


class SequentialDistributor:
    """Runs every batch in this process; the default for small jobs and for tests."""

    ships_files = False

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield fn(item)

    def close(self) -> None:
        pass


def _die_with_parent(parent: int) -> None:
    """Make this worker exit when its parent dies, even by `kill -9` (two ~400 MB workers were left running).

    Linux: the kernel sends SIGKILL on the parent's death (PR_SET_PDEATHSIG). Everywhere: a daemon thread
    that notices the parent pid changing.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        except OSError:
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_init(parent: int) -> None:
    _die_with_parent(parent)
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


class ProcessDistributor:
    """A pool of spawned worker processes (spawn: safe with torch and native threads in the parent).

    Results come back in submission order with a bounded number in flight, so memory stays flat
    and the writer commits in a predictable order.
    """

    ships_files = False

    def __init__(self, workers: int = 2, in_flight_per_worker: int = 2) -> None:
        self.workers = workers
        self.window = max(1, workers * in_flight_per_worker)
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init, initargs=(os.getpid(),)
        )

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(self._pool.submit(fn, item))
            if len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_distributor(workers: int, items: int, min_items_per_worker: int = 64) -> Distributor:
    """Pick a distributor: worker processes pay a few seconds of start-up, so small jobs stay in-process."""
    if workers <= 1 or items < workers * min_items_per_worker:
        return SequentialDistributor()
    return ProcessDistributor(workers)
