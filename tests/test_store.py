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
