"""A shop on PostgreSQL: `daogou migrate` moves an indexed shop's store from SQLite to a real PostgreSQL server
(loopback, tests/pg_server.py) with identical searches, every kind of write works there (events, reviews,
chat sessions, deletes), and the move back to a SQLite file works the same way. Skipped where no PostgreSQL
can be started; run unchanged against a real server with DAOGOU_PG_URL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daogou.cli import app
from daogou.config import load_settings
from daogou.shop import Shop


@pytest.fixture()
def pg_database(postgres_url: str | None):  # type: ignore[no-untyped-def]
    if postgres_url is None:
        pytest.skip("no PostgreSQL here: set DAOGOU_PG_URL or install postgresql (initdb, pg_ctl)")
    from pg_server import fresh_database

    with fresh_database(postgres_url) as url:
        yield url


def test_a_shop_moves_to_postgresql_works_there_and_moves_back(myntra_shop: Shop, pg_database: str, tmp_path: Path) -> None:
    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    runner = CliRunner()
    moved = runner.invoke(app, ["migrate", str(shop_dir), "--to", pg_database])
    assert moved.exit_code == 0, moved.output
    said = " ".join(moved.output.split())
    assert "moved 300 products" in said and "20/20 searches identical" in said
    assert load_settings(shop_dir).store_url == pg_database
    again = runner.invoke(app, ["migrate", str(shop_dir), "--to", pg_database])
    assert again.exit_code == 1 and "already uses" in again.output

    with Shop.open(shop_dir) as shop:
        assert shop.store.engine.dialect.name == "postgresql" and shop.store.count() == 300
        pid = next(shop.store.iter_products()).id
        events = tmp_path / "events.csv"
        events.write_text(f"user_id,product_id,timestamp,kind\nu1,{pid},2024-01-01T10:00:00,purchase\nu1,ghost,2024-01-02,view\nbad-row\n", encoding="utf-8")
        report = shop.import_events(events)
        assert report.added == 2 and report.unknown_products == 1 and len(report.errors) == 1
        assert shop.import_events(events).added == 0  # idempotent on PostgreSQL too
        reviews = tmp_path / "reviews.csv"
        reviews.write_text(f"product_id,text,rating\n{pid},Fits well and looks great,5\n{pid},尺码偏小,3\n", encoding="utf-8")
        assert shop.import_reviews(reviews).added == 2
        reply = shop.chat("I want a shirt")
        assert shop.assistant.session(reply.session_id)["transcript"][0]["user"] == "I want a shirt"
        removed, unknown = shop.delete_products([pid, "ghost"])
        assert (removed, unknown) == (1, ["ghost"]) and shop.store.count() == 299
        assert pid not in {h.id for h in shop.search("shirt", k=50).hits}

    back = runner.invoke(app, ["migrate", str(shop_dir), "--to", f"sqlite:///{tmp_path / 'back.db'}"])
    assert back.exit_code == 0, back.output
    with Shop.open(shop_dir) as shop:
        assert shop.store.engine.dialect.name == "sqlite" and shop.store.count() == 299
        assert len(shop.store.load_interactions()) == 2  # events naming unknown products are kept (and reported)


def test_migrating_into_a_database_that_holds_a_catalog_is_refused(myntra_shop: Shop, pg_database: str, tmp_path: Path) -> None:
    from daogou.catalog.migrate import copy_store
    from daogou.errors import DaogouError

    copy_store(myntra_shop.store, pg_database)
    with pytest.raises(DaogouError, match="already holds 300 products"):
        copy_store(myntra_shop.store, pg_database)


def test_a_streaming_replica_serves_request_reads_while_the_primary_takes_writes(pg_database: str) -> None:
    import time

    from pg_server import streaming_replica

    from daogou.catalog.schema import Product
    from daogou.catalog.store import CatalogStore

    primary = CatalogStore(pg_database)
    primary.upsert_products([Product(id="a", title="Black watch"), Product(id="b", title="Red dress")])
    with streaming_replica(pg_database) as replica_url:
        if replica_url is None:
            primary.close()
            pytest.skip("no local PostgreSQL server with pg_basebackup to make a standby of")
        store = CatalogStore(pg_database, read_url=replica_url)
        try:
            assert set(store.get_many(["a", "b"], replica=True)) == {"a", "b"}  # the base backup holds them
            store.upsert_products([Product(id="a", title="Black steel watch"), Product(id="c", title="Blue jeans")])
            assert store.get_many(["a"])["a"].title == "Black steel watch"  # the primary: its own write, at once
            deadline = time.monotonic() + 10
            while store.get_many(["c"], replica=True) == {} and time.monotonic() < deadline:
                time.sleep(0.02)  # streaming: the standby replays the commit a moment later
            assert store.get_many(["a", "c"], replica=True)["a"].title == "Black steel watch"
            from sqlalchemy import text
            from sqlalchemy.exc import DBAPIError

            with pytest.raises(DBAPIError, match="read-only"), store.reader.begin() as conn:  # a real hot standby
                conn.execute(text("DELETE FROM products"))
            assert store.count() == 3
        finally:
            store.close()
            primary.close()
