"""Load test of `daogou serve` on loopback: 32 concurrent clients for 60 s of mixed text queries.

Starts the server as a separate process on 127.0.0.1 (a free port), waits until it answers, runs the
clients (bounded in time), stops the server, and reports requests/second, p50/p99 latency and errors.
Writes results/load.json. Usage: python benchmarks/load.py [SHOP_DIR] [--seconds 60] [--clients 32]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import time

import httpx
from common import SHOPS, percentiles, write_result

QUERIES = [
    "black sports shoes for men", "red dress for women", "黑色男士运动鞋", "白色T恤", "blue jeans", "leather wallet",
    "women handbags under 2000", "navy blue shirts", "watches for her", "不要黑色的女士手提包", "casual shoes for boys",
    "grey sweatshirt", "sunglasses", "formal shoes not black", "粉色女士上衣", "analogue watch", "kurta for women", "backpack",
]


async def client(base: str, deadline: float, latencies: list[float], errors: list[str], seed: int) -> None:
    rng = random.Random(seed)
    # each client behind its own address, as a reverse proxy reports it (admission is fair per client address)
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"x-forwarded-for": f"10.0.1.{seed + 1}"}) as http:
        while time.monotonic() < deadline:
            q = rng.choice(QUERIES)
            started = time.perf_counter()
            try:
                response = await http.get("/api/search", params={"q": q, "k": 24})
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {q}")
            except httpx.HTTPError as exc:
                errors.append(f"{exc.__class__.__name__} {q}")
            latencies.append((time.perf_counter() - started) * 1000)


async def run(base: str, seconds: float, clients: int) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(client(base, deadline, latencies, errors, i) for i in range(clients)))
    return latencies, errors, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("shop", nargs="?", default=str(SHOPS / "myntra-full"))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "daogou.cli", "serve", args.shop, "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise SystemExit("server did not start")
        httpx.get(base + "/api/search", params={"q": "warm up"}, timeout=60)
        latencies, errors, elapsed = asyncio.run(run(base, args.seconds, args.clients))
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures = {"server_workers": args.workers, "clients": args.clients, "seconds": round(elapsed, 1), "requests": len(latencies), "requests_per_s": round(len(latencies) / elapsed, 1),
               "latency": percentiles(latencies), "errors": len(errors), "error_samples": errors[:5]}
    print(figures)
    write_result("load", figures)


if __name__ == "__main__":
    main()
