"""Latency of Shop.search (warm) on the Myntra catalog and on 100,000 products.

200 text queries (English attribute queries drawn from the catalog with a fixed seed, plus Chinese
ones; 131 distinct, so repeats reuse their query vector as a live shop would) and 50 photo queries
(product photos). `text_new_queries` runs the same 200 with the query-vector cache off: every query
pays for its encoding, the figure for a stream of queries never seen before. The 100k shop replicates Myntra's products and their
real vectors with Gaussian noise (so the index is HNSW, as it would be at that size) and indexes
100k titles in tantivy. Writes results/search_latency.json.
"""

from __future__ import annotations

import json
import random
import time

import numpy as np
from common import RESULTS, SHOPS, myntra_shop, percentiles, write_result

from daogou.catalog.schema import Product
from daogou.models.protocols import normalise
from daogou.pipeline.reader import input_hash
from daogou.serve.app import warm
from daogou.shop import Shop

SEED = 7
TARGET = 100_000
ZH = ["黑色男士运动鞋", "红色连衣裙", "白色T恤", "蓝色牛仔裤", "女士手提包", "男士手表", "粉色女士上衣", "棕色皮钱包", "灰色运动裤", "黄色女士凉鞋"]


def queries(shop: Shop) -> tuple[list[str], list[str]]:
    rng = random.Random(SEED)
    products = list(shop.store.iter_products())
    sample = rng.sample(products, 180)
    text = [f"{p.attributes.get('colour', '')} {p.attributes.get('type', '')} for {p.attributes.get('gender', '')}".lower() for p in sample]
    text += [ZH[i % len(ZH)] for i in range(20)]
    photos = [p.image_path for p in rng.sample([p for p in products if p.image_path], 50)]
    return text, photos


def measure(shop: Shop, text: list[str], photos: list[str]) -> dict:
    shop.searcher.results_cache.size = 0  # the cost of a search, not of a cache hit (repeats would be served from it)
    warm(shop)  # what `daogou serve` loads before taking requests (the Chinese dictionary, the encoder)
    for q in text[:10] + text[-2:]:  # English and Chinese: the first Chinese query loads the dictionary
        shop.search(q, k=10)
    for p in photos[:3]:
        shop.search(image=p, k=10)
    text_ms, image_ms, text_cpu, image_cpu = [], [], [], []
    for q in text:
        t = time.perf_counter()
        text_cpu.append(shop.search(q, k=10).cpu_ms)
        text_ms.append((time.perf_counter() - t) * 1000)
    for p in photos:
        t = time.perf_counter()
        image_cpu.append(shop.search(image=p, k=10).cpu_ms)
        image_ms.append((time.perf_counter() - t) * 1000)
    new_ms = []
    for q in text:  # every query encoded as if never seen (a request still encodes once, whatever relaxation does)
        shop.searcher.query_vectors.cache.clear()
        t = time.perf_counter()
        shop.search(q, k=10)
        new_ms.append((time.perf_counter() - t) * 1000)
    kinds = {"text": shop.searcher.text_index.kind, "image": shop.searcher.image_index.kind if shop.searcher.image_index else None}
    return {"products": shop.store.count(), "index_kinds": kinds, "text_query": percentiles(text_ms), "text_new_queries": percentiles(new_ms), "image_query": percentiles(image_ms),
            "text_cpu": percentiles(text_cpu), "image_cpu": percentiles(image_cpu)}


def build_replicated(base: Shop) -> Shop:
    """A 100k-product shop: Myntra replicated, vectors = real vectors + noise, no encoding needed."""
    path = SHOPS / "replicated-100k"
    if (path / "index" / "CURRENT").exists():
        return Shop.open(path)
    shop = Shop.init(path, exist_ok=True)
    rng = np.random.default_rng(SEED)
    originals = list(base.store.iter_products())
    copies = -(-TARGET // len(originals))
    models = {"text": base.settings.text_model, "image": base.settings.image_model}
    vectors = {space: dict(zip(*base.store.load_vectors(space, model))) for space, model in models.items()}
    made = 0
    for j in range(copies):
        batch = []
        for p in originals:
            if made >= TARGET:
                break
            batch.append(p if j == 0 else Product(**{**p.model_dump(), "id": f"{p.id}-r{j}"}))
            made += 1
        shop.store.upsert_products(batch)
        for space, model in models.items():
            rows = []
            for clone, p in zip(batch, originals):
                if p.id not in vectors[space]:
                    continue
                v = vectors[space][p.id]
                if j:
                    v = normalise(v + rng.normal(scale=0.1 / np.sqrt(v.shape[0]) * 3, size=v.shape).astype(np.float32))[0]
                rows.append((clone.id, input_hash(space, clone), v))
            shop.store.put_vectors(space, model, rows)
        print(f"replica {j}: {made} products")
    report = shop.index(show_progress=False)
    print(f"indexed 100k: {report.indexed} in {report.seconds:.0f} s (encoded {report.encoded})")
    return shop


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--myntra-only", action="store_true", help="skip the 100k shop (its previous figures are kept)")
    args = parser.parse_args()
    base = myntra_shop()
    text, photos = queries(base)
    results = {"myntra": measure(base, text, photos)}
    print("myntra", results["myntra"])
    if args.myntra_only:
        previous = RESULTS / "search_latency.json"
        kept = json.loads(previous.read_text()) if previous.exists() else {}
        write_result("search_latency", {**{k: v for k, v in kept.items() if k not in ("benchmark", "when", "machine")}, "queries": {"text": len(text), "image": len(photos)}, **results})
        raise SystemExit(0)
    started = time.perf_counter()
    big = build_replicated(base)
    results["build_100k_s"] = round(time.perf_counter() - started, 1)
    results["100k"] = measure(big, text, photos)
    print("100k", results["100k"])
    write_result("search_latency", {"queries": {"text": len(text), "image": len(photos)}, **results})
