"""semiPQA attribute ranking: pick the product attribute that answers a question (P@1, MRR).

The name-word weight and the answer floor are chosen on dev.csv; P@1 is reported on testunseen (attributes not
seen in training) and testseen, beside e5-small alone (weight 0; notes/assistant.md: 0.801 on unseen) and BM25-like
word overlap. Writes results/product_qa.json. Usage: python benchmarks/product_qa.py
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
from common import write_result

from daogou.assistant.attributes import AttributeSelector, _name_words, _question_words
from daogou.demo import data_roots
from daogou.models.registry import text_encoder


def load(path: Path) -> list[tuple[str, list[str], list[int]]]:
    groups: dict[str, tuple[str, list[str], list[int]]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            entry = groups.setdefault(row["qid"], (row["question"], [], []))
            entry[1].append(row["candidate"][:300])
            entry[2].append(int(row["label"]))
    return list(groups.values())


def evaluate(selector: AttributeSelector, data, vectors, weight: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """P@1 and MRR over questions that some candidate answers."""
    selector.name_weight = weight
    p1, rr = [], []
    for (question, candidates, labels), passages in zip(data, vectors):
        if not any(labels):
            continue
        order = np.argsort(-selector.scores(question, candidates, passages))
        ranks = [r for r, i in enumerate(order, 1) if labels[i]]
        p1.append(labels[order[0]])
        rr.append(1 / ranks[0])
    return {"p@1": round(float(np.mean(p1)), 4), "mrr": round(float(np.mean(rr)), 4), "questions": len(data)}


def answer_floor(selector: AttributeSelector, data, vectors) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The floor that best separates "the top attribute answers it" from "it does not" (wrong top or none relevant)."""
    outcomes = []
    for (question, candidates, labels), passages in zip(data, vectors):
        scores = selector.scores(question, candidates, passages)
        top = int(np.argmax(scores))
        outcomes.append((float(scores[top]), bool(labels[top])))
    best = max(((sum((s >= f) == good for s, good in outcomes) / len(outcomes), f) for f in np.arange(0.70, 1.01, 0.005)))
    return round(float(best[1]), 3), round(float(best[0]), 4)


def passage_vectors(encoder, data) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """Each question's candidate vectors, encoding every distinct candidate text of the split once (in one batch)."""
    distinct = sorted({c for _, candidates, _ in data for c in candidates})
    matrix = encoder.encode_passages(distinct)
    row = {c: i for i, c in enumerate(distinct)}
    return [matrix[[row[c] for c in candidates]] for _, candidates, _ in data]


def overlap_only(data) -> float:  # type: ignore[no-untyped-def]
    hits = []
    for question, candidates, labels in data:
        if not any(labels):
            continue
        words = _question_words(question)
        scores = [len(words & (_name_words(c) | _question_words(c))) for c in candidates]
        hits.append(labels[int(np.argmax(scores))])
    return round(float(np.mean(hits)), 4)


def main() -> None:
    root = next(r for r in data_roots() if (r / "amazon_product_qa_sample").is_dir()) / "amazon_product_qa_sample" / "semiPQA" / "attribute_ranking"
    encoder = text_encoder("e5-small")
    selector = AttributeSelector(encoder)
    splits = {name: load(root / f"{name}.csv") for name in ("dev", "testunseen", "testseen")}
    vectors = {name: passage_vectors(encoder, data) for name, data in splits.items()}
    dev = {w: evaluate(selector, splits["dev"], vectors["dev"], w) for w in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)}
    weight = max(dev, key=lambda w: (dev[w]["p@1"], -w))
    print("dev by name weight:", dev, "chosen", weight)
    selector.name_weight = weight
    floor, dev_accuracy = answer_floor(selector, splits["dev"], vectors["dev"])
    selector.floor = floor
    test_floor = answer_floor(selector, splits["testunseen"], vectors["testunseen"])
    print("answer floor (dev):", floor, "dev answer/abstain accuracy", dev_accuracy)
    figures = {"chosen_name_weight": weight, "answer_floor": floor, "dev_answer_or_abstain_accuracy": dev_accuracy,
               "testunseen_best_floor_for_reference": test_floor, "dev": dev,
               "questions_without_answer": {n: sum(not any(g[2]) for g in d) for n, d in splits.items()}}
    for name in ("testunseen", "testseen"):
        figures[name] = {"e5_only": evaluate(selector, splits[name], vectors[name], 0.0),
                         "e5_plus_names": evaluate(selector, splits[name], vectors[name], weight),
                         "word_overlap_only_p@1": overlap_only(splits[name])}
        print(name, figures[name])
    write_result("product_qa", figures)


if __name__ == "__main__":
    main()
