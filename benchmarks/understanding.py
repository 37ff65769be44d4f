"""Query understanding that carries to any catalog: exact (gender, type, colour) R-precision on H&M and Flipkart.

The query sets (benchmarks/queries/{hm,flipkart}.tsv, en + zh) were written by hand and frozen before the
lexicon and the inference of issue 12 were built. A product is relevant when its gender, type and colour are
among the values the query line accepts; R-precision is the precision at min(10, number of relevant products).
Myntra is measured on the held-out attribute queries of search_quality.py (same R-precision, exact triple).

Variants: the full parser; the hand lexicon off (catalog words + dictionary + encoder); the dictionary off too
(encoder only); no understanding at all. The encoder's floors are calibrated first, on Myntra (a catalog the
test queries never see): every word of our lexicon is a labelled example there, either naming a Myntra value or
naming nothing in it (kitchen words on a fashion catalog).

Usage: python benchmarks/understanding.py [--shops hm,flipkart,myntra]   → results/understanding.json
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from common import SHOPS, myntra_shop, write_result

from daogou.demo import data_roots
from daogou.shop import Shop
from daogou.understand.inference import FLOORS, INFERRED_FIELDS, ValueInference
from daogou.understand.lexicon import EN_SYNONYMS, ZH_TO_EN
from daogou.understand.query import QueryParser

QUERIES = Path(__file__).resolve().parent / "queries"
FIELDS = ("gender", "type", "colour")


def load_queries(name: str) -> list[dict]:
    rows = []
    for line in (QUERIES / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("lang\t") or not line.strip():
            continue
        lang, text, *accepted = line.split("\t")
        rows.append({"lang": lang, "query": text, "accept": {f: set(v.split("|")) for f, v in zip(FIELDS, accepted) if v}})
    return rows


def shop_for(name: str) -> Shop:
    """The H&M or Flipkart shop (import + index on first use, reused afterwards)."""
    path = SHOPS / name
    if (path / "index" / "CURRENT").exists():
        return Shop.open(path)
    root = next(r for r in data_roots() if (r / "hm_fashion_sample").is_dir())
    source = {"hm": root / "hm_fashion_sample" / "articles.csv", "flipkart": root / "flipkart_products_sample" / "product.csv"}[name]
    shop = Shop.init(path, exist_ok=True)
    shop.import_catalog(source, preset=name)
    shop.index(show_progress=True)
    return shop


def r_precision(shop: Shop, queries: list[dict], understand: bool = True) -> dict:
    """Mean R-precision per language, with the ids of every product's (gender, type, colour) read once."""
    products = list(shop.store.iter_products())
    scores: dict[str, list[float]] = {"en": [], "zh": []}
    times, per_query = [], []
    for q in queries:
        relevant = {p.id for p in products if all((p.attributes.get(f) or "") in ok for f, ok in q["accept"].items())}
        if not relevant:
            raise SystemExit(f"{q['query']!r}: no product of this catalog is relevant; the query file and the catalog disagree")
        cut = min(10, len(relevant))
        started = time.perf_counter()
        hits = shop.search(q["query"], k=10, understand=understand).hits
        times.append((time.perf_counter() - started) * 1000)
        score = sum(h.id in relevant for h in hits[:cut]) / cut
        scores[q["lang"]].append(score)
        per_query.append({"lang": q["lang"], "query": q["query"], "r_precision": round(score, 3), "relevant": len(relevant)})
    return {
        "en": round(statistics.fmean(scores["en"]), 4), "zh": round(statistics.fmean(scores["zh"]), 4),
        "queries": {lang: len(v) for lang, v in scores.items()}, "latency_ms_p50": round(statistics.median(times), 1), "per_query": per_query,
    }


