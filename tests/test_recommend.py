"""Recommenders on real H&M purchases: time split, every model, hybrid, reasons, preferences, bad input."""

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from daogou.catalog.schema import Interaction
from daogou.cli import app
from daogou.errors import BadQuery, ImportFailed
from daogou.evaluate.metrics import paired_bootstrap
from daogou.evaluate.recommend_eval import evaluate_recommenders, rolling_evaluation
from daogou.recommend.data import Interactions, time_split
from daogou.recommend.metrics import average_precision
from daogou.recommend.models import CategoryPopularityRecommender, ContentRecommender, HybridRecommender, ImplicitRecommender, PopularityRecommender, Scored
from daogou.recommend.preferences import Preferences, user_price_band
from daogou.shop import Shop


def _event(user: str, item: str, day: int, price: float = 1.0) -> Interaction:
    return Interaction(user_id=user, product_id=item, timestamp=datetime(2020, 1, day), price=price)


def test_map_at_k_and_time_split() -> None:
    assert average_precision(["a", "x", "b"], {"a", "b"}, 12) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision([], {"a"}, 12) == 0
    events = [_event("u", "a", 1), _event("u", "b", 20), _event("v", "c", 28)]
    train, test = time_split(events, days=7)
    assert [e.product_id for e in train] == ["a", "b"] and [e.product_id for e in test] == ["c"]


