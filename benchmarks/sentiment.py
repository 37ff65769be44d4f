"""Review sentiment and aspects, one table: TF-IDF + linear, e5 embedding + trained head, SnowNLP / VADER baselines.

Chinese: online_shopping_10_cats, 80/20 split stratified by category and label (seed 42), accuracy and
macro-F1 overall and per category; domain transfer to ChnSentiCorp_htl_all and waimai_10k without
training on them. English: clothing reviews, rating ≤ 2 negative, ≥ 4 positive (same split rule);
rating-3 reviews reported separately (share called positive). The e5 head is trained on 12,000
training reviews per language and scored on 4,000 test reviews (encoding all 62k would take ~20 min
here); TF-IDF and the baselines use the full splits. Throughput is reviews/second on this machine.
Aspects: precision / recall / polarity accuracy on our 100 hand-labelled reviews per language.
Writes results/sentiment.{json,md,png}.
"""

from __future__ import annotations

import csv
import random
import time

import numpy as np
from common import RESULTS, SHOPS, write_result
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from daogou.catalog.splits import SEED
from daogou.demo import find_dataset
from daogou.evaluate.aspects_eval import evaluate_aspects, load_labelled
from daogou.evaluate.report import write_report
from daogou.pipeline.texts import embed_texts
from daogou.shop import Shop
from daogou.understand.sentiment import EmbeddingSentiment, TfidfSentiment, snownlp_positive, vader_positive

E5_TRAIN, E5_TEST = 12_000, 4_000
CACHE = SHOPS / "sentiment-cache"


def embed(texts: list[str]) -> np.ndarray:
    return embed_texts(texts, "e5-small", CACHE, workers=2, as_query=True, show_progress=True)


def figures(name: str, truth, predicted, seconds: float | None = None) -> dict:  # type: ignore[no-untyped-def]
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    row = {"variant": name, "accuracy": round(float(np.mean(truth == predicted)), 4), "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4), "n": len(truth)}
    if seconds:
        row["reviews_per_s"] = round(len(truth) / seconds, 1)
    return row


def timed(fn, texts):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    out = fn(texts)
    return out, time.perf_counter() - started


def chinese() -> tuple[list[dict], dict, list[dict]]:
    folder = find_dataset("chinese_reviews_sentiment")
    rows = [r for r in csv.DictReader((folder / "online_shopping_10_cats.csv").open(encoding="utf-8-sig")) if (r["review"] or "").strip()]
    texts, y, cats = [r["review"] for r in rows], np.array([int(r["label"]) for r in rows]), np.array([r["cat"] for r in rows])
    train, test = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=SEED, stratify=[c + str(l) for c, l in zip(cats, y)])
    tfidf = TfidfSentiment().fit([texts[i] for i in train], y[train])
    test_texts = [texts[i] for i in test]
    predicted, seconds = timed(tfidf.predict, test_texts)
    table = [{"language": "zh", **figures("tfidf+logreg", y[test], predicted, seconds)}]
    per_category = {c: figures(c, y[test][cats[test] == c], predicted[cats[test] == c])["accuracy"] for c in sorted(set(cats))}
    snow, seconds = timed(snownlp_positive, test_texts)
    table.append({"language": "zh", **figures("snownlp (baseline)", y[test], (snow >= 0.5).astype(int), seconds)})
    rng = random.Random(SEED)
    e5_train = rng.sample(list(train), E5_TRAIN)
    e5_test = rng.sample(list(test), E5_TEST)
    head = EmbeddingSentiment(embed).fit([texts[i] for i in e5_train], y[e5_train])
    predicted_e5, seconds = timed(head.predict, [texts[i] for i in e5_test])
    table.append({"language": "zh", **figures(f"e5-small + head ({E5_TRAIN // 1000}k train)", y[e5_test], predicted_e5, seconds)})
    transfer = []
    for name, file in (("ChnSentiCorp_htl_all (hotels)", "ChnSentiCorp_htl_all.csv"), ("waimai_10k (food delivery)", "waimai_10k.csv")):
        data = [r for r in csv.DictReader((folder / file).open(encoding="utf-8-sig")) if (r["review"] or "").strip()]
        t, labels = [r["review"] for r in data], np.array([int(r["label"]) for r in data])
        transfer.append({"language": "zh", "data": name, **figures("tfidf+logreg", labels, tfidf.predict(t))})
        transfer.append({"language": "zh", "data": name, **figures("snownlp (baseline)", labels, (snownlp_positive(t) >= 0.5).astype(int))})
        sample = rng.sample(range(len(t)), min(2000, len(t)))
        transfer.append({"language": "zh", "data": name + ", 2k sample", **figures("e5-small + head", labels[sample], head.predict([t[i] for i in sample]))})
    return table, per_category, transfer