def with_parser(shop: Shop, lexicon: bool, dictionary: bool, floors: dict[str, float]) -> None:
    """Swap the searcher's parser for a variant (the same vocabulary and value vectors)."""
    searcher = shop.searcher
    base = searcher.inference
    inference = ValueInference(base.vocabulary, base.encoder, base.vectors, floors, dictionary=dictionary, lock=base._lock)
    searcher.parser = QueryParser(base.vocabulary, inference, lexicon=lexicon)


# -- calibration on Myntra ----------------------------------------------------------------------------


def labelled_words(shop: Shop) -> list[tuple[str, str | None, set[str]]]:
    """Every word of our lexicon with what it means on this catalog: (word, field, values) or (word, None, {})."""
    vocabulary = shop.searcher.inference.vocabulary
    full = QueryParser(vocabulary)
    out = []
    for word in [*ZH_TO_EN, *EN_SYNONYMS]:
        slots = [s for s in full.parse(word).slots if s.field in INFERRED_FIELDS]
        if len(slots) == 1 and slots[0].text.replace(" ", "") == word.replace(" ", ""):
            out.append((word, slots[0].field, set(slots[0].values)))
        elif not full.parse(word).slots:
            out.append((word, None, set()))
    return out


def calibrate(shop: Shop) -> dict:
    """Per-field floors for the encoder's nearest value, chosen on Myntra: a right guess +1, a wrong one −1."""
    base = shop.searcher.inference
    inference = ValueInference(base.vocabulary, base.encoder, base.vectors, {f: 0.0 for f in INFERRED_FIELDS}, dictionary=True, lock=base._lock)
    words = labelled_words(shop)
    outcomes: dict[str, list[tuple[float, bool]]] = {f: [] for f in INFERRED_FIELDS}
    for word, field, values in words:
        for name, (score, value) in inference.nearest_by_field(word).items():
            outcomes[name].append((score, field == name and value in values))
    floors, report = {}, {}
    for name, pairs in outcomes.items():
        grid = np.arange(0.80, 1.001, 0.005)
        gains = [sum((1 if good else -1) for score, good in pairs if score >= f) for f in grid]
        best = int(np.argmax(gains))
        floors[name] = round(float(grid[best]), 3)
        accepted = [(s, g) for s, g in pairs if s >= floors[name]]
        report[name] = {"floor": floors[name], "accepted": len(accepted), "right": sum(g for _, g in accepted), "candidates": len(pairs)}
    return {"floors": floors, "per_field": report, "words": len(words), "words_naming_nothing": sum(f is None for _, f, _ in words)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shops", default="hm,flipkart,myntra")
    parser.add_argument("--calibration-shop", default="myntra-full", help="the Myntra shop the floors are chosen on")
    args = parser.parse_args()
    myntra = myntra_shop(args.calibration_shop)
    calibration = calibrate(myntra)
    print("calibration on Myntra:", calibration)
    floors = calibration["floors"]
    figures: dict = {"calibration": calibration, "floors_in_code": FLOORS}
    variants = (("full", True, True), ("lexicon_off", False, True), ("encoder_only", False, False))
    for name in args.shops.split(","):
        if name == "myntra":
            from search_quality import attribute_queries

            queries = [{"lang": lang, "query": q[lang], "accept": {f: {q[f]} for f in FIELDS}} for q in attribute_queries(myntra) for lang in ("en", "zh")]
            shop = myntra
        else:
            queries, shop = load_queries(name), shop_for(name)
        shop.search("warm up", k=10)
        rows = {}
        for variant, lexicon, dictionary in variants:
            with_parser(shop, lexicon, dictionary, floors)
            rows[variant] = r_precision(shop, queries)
            print(name, variant, {k: v for k, v in rows[variant].items() if k != "per_query"})
        rows["no_understanding"] = r_precision(shop, queries, understand=False)
        print(name, "no_understanding", {k: v for k, v in rows["no_understanding"].items() if k != "per_query"})
        figures[name] = rows
    write_result("understanding", figures)


if __name__ == "__main__":
    main()
