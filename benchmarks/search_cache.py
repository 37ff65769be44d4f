"""The result and query-vector caches on a repeating query stream (Myntra, one process, warm).

400 requests drawn with a Zipf-like frequency (s = 1.1, seed 42) from 100 distinct attribute queries in English
and Chinese (search_latency.py's recipe), replayed twice: with the result cache off (every request searched;
repeats still reuse their query vector) and on. Reports p50/p99 and the hit rate. Not the load benchmark of
issue 15 (no server, no client process); it shows what the caches save per request.
Usage: python benchmarks/search_cache.py → results/search_cache.json
"""

from __future__ import annotations

import random
import time

from common import myntra_shop, percentiles, write_result
from search_latency import queries

from daogou.lru import LRU

SEED = 42


def zipf_stream(distinct: list[str], n: int, s: float = 1.1) -> list[str]:
    weights = [1 / (rank**s) for rank in range(1, len(distinct) + 1)]
    return random.Random(SEED).choices(distinct, weights=weights, k=n)


def replay(shop, stream: list[str], cache_size: int) -> dict:  # type: ignore[no-untyped-def]
    searcher = shop.searcher
    searcher.results_cache = LRU(cache_size)
    searcher.query_vectors.cache = LRU(searcher.query_vectors.cache.size)
    times = []
    for q in stream:
        started = time.perf_counter()
        shop.search(q, k=10)
        times.append((time.perf_counter() - started) * 1000)
    cache = searcher.results_cache
    return {**percentiles(times), "result_hit_rate": round(cache.hits / max(1, cache.hits + cache.misses), 3),
            "distinct_queries_seen": len(set(stream))}


def main() -> None:
    shop = myntra_shop()
    text, _ = queries(shop)
    distinct = list(dict.fromkeys(text))[:100]
    stream = zipf_stream(distinct, 400)
    shop.search("warm up", k=10)
    off = replay(shop, stream, 0)
    on = replay(shop, stream, 2048)
    print("cache off", off)
    print("cache on ", on)
    write_result("search_cache", {"seed": SEED, "requests": len(stream), "zipf_s": 1.1, "cache_off": off, "cache_on": on,
                                  "p50_ratio_off_to_on": round(off["p50_ms"] / max(on["p50_ms"], 1e-6), 1)})


if __name__ == "__main__":
    main()
