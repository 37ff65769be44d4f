"""A shop on a real Milvus server (the `milvus` 2.3.5 wheel's standalone server, or DAOGOU_MILVUS_URI; the
search rules every backend keeps are in test_vector_backends.py): a shop indexed into Milvus answering like the
embedded one, and `daogou migrate --search` there and back leaving no collection behind. The server
takes 10-30 s to start: slow. Skipped cleanly where the server wheel or pymilvus is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from daogou.config import update_settings_file
from daogou.shop import Shop

pytestmark = pytest.mark.slow


def _collections(url: str) -> set[str]:
    from milvus_server import collections

    return collections(url)


def test_a_shop_indexed_into_milvus_answers_like_the_embedded_one_and_migrates_back(myntra_shop: Shop, milvus: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from daogou.cli import app
    from daogou.config import load_settings

    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    update_settings_file(shop_dir, tryon_rigs=False)
    runner = CliRunner()
    moved = runner.invoke(app, ["migrate", str(shop_dir), "--search", milvus])
    assert moved.exit_code == 0, moved.output
    assert "every top 3 the same" in " ".join(moved.output.split()) and load_settings(shop_dir).vector_url == milvus
    queries = ["red dress", "black shoes for men", "白色T恤", "watch", "blue jeans under 2000", "sports shoes", "handbag for women"]
    with Shop.open(shop_dir) as shop:
        assert type(shop.searcher.text_index).__name__ == "MilvusIndex" and not list(shop.index_dir.glob("*.faiss"))
        overlaps = []
        for q in queries:
            ours, embedded = [h.id for h in shop.search(q, k=10).hits], [h.id for h in myntra_shop.search(q, k=10).hits]
            assert ours[:3] == embedded[:3], q
            overlaps.append(len(set(ours) & set(embedded)) / 10)
        assert np.mean(overlaps) >= 0.95, overlaps
        some = next(shop.store.iter_products()).id
        assert [h.id for h in shop.similar(some, k=3)] == [h.id for h in myntra_shop.similar(some, k=3)]
        filtered = [h.id for h in shop.search("shoes", k=10, filters={"gender": ["Women"]}).hits]
        assert filtered and filtered[:3] == [h.id for h in myntra_shop.search("shoes", k=10, filters={"gender": ["Women"]}).hits][:3]
    back = runner.invoke(app, ["migrate", str(shop_dir), "--search", "embedded"])
    assert back.exit_code == 0, back.output
    assert load_settings(shop_dir).vector_url == "" and not _collections(milvus)  # nothing left behind in Milvus


def test_filters_are_scalar_fields_answered_inside_milvus(milvus: str, tmp_path: Path) -> None:
    """Attribute filters, exclusions and price ranges go to Milvus as expressions over each row's terms and price:
    the exact collection gives FAISS's exact answer over the same Selection, order included, at every selectivity."""
    from daogou.catalog.schema import Product
    from daogou.index.attributes import AttributeIndex
    from daogou.index.milvus import PREFIX, MilvusIndex, expression
    from daogou.index.vectors import FaissIndex
    from daogou.models.protocols import normalise

    rng = np.random.default_rng(3)
    n = 2000
    ids = [f"p{i}" for i in range(n)]
    vectors = normalise(rng.normal(size=(n, 16)).astype(np.float32))
    products = [
        Product(id=pid, title=pid, brand="Acme" if i % 50 == 0 else "", price=None if i % 7 == 0 else float(i % 300),
                attributes={"colour": ("Navy Blue", "Red", "black")[i % 3], "size": "XL" if i % 10 == 0 else "M"})
        for i, pid in enumerate(ids)
    ]
    attributes = AttributeIndex(products)
    attributes.add_predictions({"pattern": {"p1": ["Striped", 0.8], "p4": ["Striped", 0.6]}})  # predicted values filter too
    index = MilvusIndex.build(milvus, PREFIX + "filters", ids, vectors, "m", hnsw_threshold=n, attributes=attributes)
    index.save(tmp_path, "text")
    index = MilvusIndex.load(tmp_path, "text", milvus, "m", 16)
    assert index.filters and index.kind == "exact"
    exact = FaissIndex.build(ids, vectors, "m")  # flat: FAISS's exact answer over any subset
    cases = [
        ({"colour": ["navy blue"]}, None, None, None),  # a third, any case
        ({"brand": ["ACME"]}, None, None, None),  # 2 %, the brand is a field too
        ({"pattern": ["striped"]}, None, None, None),  # predicted only
        ({"colour": ["Red", "Black"]}, {"size": ["xl"]}, None, 150.0),  # family, exclusion and price cap
        (None, None, 100.0, 120.0),  # a price band: products without a price drop out
        ({"colour": ["purple"]}, None, None, None),  # nothing passes
    ]
    for filters, exclude, low, high in cases:
        selection = attributes.matching(filters, exclude, low, high)
        assert selection.constraints is not None and expression(selection.constraints)
        for q in vectors[rng.integers(0, n, 3)]:
            got = [(h.id, round(h.score, 4)) for h in index.search(q, 10, selection)]
            assert got == [(h.id, round(h.score, 4)) for h in exact.search(q, 10, selection)], (filters, exclude, low, high)
    plain = {"p3", "p5", "p8"}  # bare ids keep the id rules
    assert {h.id for h in index.search(vectors[3], 10, plain)} == plain
    MilvusIndex.drop_generation(milvus, tmp_path)
    assert PREFIX + "filters" not in _collections(milvus)


