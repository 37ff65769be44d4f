"""L10: a client that never finishes its request headers is disconnected; normal requests still work."""

from __future__ import annotations

import socket
import time

import pytest

from daogou.serve import protocol
from daogou.serve.protocol import DeadlineH11Protocol


async def _app(scope, receive, send):  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_slow_header_connections_are_closed(monkeypatch: pytest.MonkeyPatch, serve_in_thread) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(protocol, "HEADER_TIMEOUT_S", 1.0)
    with serve_in_thread(_app, http=DeadlineH11Protocol, lifespan="off") as port:
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
