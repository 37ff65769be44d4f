"""Encoding on Ray against the process pool, on the same real products: throughput and identical vectors.

A sample of Myntra products (titles and photos) is imported into two fresh shops; one is encoded by the
process pool (`workers` processes), the other by Ray tasks (a Ray started here with the same number of
CPUs, or the cluster at --ray). Reported: wall time of `shop.index()`'s encoding per space, products/s,
Ray's start-up, and the largest difference between the two shops' vectors. On one 2-core machine Ray can
only match the pool (same cores, plus its own processes); what it adds is more machines.

Usage: python benchmarks/ray_encode.py [--products 800] [--workers 2] [--ray local]
"""

from __future__ import annotations

import argparse
import shutil
import time

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=800)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ray", default="local", help='"local", "auto" or a cluster address')
    args = parser.parse_args()
    pool_shop = fresh_shop("ray-bench-pool", args.products, args.workers)
    ray_shop = fresh_shop("ray-bench-ray", args.products, args.workers)
    models = {"text": pool_shop.settings.text_model, "image": pool_shop.settings.image_model}
    result: dict[str, object] = {"products": pool_shop.store.count(), "workers": args.workers, "ray": args.ray}

    started = time.perf_counter()
    pool = encode_catalog(pool_shop.store, models, workers=args.workers, show_progress=False)
    result["pool_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    joined = RayDistributor(args.ray, cpus=args.workers)  # joined first, so its start-up is measured apart
    result["ray_start_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    on_ray = encode_catalog(ray_shop.store, models, show_progress=False, ray=args.ray)
    result["ray_s"] = round(time.perf_counter() - started, 1)
    joined.close()

    assert pool.encoded == on_ray.encoded, (pool.encoded, on_ray.encoded)
    result["encoded"] = pool.encoded
    items = sum(pool.encoded.values())
    result["pool_items_per_s"] = round(items / result["pool_s"], 1)  # type: ignore[operator]
    result["ray_items_per_s"] = round(items / result["ray_s"], 1)  # type: ignore[operator]
    gaps = {}
    for space, model in models.items():
        ids_a, a = pool_shop.store.load_vectors(space, model)
        ids_b, b = ray_shop.store.load_vectors(space, model)
        assert ids_a == ids_b
        gaps[space] = float(np.abs(a - b).max()) if len(a) else 0.0
    result["max_vector_difference"] = gaps
    pool_shop.close()
    ray_shop.close()
    print(result)
    write_result("ray_encode", result)


if __name__ == "__main__":
    main()