def test_models_on_a_tiny_matrix() -> None:
    events = [_event(u, i, d) for d, (u, i) in enumerate([("u1", "a"), ("u1", "b"), ("u2", "a"), ("u2", "b"), ("u3", "a"), ("u4", "c")], start=1)]
    data = Interactions.from_events(events + [_event("u5", "ghost", 9)], catalog={"a", "b", "c", "d"})
    assert data.dropped == 1 and data.matrix.shape == (4, 3)
    popular = PopularityRecommender(window_days=365).fit(data)
    assert popular.recommend("u3", 2)[0].item == "b" and popular.recommend("new-user", 1)[0].item == "a"
    knn = ImplicitRecommender("itemknn").fit(data)
    recs = knn.recommend("u3", 3)
    assert recs[0].item == "b" and recs[0].explain(str.upper) == "because you bought “A”"
    assert recs[0].reason == "bought" and recs[0].explain(str.upper, "zh") == "因为你买过「A」"
    boosted = Scored("x", 1.0, "similar_style", "a", extras=["price_range"])
    assert boosted.explain(str.upper, "zh") == "与「A」风格相似 · 在你常买的价位内"
    assert boosted.explain(str.upper) == "similar in style to “A” · in your usual price range"
    assert "a" not in {r.item for r in recs}
    assert knn.recommend("nobody", 3) == []
    vectors = np.eye(4, dtype=np.float32)
    vectors[3] = [0.9, 0.1, 0, 0]  # "d" looks like "a" and was never bought
    content = ContentRecommender().fit(data, ["a", "b", "c", "d"], vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    assert content.recommend("u3", 1)[0].item == "d" and content.recommend("u3", 1)[0].explain(str) == "similar in style to “a”"


def test_content_keeps_several_interests_apart() -> None:
    """Two bought items from opposite corners: softmax recommends a neighbour of each, the mean profile neither."""
    ids = ["kid-a", "kid-b", "blazer-a", "blazer-b", "between"]
    vectors = np.array([[1, 0, 0], [0.95, 0.31, 0], [0, 0, 1], [0, 0.31, 0.95], [0.6, 0.2, 0.77]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    data = Interactions.from_events([_event("u", "kid-a", 1), _event("u", "blazer-a", 2)])
    soft = ContentRecommender(aggregate="softmax").fit(data, ids, vectors).recommend("u", 2)
    assert {r.item for r in soft} == {"kid-b", "blazer-b"}
    assert {r.item: r.about for r in soft} == {"kid-b": "kid-a", "blazer-b": "blazer-a"}
    assert ContentRecommender(aggregate="mean").fit(data, ids, vectors).recommend("u", 1)[0].item == "between"
    with pytest.raises(ValueError, match="aggregate"):
        ContentRecommender(aggregate="max").fit(data, ids, vectors)


def test_category_popularity_follows_the_users_categories() -> None:
    categories = {"top1": "Tops", "top2": "Tops", "jeans": "Trousers", "sock": "Socks"}
    events = [_event(u, "jeans", 20) for u in ("a", "b", "c")] + [_event("d", "top1", 20), _event("e", "top2", 19), _event("t", "top1", 2), _event("s", "sock", 1)]
    model = CategoryPopularityRecommender(half_life_days=7).fit(Interactions.from_events(events), categories)
    assert model.recommend("stranger", 1)[0].item == "jeans"  # unknown user: plain (recent) popularity
    recs = model.recommend("t", 2)  # bought a top: the other top comes first, top1 (seen) is left out
    assert recs[0].item == "top2" and recs[0].explain() == "popular in Tops this week" and "top1" not in {r.item for r in recs}
    assert recs[0].explain(lang="zh") == "本周Tops热销"
    assert [r.item for r in model.similar_items("top1")] == ["top2"]


def test_hybrid_starts_from_the_best_single_model() -> None:
    """On validation weeks where only `good` predicts anything, the blend keeps `good` and never drops it."""
    events = []
    for week in range(5):
        for n in range(4):
            events.append(_event(f"u{n}", f"w{week}-{n}", 1 + week * 7))

    class Oracle:  # recommends the item the user buys next week: stands in for a strong model
        def __init__(self, data: Interactions) -> None:
            self.last = max(e.timestamp for e in data.events)

        def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list:
            week = (self.last.day - 1) // 7 + 1
            return [Scored(f"w{week}-{user[1:]}", 1.0, "oracle")]

    hybrid = HybridRecommender({"bad": lambda d: PopularityRecommender(window_days=1).fit(d), "good": Oracle}, validation_folds=2).fit(Interactions.from_events(events))
    assert hybrid.weights_["good"] > 0 and hybrid.validation_map_ == pytest.approx(1.0)


def test_paired_bootstrap_interval() -> None:
    same = paired_bootstrap({"a": 0.5, "b": 0.1}, {"a": 0.5, "b": 0.1})
    assert same["mean_difference"] == 0 and same["low"] == 0 and same["high"] == 0
    better = paired_bootstrap({str(i): 1.0 for i in range(50)}, {str(i): 0.0 for i in range(50)})
    assert better["low"] == pytest.approx(1.0) and better["users"] == 50


def test_user_price_band() -> None:
    history = [_event("u", str(i), 1, price=p) for i, p in enumerate([10, 12, 14, 100])]
    assert user_price_band(history) == (10, 100) and user_price_band(history[:2]) is None


def test_events_import_reports_bad_rows_and_is_idempotent(hm_shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,product_id,timestamp,price,kind\n"
        "u1,p1,2020-01-01,1.0,purchase\n"
        "u1,p1,2020-01-01,1.0,purchase\n"  # quantity 2: both count
        ",p1,2020-01-01,1.0,purchase\n"  # no user
        "u2,p2,yesterday,1.0,view\n"  # bad time
        "u2,p2,2020-01-02,1.0,like\n",  # unknown kind
        encoding="utf-8",
    )
    first = hm_shop.import_events(path)
    assert first.added == 2 and first.unknown_products == 2 and [e.line for e in first.errors] == [4, 5, 6]
    again = hm_shop.import_events(path)
    assert again.added == 0 and again.already_imported == 2
    with pytest.raises(ImportFailed, match="unknown events preset"):
        hm_shop.import_events(path, preset="amazon")


def test_recommend_with_reasons_fallback_and_preferences(hm_shop: Shop) -> None:
    model, data = hm_shop.recommender()
    user = max(data.users, key=lambda u: len(data.seen(u)))
    recs, note = hm_shop.recommend(user, k=12)
    assert len(recs) == 12 and note == ""
    assert not {r.item for r in recs} & data.seen(user)
    words = hm_shop.explain(recs)
    assert all(w["en"] and w["zh"] and "{" not in w["en"] + w["zh"] for w in words)
    titles = {p.title for p in hm_shop.store.iter_products()}
    categories = {p.attributes.get("category") for p in hm_shop.store.iter_products()}
    for r, w in zip(recs, words):  # a reason names the product it comes from by title, or the category that is selling
        assert r.about is None or any(f"“{t}”" in w["en"] and f"「{t}」" in w["zh"] for t in titles)
        assert r.about is not None or any(f"popular in {c}" in w["en"] for c in categories) or w["en"].startswith("popular")
    content = model.models_["content"].recommend(user, 3)  # type: ignore[attr-defined]
    assert all(r.explain(lambda pid: hm_shop.product(pid).title).startswith("similar in style to “") for r in content)
    cold, note = hm_shop.recommend("someone-new", k=5)
    assert len(cold) == 5 and "popular" in note
    black, _ = hm_shop.recommend(user, k=5, preferences=Preferences(attributes={"colour": ["Black"]}))
    assert black and all(hm_shop.product(r.item).attributes["colour"] == "Black" for r in black)

    with pytest.raises(BadQuery):
        hm_shop.recommend(user, k=0)


def test_time_split_evaluation_table(hm_shop: Shop) -> None:
    catalog = {p.id for p in hm_shop.store.iter_products()}
    rows = evaluate_recommenders(hm_shop.store.load_interactions(), catalog, hm_shop.recommender_factories())
    by = {r["model"]: r for r in rows}
    assert set(by) == {"popularity", "category", "itemknn", "recent_knn", "als", "bpr", "content", "sequential", "hybrid"}
    assert by["popularity"]["test_users"] > 0
    assert all(0 <= r["map@12"] <= 1 and 0 <= r["coverage"] <= 1 for r in rows)
    for name in ("popularity", "category", "itemknn", "als", "bpr"):
        assert by[name]["cold_start_recall@12"] == 0  # sales-based models cannot know products nobody bought


def test_rolling_evaluation_refits_before_each_week(hm_shop: Shop) -> None:
    catalog = {p.id for p in hm_shop.store.iter_products()}
    factories = {k: v for k, v in hm_shop.recommender_factories().items() if k in ("popularity", "content")}
    aps: dict[str, dict[str, float]] = {}
    result = rolling_evaluation(hm_shop.store.load_interactions(), catalog, factories, origins=2, average_precisions=aps)
    assert sorted({r["origin"] for r in result["origins"]}) == [0, 1]
    weeks = {r["origin"]: r for r in result["origins"] if r["model"] == "content"}
    assert weeks[1]["train_events"] < weeks[0]["train_events"]  # the earlier week's models never see later events
    pooled = {r["model"]: r for r in result["rows"]}["content"]
    assert pooled["test_users"] == weeks[0]["test_users"] + weeks[1]["test_users"] == len(aps["content"])


def test_cli_recommend_similar_and_eval(hm_shop: Shop, tmp_path: Path) -> None:
    runner = CliRunner()
    _, data = hm_shop.recommender()
    result = runner.invoke(app, ["recommend", str(hm_shop.path), "--user", data.users[0], "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert '"reason"' in result.output
    result = runner.invoke(app, ["similar", str(hm_shop.path), data.items[0], "--k", "3"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["similar", str(hm_shop.path), "no-such-product"])
    assert result.exit_code == 1 and "no product" in result.output
    result = runner.invoke(app, ["eval", "recommend", str(hm_shop.path), "--origins", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "recommend_eval.json").read_text(encoding="utf-8"))
    assert report["windows"] == 2 and len(report["per_window"]) == 2 * len(report["rows"]) and {r["model"] for r in report["rows"]} >= {"content", "hybrid", "category"}


def test_user_recommendations_over_http(hm_shop: Shop) -> None:
    from fastapi.testclient import TestClient

    from daogou.serve.app import create_app

    client = TestClient(create_app(hm_shop.path))
    _, data = hm_shop.recommender()
    known = client.get(f"/api/recommend/user/{data.users[0]}", params={"k": 4}).json()
    assert len(known["hits"]) == 4 and known["fallback"] is None and known["hits"][0]["reason"]
    unknown = client.get("/api/recommend/user/nobody-at-all").json()
    assert unknown["hits"] and "popular" in unknown["fallback"]
    assert client.get("/api/recommend/user/x", params={"k": 0}).status_code == 422


def test_deleted_products_leave_search_and_recommendations(hm_shop: Shop, tmp_path: Path) -> None:
    """A product removed from the catalog keeps its purchases on record, but nothing shows or learns from it any more."""
    import shutil

    from fastapi.testclient import TestClient

    from daogou.serve.app import create_app

    shutil.copytree(hm_shop.path, tmp_path / "shop")
    with Shop.open(tmp_path / "shop") as shop:
        _, data = shop.recommender()
        user = max(data.users, key=lambda u: len(data.seen(u)))
        gone = [r.item for r in shop.recommend(user, k=2)[0]]
        bought = sorted(data.seen(user))[0]
        events_before = len(shop.store.load_interactions())
        assert shop.delete_products([*gone, bought, "no-such-id"]) == (3, ["no-such-id"])
        model, after = shop.recommender()
        assert len(shop.store.load_interactions()) == events_before  # history is kept ...
        assert after.dropped > 0 and bought not in after.item_index  # ... but not learned from
        assert not {r.item for r in shop.recommend(user, k=50)[0]} & {*gone, bought}
        assert not {h.id for h in shop.search(shop.product(sorted(after.items)[0]).title, k=50).hits} & {*gone, bought}
        with pytest.raises(Exception, match="no product"):
            shop.product(gone[0])
    result = CliRunner().invoke(app, ["delete", str(tmp_path / "shop"), "no-such-id"])
    assert result.exit_code == 1 and "not in the catalog" in result.output
    client = TestClient(create_app(tmp_path / "shop", admin_token="t0ken"))
    survivor = after.items[0]
    assert client.delete(f"/api/admin/products/{survivor}").status_code == 401
    assert client.delete("/api/admin/products/no-such-id", headers={"Authorization": "Bearer t0ken"}).status_code == 404
    assert client.delete(f"/api/admin/products/{survivor}", headers={"Authorization": "Bearer t0ken"}).json() == {"removed": survivor}
    assert client.get(f"/api/products/{survivor}").status_code == 404


def test_events_mapping_must_name_field_and_column(hm_shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("who,what,when\nu1,p1,2020-01-01\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import-events", str(hm_shop.path), str(path), "--map", "user"])
    assert result.exit_code == 1 and "expected FIELD=COLUMN" in result.output
    result = CliRunner().invoke(app, ["import-events", str(hm_shop.path), str(path), "--map", "user="])
    assert result.exit_code == 1 and "both FIELD and COLUMN" in result.output


def test_blend_weights_are_stored_and_reused(hm_shop: Shop, tmp_path: Path) -> None:
    """The weight search runs once; a server opening the shop later refits the models with the stored weights."""
    import shutil

    model, _ = hm_shop.recommender()
    card = json.loads((hm_shop.models_dir / "recommend.json").read_text(encoding="utf-8"))
    assert card["weights"] == model.weights_ and card["validation_folds"] == 3
    shutil.copytree(hm_shop.path, tmp_path / "shop")
    with Shop.open(tmp_path / "shop") as shop:
        again, _ = shop.recommender()
        assert again.weights_ == model.weights_ and again.validation_map_ is None  # no search this time
    result = CliRunner().invoke(app, ["train", "recommend", str(tmp_path / "shop")])
    assert result.exit_code == 0, result.output
    assert "trained recommend on" in result.output and "weight_content" in result.output
