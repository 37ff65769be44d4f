from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from daogou.catalog.schema import Product
from daogou.catalog.store import MIGRATIONS, CatalogStore, store_meta


@pytest.fixture()
def store(store_url: str) -> CatalogStore:
    s = CatalogStore(store_url)
    yield s
    s.close()


def _products(n: int, title: str = "Shirt") -> list[Product]:
    return [Product(id=f"p{i:03d}", title=f"{title} {i}", attributes={"colour": "Red"}) for i in range(n)]


def test_upsert_counts_added_updated_unchanged(store: CatalogStore) -> None:
    assert store.upsert_products(_products(5)).added == 5
    changed = _products(5)
    changed[0] = Product(id="p000", title="Dress 0")
    stats = store.upsert_products(changed + [Product(id="new", title="New")])
    assert (stats.added, stats.updated, stats.unchanged) == (1, 1, 4)
    assert store.count() == 6
    assert store.get_many(["p000", "missing"]) == {"p000": Product(id="p000", title="Dress 0")}


def test_a_failed_import_writes_nothing(store: CatalogStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert_products(_products(2))
    good = _products(4, title="Changed")

    class Boom(Exception):
        pass

    calls = {"n": 0}
    original = Product.content_hash

    def flaky(self: Product) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Boom()
        return original(self)

    monkeypatch.setattr(Product, "content_hash", flaky)
    with pytest.raises(Boom):
        store.upsert_products(good)
    monkeypatch.undo()
    assert store.count() == 2
    assert store.get_many(["p000"])["p000"].title == "Shirt 0"


def test_vectors_round_trip_pending_and_cascade(store: CatalogStore) -> None:
    store.upsert_products(_products(3))
    hashes = {"p000": "a", "p001": "b", "p002": "c"}
    pending = store.pending("text", "m", lambda p: hashes[p.id])
    assert [i.product.id for i in pending] == ["p000", "p001", "p002"]
    store.put_vectors("text", "m", [(i.product.id, i.input_hash, np.full(4, n, np.float32)) for n, i in enumerate(pending)])
    assert store.pending("text", "m", lambda p: hashes[p.id]) == []
    hashes["p001"] = "changed"
    assert [i.product.id for i in store.pending("text", "m", lambda p: hashes[p.id])] == ["p001"]
    assert len(store.pending("text", "other-model", lambda p: hashes[p.id])) == 3
    assert store.pending("image", "m", lambda p: None) == []
    ids, matrix = store.load_vectors("text", "m")
    assert ids == ["p000", "p001", "p002"] and matrix.shape == (3, 4) and matrix[2, 0] == 2
    assert store.delete_products(["p001", "nope"]) == 1
    assert store.load_vectors("text", "m")[0] == ["p000", "p002"]


def test_iter_products_pages_in_id_order(store: CatalogStore) -> None:
    store.upsert_products(_products(25))
    assert [p.id for p in store.iter_products(batch=7)] == [f"p{i:03d}" for i in range(25)]


def test_migrations_are_recorded_and_not_rerun(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    CatalogStore(url).close()
    again = CatalogStore(url)
    with again.engine.connect() as conn:
        version = conn.execute(select(store_meta.c.value).where(store_meta.c.key == "schema_version")).scalar_one()
    assert int(version) == len(MIGRATIONS)
    again.close()


def test_a_read_replica_serves_request_reads_and_the_primary_everything_else(tmp_path: Path) -> None:
    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    seed = CatalogStore(f"sqlite:///{primary}")
    seed.upsert_products(_products(3))
    seed.close()
    replica.write_bytes(primary.read_bytes())  # the replica as of now; it will lag the writes below
    store = CatalogStore(f"sqlite:///{primary}", read_url=f"sqlite:///{replica}")
    try:
        assert store.has_replica and not CatalogStore(f"sqlite:///{primary}").has_replica
        store.upsert_products([Product(id="p000", title="Renamed"), Product(id="fresh", title="New")])
        assert store.get_many(["p000", "fresh"]) == {"p000": Product(id="p000", title="Renamed"), "fresh": Product(id="fresh", title="New")}
        lagging = store.get_many(["p000", "fresh"], replica=True)  # a request's read: the replica, as far as it got
        assert lagging == {"p000": Product(id="p000", title="Shirt 0", attributes={"colour": "Red"})}
        assert store.count() == 4 and {p.id for p in store.iter_products()} == {"p000", "p001", "p002", "fresh"}
    finally:
        store.close()


def test_a_shop_shows_hits_from_its_read_replica(myntra_shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import sqlite3

    from daogou.config import update_settings_file
    from daogou.shop import Shop

    copy = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, copy)
    with sqlite3.connect(copy / "catalog.db") as source, sqlite3.connect(tmp_path / "replica.db") as target:
        source.backup(target)  # the replica as of now (WAL included)
    with Shop.open(copy) as shop:
        top = shop.search("black watch").hits[0]
    replica = CatalogStore(f"sqlite:///{tmp_path / 'replica.db'}", root=copy)
    row = replica.get_many([top.id])[top.id]
    replica.upsert_products([row.model_copy(update={"title": "Served by the replica"})])
    replica.close()
    update_settings_file(copy, store_read_url=f"sqlite:///{tmp_path / 'replica.db'}")
    with Shop.open(copy) as shop:
        assert shop.store.has_replica
        again = shop.search("black watch").hits
        assert again[0].id == top.id and again[0].title == "Served by the replica"  # the index is the shop's; the row the replica's
        assert shop.product(top.id).title == top.title  # not a request's read: the primary
