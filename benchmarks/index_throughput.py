"""Import + index of the whole Myntra catalog, and the pipeline's overhead against the bare encoder.

Prints wall times and images/second; writes results/index_throughput.json.
Overhead = how much slower the pipeline (read → encode → write, 1 worker) encodes the same images
than a loop calling the encoder directly in one process (decode + encode only).
"""

from __future__ import annotations

import shutil
import time

from common import SHOPS, write_result

from daogou.demo import demo_source
from daogou.models.registry import image_encoder
from daogou.pipeline.mapper import _load
from daogou.shop import Shop

SAMPLE = 800


def full_build() -> dict:
    path = SHOPS / "myntra-full"
    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    shop = Shop.init(path)
    imported = shop.import_catalog(demo_source().csv, preset="myntra")
    import_s = time.perf_counter() - started
    report = shop.index(show_progress=True)
    total = time.perf_counter() - started
    again = time.perf_counter()
    rerun = shop.index(show_progress=False)
    rerun_s = time.perf_counter() - again
    shop.close()
    return {
        "products": imported.added,
        "skipped_rows": len(imported.errors),
        "import_s": round(import_s, 1),
        "index_s": report.seconds,
        "import_plus_index_s": round(total, 1),
        "workers": shop.settings.workers,
        "reindex_unchanged_s": round(rerun_s, 1),
        "reindex_unchanged_encoded": rerun.encoded,
    }


def overhead() -> dict:
    source = demo_source()
    path = SHOPS / "overhead"
    shutil.rmtree(path, ignore_errors=True)
    shop = Shop.init(path, workers=1)
    shop.import_catalog(source.csv, preset="myntra", limit=SAMPLE)
    paths = [p.image_path for p in shop.store.iter_products()]
    encoder = image_encoder(shop.settings.image_model)
    encoder.encode_images([_load(paths[0])])  # warm
    started = time.perf_counter()
    for start in range(0, len(paths), 32):
        encoder.encode_images([_load(p) for p in paths[start : start + 32]])
    bare_s = time.perf_counter() - started
    # the pipeline on the same images, image space only
    from daogou.pipeline.run import encode_catalog

    started = time.perf_counter()
    encode_catalog(shop.store, {"image": shop.settings.image_model}, workers=1, batch_size=32, show_progress=False)
    pipe1_s = time.perf_counter() - started
    with shop.store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM vectors")
    started = time.perf_counter()
    encode_catalog(shop.store, {"image": shop.settings.image_model}, workers=2, batch_size=32, show_progress=False)
    pipe2_s = time.perf_counter() - started
    shop.close()
    shutil.rmtree(path, ignore_errors=True)
    n = len(paths)
    return {
        "images": n,
        "encoder_alone_img_per_s": round(n / bare_s, 1),
        "pipeline_1_worker_img_per_s": round(n / pipe1_s, 1),
        "pipeline_2_workers_img_per_s": round(n / pipe2_s, 1),
        "pipeline_overhead_pct_1_worker": round((pipe1_s / bare_s - 1) * 100, 1),
        "speedup_2_workers_vs_encoder_alone": round(bare_s / pipe2_s, 2),
    }


if __name__ == "__main__":
    over = overhead()
    print(over)
    full = full_build()
    print(full)
    write_result("index_throughput", {"full_catalog": full, "overhead": over})
