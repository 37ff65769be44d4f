"""A shop built from a slice of Amazon Beauty (S3-Rec files) the way a user would: products with the
amazon_s3rec preset, behaviour with the sequence preset, `daogou train recommend` (sequential model +
blend), `daogou eval recommend --protocol loo`; and what the API serves is exactly what the shop serves."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daogou.cli import app
from daogou.shop import Shop

USERS = 150


@pytest.fixture(scope="module")
def beauty_slice(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 150 users' sequences and only the items they bought (item files in the S3-Rec layout)."""
    source = data_dir / "amazon_beauty_s3rec"
    out = tmp_path_factory.mktemp("beauty")
    lines = (source / "Beauty.txt").read_text(encoding="utf-8").splitlines()[:USERS]
    (out / "Beauty.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = {i for line in lines for i in line.split()[1:]}
    with gzip.open(source / "Beauty_datamaps.json.gz", "rt", encoding="utf-8") as handle:
        id2item = {k: v for k, v in json.load(handle)["id2item"].items() if k in items}
    (out / "Beauty_datamaps.json").write_text(json.dumps({"id2item": id2item}), encoding="utf-8")
    attributes = json.loads((source / "Beauty_item2attributes.json").read_text(encoding="utf-8"))
    (out / "Beauty_item2attributes.json").write_text(json.dumps({k: v for k, v in attributes.items() if k in items}), encoding="utf-8")
    asins = set(id2item.values())
    texts = [line for line in (source / "Beauty_item_textid.txt").read_text(encoding="utf-8").splitlines() if line.split(" ", 1)[0] in asins]
    (out / "Beauty_item_textid.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def beauty_shop(beauty_slice: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runner = CliRunner()
    shop = tmp_path_factory.mktemp("beauty-shop") / "shop"
    for command in (["init", str(shop)],
                    ["import", str(shop), str(beauty_slice / "Beauty_item_textid.txt"), "--preset", "amazon_s3rec"],
                    ["index", str(shop)],
                    ["import-events", str(shop), str(beauty_slice / "Beauty.txt"), "--preset", "sequence"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    return shop


def test_train_recommend_trains_the_sequential_model_and_the_blend(beauty_shop: Path) -> None:
    result = CliRunner().invoke(app, ["train", "recommend", str(beauty_shop)])
    assert result.exit_code == 0, result.output
    assert "sequential_valid_ndcg@20" in result.output and "validation_ndcg@20" in result.output  # no real times: each user's last item
    card = json.loads((beauty_shop / "models" / "recommend.json").read_text(encoding="utf-8"))
    assert card["validation"] == "last" and "sequential" in card["weights"] and "recent_knn" in card["weights"]
    assert (beauty_shop / "models" / "sequential.pt").exists()


def test_api_serves_exactly_what_the_shop_recommends_and_never_what_the_user_has(beauty_shop: Path) -> None:
    from fastapi.testclient import TestClient

    from daogou.serve.app import create_app

    client = TestClient(create_app(beauty_shop))
    with Shop.open(beauty_shop) as shop:
        _, data = shop.recommender()
        for user in data.users[:10]:
            served = [r.item for r in shop.recommend(user, 20)[0]]
            assert [h["id"] for h in client.get(f"/api/recommend/user/{user}", params={"k": 20}).json()["hits"]] == served
            assert not set(served) & data.seen(user)
        viewed = [e.product_id for e in data.history(data.users[0])]
        items, ignored = shop.recommend_for_session([*viewed, "no-such-item"], 10)
        assert ignored == ["no-such-item"] and items and not {r.id for r in items} & set(viewed)
        assert all(r.reasons["zh"] for r in items)


def test_eval_recommend_leave_one_out(beauty_shop: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "recommend", str(beauty_shop), "--protocol", "loo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "recommend_loo.json").read_text(encoding="utf-8"))
    models = {r["model"] for r in report["rows"]}
    assert {"hybrid", "sequential", "recent_knn", "popularity", "content"} <= models
    assert report["test_users"] == USERS and all(0 <= r["ndcg@20"] <= r["hr@20"] <= 1 for r in report["rows"])
    assert report["best_single"] in models and "hybrid_vs_best_single_ndcg@20" in report
    bad = CliRunner().invoke(app, ["eval", "recommend", str(beauty_shop), "--protocol", "random"])
    assert bad.exit_code == 1 and "--protocol" in bad.output
