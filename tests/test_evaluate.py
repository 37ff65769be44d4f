import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daogou.cli import app
from daogou.errors import DaogouError
from daogou.evaluate.metrics import classification_report, ndcg_at_k, precision_at_k, ranking_report, recall_at_k, reciprocal_rank
from daogou.evaluate.qrels import read_qrels, write_qrels
from daogou.shop import Shop


def test_ranking_metrics_by_hand() -> None:
    ranked = ["a", "x", "b", "y"]
    assert precision_at_k(ranked, {"a", "b"}, 2) == 0.5
    assert recall_at_k(ranked, {"a", "b", "c"}, 3) == pytest.approx(2 / 3)
    assert reciprocal_rank(ranked, {"b"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, {"z"}) == 0
    grades = {"a": 2.0, "b": 1.0, "c": 2.0}
    dcg = 2 / math.log2(2) + 1 / math.log2(4)
    idcg = 2 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, grades, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["c", "a", "b"], grades, 3) == pytest.approx(1.0)


def test_ranking_report_averages_and_counts_missing_runs_as_empty() -> None:
    report = ranking_report({"q1": ["a"]}, {"q1": {"a": 1}, "q2": {"b": 1}}, ks=(1,))
    assert report["p@1"] == 0.5 and report["mrr"] == 0.5 and report["queries"] == 2


def test_classification_report() -> None:
    report = classification_report(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert report["accuracy"] == 0.75 and report["macro_recall"] == 0.75
    assert report["per_class"]["a"]["precision"] == 1.0


def test_qrels_round_trip_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    write_qrels(path, {"红色 连衣裙": {"1": 2.0, "2": 1.0}, "shoes, black": {"3": 1.0}})
    assert read_qrels(path) == {"红色 连衣裙": {"1": 2.0, "2": 1.0}, "shoes, black": {"3": 1.0}}
    path.write_text("q\t1\tgood\n")
    with pytest.raises(DaogouError, match=":1: grade"):
        read_qrels(path)
    path.write_text("q\t1\n")
    with pytest.raises(DaogouError, match="expected query"):
        read_qrels(path)


def test_eval_search_cli_writes_json_markdown_and_plot(myntra_shop: Shop, tmp_path: Path) -> None:
    products = list(myntra_shop.store.iter_products())
    watches = [p.id for p in products if p.attributes.get("type") == "Watches"]
    qrels = tmp_path / "q.tsv"
    write_qrels(qrels, {"analogue watch": {w: 1.0 for w in watches}, "黑色男士运动鞋": {p.id: 2.0 for p in products if p.attributes.get("type") == "Sports Shoes" and p.attributes.get("colour") == "Black" and p.attributes.get("gender") == "Men"}})
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["eval", "search", str(myntra_shop.path), "--qrels", str(qrels), "--variant", "hybrid", "--variant", "bm25", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "search_eval.json").read_text())
    by_variant = {r["variant"]: r for r in data["results"]}
    assert by_variant["hybrid"]["ndcg@10"] > by_variant["bm25"]["ndcg@10"]  # BM25 cannot read the Chinese query
    assert by_variant["hybrid"]["recall@10"] > 0.9
    assert (out / "search_eval.png").read_bytes()[:4] == b"\x89PNG"
    assert "| hybrid |" in (out / "search_eval.md").read_text()
