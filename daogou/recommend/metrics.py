"""Ranking metrics (MAP@K as the H&M competition defines it, NDCG@K) used to fit the hybrid's weights and to report recommenders.

Why here and not in evaluate/: the hybrid recommender needs it while fitting, and a lower layer may
not import a higher one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def average_precision(ranked: Sequence[str], relevant: set[str], k: int = 12) -> float:
    """AP@k = Σ P@i · rel_i / min(|relevant|, k) over the first k recommendations."""
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / i
    return total / min(len(relevant), k)


def mean_average_precision(runs: Mapping[str, Sequence[str]], truth: Mapping[str, set[str]], k: int = 12) -> float:
    if not truth:
        return 0.0
    return sum(average_precision(runs.get(user, []), items, k) for user, items in truth.items()) / len(truth)


def ndcg(ranked: Sequence[str], relevant: set[str], k: int = 20) -> float:
    """NDCG@k with binary relevance; with one relevant item it is 1/log2(rank + 2) inside the top k (rank from 0)."""
    if not relevant:
        return 0.0
    gain = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return gain / ideal


def mean_ndcg(runs: Mapping[str, Sequence[str]], truth: Mapping[str, set[str]], k: int = 20) -> float:
    if not truth:
        return 0.0
    return sum(ndcg(runs.get(user, []), items, k) for user, items in truth.items()) / len(truth)
