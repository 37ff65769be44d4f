"""Batch encoding: incremental by content hash, resumable, failures reported, distributors interchangeable."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from daogou.pipeline.distributors import ProcessDistributor, SequentialDistributor, make_distributor
from daogou.shop import Shop


def _square(x: int) -> int:
    return x * x


def test_distributors_give_the_same_results_in_order() -> None:
    assert list(SequentialDistributor().map(_square, range(10))) == [x * x for x in range(10)]
    pool = ProcessDistributor(workers=2)
    try:
        assert list(pool.map(_square, range(10))) == [x * x for x in range(10)]
    finally:
        pool.close()
    assert isinstance(make_distributor(2, 10), SequentialDistributor)
    assert isinstance(make_distributor(1, 10_000), SequentialDistributor)


@pytest.fixture()
def small_shop(tmp_path: Path) -> Shop:
    for name, colour in (("a", "red"), ("b", "blue"), ("c", "green")):
        Image.new("RGB", (64, 96), colour).save(tmp_path / f"{name}.jpg")
    (tmp_path / "cat.csv").write_text(
        "sku,name,photo\na,Red cotton shirt,a.jpg\nb,Blue denim jeans,b.jpg\nc,Green wool scarf,c.jpg\nd,Gift card,\n", encoding="utf-8"
    )
    shop = Shop.init(tmp_path / "shop", workers=1)
    shop.import_catalog(tmp_path / "cat.csv", mapping={"id": "sku", "title": "name", "image": "photo"})
    yield shop
    shop.close()


def test_reindex_encodes_only_what_changed(small_shop: Shop, tmp_path: Path) -> None:
    first = small_shop.index(show_progress=False)
    assert first.encoded == {"text": 4, "image": 3, "colour": 3} and first.indexed["lexical"] == 4
    _, before = small_shop.store.load_vectors("text", "e5-small")
    assert small_shop.index(show_progress=False).encoded == {"text": 0, "image": 0, "colour": 0}
    # change one title and one photo
    (tmp_path / "cat.csv").write_text(
        "sku,name,photo\na,Red linen shirt,a.jpg\nb,Blue denim jeans,b.jpg\nc,Green wool scarf,c.jpg\nd,Gift card,\n", encoding="utf-8"
    )
    Image.new("RGB", (64, 96), "yellow").save(tmp_path / "c.jpg")
    report = small_shop.import_catalog(tmp_path / "cat.csv", mapping={"id": "sku", "title": "name", "image": "photo"})
    assert (report.updated, report.unchanged) == (2, 2)
    again = small_shop.index(show_progress=False)
    assert again.encoded == {"text": 1, "image": 1, "colour": 1}
    _, after = small_shop.store.load_vectors("text", "e5-small")
    assert np.allclose(before[1:], after[1:]) and not np.allclose(before[0], after[0])


def test_a_photo_broken_after_import_is_reported_not_fatal(small_shop: Shop, tmp_path: Path) -> None:
    (tmp_path / "b.jpg").write_bytes(b"garbage")  # the source no longer matters: the shop serves its own copy ...
    Path(small_shop.product("b").image_path).write_bytes(b"garbage")  # ... which is what breaks here
    report = small_shop.index(show_progress=False)
    assert report.encoded["image"] == 2
    assert [pid for pid, _ in report.failures] == ["b"]
    assert small_shop.search("denim jeans", k=1).hits[0].id == "b"  # still found by words
