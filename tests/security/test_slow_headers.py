"""L10: a client that never finishes its request headers is disconnected; normal requests still work."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from daogou.serve import protocol
from daogou.serve.protocol import DeadlineH11Protocol


async def _app(scope, receive, send):  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_slow_header_connections_are_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "HEADER_TIMEOUT_S", 1.0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_app, host="127.0.0.1", port=port, http=DeadlineH11Protocol, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
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
    finally:
        server.should_exit = True
        thread.join(timeout=5)
