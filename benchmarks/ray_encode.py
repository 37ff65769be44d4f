"""Encoding on Ray against the process pool, on the same real products: throughput and identical vectors.

A sample of Myntra products (titles and photos) is imported into two fresh shops; one is encoded by the
process pool (`workers` processes), the other by Ray tasks (a Ray started here with the same number of
CPUs, or the cluster at --ray). Reported: wall time of `shop.index()`'s encoding per space, products/s,
Ray's start-up, and the largest difference between the two shops' vectors. On one 2-core machine Ray can
only match the pool (same cores, plus its own processes); what it adds is more machines.

The photos are read once before each run (page cache), and the rounds alternate which runs first; the
pool's figure includes starting its worker processes for each space, Ray's does not include joining Ray
(reported apart, once): that is what `daogou index` pays in each case.

Usage: python benchmarks/ray_encode.py [--products 800] [--workers 2] [--ray local] [--rounds 2]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from common import SHOPS, write_result

from daogou.demo import demo_source
from daogou.pipeline.cluster import RayDistributor
from daogou.pipeline.run import encode_catalog
from daogou.shop import Shop


def fresh_shop(name: str, products: int, workers: int) -> Shop:
    path = SHOPS / name
    shutil.rmtree(path, ignore_errors=True)
    shop = Shop.init(path, workers=workers)
    shop.import_catalog(demo_source().csv, preset="myntra", limit=products)
    return shop


def timed_encode(name: str, args: argparse.Namespace, ray: str | None) -> tuple[float, Shop, dict[str, int]]:
    shop = fresh_shop(name, args.products, args.workers)
    for product in shop.store.iter_products():  # photos into the page cache: neither run pays the first disk read
        if product.image_path:
            Path(product.image_path).read_bytes()
    models = {"text": shop.settings.text_model, "image": shop.settings.image_model}
    started = time.perf_counter()
    report = encode_catalog(shop.store, models, workers=args.workers, show_progress=False, ray=ray)
    return time.perf_counter() - started, shop, report.encoded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=800)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ray", default="local", help='"local", "auto" or a cluster address')
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (pool, Ray), alternating which goes first")
    args = parser.parse_args()
    started = time.perf_counter()
    joined = RayDistributor(args.ray, cpus=args.workers)  # joined once, so its start-up is measured apart
    result: dict[str, object] = {"products": args.products, "workers": args.workers, "ray": args.ray,
                                 "ray_start_s": round(time.perf_counter() - started, 1)}
    times: dict[str, list[float]] = {"pool": [], "ray": []}
    shops: dict[str, Shop] = {}
    encoded: dict[str, dict[str, int]] = {}
    for round_ in range(args.rounds):
        order = ["pool", "ray"] if round_ % 2 == 0 else ["ray", "pool"]
        for kind in order:
            if kind in shops:
                shops[kind].close()
            seconds, shops[kind], encoded[kind] = timed_encode(f"ray-bench-{kind}", args, args.ray if kind == "ray" else None)
            times[kind].append(seconds)
    joined.close()
    assert encoded["pool"] == encoded["ray"], encoded
    items = sum(encoded["pool"].values())
    result["encoded"] = encoded["pool"]
    for kind, runs in times.items():
        result[f"{kind}_s"] = [round(t, 1) for t in runs]
        result[f"{kind}_items_per_s_median"] = round(items / statistics.median(runs), 1)
    result["ray_over_pool"] = round(statistics.median(times["pool"]) / statistics.median(times["ray"]), 2)
    gaps = {}
    for space, model in (("text", shops["pool"].settings.text_model), ("image", shops["pool"].settings.image_model)):
        ids_a, a = shops["pool"].store.load_vectors(space, model)
        ids_b, b = shops["ray"].store.load_vectors(space, model)
        assert ids_a == ids_b
        gaps[space] = float(np.abs(a - b).max()) if len(a) else 0.0
    result["max_vector_difference"] = gaps
    for shop in shops.values():
        shop.close()
    print(result)
    write_result("ray_encode", result)


if __name__ == "__main__":
    main()
