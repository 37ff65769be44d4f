"""The HTTP protocol the server runs: uvicorn's h11 protocol, plus a deadline for a connection's first request.

Why: uvicorn times out idle keep-alive connections but not a client that opens a connection and sends
its headers a byte at a time; a few hundred of those hold every connection slot (slow-header attack).
A connection whose first request has not arrived in full within HEADER_TIMEOUT_S is closed.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0


class DeadlineH11Protocol(H11Protocol):
    """h11 with a deadline on receiving the first request's headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._first_request_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._no_request_in_time)

    def _no_request_in_time(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._first_request_timer.cancel()
        super().connection_lost(exc)
