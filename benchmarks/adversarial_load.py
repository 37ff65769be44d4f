"""Realistic load with and without one adversarial client, against `daogou serve --workers 2` on loopback.

Normal clients (each behind its own address, as a reverse proxy reports it in X-Forwarded-For) send a
query stream of distinct catalog-vocabulary queries in English and Chinese, 10 % of them photo searches.
The attacker cycles through the worst input of each class the hardening probe found: 300-character emoji
queries, a digit + spaces + letter query, a 39,000,000 × 1 PNG, an oversize streamed upload, NaN JSON, a
non-image upload, an admin upload without a token. Reports req/s and p50/p99 of the normal clients in both
phases, the attacker's status codes, server errors (5xx) and the peak RSS of the server processes.
Writes results/adversarial_load.json. Usage: python benchmarks/adversarial_load.py [--seconds 30] [--clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import time
from collections import Counter
from pathlib import Path

import httpx
from common import myntra_shop, percentiles, served, write_result
from PIL import Image

ZH = ["黑色男士运动鞋", "白色T恤", "粉色女士上衣", "蓝色牛仔裤", "红色连衣裙", "女士手提包", "男士手表", "灰色卫衣", "休闲鞋", "太阳镜"]


def query_log(shop_path: Path, n: int, seed: int = 7) -> list[str]:
    """Distinct queries from the catalog's own titles (2–4 word windows), Chinese queries and price phrases."""
    from daogou.shop import Shop

    rng = random.Random(seed)
    with Shop.open(shop_path) as shop:
        titles = [p.title for p in shop.store.iter_products()]
    queries: set[str] = set()
    while len(queries) < n:
        words = rng.choice(titles).lower().split()
        if len(words) >= 2:
            width = rng.randint(2, min(4, len(words)))
            start = rng.randint(0, len(words) - width)
            text = " ".join(words[start : start + width])
            if rng.random() < 0.15:
                text += f" under {rng.choice([500, 1000, 2000, 3000])}"
            queries.add(text)
        if rng.random() < 0.2:
            queries.add(rng.choice(ZH) + rng.choice(["", " 1000元以内", " 不要黑色的"]))
    return sorted(queries)


def photo_bytes(shop_path: Path, n: int = 20) -> list[bytes]:
    photos = sorted((shop_path / "photos").rglob("*.jpeg"))[:n]
    return [p.read_bytes() for p in photos]


def worst_inputs() -> list[tuple[str, dict]]:
    long_png = io.BytesIO()
    Image.new("1", (39_000_000, 1)).save(long_png, "PNG")
    return [
        ("GET", {"url": "/api/search", "params": {"q": "😀" * 300}}),
        ("GET", {"url": "/api/search", "params": {"q": "1" + " " * 298 + "a"}}),
        ("POST", {"url": "/api/search/image", "files": {"image": ("long.png", long_png.getvalue(), "image/png")}}),
        ("POST", {"url": "/api/search/image", "files": {"image": ("big.jpg", b"\xff\xd8" + b"0" * (12 * 1024 * 1024), "image/jpeg")}}),
        ("POST", {"url": "/api/search", "content": b'{"q": "shoes", "k": NaN}', "headers": {"content-type": "application/json"}}),
        ("POST", {"url": "/api/search/image", "files": {"image": ("x.jpg", b"<html>not a photo</html>", "image/jpeg")}}),
        ("POST", {"url": "/api/admin/import", "files": {"catalog": ("c.csv", b"id,title\n" * 100_000, "text/csv")}}),
    ]


async def normal_client(base: str, deadline: float, queries: list[str], photos: list[bytes], seed: int, out: dict) -> None:
    rng = random.Random(seed)
    headers = {"x-forwarded-for": f"10.0.0.{seed + 1}"}
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                if photos and rng.random() < 0.1:
                    response = await http.post("/api/search/image", files={"image": ("p.jpg", rng.choice(photos), "image/jpeg")}, data={"k": "24"})
                else:
                    response = await http.get("/api/search", params={"q": rng.choice(queries), "k": 24})
                out["status"][response.status_code] += 1
            except httpx.HTTPError as exc:
                out["status"][exc.__class__.__name__] += 1
            out["latencies"].append((time.perf_counter() - started) * 1000)


async def attacker(base: str, deadline: float, out: dict) -> None:
    inputs = worst_inputs()
    headers = {"x-forwarded-for": "10.66.6.6"}
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as http:
        i = 0
        while time.monotonic() < deadline:
            method, kwargs = inputs[i % len(inputs)]
            i += 1
            try:
                response = await http.request(method, **kwargs)
                out["attacker"][response.status_code] += 1
            except httpx.HTTPError as exc:
                out["attacker"][exc.__class__.__name__] += 1


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def server_pids(root: int) -> list[int]:
    found = [root]
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = next((int(line.split()[1]) for line in text.splitlines() if line.startswith("PPid:")), 0)
        if ppid in found:
            found.append(int(status.parent.name))
    return found


async def phase(base: str, seconds: float, clients: int, queries: list[str], photos: list[bytes], with_attacker: bool, pids: list[int]) -> dict:
    out: dict = {"latencies": [], "status": Counter(), "attacker": Counter()}
    deadline = time.monotonic() + seconds
    peak = 0.0

    async def watch() -> None:
        nonlocal peak
        while time.monotonic() < deadline:
            peak = max(peak, rss_mb(server_pids(pids[0])))
            await asyncio.sleep(0.5)

    tasks = [normal_client(base, deadline, queries, photos, i, out) for i in range(clients)]
    if with_attacker:
        tasks.append(attacker(base, deadline, out))
    started = time.monotonic()
    await asyncio.gather(*tasks, watch())
    elapsed = time.monotonic() - started
    ok = out["status"].get(200, 0)
    return {
        "normal_requests_per_s": round(len(out["latencies"]) / elapsed, 1),
        "normal_ok": ok,
        "normal_latency": percentiles(out["latencies"]),
        "normal_status": {str(k): v for k, v in out["status"].items()},
        "attacker_status": {str(k): v for k, v in out["attacker"].items()},
        "server_errors_5xx": sum(v for k, v in {**out["status"], **out["attacker"]}.items() if isinstance(k, int) and k >= 500 and k != 503),
        "peak_rss_mb": round(peak, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    shop = myntra_shop(f"myntra-{args.products}", limit=args.products)
    shop_path = shop.path
    shop.close()
    queries = query_log(shop_path, args.queries)
    photos = photo_bytes(shop_path)
    with served(shop_path) as (base, server):
        for q in queries[:20]:
            httpx.get(base + "/api/search", params={"q": q}, timeout=60)
        pids = [server.pid]
        quiet = asyncio.run(phase(base, args.seconds, args.clients, queries, photos, False, pids))
        print("without attacker", quiet)
        attacked = asyncio.run(phase(base, args.seconds, args.clients, queries, photos, True, pids))
        print("with attacker", attacked)
    ratio = round(attacked["normal_latency"]["p99_ms"] / quiet["normal_latency"]["p99_ms"], 2)
    figures = {"products": args.products, "distinct_queries": len(queries), "photo_share": 0.1, "clients": args.clients, "seconds_per_phase": args.seconds,
               "server_workers": 2, "without_attacker": quiet, "with_attacker": attacked, "normal_p99_ratio_attacked_vs_quiet": ratio}
    print("p99 ratio (with / without attacker):", ratio)
    write_result("adversarial_load", figures)


if __name__ == "__main__":
    main()
