"""A catalog change on an engine (Milvus or pgvector): an in-place update of the live collection or table against
building a new one.

What is timed, on the 100k-product generated shop (`benchmarks/million.py --products 100000` makes it) and its
real-derived text vectors (384-d, HNSW above 50k rows; in Milvus with each product's attribute terms and price):
- a fresh build (`build`: insert, index, and for Milvus flush, load and a Strong count);
- `update` with nothing changed (reading every row's digest back is then the whole cost);
- `update` after 1 % of the products changed (new vector and price) and 0.1 % were deleted;
and, after that update, that searches see the changed rows (their new vectors find themselves) and not the
deleted ones. `--backend milvus-bm25` does the same for the BM25 collection (Milvus Lite 2.5.1, the products' real
titles and attributes): 1 % of the products get a new word in their title, which must then find them.
Writes results/engine_update_<backend>.json.

    python benchmarks/engine_update.py [--backend milvus|pgvector|milvus-bm25] [--products 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack

import numpy as np
from common import ROOT, SHOPS, write_result

sys.path.insert(0, str(ROOT.parent / "tests"))
from milvus_server import milvus_lite, milvus_server  # noqa: E402
from pg_server import fresh_database, postgres_server  # noqa: E402

from daogou.index.attributes import AttributeIndex  # noqa: E402
from daogou.index.milvus import PREFIX, MilvusIndex, drop_collections  # noqa: E402
from daogou.index.milvus_lexical import MilvusLexicalIndex  # noqa: E402
from daogou.index.pgvector import PgVectorIndex  # noqa: E402
from daogou.models.protocols import normalise  # noqa: E402
from daogou.shop import Shop  # noqa: E402


def bm25(shop: Shop, rng: np.random.Generator) -> dict[str, object]:
    """The BM25 collection: fresh build, update with nothing changed, update after 1 % retitled and 0.1 % deleted."""
    import tempfile

    products = list(shop.store.iter_products())
    results: dict[str, object] = {"backend": "milvus-bm25", "products": len(products)}
    name = PREFIX + "update_bench_bm25"
    with tempfile.TemporaryDirectory() as folder, milvus_lite(folder) as url:
        assert url, "no Milvus with BM25 here (milvus-lite 2.5.1) and no DAOGOU_MILVUS_BM25_URI"
        started = time.perf_counter()
        MilvusLexicalIndex.build(url, name, products)
        results["build_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        same = MilvusLexicalIndex.update(url, name, products)
        results["update_unchanged_s"] = round(time.perf_counter() - started, 1)
        assert same is not None and same.upserted == same.deleted == 0
        changed = sorted(rng.choice(len(products), len(products) // 100, replace=False))
        deleted = {products[i].id for i in rng.choice(len(products), len(products) // 1000, replace=False)} - {products[i].id for i in changed}
        word = {i: f"zq{n:05d}" for n, i in enumerate(changed)}  # a new word each, found nowhere else
        now = [p.model_copy(update={"title": f"{p.title} {word[i]}"}) if i in word else p for i, p in enumerate(products) if p.id not in deleted]
        started = time.perf_counter()
        updated = MilvusLexicalIndex.update(url, name, now)
        results["update_changed_s"] = round(time.perf_counter() - started, 1)
        assert updated is not None
        results["upserted"], results["deleted"] = updated.upserted, updated.deleted
        found = [[h.id for h in updated.search(word[i], 1)[0]] == [products[i].id] for i in changed[:50]]
        results["changed_rows_find_themselves"] = round(float(np.mean(found)), 3)
        gone = [products[i] for i, p in enumerate(products) if p.id in deleted][:50]
        results["deleted_rows_found"] = sum(p.id in {h.id for h in updated.search(p.title, 100)[0]} for p in gone)
        drop_collections(url, [name])
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["milvus", "pgvector", "milvus-bm25"], default="milvus")
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    shop = Shop.open(SHOPS / f"generated-{args.products}")
    if args.backend == "milvus-bm25":
        results = bm25(shop, np.random.default_rng(5))
        print(results)
        write_result("engine_update_milvus_bm25", results)
        return
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