def test_a_small_catalog_change_updates_the_live_collections_in_place(myntra_shop: Shop, milvus: str, tmp_path: Path) -> None:
    """Upsert/delete in step with the store: a re-index after a few changes carries the live generation's Milvus
    collections forward, writing only the changed rows (found by their digests); pruning the generation that
    created them leaves them alone, and the engine answers filters from the new values."""
    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    update_settings_file(shop_dir, tryon_rigs=False, vector_url=milvus)
    with Shop.open(shop_dir) as shop:
        first = shop.index(show_progress=False)  # the copied generation is FAISS: collections are built
        assert first.indexed["spaces_carried"] == 0
        made = _collections(milvus)
        spaces = sum(1 for name in ("text", "image", "aligned_image", "aligned_text") if first.indexed.get(name))
        products = list(shop.store.iter_products())
        changed, gone = products[0], products[1].id
        shop.store.upsert_products([changed.model_copy(update={"price": 12345.0, "attributes": {**changed.attributes, "colour": "Magenta"}})])
        second = shop.index(show_progress=False)  # encodes the changed product, upserts its rows
        assert second.indexed["spaces_carried"] == spaces and _collections(milvus) == made  # nothing built, nothing dropped
        removed, _ = shop.delete_products([gone])  # re-indexes at once: its rows are deleted
        assert removed == 1 and _collections(milvus) == made
        index = shop.searcher.text_index
        assert type(index).__name__ == "MilvusIndex" and index.vector_of(gone) is None and len(index) == len(products) - 1
        assert index.vector_of(changed.id) is not None
        # the engine holds the new colour and price: a filter answered inside Milvus finds the product by them
        found = shop.searcher.search(changed.title, k=5, filters={"colour": ["Magenta"]}, price_range=(12000.0, 13000.0))
        assert [h.id for h in found.hits if not h.close_match] == [changed.id]
        assert shop.search("magenta", k=5, filters={"colour": ["Magenta"]}).hits[0].id == changed.id
        again = shop.index(show_progress=False)  # nothing changed: carried, and the first Milvus generation is pruned
        assert again.indexed["spaces_carried"] == spaces and _collections(milvus) == made
        assert shop.search("black shoes for men", k=5).hits
    from daogou.index import backends
    from daogou.config import load_settings

    settings = load_settings(shop_dir)
    for folder in sorted((shop_dir / "index").glob("gen-*")):
        backends.prune(settings, folder)
    assert not (_collections(milvus) & made)  # with no generation kept, the carried collections go too
