"""The attribute index in every API process against the attribute index answered by Milvus (`attributes_in_engine`).

The generated shop of million.py at `--products` (made first with `python benchmarks/million.py --products N`) is
copied (its store only) and indexed into Milvus (the 2.3.5 server tests/milvus_server.py starts, or DAOGOU_MILVUS_URI).
Then one fresh process per mode opens the shop's searcher and measures:
- what the searcher holds: load time, resident and anonymous memory growth (the vectors are in Milvus, so all of it
  is the process's own state), per product;
- search p50 / p99 (result cache off) for text queries, text with a selective filter (one brand's T-shirts), a broad
  filter (a gender), a price cap, an exclusion, and photo queries;
- the assistant's "cheapest" over a broad selection (a count bisection in the engine; a sort in the process);
- per request kind, the API's CPU per request and the Milvus calls (vector searches, counts, row reads) it made.
The two modes' answers are compared: top-10 ids and facets of every request; the in-process mode runs twice, and its
two runs are compared too (Milvus compacts segments after loading, which may change a result's tail).

    python benchmarks/engine_attributes.py [--products 100000]
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, SHOPS, percentiles, write_result
from million import opened, queries, rss_mb

sys.path.insert(0, str(ROOT.parent / "tests"))
from milvus_server import milvus_server  # noqa: E402

from daogou.config import update_settings_file  # noqa: E402
from daogou.index.attributes import AttributeIndex  # noqa: E402
from daogou.serve.app import warm  # noqa: E402
from daogou.shop import Shop  # noqa: E402

SEED = 11


def requests(path: Path, base: Shop) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """The request mix, made once from the catalog (the same for both modes)."""
    text, photos = queries(base)
    with Shop.open(path) as shop:
        attributes = AttributeIndex(shop.store.iter_products())
    rng = np.random.default_rng(SEED)
    tshirts = attributes.matching({"type": ["Tshirts"]})
    brands = sorted(attributes.facets(tshirts, ["brand"])["brand"])
    prices = sorted(attributes.prices.values())
    return {
        "text": [{"text": q} for q in text],
        "text_selective_filter": [{"text": "cotton t-shirt", "filters": {"brand": [brands[int(i)]], "type": ["Tshirts"]}} for i in rng.integers(0, len(brands), 60)],
        "text_broad_filter": [{"text": text[int(rng.integers(0, 180))], "filters": {"gender": [g]}} for g in ("Men", "Women") * 30],
        "text_price_cap": [{"text": q, "price_range": [None, prices[len(prices) // 10]]} for q in text[:60]],
        "text_exclusion": [{"text": q, "exclude": {"colour": ["Black", "White"]}} for q in text[60:120]],
        "photo": [{"image": p} for p in photos],
    }


def worker(path: Path, mode: str, plan: Path, out: Path) -> None:
    """One mode in a fresh process: memory of the searcher, latency of each request kind, and the answers."""
    update_settings_file(path, attributes_in_engine=mode == "engine")
    mix = json.loads(plan.read_text(encoding="utf-8"))
    gc.collect()
    rss_before = rss_mb()
    shop, load_s, rss_growth, anon_growth = opened(path)
    searcher = shop.searcher
    count = shop.store.count()
    searcher.results_cache.size = 0
    warm(shop)
    figures: dict[str, object] = {
        "load_s": round(load_s, 1),
        "rss_growth_mb": round(rss_growth, 0),
        "bytes_per_product": round(rss_growth * 2**20 / count),
        "anonymous_bytes_per_product": round(anon_growth * 2**20 / count),
        "attributes": type(searcher.attributes).__name__,
    }
    answers: dict[str, list[object]] = {}
    spent = _timed_engine_calls()
    for kind, calls in mix.items():
        for call in calls[:5]:  # warm: the first of each kind loads what it needs
            searcher.search(k=10, **_args(call))
        took, cpu, answers[kind] = [], [], []
        spent.clear()
        for call in calls:
            t = time.perf_counter()
            result = searcher.search(k=10, **_args(call))
            took.append((time.perf_counter() - t) * 1000)
            cpu.append(result.cpu_ms)
            answers[kind].append({"ids": [h.id for h in result.hits], "facets": result.facets})
        per_request = {name: {"calls": round(n / len(calls), 2), "ms": round(ms / len(calls), 2)} for name, (n, ms) in spent.items()}
        figures[kind] = {**percentiles(took), "api_cpu_ms_mean": round(float(np.mean(cpu)), 2), "milvus_calls_per_request": per_request}
    selection = searcher.attributes.matching({"gender": ["Women"]})
    took = []
    for highest in (False, True) * 10:
        t = time.perf_counter()
        cheapest = searcher.attributes.extremes(selection, 3, highest)
        took.append((time.perf_counter() - t) * 1000)
    figures["cheapest_and_dearest_of_women"] = {**percentiles(took), "answer": cheapest}
    figures["rss_after_requests_mb"] = round(rss_mb() - rss_before, 0)
    out.write_text(json.dumps({"figures": figures, "answers": answers}, ensure_ascii=False), encoding="utf-8")
    shop.close()


def agreement(ours: dict[str, list[dict]], theirs: dict[str, list[dict]]) -> dict[str, dict[str, int]]:  # type: ignore[type-arg]
    """Per request kind: how many requests got the same top 10 and the same facets in both runs."""
    return {
        kind: {
            "requests": len(answers),
            "same_top10": sum(a["ids"] == b["ids"] for a, b in zip(answers, theirs[kind])),
            "same_facets": sum(a["facets"] == b["facets"] for a, b in zip(answers, theirs[kind])),
        }
        for kind, answers in ours.items()
    }


def _timed_engine_calls() -> dict[str, list[float]]:
    """Count and time, per kind, the Milvus calls a search makes: vector searches, counts, row reads."""
    from daogou.index.milvus import MilvusIndex

    spent: dict[str, list[float]] = {}
    for name in ("_nearest", "matching", "rows"):
        original = getattr(MilvusIndex, name)

        def timed(self, *args, _original=original, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                entry = spent.setdefault(_name, [0, 0.0])
                entry[0] += 1
                entry[1] += (time.perf_counter() - t) * 1000

        setattr(MilvusIndex, name, timed)
    return spent


def _args(call: dict) -> dict:  # type: ignore[type-arg]
    args = dict(call)
    if "price_range" in args:
        args["price_range"] = tuple(args["price_range"])
    return args


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--worker", choices=["memory", "engine"])
    parser.add_argument("--path", type=Path)
    parser.add_argument("--plan", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.path, args.worker, args.plan, args.out)
        return
    from common import myntra_shop

    source = SHOPS / f"generated-{args.products}"
    assert (source / "catalog.db").exists(), f"make the generated shop first: python benchmarks/million.py --products {args.products}"
    path = SHOPS / f"generated-{args.products}@milvus-attributes"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    for name in ("catalog.db", "daogou.toml"):
        shutil.copy2(source / name, path / name)
    shutil.copytree(source / "models", path / "models")
    results: dict[str, object] = {"products": args.products, "vectors": "jittered copies of real vectors (million.py)"}
    with milvus_server() as url, tempfile.TemporaryDirectory() as scratch:
        assert url, "no Milvus server here (the milvus 2.3.5 wheel) and no DAOGOU_MILVUS_URI"
        update_settings_file(path, vector_url=url, search_cache=0, tryon_rigs=False)
        started = time.perf_counter()
        with Shop.open(path) as shop:
            report = shop.index(show_progress=True)
        results["index_into_milvus_s"] = round(time.perf_counter() - started, 1)
        print("indexed", results["index_into_milvus_s"], report.indexed, flush=True)
        plan = Path(scratch) / "plan.json"
        plan.write_text(json.dumps(requests(path, myntra_shop())), encoding="utf-8")
        runs = {}
        for run in ("memory", "engine", "memory_again"):  # the second memory run: how far Milvus itself agrees over time
            out = Path(scratch) / f"{run}.json"
            mode = run.removesuffix("_again")
            subprocess.run([sys.executable, __file__, "--worker", mode, "--path", str(path), "--plan", str(plan), "--out", str(out)], check=True, cwd=ROOT)
            runs[run] = json.loads(out.read_text(encoding="utf-8"))
            results[run] = runs[run]["figures"]
            print(run, json.dumps(results[run]), flush=True)
    for name, (first, second) in {"agreement": ("engine", "memory"), "agreement_memory_twice": ("memory_again", "memory")}.items():
        results[name] = agreement(runs[first]["answers"], runs[second]["answers"])
        print(name, results[name])
    write_result(f"engine_attributes_{args.products}", results)
    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
