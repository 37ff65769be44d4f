"""Guards at the edge of the server, before any route reads a byte: body caps, the admin gate, safety headers.

Why ASGI middleware and not route code: FastAPI parses a request's body (and spools uploads to
disk) *before* it runs a route's dependencies, so a 3 GB upload was written out before the size
check and a 2 GB admin upload before the 401. Here a body over its route's cap is refused by its
Content-Length at once, or by counting bytes as they stream in, and an admin request without the
right token is refused before its body is read at all.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Bodies of JSON endpoints: a search or a chat turn is a few hundred bytes.
JSON_BODY_BYTES = 64 * 1024
#: Room for multipart boundaries and form fields around an uploaded file.
FORM_OVERHEAD = 64 * 1024

#: Headers on every response: no MIME sniffing, no framing, no referrer leaks.
SAFETY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
#: The storefront loads only its own script, style, photos and the microphone/camera streams it records.
#: 'wasm-unsafe-eval' lets the page compile the vendored pose model's WebAssembly (live try-on); it allows no JS eval.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Everything that is not the storefront or the API docs (JSON, photos) may not run or embed anything.
STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


class AdminGate:
    """Checks the admin bearer token (constant-time); admin is disabled when no token is configured."""

    def __init__(self, token: str) -> None:
        self.token = token

    def problem(self, authorization: str | None) -> tuple[int, str] | None:
        """None when allowed, else (status, message)."""
        if not self.token:
            return 403, "admin endpoints are disabled: set DAOGOU_ADMIN_TOKEN to enable them"
        if not authorization or not authorization.lower().startswith("bearer "):
            return 401, "missing admin token: send 'Authorization: Bearer <token>'"
        if not hmac.compare_digest(authorization[7:].strip().encode(), self.token.encode()):
            return 403, "wrong admin token"
        return None

    def __call__(self, authorization: str | None) -> None:
        found = self.problem(authorization)
        if found is not None:
            headers = {"WWW-Authenticate": "Bearer"} if found[0] == 401 else None
            raise HTTPException(found[0], found[1], headers=headers)


class EdgeGuard:
    """Pure ASGI middleware: caps bodies per route, gates admin paths, adds safety headers."""

    def __init__(self, app: ASGIApp, gate: AdminGate, body_caps: dict[str, int], default_cap: int = JSON_BODY_BYTES) -> None:
        self.app = app
        self.gate = gate
        self.body_caps = body_caps
        self.default_cap = default_cap

    def cap_for(self, path: str) -> int:
        return self.body_caps.get(path.rstrip("/") or "/", self.default_cap)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if path.startswith("/api/admin/"):
            found = self.gate.problem(headers.get("authorization"))
            if found is not None:
                await _reply(send, found[0], found[1], path)
                return
        cap = self.cap_for(path)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await _reply(send, 400, "Content-Length is not a number", path)
                return
            if int(declared) > cap:
                await _reply(send, 413, f"request body is {int(declared):,} bytes; this endpoint takes at most {cap:,}", path)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise HTTPException(413, f"request body is over {cap:,} bytes, the most this endpoint takes")
            return message

        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw = list(message.get("headers", []))
                present = {k.decode("latin-1").lower() for k, _ in raw}
                extra = dict(SAFETY_HEADERS)
                if path not in ("/docs", "/redoc"):  # FastAPI's docs pages run an inline script of their own
                    extra["content-security-policy"] = PAGE_POLICY if _is_page(path) else STRICT_POLICY
                raw += [(k.encode(), v.encode()) for k, v in extra.items() if k not in present]
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, counted, with_headers)
        except HTTPException as exc:  # raised by `counted` outside a route's own error handling
            if started:
                raise
            await _reply(send, exc.status_code, str(exc.detail), path)


def _is_page(path: str) -> bool:
    """The storefront runs its own script; nothing else the server sends may."""
    return path == "/" or path.startswith("/static/")


async def _reply(send: Send, status: int, detail: str, path: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    headers += [(k.encode(), v.encode()) for k, v in SAFETY_HEADERS.items()]
    headers.append((b"content-security-policy", STRICT_POLICY.encode()))
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
