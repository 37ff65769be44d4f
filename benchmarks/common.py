"""Helpers shared by the benchmark scripts: where shops live, percentiles, writing results."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from daogou.demo import demo_source  # noqa: E402
from daogou.shop import Shop  # noqa: E402

SHOPS = ROOT / ".shops"
RESULTS = ROOT / "results"
#: a variant of every benchmark shop (e.g. "pgvector": copies whose vector indexes live in PostgreSQL, see
#: backends.py); results are written beside the embedded ones as NAME@VARIANT.json
VARIANT = os.environ.get("DAOGOU_BENCH_VARIANT", "")


def result_name(name: str) -> str:
    """A result file's name under the current variant."""
    return f"{name}@{VARIANT}" if VARIANT else name


def shop_path(name: str) -> Path:
    """Where a benchmark shop lives; under a variant, a copy of the embedded shop made on first use."""
    base = SHOPS / name
    if not VARIANT:
        return base
    path = SHOPS / f"{name}@{VARIANT}"
    if not path.exists() and base.exists():
        import shutil

        shutil.copytree(base, path)
    return path


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50_ms": round(statistics.median(ordered), 2), "p99_ms": round(q[98], 2), "mean_ms": round(statistics.fmean(ordered), 2), "n": len(ordered)}


def myntra_shop(name: str = "myntra-full", limit: int | None = None) -> Shop:
    """The Myntra shop (all rows, or the first `limit`), built (import + index) on first use and reused afterwards."""
    path = shop_path(name)
    if not (path / "index" / "CURRENT").exists():
        shop = Shop.init(path, exist_ok=True)
        shop.import_catalog(demo_source().csv, preset="myntra", limit=limit)
        shop.index(show_progress=True)
        return shop
    return Shop.open(path)


def write_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores", **data}
    path = RESULTS / f"{result_name(name)}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return path


@contextmanager
def served(shop_path: Path, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`daogou serve` on a free loopback port in its own process tree; yields (base URL, process) once /api/ready
    answers, and stops it afterwards. `env` adds DAOGOU_* overrides for this server only."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "daogou.cli", "serve", str(shop_path), "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/api/ready", timeout=30).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("server did not become ready")
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)
