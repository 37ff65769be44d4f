"""Ranking and classification metrics: P@K, Recall@K, MRR, nDCG@K (graded), accuracy and P/R/F1.

Why our own ranking metrics: they are a few lines each, and we need them per query on ranked id
lists with graded judgements; classification metrics come from scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def precision_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the top k that is relevant (a short list is padded with misses)."""
    return sum(1 for item in ranked[:k] if item in relevant) / k if k else 0.0


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant items found in the top k (0 when nothing is relevant)."""
    return sum(1 for item in ranked[:k] if item in relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, float], k: int) -> float:
    """nDCG@k with linear gains (the grade itself) and log2 discounts; unjudged items count as 0."""
    dcg = sum(grades.get(item, 0.0) / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def ranking_report(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, float]], ks: Sequence[int] = (1, 5, 10), threshold: float = 1.0
) -> dict[str, float]:
    """Mean P@K, Recall@K, nDCG@K and MRR over the queries of `qrels` (a missing run counts as empty)."""
    totals: dict[str, list[float]] = {}
    for query, grades in qrels.items():
        ranked = list(runs.get(query, []))
        relevant = {item for item, grade in grades.items() if grade >= threshold}
        values = {"mrr": reciprocal_rank(ranked, relevant)}
        for k in ks:
            values[f"p@{k}"] = precision_at_k(ranked, relevant, k)
            values[f"recall@{k}"] = recall_at_k(ranked, relevant, k)
            values[f"ndcg@{k}"] = ndcg_at_k(ranked, grades, k)
        for name, value in values.items():
            totals.setdefault(name, []).append(value)
    report = {name: round(float(np.mean(values)), 4) for name, values in sorted(totals.items())}
    report["queries"] = len(qrels)
    return report


def classification_report(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, object]:
    """Accuracy, macro and weighted precision / recall / F1, and the per-class table (scikit-learn)."""
    from sklearn.metrics import accuracy_score, classification_report as sk_report, precision_recall_fscore_support

    out: dict[str, object] = {"accuracy": round(float(accuracy_score(y_true, y_pred)), 4), "items": len(y_true)}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        out[f"{average}_precision"], out[f"{average}_recall"], out[f"{average}_f1"] = round(float(p), 4), round(float(r), 4), round(float(f), 4)
    out["per_class"] = sk_report(y_true, y_pred, output_dict=True, zero_division=0)
    return out


def paired_bootstrap(a: Mapping[str, float], b: Mapping[str, float], rounds: int = 2000, seed: int = 42) -> dict[str, float]:
    """Mean of a − b over the shared keys (users) with a 95 % bootstrap interval, resampling users.

    Why: a few hundred test users with a handful of hits each make small MAP differences look decisive;
    the interval says whether a difference would survive another draw of users.
    """
    import numpy as np

    keys = sorted(set(a) & set(b))
    if not keys:
        return {"mean_difference": 0.0, "low": 0.0, "high": 0.0, "users": 0}
    diff = np.array([a[key] - b[key] for key in keys])
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(rounds, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"mean_difference": round(float(diff.mean()), 5), "low": round(float(low), 5), "high": round(float(high), 5), "users": len(keys)}
