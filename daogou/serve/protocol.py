"""The HTTP protocol the server runs: uvicorn's httptools protocol with a deadline for a connection's first
request and a cap on the size of a request's headers (an h11 variant with the same deadline is kept).

Why: uvicorn times out idle keep-alive connections but not a client that opens a connection and sends
its headers a byte at a time; a few hundred of those hold every connection slot (slow-header attack).
A connection whose first request has not arrived in full within HEADER_TIMEOUT_S is closed. Headers are
capped at MAX_HEADER_BYTES (h11 does that with `h11_max_incomplete_event_size`; httptools has no such
setting, so the cap is counted in its URL and header callbacks and answered with 400, as h11 does).
Why httptools: its C parser took ~0.2 ms less server CPU per request than h11 (sequential requests,
one worker; a cached search costs ~2.5 ms in all).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_S = 10.0
MAX_HEADER_BYTES = 16 * 1024


class _FirstRequestDeadline:
    """Closes a connection whose first request's headers have not all arrived within HEADER_TIMEOUT_S."""

    cycle: object
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def _start_deadline(self) -> None:
        self._first_request_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._no_request_in_time)

    def _no_request_in_time(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


class DeadlineH11Protocol(_FirstRequestDeadline, H11Protocol):
    """h11 with a deadline on receiving the first request's headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._first_request_timer.cancel()
        super().connection_lost(exc)


class HeadersTooLarge(Exception):
    """Raised inside a parser callback; httptools turns it into a parser error, answered with 400."""


class GuardedHttpToolsProtocol(_FirstRequestDeadline, HttpToolsProtocol):
    """httptools with the first-request deadline and a cap on the bytes of a request line and headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._first_request_timer.cancel()
        super().connection_lost(exc)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise HeadersTooLarge

    def on_message_begin(self) -> None:
        self._header_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)
