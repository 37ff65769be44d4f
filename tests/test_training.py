"""The shop's own heads: alignment (words find products by photo) and the colour head (fills missing colours)."""

import csv
import shutil
from pathlib import Path

import pytest

from daogou.shop import Shop


@pytest.fixture(scope="module")
def trained_shop(myntra_shop: Shop, myntra_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A copy of the 300-product shop plus two products with uninformative titles and no attributes."""
    path = tmp_path_factory.mktemp("trained") / "shop"
    shutil.copytree(myntra_shop.path, path)
    shop = Shop.open(path)
    in_slice = {p.id for p in shop.store.iter_products()}
    with (myntra_dir / "styles_subset.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["id"] not in in_slice]
    watch = next(r for r in rows if r["articleType"] == "Watches")
    red_tshirt = next(r for r in rows if r["articleType"] == "Tshirts" and r["baseColour"] == "Red")
    extra = path.parent / "extra.csv"
    extra.write_text(
        "sku,name,photo\n"
        f"mystery-1,Item 4711,{myntra_dir / watch['image_path']}\n"
        f"mystery-2,Item 4712,{myntra_dir / red_tshirt['image_path']}\n",
        encoding="utf-8",
    )
    assert shop.import_catalog(extra, mapping={"id": "sku", "title": "name", "image": "photo"}).added == 2
    shop.index(show_progress=False, workers=1)
    yield shop
    shop.close()


def test_alignment_trains_and_lets_words_find_photos(trained_shop: Shop) -> None:
    report = trained_shop.train("align")
    assert report.metrics["test_recall@10"] >= 0.5  # chance is 10/60
    assert (trained_shop.models_dir / "align.json").exists()
    result = trained_shop.search("analogue wrist watch", k=20, understand=False)
    ids = [h.id for h in result.hits]
    assert "mystery-1" in ids  # its title says nothing; only its photo looks like a watch
    hit = result.hits[ids.index("mystery-1")]
    assert "aligned_image" in hit.signals and "bm25" not in hit.signals
    assert "looks like the words" in hit.debug()


def test_colour_head_fills_missing_colours_as_predicted(trained_shop: Shop) -> None:
    report = trained_shop.train("colour")
    assert report.metrics["test_accuracy"] > 0.3  # 300 products, dozens of colours
    predicted = trained_shop.searcher.predicted["colour"]
    assert set(predicted) == {"mystery-1", "mystery-2"}
    assert predicted["mystery-2"][0] == "Red"
    result = trained_shop.search("red", k=50, filters={"colour": ["Red"]})
    hit = next(h for h in result.hits if h.id == "mystery-2")
    assert hit.predicted["colour"] > 0.4 and "Red (predicted from the photo)" in hit.explanation()
    assert trained_shop.product("mystery-2").attributes == {}  # the catalog itself is untouched


def test_unknown_training_target(trained_shop: Shop) -> None:
    from daogou.errors import DaogouError

    with pytest.raises(DaogouError, match="unknown training target"):
        trained_shop.train("everything")


def test_heads_trained_on_other_encoders_are_not_used(trained_shop: Shop, tmp_path: Path) -> None:
    import json

    copy = tmp_path / "copy"
    shutil.copytree(trained_shop.path, copy)
    card_path = copy / "models" / "align.json"
    card = json.loads(card_path.read_text())
    card["inputs"]["image"] = "some-other-model"
    card_path.write_text(json.dumps(card))
    shop = Shop.open(copy)
    with pytest.warns(UserWarning, match="train align"):
        assert shop.indexes.alignment() is None
    with pytest.warns(UserWarning):
        shop.indexes.rebuild()
    assert not (shop.index_dir / "aligned_image.json").exists()
    with pytest.warns(UserWarning):
        assert shop.search("watch", k=3).hits
    shop.close()


def test_fusion_classifier_fills_missing_types(trained_shop: Shop) -> None:
    report = trained_shop.train("classify", target="type", variant="decision-stacking", show_progress=False)
    assert report.metrics["weighted_f1"] > 0.7
    predicted = trained_shop.searcher.predicted["type"]
    assert predicted["mystery-1"][0] == "Watches"  # "Item 4711" says nothing; the photo is a watch
    assert predicted["mystery-2"][0] == "Tshirts"
    hits = trained_shop.search("watches", k=50, filters={"type": ["Watches"]}).hits
    assert "mystery-1" in {h.id for h in hits}
