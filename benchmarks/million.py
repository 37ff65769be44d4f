"""A million products through the normal code path: store, index build, searcher, text / photo / filtered search.

How the catalog is made (from the real Myntra shop, `myntra_shop()`):
- each generated product starts from a random real product (seeded) and keeps its type, gender, colour,
  season, usage and photo; its brand is swapped for another real brand that sells the same type, its title
  is the real title with that brand and a style number, and its price is a real Flipkart retail price;
- its vectors (text, photo, colour features) are the base product's real vectors plus Gaussian noise,
  written to the store with the input hashes the encoder would have written. **Encoding is therefore
  excluded**: `shop.index()` finds nothing to encode and spends its time on the pending check and on
  building every index (FAISS per space, aligned spaces, BM25, terms, value vectors).

Measured: generation + store writes, index build time and peak RSS, searcher load time and the RAM it
holds beyond the vectors, search p50/p99 for text, photo and filtered queries (cache off), and the recall
of filtered vector search against exact search at 1 %, 10 % and 50 % selectivity. Writes results/million.json.

    python benchmarks/million.py [--products 1000000] [--reuse]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from common import RESULTS, SHOPS, myntra_shop, percentiles, write_result

from daogou.catalog.schema import Product
from daogou.models.protocols import normalise
from daogou.pipeline.reader import input_hash
from daogou.serve.app import warm
from daogou.shop import Shop

SEED = 11
CHUNK = 25_000
FLIPKART = Path(__file__).resolve().parents[2] / "shared" / "data" / "flipkart_products_sample" / "product.csv"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory in MB: all of it (VmRSS), or only anonymous memory (RssAnon: without the pages of memory-mapped
    files, which the kernel may keep or drop, so two runs of the same code differ there)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def opened(path: Path) -> tuple[Shop, float, float, float]:
    """A shop with its searcher open, the seconds that took, and the resident and anonymous MB it added."""
    rss_before, anon_before = rss_mb(), rss_mb("RssAnon")
    started = time.perf_counter()
    shop = Shop.open(path)
    shop.searcher  # noqa: B018 - opened now, so its memory is counted here
    load_s = time.perf_counter() - started
    return shop, load_s, rss_mb() - rss_before, rss_mb("RssAnon") - anon_before


def real_prices() -> list[float]:
    with FLIPKART.open(encoding="utf-8", errors="replace") as handle:
        prices = [float(r["retail_price"]) for r in csv.DictReader(handle) if (r.get("retail_price") or "").replace(".", "", 1).isdigit()]
    return [p for p in prices if p > 0]


def generate(base: Shop, path: Path, total: int) -> dict[str, float]:
    """Write `total` recombined products and their jittered vectors into a new shop at `path`."""
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    pick = random.Random(SEED)
    originals = [p for p in base.store.iter_products() if p.image_path]
    brands_by_type: dict[str, list[str]] = defaultdict(list)
    for p in originals:
        if p.brand and p.brand not in brands_by_type[p.attributes.get("type", "")]:
            brands_by_type[p.attributes.get("type", "")].append(p.brand)
    prices = real_prices()
    spaces = {"text": base.settings.text_model, "image": base.settings.image_model, "colour": base.settings.colour_model}
    vectors = {space: dict(zip(*base.store.load_vectors(space, model))) for space, model in spaces.items()}
    originals = [p for p in originals if all(p.id in vectors[s] for s in spaces)]
    if path.exists():
        shutil.rmtree(path)
    shop = Shop.init(path, ivf_threshold=400_000, tryon_rigs=False, search_cache=0)
    shutil.copytree(base.models_dir, shop.models_dir, dirs_exist_ok=True)  # the shop's trained heads (alignment, colour)
    made = 0
    while made < total:
        batch: list[Product] = []
        bases: list[Product] = []
        for i in range(made, min(total, made + CHUNK)):
            p = originals[pick.randrange(len(originals))]
            brand = pick.choice(brands_by_type[p.attributes.get("type", "")] or [p.brand])
            title = p.title.replace(p.brand, brand, 1) if p.brand and p.title.startswith(p.brand) else f"{brand} {p.title}"
            batch.append(
                p.model_copy(update={"id": f"g{i:07d}", "title": f"{title} {pick.randrange(100, 999)}", "brand": brand, "price": pick.choice(prices)})
            )
            bases.append(p)
        shop.store.upsert_products(batch)
        for space, model in spaces.items():
            rows = []
            for clone, p in zip(batch, bases):
                v = vectors[space][p.id]
                noise = rng.normal(scale=0.3 / np.sqrt(v.shape[0]), size=v.shape).astype(np.float32)
                rows.append((clone.id, input_hash(space, clone), normalise(v + noise)[0]))
            shop.store.put_vectors(space, model, rows)
        made += len(batch)
        print(f"generated {made:,} of {total:,} ({time.perf_counter() - started:.0f} s)", flush=True)
    return {"generate_and_store_s": round(time.perf_counter() - started, 1)}


def queries(base: Shop) -> tuple[list[str], list[str]]:
    """The same query mix as search_latency.py: catalog attribute phrases, Chinese queries, product photos."""
    from search_latency import queries as latency_queries

    return latency_queries(base)


def timed(calls: list, run) -> tuple[dict[str, float], list]:  # type: ignore[type-arg, no-untyped-def]
    """Percentiles of `run(call)` over `calls`, and the three slowest calls timed once more right after (a tail
    that is fast the second time is cold memory, one that stays slow is the query's own work)."""
    out, elapsed = [], []
    for call in calls:
        t = time.perf_counter()
        out.append(run(call))
        elapsed.append((time.perf_counter() - t) * 1000)
    figures: dict = percentiles(elapsed)
    slowest = []
    for i in sorted(range(len(calls)), key=lambda i: -elapsed[i])[:3]:
        t = time.perf_counter()
        run(calls[i])
        label = Path(calls[i]).name if isinstance(calls[i], str) and "/" in calls[i] else str(calls[i])[:80]  # a photo by file name
        slowest.append({"call": label, "first_ms": round(elapsed[i], 1), "again_ms": round((time.perf_counter() - t) * 1000, 1)})
    figures["slowest"] = slowest
    return figures, out


def filter_recall(shop: Shop, rng: np.random.Generator) -> dict[str, dict[str, float]]:
    """Recall@10 of filtered text-vector search against exact search over the same filter, by selectivity."""
    searcher = shop.searcher
    index = searcher.text_index
    attributes = searcher.attributes
    out: dict[str, dict[str, float]] = {}
    matrix = index.vectors
    for share in (0.01, 0.1, 0.5):
        price_max = float(np.nanquantile(attributes.price_column, share))  # a price cap keeps about `share` of the catalog
        selection = attributes.matching(price_max=price_max)
        rows = np.sort(index._positions(selection))
        recalls, took = [], []
        for _ in range(50):
            q = np.asarray(matrix[rng.integers(0, len(index))], dtype=np.float32)
            t = time.perf_counter()
            got = {h.id for h in index.search(q, 10, selection)}
            took.append((time.perf_counter() - t) * 1000)
            exact = index._exact_subset(q, rows, 10)
            recalls.append(len(got & {h.id for h in exact}) / 10)
        out[f"{share:.0%}"] = {"selected": len(selection), "recall_at_10": round(float(np.mean(recalls)), 3), **percentiles(took)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep a generated (and indexed) shop from an earlier run")
    args = parser.parse_args()
    base = myntra_shop()
    text, photos = queries(base)
    path = SHOPS / f"generated-{args.products}"
    results: dict[str, object] = {"products": args.products, "vectors": "jittered copies of real vectors: encoding excluded"}
    previous = RESULTS / f"{'million' if args.products == 1_000_000 else f'generated-{args.products}'}.json"
    if args.reuse and previous.exists():  # the build figures of the run that made the shop stay with it
        kept = json.loads(previous.read_text(encoding="utf-8"))
        results.update({key: kept[key] for key in ("generate_and_store_s", "index") if key in kept})
    if not (args.reuse and (path / "index" / "CURRENT").exists()):
        if args.reuse and (path / "catalog.db").exists() and Shop.open(path).store.count() == args.products:
            print("store kept from an earlier run; indexing it again", flush=True)
        else:
            results.update(generate(base, path, args.products))
        shop = Shop.open(path)
        rss_before = rss_mb()
        report = shop.index(show_progress=True)
        assert not any(report.encoded.values()), f"generated vectors were re-encoded: {report.encoded}"
        results["index"] = {"seconds": report.seconds, "parts": report.indexed, "peak_rss_mb": round(peak_rss_mb(), 0), "rss_before_mb": round(rss_before, 0)}
        print("index", results["index"], flush=True)
        del shop
    import gc

    gc.collect()
    shop, load_s, rss_growth, anon_growth = opened(path)
    searcher = shop.searcher
    faiss_mb = sum(f.stat().st_size for f in shop.index_dir.glob("*.faiss")) / 2**20
    count = shop.store.count()
    results["searcher"] = {
        "load_s": round(load_s, 1),
        "rss_growth_mb": round(rss_growth, 0),
        "faiss_indexes_mb": round(faiss_mb, 0),
        "bytes_per_product_beyond_vectors": round((rss_growth - faiss_mb) * 2**20 / count),
        "anonymous_bytes_per_product_beyond_vectors": round((anon_growth - faiss_mb) * 2**20 / count),
        "index_kinds": {name: getattr(searcher, name).kind for name in ("text_index", "image_index", "aligned_image", "aligned_text") if getattr(searcher, name)},
    }
    print("searcher", results["searcher"], flush=True)
    searcher.results_cache.size = 0  # the cost of a search, not of a cache hit
    warm(shop)  # what `daogou serve` loads before taking requests (the Chinese dictionary, the encoder)
    for q in text[:10] + text[-2:]:
        shop.search(q, k=10)
    for p in photos[:3]:
        shop.search(image=p, k=10)
    results["text"], _ = timed(text, lambda q: shop.search(q, k=10))
    # every query encoded as if never seen (above, repeats reuse their vector; a request still encodes once)
    results["text_new_queries"], _ = timed(text, lambda q: (searcher.query_vectors.cache.clear(), shop.search(q, k=10)))
    results["photo"], _ = timed(photos, lambda p: shop.search(image=p, k=10))
    rng = np.random.default_rng(SEED)
    tshirts = searcher.attributes.matching({"type": ["Tshirts"]})
    brands = list(searcher.attributes.facets(tshirts, ["brand"])["brand"])  # brands that sell T-shirts here
    selective = [{"brand": [brands[int(i)]], "type": ["Tshirts"]} for i in rng.integers(0, len(brands), 60)]
    results["text_selective_filter"], found = timed(selective, lambda f: shop.search("cotton t-shirt", k=10, filters=f))
    results["text_selective_filter"]["mean_matching_hits"] = round(float(np.mean([len(r.hits) for r in found])), 1)
    broad = [{"gender": [g]} for g in ("Men", "Women") * 30]
    results["text_broad_filter"], _ = timed(broad, lambda f: shop.search(text[int(rng.integers(0, 180))], k=10, filters=f))
    results["text_price_filter"], _ = timed(text[:60], lambda q: searcher.search(q, k=10, price_range=(None, 800.0)))
    results["filter_recall"] = filter_recall(shop, rng)
    results["peak_rss_mb"] = round(peak_rss_mb(), 0)
    for key in ("text", "text_new_queries", "photo", "text_selective_filter", "text_broad_filter", "text_price_filter", "filter_recall"):
        print(key, results[key])
    write_result("million" if args.products == 1_000_000 else f"generated-{args.products}", results)


if __name__ == "__main__":
    main()
