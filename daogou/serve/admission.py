"""Admission of expensive requests: a few at a time, shared fairly between clients, shed when the wait is too long.

Why: searches, photo searches and chat turns run models on a 2-core box. Without admission every
request queued in the thread pool without end; one client sending slow inputs pushed everybody's
p99 from 1.6 s to 27 s. Here each expensive request waits for one of `slots` (async, holding no
thread); waiting requests are served round-robin by client, so a client with 30 requests queued
gets one slot in turn like a client with one; a client may have at most `per_client` requests
admitted or waiting (429 beyond), and nobody waits longer than `max_wait_s` (503 + Retry-After).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import dataclass, field


class Rejected(Exception):
    """A request the server will not take now: `status` 429 (this client has too many) or 503 (overloaded)."""

    def __init__(self, status: int, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


@dataclass
class _Client:
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)
    held: int = 0


class FairAdmission:
    """Round-robin over clients for a fixed number of slots, with per-client caps and a wait deadline."""

    def __init__(self, slots: int = 4, per_client: int = 8, max_queue: int = 256, max_wait_s: float = 10.0) -> None:
        self.slots = slots
        self.per_client = per_client
        self.max_queue = max_queue
        self.max_wait_s = max_wait_s
        self.busy = 0
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self.shed = 0

    @property
    def queued(self) -> int:
        return sum(len(c.waiting) for c in self._clients.values())

    async def acquire(self, client: str) -> None:
        state = self._clients.setdefault(client, _Client())
        if state.held + len(state.waiting) >= self.per_client:
            self.shed += 1
            raise Rejected(429, "too many requests from this client at once; retry shortly", 1)
        if self.busy < self.slots and not self.queued:
            self.busy += 1
            state.held += 1
            return
        if self.queued >= self.max_queue:
            self.shed += 1
            raise Rejected(503, "the server is busy; retry shortly", 2)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        state.waiting.append(future)
        try:
            await asyncio.wait_for(asyncio.shield(future), self.max_wait_s)
        except asyncio.TimeoutError:
            if future.done() and not future.cancelled():  # granted at the last moment: give the slot back
                self.release(client)
            else:
                future.cancel()
                self._forget(client, future)
            self.shed += 1
            raise Rejected(503, "the server is busy; retry shortly", 2) from None

    def release(self, client: str) -> None:
        state = self._clients.get(client)
        if state is not None:
            state.held = max(0, state.held - 1)
        self.busy = max(0, self.busy - 1)
        self._grant()
        if state is not None and not state.held and not state.waiting:
            self._clients.pop(client, None)

    def _forget(self, client: str, future: asyncio.Future[None]) -> None:
        state = self._clients.get(client)
        if state is not None and future in state.waiting:
            state.waiting.remove(future)
            if not state.held and not state.waiting:
                self._clients.pop(client, None)

    def _grant(self) -> None:
        """Give free slots to waiting clients in turn: the first client with a waiter, then to the back of the line."""
        while self.busy < self.slots:
            chosen = next((name for name, state in self._clients.items() if state.waiting), None)
            if chosen is None:
                return
            state = self._clients[chosen]
            future = state.waiting.popleft()
            self._clients.move_to_end(chosen)
            if future.cancelled():
                continue
            self.busy += 1
            state.held += 1
            future.set_result(None)


class AdmissionMiddleware:
    """Pure ASGI: requests to `expensive` paths pass through FairAdmission, keyed by client address."""

    def __init__(self, app, admission: FairAdmission, expensive: tuple[str, ...], exclude: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.admission = admission
        self.expensive = expensive
        #: paths under `expensive` that another admission governs (voice has its own, so it cannot starve text)
        self.exclude = exclude

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.expensive) or (self.exclude and path.startswith(self.exclude)):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        try:
            await self.admission.acquire(client)
        except Rejected as exc:
            body = ('{"detail": "%s"}' % exc.detail).encode()
            headers = [(b"content-type", b"application/json"), (b"retry-after", str(exc.retry_after).encode()),
                       (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": exc.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.release(client)
