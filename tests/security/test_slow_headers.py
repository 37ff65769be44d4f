"""L10: a client that never finishes its request headers is disconnected, oversized headers are refused; normal
requests still work. On both protocols the server can run (httptools, the default, and h11)."""

from __future__ import annotations

import socket
import time

import pytest

from daogou.serve import protocol
from daogou.serve.protocol import DeadlineH11Protocol, GuardedHttpToolsProtocol

PROTOCOLS = pytest.mark.parametrize("http", [GuardedHttpToolsProtocol, DeadlineH11Protocol], ids=["httptools", "h11"])


async def _app(scope, receive, send):  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


@PROTOCOLS
def test_slow_header_connections_are_closed(monkeypatch: pytest.MonkeyPatch, serve_in_thread, http) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(protocol, "HEADER_TIMEOUT_S", 1.0)
    with serve_in_thread(_app, http=http, lifespan="off") as port:
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")  # headers never finished
        slow.settimeout(5)
        started = time.time()
        assert slow.recv(100) == b""  # the server closed it
        assert time.time() - started < 4
        fine = socket.create_connection(("127.0.0.1", port))
        fine.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        fine.settimeout(5)
        assert b"200 OK" in fine.recv(200)
        fine.close()


def test_oversized_headers_are_refused_and_the_server_goes_on(serve_in_thread) -> None:  # type: ignore[no-untyped-def]
    """(h11's `max_incomplete_event_size` only caps headers that arrive in pieces: 40 KB sent at once passed it.)"""
    with serve_in_thread(_app, http=GuardedHttpToolsProtocol, lifespan="off") as port:
        big = socket.create_connection(("127.0.0.1", port))
        big.settimeout(5)
        request = b"GET / HTTP/1.1\r\nHost: localhost\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(40)) + b"\r\n"
        try:
            big.sendall(request)
            answer = big.recv(200)
        except ConnectionResetError:  # closed while we were still sending: refused too
            answer = b""
        assert b"200" not in answer
        big.close()
        fine = socket.create_connection(("127.0.0.1", port))
        fine.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n" + b"X-Ok: " + b"a" * 4000 + b"\r\n\r\n")  # 4 KB is fine
        fine.settimeout(5)
        assert b"200 OK" in fine.recv(200)
        fine.close()
