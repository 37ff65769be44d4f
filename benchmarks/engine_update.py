"""A catalog change on an engine (Milvus or pgvector): an in-place update of the live collection or table against
building a new one.

What is timed, on the 100k-product generated shop (`benchmarks/million.py --products 100000` makes it) and its
real-derived text vectors (384-d, HNSW above 50k rows; in Milvus with each product's attribute terms and price):
- a fresh build (`build`: insert, index, and for Milvus flush, load and a Strong count);
- `update` with nothing changed (reading every row's digest back is then the whole cost);
- `update` after 1 % of the products changed (new vector and price) and 0.1 % were deleted;
and, after that update, that searches see the changed rows (their new vectors find themselves) and not the
deleted ones. Writes results/engine_update_<backend>.json.

    python benchmarks/engine_update.py [--backend milvus|pgvector] [--products 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack

import numpy as np
from common import ROOT, SHOPS, write_result

sys.path.insert(0, str(ROOT.parent / "tests"))
from milvus_server import milvus_server  # noqa: E402
from pg_server import fresh_database, postgres_server  # noqa: E402

from daogou.index.attributes import AttributeIndex  # noqa: E402
from daogou.index.milvus import PREFIX, MilvusIndex, drop_collections  # noqa: E402
from daogou.index.pgvector import PgVectorIndex  # noqa: E402
from daogou.models.protocols import normalise  # noqa: E402
from daogou.shop import Shop  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["milvus", "pgvector"], default="milvus")
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    shop = Shop.open(SHOPS / f"generated-{args.products}")
    model = shop.settings.text_model
    ids, vectors = shop.store.load_vectors("text", model)
    attributes = AttributeIndex(shop.store.iter_products())
    rng = np.random.default_rng(5)
    results: dict[str, object] = {"backend": args.backend, "products": len(ids), "dim": int(vectors.shape[1])}
    name = PREFIX + "update_bench"
    with ExitStack() as stack:
        if args.backend == "milvus":
            url = stack.enter_context(milvus_server())
            assert url, "no Milvus server here (the milvus 2.3.5 wheel) and no DAOGOU_MILVUS_URI"
            build = lambda i, v: MilvusIndex.build(url, name, i, v, model, attributes=attributes)  # noqa: E731
            update = lambda i, v: MilvusIndex.update(url, name, i, v, model, attributes)  # noqa: E731
            stack.callback(lambda: drop_collections(url, [name]))
        else:
            server = stack.enter_context(postgres_server())
            assert server, "no PostgreSQL with pgvector here and no DAOGOU_PG_URL"
            url = stack.enter_context(fresh_database(server))
            build = lambda i, v: PgVectorIndex.build(url, name, i, v, model)  # noqa: E731
            update = lambda i, v: PgVectorIndex.update(url, name, i, v, model)  # noqa: E731
        started = time.perf_counter()
        index = build(ids, vectors)
        results["build_s"] = round(time.perf_counter() - started, 1)
        results["kind"] = index.kind
        started = time.perf_counter()
        same = update(ids, vectors)
        results["update_unchanged_s"] = round(time.perf_counter() - started, 1)
        assert same is not None and same.upserted == same.deleted == 0
        changed = sorted(rng.choice(len(ids), len(ids) // 100, replace=False))
        deleted = {ids[i] for i in rng.choice(len(ids), len(ids) // 1000, replace=False)} - {ids[i] for i in changed}
        vectors = vectors.copy()
        vectors[changed] = normalise(vectors[changed] + rng.normal(scale=0.05, size=vectors[changed].shape).astype(np.float32))
        for i in changed:
            attributes.prices[ids[i]] = attributes.prices.get(ids[i], 0.0) + 1.0
        keep = [i for i, pid in enumerate(ids) if pid not in deleted]
        started = time.perf_counter()
        updated = update([ids[i] for i in keep], vectors[keep])
        results["update_changed_s"] = round(time.perf_counter() - started, 1)
        assert updated is not None
        results["upserted"], results["deleted"] = updated.upserted, updated.deleted
        found = [updated.search(vectors[i], 1)[0].id == ids[i] for i in changed[:50]]
        results["changed_rows_find_themselves"] = round(float(np.mean(found)), 3)
        results["deleted_rows_found"] = sum(updated.vector_of(pid) is not None for pid in sorted(deleted)[:50])
    print(results)
    write_result(f"engine_update_{args.backend}", results)


if __name__ == "__main__":
    main()