def english() -> tuple[list[dict], dict]:
    path = find_dataset("womens_clothing_reviews_en") / "womens_clothing_ecommerce_reviews.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    text_of = lambda r: ". ".join(t for t in ((r.get("Title") or "").strip(), (r.get("Review Text") or "").strip()) if t)  # noqa: E731
    polar = [r for r in rows if text_of(r) and r["Rating"] != "3"]
    neutral = [text_of(r) for r in rows if text_of(r) and r["Rating"] == "3"]
    texts, y = [text_of(r) for r in polar], np.array([1 if int(r["Rating"]) >= 4 else 0 for r in polar])
    train, test = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=SEED, stratify=y)
    tfidf = TfidfSentiment().fit([texts[i] for i in train], y[train])
    test_texts = [texts[i] for i in test]
    predicted, seconds = timed(tfidf.predict, test_texts)
    table = [{"language": "en", **figures("tfidf+logreg", y[test], predicted, seconds)}]
    vader, seconds = timed(vader_positive, test_texts)
    table.append({"language": "en", **figures("vader (baseline)", y[test], (vader >= 0.5).astype(int), seconds)})
    rng = random.Random(SEED)
    e5_train, e5_test = rng.sample(list(train), min(E5_TRAIN, len(train))), rng.sample(list(test), min(E5_TEST, len(test)))
    head = EmbeddingSentiment(embed).fit([texts[i] for i in e5_train], y[e5_train])
    predicted_e5, seconds = timed(head.predict, [texts[i] for i in e5_test])
    table.append({"language": "en", **figures(f"e5-small + head ({len(e5_train) // 1000}k train)", y[e5_test], predicted_e5, seconds)})
    rating3 = {"reviews": len(neutral), "share_called_positive_tfidf": round(float(np.mean(tfidf.predict(neutral))), 4)}
    return table, rating3


def aspects() -> dict:
    shop = Shop.init(SHOPS / "sentiment-shop", exist_ok=True)
    card = shop.train("sentiment").metrics
    fixtures = RESULTS.parent.parent / "tests" / "fixtures"
    en_path = find_dataset("womens_clothing_reviews_en") / "womens_clothing_ecommerce_reviews.csv"
    zh_path = find_dataset("chinese_reviews_sentiment") / "online_shopping_10_cats.csv"
    text_of = lambda r: ". ".join(t for t in ((r.get("Title") or "").strip(), (r.get("Review Text") or "").strip()) if t)  # noqa: E731
    return {
        "multilingual_model_card": card,
        "en": evaluate_aspects(load_labelled(fixtures / "aspects_en.tsv", en_path, text_of), shop.positive_proba),
        "zh": evaluate_aspects(load_labelled(fixtures / "aspects_zh.tsv", zh_path, lambda r: r["review"]), shop.positive_proba),
    }


def main() -> None:
    zh_table, per_category, transfer = chinese()
    print(zh_table, per_category, transfer, sep="\n")
    en_table, rating3 = english()
    print(en_table, rating3, sep="\n")
    aspect_figures = aspects()
    print(aspect_figures)
    table = zh_table + en_table
    write_result("sentiment", {"seed": SEED, "table": table, "zh_per_category_accuracy": per_category, "transfer": transfer, "en_rating_3": rating3, "aspects": aspect_figures})
    rows = [{"variant": f"{r['language']} {r['variant']}", "accuracy": r["accuracy"], "macro_f1": r["macro_f1"]} for r in table]
    write_report(RESULTS, "sentiment_plot", {"rows": rows}, rows, ["accuracy", "macro_f1"], "review sentiment, held-out splits")


if __name__ == "__main__":
    main()
