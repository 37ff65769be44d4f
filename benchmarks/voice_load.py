"""Text searches while voice uploads arrive: does voice keep to its own lane?

The server (`daogou serve`, 2 workers, Myntra shop, result cache off so every text search does its work) gets
2 text clients searching in a loop (the typed queries of benchmarks/speech/queries.tsv), first alone for
`--seconds`, then with 3 more clients uploading spoken queries to /api/search/voice in a loop. Voice routes
have their own admission (one recording at a time per worker), so text searches should keep their latency.
Prints and writes p50/p99 of text searches in both phases, voice latency and how many voice uploads were
turned away (503/429) instead of queueing.

Usage: python benchmarks/voice_load.py [--seconds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import time

import httpx

from common import ROOT, myntra_shop, percentiles, served, write_result


def texts() -> list[str]:
    lines = (ROOT / "speech" / "queries.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[2] for line in lines if line and not line.startswith(("#", "id\t"))]


async def text_client(base: str, deadline: float, queries: list[str], seed: int, out: list[float]) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await http.get("/api/search", params={"q": rng.choice(queries), "k": 24})
            if response.status_code == 200:
                out.append((time.perf_counter() - started) * 1000)


async def voice_client(base: str, deadline: float, clips: list[bytes], seed: int, out: list[float], statuses: list[int]) -> None:
    cycle = itertools.cycle(random.Random(seed).sample(clips, len(clips)))
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await http.post("/api/search/voice", files={"audio": ("q.ogg", next(cycle), "audio/ogg")}, data={"k": "24"})
            statuses.append(response.status_code)
            if response.status_code == 200:
                out.append((time.perf_counter() - started) * 1000)
            elif response.status_code in (429, 503):
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    shop = myntra_shop()
    queries = texts()
    clips = [p.read_bytes() for p in sorted((ROOT / "speech" / "audio").glob("*.ogg"))]
    result: dict[str, object] = {"seconds_per_phase": args.seconds, "text_clients": 2, "voice_clients": 3}
    with served(shop.path, env={"DAOGOU_SEARCH_CACHE": "0"}) as (base, _server):
        httpx.post(base + "/api/search/voice", files={"audio": ("q.ogg", clips[0], "audio/ogg")}, timeout=120)  # load the models
        httpx.post(base + "/api/search/voice", files={"audio": ("q.ogg", clips[1], "audio/ogg")}, timeout=120)  # both workers

        async def phase(with_voice: bool) -> tuple[list[float], list[float], list[int]]:
            deadline = time.perf_counter() + args.seconds
            text_ms: list[float] = []
            voice_ms: list[float] = []
            statuses: list[int] = []
            jobs = [text_client(base, deadline, queries, seed, text_ms) for seed in range(2)]
            if with_voice:
                jobs += [voice_client(base, deadline, clips, seed, voice_ms, statuses) for seed in range(3)]
            await asyncio.gather(*jobs)
            return text_ms, voice_ms, statuses

        alone, _, _ = asyncio.run(phase(False))
        mixed, voice_ms, statuses = asyncio.run(phase(True))
    result["text_alone"] = percentiles(alone)
    result["text_with_voice"] = percentiles(mixed)
    result["voice"] = percentiles(voice_ms) if len(voice_ms) > 1 else {"n": len(voice_ms)}
    result["voice_statuses"] = {str(s): statuses.count(s) for s in sorted(set(statuses))}
    result["text_p50_ratio"] = round(result["text_with_voice"]["p50_ms"] / result["text_alone"]["p50_ms"], 2)  # type: ignore[index]
    print(result)
    write_result("voice_load", result)


if __name__ == "__main__":
    main()
