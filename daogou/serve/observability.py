"""What an operator sees: a request id on every response, one JSON log line per request, Prometheus metrics,
and no stack traces or echoed input in responses.

Why: the probe found 80–500-line tracebacks in logs for one bad file and 422s that echoed whole
inputs back. Logs carry the route template (not the query string), status, time and request id;
the traceback of an unexpected error goes to the log under that id, and the client gets the id only.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LOG = logging.getLogger("daogou.requests")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Metrics:
    """Per-process Prometheus metrics (each `serve --workers` process exposes its own)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("daogou_requests_total", "Requests by route and status", ["route", "status"], registry=self.registry)
        self.latency = Histogram(
            "daogou_request_seconds", "Request latency by route", ["route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.errors = Counter("daogou_errors_total", "Unexpected server errors", registry=self.registry)
        self.in_flight = Gauge("daogou_in_flight", "Expensive requests admitted now", registry=self.registry)
        self.queue = Gauge("daogou_admission_queue", "Expensive requests waiting for a slot", registry=self.registry)
        self.shed = Gauge("daogou_shed_total", "Requests refused with 429/503 by admission", registry=self.registry)
        self.index_generation = Gauge("daogou_index_generation_info", "Live index generation", ["generation"], registry=self.registry)
        self.products = Gauge("daogou_products", "Products in the catalog", registry=self.registry)


def _route_of(scope) -> str:  # type: ignore[no-untyped-def]
    route = scope.get("route")
    return getattr(route, "path", None) or ("static" if scope.get("path", "").startswith("/static/") else "unmatched")


class RequestLog:
    """Pure ASGI: request id, timing, metrics, one JSON log line, and a bare 500 for unexpected errors."""

    def __init__(self, app, metrics: Metrics) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex[:16]
        started = time.perf_counter()
        status = 500
        responded = False

        async def tagged(message) -> None:  # type: ignore[no-untyped-def]
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        except Exception:
            self.metrics.errors.inc()
            LOG.error(json.dumps({"request_id": request_id, "error": traceback.format_exc(limit=20)}))
            if responded:
                raise
            body = json.dumps({"detail": "internal error", "request_id": request_id}).encode()
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())]})
            await send({"type": "http.response.body", "body": body})
            status = 500
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            client = (scope.get("client") or ("-", 0))[0]
            LOG.info(json.dumps({"ts": round(time.time(), 3), "request_id": request_id, "method": scope.get("method"), "route": route,
                                 "status": status, "ms": round(elapsed * 1000, 1), "client": client}))
