"""Aspect extraction against hand-labelled reviews: precision and recall of aspect detection, polarity accuracy.

The fixtures (tests/fixtures/aspects_{en,zh}.tsv) hold our own labels and the row numbers of the
reviews in ../shared/data; the review texts are read from there, never copied.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

from daogou.understand.aspects import extract


def load_labelled(fixture: Path, source: Path, text_of: Callable[[dict[str, str]], str]) -> list[tuple[str, dict[str, str]]]:
    """(review text, {aspect: polarity}) for every labelled row."""
    wanted: dict[int, dict[str, str]] = {}
    for line in fixture.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("row\t"):
            continue
        row, labels = line.split("\t")
        wanted[int(row)] = {} if labels.strip() == "-" else dict(item.split(":") for item in labels.split())
    out: dict[int, str] = {}
    with source.open(encoding="utf-8-sig") as handle:
        for n, record in enumerate(csv.DictReader(handle)):
            if n in wanted:
                out[n] = text_of(record)
    return [(out[n], wanted[n]) for n in wanted]


def evaluate_aspects(labelled: Sequence[tuple[str, dict[str, str]]], positive_proba: Callable[[list[str]], Sequence[float]]) -> dict[str, float]:
    found = extract([t for t, _ in labelled], positive_proba)
    tp = fp = fn = 0
    polar_right = polar_total = 0
    for (_, gold), predicted in zip(labelled, found):
        got = predicted.aspects()
        tp += len(set(got) & set(gold))
        fp += len(set(got) - set(gold))
        fn += len(set(gold) - set(got))
        for aspect, polarity in gold.items():
            if aspect in got and polarity in ("pos", "neg"):
                polar_total += 1
                polar_right += got[aspect][:3] == polarity
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "reviews": len(labelled),
        "aspect_precision": round(precision, 4),
        "aspect_recall": round(recall, 4),
        "aspect_f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "polarity_accuracy": round(polar_right / polar_total, 4) if polar_total else 0.0,
        "polarity_pairs": polar_total,
    }
