"""Load on `daogou serve --workers 2` with a realistic query stream: server CPU per request, req/s, p50/p99.

The query log holds ≥ 2,000 distinct queries: windows of the catalog's own titles, Chinese queries, price phrases
(adversarial_load.py's recipe) and Home Depot's real search terms; 10 % of requests are photo searches. Requests
are drawn with a Zipf-like frequency (s = 1.1, seeded), so a head of popular queries repeats and a long tail does
not. The clients run in this process; the server is its own process tree, and its CPU seconds (user + system,
from /proc, all workers) divided by the requests it answered is the figure that travels between machines (on 2
cores the client steals CPU from the server). Each response also reports the search's own CPU time (`cpu_ms`,
thread time), whose median per kind (text, photo) is reported beside it. Measured twice: with the result cache (default) and without it
(DAOGOU_SEARCH_CACHE=0; query vectors are still reused). Writes results/load.json.
Usage: python benchmarks/load.py [--seconds 30] [--clients 32] [--products 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import time
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
from adversarial_load import photo_bytes, query_log, server_pids
from common import myntra_shop, percentiles, served, write_result

from daogou.demo import data_roots

SEED = 42
CPU_MS = re.compile(rb'"cpu_ms":\s*([0-9.]+)')
ZIPF_S = 1.1


def homedepot_terms(n: int) -> list[str]:
    """Distinct real search terms typed by Home Depot shoppers (other products: they exercise the long tail)."""
    root = next((r / "homedepot_search_relevance" for r in data_roots() if (r / "homedepot_search_relevance").is_dir()), None)
    if root is None:
        return []
    path = next(root.glob("*train*.csv"), None) or next(root.glob("*.csv"))
    terms: dict[str, None] = {}
    with path.open(encoding="latin-1") as handle:
        for row in csv.DictReader(handle):
            term = (row.get("search_term") or "").strip().lower()
            if term:
                terms[term] = None
            if len(terms) >= n:
                break
    return list(terms)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (fields 14 and 15 of /proc/PID/stat, in clock ticks)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


async def client(base: str, deadline: float, stream: list[str], photos: list[bytes], seed: int, out: dict) -> None:
    """One shopper with one keep-alive connection, sending its next request when the last one is answered.

    aiohttp, not httpx: on this 2-core machine the load generator shares the CPU with the server. With httpx's
    pure-Python client the run gave 102 req/s while the server processes used 6.8 ms of CPU per request, i.e. 0.7 of
    the 2 cores: the client held most of the rest. aiohttp's C parsers leave the server its cores (the same code then
    gave 212 req/s). `client_cpu_ms_per_request` in the results says what the client still takes."""
    rng = random.Random(seed)
    headers = {"x-forwarded-for": f"10.0.{seed // 250}.{seed % 250 + 1}"}  # each client its own address, as a proxy says
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(base, headers=headers, connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        i = seed
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                kind = "photo" if photos and rng.random() < 0.1 else "text"
                if kind == "photo":
                    form = aiohttp.FormData()
                    form.add_field("image", rng.choice(photos), filename="p.jpg", content_type="image/jpeg")
                    form.add_field("k", "24")
                    request = http.post("/api/search/image", data=form)
                else:
                    request = http.get("/api/search", params={"q": stream[i % len(stream)], "k": "24"})
                    i += 7
                async with request as response:
                    body = await response.read()
                    out["status"][response.status] += 1
                    if response.status == 200:
                        found = CPU_MS.search(body)  # the search's own CPU, without parsing the whole result
                        if found:
                            out["cpu_ms"][kind].append(float(found.group(1)))
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                out["status"][exc.__class__.__name__] += 1
            out["latencies"].append((time.perf_counter() - started) * 1000)


def run_phase(shop_path: Path, stream: list[str], photos: list[bytes], seconds: float, clients: int, cache: bool) -> dict:
    with served(shop_path, env={"DAOGOU_SEARCH_CACHE": "2048" if cache else "0"}) as (base, server):
        for q in ("warm up", "黑色男士运动鞋", "red dress"):  # models loaded in both workers before timing
            for _ in range(4):
                httpx.get(base + "/api/search", params={"q": q}, timeout=60)
        pids = server_pids(server.pid)
        out: dict = {"latencies": [], "status": Counter(), "cpu_ms": {"text": [], "photo": []}}
        cpu_before, started, client_before = cpu_seconds(pids), time.monotonic(), time.process_time()
        deadline = started + seconds

        async def all_clients() -> None:
            await asyncio.gather(*(client(base, deadline, stream, photos, i, out) for i in range(clients)))

        asyncio.run(all_clients())
        elapsed, cpu, client_cpu = time.monotonic() - started, cpu_seconds(pids) - cpu_before, time.process_time() - client_before
    answered = sum(v for k, v in out["status"].items() if isinstance(k, int))
    return {
        "result_cache": cache,
        "requests": answered,
        "requests_per_s": round(answered / elapsed, 1),
        "latency": percentiles(out["latencies"]),
        "server_cpu_ms_per_request": round(1000 * cpu / max(1, answered), 2),
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, answered), 2),
        # the search's own CPU on its thread, as each response reports it (HTTP and JSON work are in the figure above)
        "search_cpu_ms": {kind: percentiles(values) for kind, values in out["cpu_ms"].items() if values},
        "status": {str(k): v for k, v in out["status"].items()},
        "server_errors_5xx": sum(v for k, v in out["status"].items() if isinstance(k, int) and k >= 500),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--cache", choices=("both", "on", "off"), default="both", help="which phases to run (a single phase does not write the JSON)")
    args = parser.parse_args()
    shop = myntra_shop(f"myntra-{args.products}", limit=args.products)
    shop_path = shop.path
    shop.close()
    catalog = query_log(shop_path, args.queries * 3 // 4)
    distinct = list(dict.fromkeys(catalog + homedepot_terms(args.queries - len(catalog))))
    random.Random(SEED).shuffle(distinct)  # popularity rank independent of how the query was made
    weights = [1 / rank**ZIPF_S for rank in range(1, len(distinct) + 1)]
    stream = random.Random(SEED).choices(distinct, weights=weights, k=20_000)
    photos = photo_bytes(shop_path)
    wanted = {"both": (False, True), "on": (True,), "off": (False,)}[args.cache]
    phases = [run_phase(shop_path, stream, photos, args.seconds, args.clients, cache) for cache in wanted]
    for p in phases:
        print(p)
    if args.cache != "both":
        return
    write_result("load", {"products": args.products, "distinct_queries": len(distinct), "zipf_s": ZIPF_S, "photo_share": 0.1,
                          "clients": args.clients, "seconds": args.seconds, "server_workers": 2, "without_cache": phases[0], "with_cache": phases[1]})


if __name__ == "__main__":
    main()
