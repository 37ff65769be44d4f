"""Reviews: import, sentiment (trained on a slice of the shared sets), aspects against our hand labels, summaries, bad input."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from daogou.catalog.reviews import REVIEW_PRESETS, read_reviews
from daogou.cli import app
from daogou.errors import UnknownProduct
from daogou.evaluate.aspects_eval import evaluate_aspects, load_labelled
from daogou.shop import Shop
from daogou.understand.aspects import extract
from daogou.understand.reviews import wilson_lower
from daogou.understand.sentiment import snownlp_positive, vader_positive

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def review_shop(myntra_shop: Shop, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    import shutil

    path = tmp_path_factory.mktemp("reviews") / "shop"
    shutil.copytree(myntra_shop.path, path)
    shop = Shop.open(path)
    report = shop.train("sentiment", max_per_language=6000)  # a slice keeps the test fast; the benchmark trains on all
    assert report.metrics["zh_accuracy"] > 0.85 and report.metrics["en_accuracy"] > 0.85
    yield shop
    shop.close()


def _en_text(record: dict) -> str:
    return ". ".join(t for t in ((record.get("Title") or "").strip(), (record.get("Review Text") or "").strip()) if t)


def test_import_reports_bad_rows(review_shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "product_id,text,rating,date\n"
        "15970,Fits perfectly and the colour is great,5,2020-01-01\n"
        ",no product,3,\n"
        "15970,,,\n"  # neither text nor rating
        "15970,ok,7,\n"  # rating out of range
        "15970,尺码偏小，质量很好,4,2020-02-01\n"
        "ghost-product,nice,4,\n",
        encoding="utf-8",
    )
    report = review_shop.import_reviews(path)
    assert report.added == 3 and report.unknown_products == 1 and [e.line for e in report.errors] == [3, 4, 5]
    assert review_shop.import_reviews(path).added == 0


def test_summary_is_extractive_and_counts_fit(review_shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "fit.csv"
    rows = ["product_id,text,rating"]
    rows += ["P1,Runs small. I had to size up.,3"] * 3 + ["P1,True to size and so comfortable,5", "P1,The fabric is thin and cheap looking,2"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    review_shop.import_reviews(path)
    summary = review_shop.review_summary("P1")
    texts = {line.split(",", 1)[1].rsplit(",", 1)[0] for line in rows[1:]}
    assert summary.fit == "fit runs small (3 of 4 reviews mentioning fit)"
    aspects = {a.aspect: a for a in summary.aspects}
    assert aspects["material"].negative == 1
    for a in summary.aspects:
        for sentence in a.positive_examples + a.negative_examples:
            assert any(sentence in t for t in texts)  # never invented
    assert 0 < summary.quality < summary.positive / summary.reviews
    with pytest.raises(UnknownProduct):
        review_shop.review_summary("nothing-here")


def test_aspects_against_hand_labels(review_shop: Shop, data_dir: Path) -> None:
    en = load_labelled(FIXTURES / "aspects_en.tsv", data_dir / "womens_clothing_reviews_en" / "womens_clothing_ecommerce_reviews.csv", _en_text)
    zh = load_labelled(FIXTURES / "aspects_zh.tsv", data_dir / "chinese_reviews_sentiment" / "online_shopping_10_cats.csv", lambda r: r["review"])
    assert len(en) == 100 and len(zh) == 100
    for labelled in (en, zh):
        figures = evaluate_aspects(labelled, review_shop.positive_proba)
        assert figures["aspect_precision"] > 0.65 and figures["aspect_recall"] > 0.65 and figures["polarity_accuracy"] > 0.7


@pytest.mark.parametrize("text", ["", "🙂🙂🙂", "好" * 20000, "Love it 很喜欢 but 尺码偏小", "'; DROP TABLE reviews; --"])
def test_odd_reviews_never_crash(review_shop: Shop, text: str) -> None:
    assert len(review_shop.positive_proba([text])) == 1
    assert len(extract([text], review_shop.positive_proba)) == 1
    assert len(snownlp_positive([text[:200]])) == 1 and len(vader_positive([text])) == 1


def test_wilson_and_cli(review_shop: Shop, data_dir: Path) -> None:
    assert wilson_lower(3, 3) < wilson_lower(290, 300) and wilson_lower(0, 0) == 0
    found, _ = read_reviews(data_dir / "womens_clothing_reviews_en" / "womens_clothing_ecommerce_reviews.csv", REVIEW_PRESETS["womens-clothing"])
    assert len(found) > 23000
    runner = CliRunner()
    result = runner.invoke(app, ["reviews", str(review_shop.path), "15970", "--json"])
    assert result.exit_code == 0 and '"headline"' in result.output
    result = runner.invoke(app, ["reviews", str(review_shop.path), "missing"])
    assert result.exit_code == 1 and "no reviews" in result.output


def test_product_page_carries_the_review_summary(review_shop: Shop) -> None:
    from fastapi.testclient import TestClient

    from daogou.serve.app import create_app

    data = TestClient(create_app(review_shop.path)).get("/api/products/15970").json()
    assert data["reviews"]["reviews"] >= 2 and "positive" in data["reviews"]["summary"]


def test_sentiment_trains_on_the_shops_own_rated_reviews(myntra_shop: Shop, tmp_path: Path) -> None:
    """A shop with rated reviews and no public sets: the model learns from its ratings, and its card says so."""
    import json
    import shutil

    path = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, path)
    ids = [p.id for p in myntra_shop.store.iter_products()][:20]
    good = ["fits well and the colour is lovely", "great quality, very comfortable", "质量很好，很舒服", "love it, true to size"]
    bad = ["cheap fabric, tore after one wash", "terrible fit and faded colour", "质量太差，退货了", "waste of money, very poor"]
    rows = [f'{pid},"{text}",{rating}' for i, pid in enumerate(ids) for text, rating in ((good[i % 4], 5), (bad[i % 4], 1), ("it is ok", 3))]
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("product_id,text,rating\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with Shop.open(path) as shop:
        shop.import_reviews(reviews)
        report = shop.train("sentiment", public=False)
        card = json.loads((shop.models_dir / "sentiment.json").read_text(encoding="utf-8"))
        assert card["data"] == [{"source": "this shop's rated reviews", "reviews": 40, "positive": 20}]  # rating 3 left out
        assert report.train_items == 32
        assert shop.positive_proba(["great quality, very comfortable"])[0] > shop.positive_proba(["terrible fit and faded colour"])[0]
    labelled = tmp_path / "mine.csv"
    labelled.write_text("text,label\n" + "\n".join(f'"{t}",1' for t in good * 5) + "\n" + "\n".join(f'"{t}",0' for t in bad * 5) + "\n", encoding="utf-8")
    with Shop.open(path) as shop:
        shop.train("sentiment", data=str(labelled), public=False)
        card = json.loads((shop.models_dir / "sentiment.json").read_text(encoding="utf-8"))
        assert [d["source"] for d in card["data"]] == ["this shop's rated reviews", "file mine.csv"]
