"""Home Depot graded relevance: nDCG@10 of BM25 alone, vectors alone and hybrid, in one run.

1,500 search terms are drawn with a fixed seed; the corpus is every product judged for any of them
(titles only: the shared data has no descriptions). Grades are relevance − 1 (0..2), so "relevant"
means an average rating of at least 2 of 3. Nothing is tuned on these queries.
Writes results/homedepot.{json,md,png}.
"""

from __future__ import annotations

import csv
import random
import shutil

from common import RESULTS, result_name, shop_path, write_result

from daogou.demo import find_dataset
from daogou.evaluate.report import write_report
from daogou.evaluate.search_eval import as_table, evaluate_search
from daogou.shop import Shop

SEED = 42
N_QUERIES = 1500


def load(n_queries: int) -> tuple[dict[str, str], dict[str, dict[str, float]]]:
    rows = list(csv.DictReader((find_dataset("homedepot_search_relevance") / "train.csv").open(encoding="latin-1")))
    terms = sorted({r["search_term"].strip() for r in rows if r["search_term"].strip()})
    chosen = set(random.Random(SEED).sample(terms, n_queries))
    titles: dict[str, str] = {}
    qrels: dict[str, dict[str, float]] = {}
    for r in rows:
        term = r["search_term"].strip()
        if term in chosen:
            titles[r["product_uid"]] = r["product_title"]
            qrels.setdefault(term, {})[r["product_uid"]] = round(float(r["relevance"]) - 1.0, 3)
    return titles, qrels


def build_shop(titles: dict[str, str]) -> Shop:
    path = shop_path("homedepot")
    if (path / "index" / "CURRENT").exists():
        return Shop.open(path)
    shutil.rmtree(path, ignore_errors=True)
    shop = Shop.init(path)
    catalog = path / "products.csv"
    with catalog.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["product_uid", "product_title"])
        writer.writerows(sorted(titles.items()))
    report = shop.import_catalog(catalog, mapping={"id": "product_uid", "title": "product_title"})
    print(f"imported {report.added} products ({len(report.errors)} skipped)")
    shop.index(show_progress=True)
    return shop


if __name__ == "__main__":
    titles, qrels = load(N_QUERIES)
    shop = build_shop(titles)
    variants = ["bm25", "vector", "bm25+vector", "hybrid"]
    results = evaluate_search(shop, qrels, variants, k=10, threshold=1.0)
    columns = ["ndcg@10", "recall@10", "mrr", "p@10"]
    rows = as_table(results, columns)
    for row in rows:
        print(row)
    data = {"seed": SEED, "queries": len(qrels), "products": len(titles), "grades": "relevance - 1 (0..2); relevant if >= 1", "results": rows}
    write_result("homedepot", data)
    write_report(RESULTS, result_name("homedepot_plot"), data, rows, columns, f"Home Depot, {len(qrels)} queries over {len(titles)} products")
