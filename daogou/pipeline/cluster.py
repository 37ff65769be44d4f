"""RayDistributor: encoding batches as Ray tasks, on a Ray cluster or on a Ray started on this machine.

Why Ray: when a catalog's photos take hours to encode on one machine, a retailer with a Ray cluster
(or a Kubernetes KubeRay one) can spread the same mapper over many nodes without any other change: the
reader still decides what is pending by content hash, and the writer still commits each batch as it
comes back, so a run that dies (driver or workers) resumes where it stopped, like the process pool.

Workers may run on machines that cannot read this machine's disk, so image batches travel with their
bytes (`Distributor.ships_files`), not their paths. Each task asks for one CPU: Ray then sets the worker's
OMP_NUM_THREADS to 1, which is what the encoders run fastest with (one intra-op thread per core).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from daogou.errors import DaogouError

T = TypeVar("T")
R = TypeVar("R")

#: Object store of a Ray started here: batches are ~1 MB, so a small store is plenty and spares the RAM.
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024


class RayUnavailable(DaogouError):
    """Ray is not installed, or the cluster named cannot be reached."""


def connect(address: str = "auto", cpus: int | None = None) -> bool:
    """Join the Ray cluster at `address` ("auto": $RAY_ADDRESS or the cluster running on this machine, else a
    Ray started here; "local": always a Ray started here; else "ray://host:10001" or "host:6379").

    False when this process had already joined one (it is used as it is, and left joined)."""
    try:
        import ray  # noqa: PLC0415 - optional: pip install -e ".[ray]"
    except ImportError as exc:
        raise RayUnavailable('Ray is not installed: pip install -e ".[ray]"') from exc
    if ray.is_initialized():
        return False
    local: dict[str, Any] = {"num_cpus": cpus, "include_dashboard": False, "object_store_memory": LOCAL_OBJECT_STORE_BYTES}
    if address == "local":
        ray.init(**local)
        return True
    if address == "auto":
        try:
            ray.init(address=os.environ.get("RAY_ADDRESS") or "auto")
        except ConnectionError:  # no cluster on this machine and none named: start one here
            ray.init(**local)
        return True
    try:
        ray.init(address=address)
    except ConnectionError as exc:
        raise RayUnavailable(f"no Ray cluster at {address}: {exc}") from exc
    return True


class RayDistributor:
    """Runs `fn` as Ray tasks, results in submission order, with a bounded number in flight.

    `in_flight_per_cpu` batches per cluster CPU are submitted ahead, so every worker has its next batch
    while memory on the driver stays flat. A task whose worker dies is retried by Ray (`max_retries`);
    an exception raised by `fn` itself is not retried and ends the run (the writer keeps what was done).
    """

    #: workers on other machines cannot open this machine's files: batches must carry their bytes
    ships_files = True

    def __init__(self, address: str = "auto", cpus: int | None = None, in_flight_per_cpu: int = 2, max_retries: int = 3) -> None:
        self._joined = connect(address, cpus)
        import ray  # noqa: PLC0415

        self._ray = ray
        total = int(ray.cluster_resources().get("CPU", 1))
        self.window = max(1, total * in_flight_per_cpu)
        self.max_retries = max_retries
        self._remote: dict[Callable[..., Any], Any] = {}

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(num_cpus=1, max_retries=self.max_retries)(fn)
        pending: deque[Any] = deque()
        try:
            for item in items:
                pending.append(remote.remote(item))
                if len(pending) >= self.window:
                    yield self._ray.get(pending.popleft())
            while pending:
                yield self._ray.get(pending.popleft())
        finally:
            for ref in pending:  # the caller stopped early or a batch failed: do not leave work running
                self._ray.cancel(ref)

    def close(self) -> None:
        """Leaves the cluster if this distributor joined it (a Ray started here shuts down with it)."""
        if self._joined:
            self._ray.shutdown()
