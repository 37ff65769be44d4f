"""Leave-one-out evaluation with full ranking: the held-out item ranked against every item the user has not had.

Why full ranking: sampled metrics (the target among 99 random items) order models differently on these sets
and flatter everyone; the published tables we compare with (S3-Rec, DuoRec, ICSRec) rank against all items.
Protocol of those papers: last item = test, second last = validation; items already in the history are
masked; HR@k = share of users whose item is in the top k; NDCG@k = mean of 1/log2(rank + 2) inside the top k.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def loo_splits(sequences: Sequence[Sequence[int]]) -> tuple[list[list[int]], list[tuple[list[int], int]], list[tuple[list[int], int]]]:
    """(training sequences without the last two items, validation cases, test cases) for users with ≥ 3 items."""
    train, valid, test = [], [], []
    for seq in sequences:
        if len(seq) < 3:
            continue
        train.append(list(seq[:-2]))
        valid.append((list(seq[:-2]), seq[-2]))
        test.append((list(seq[:-1]), seq[-1]))
    return train, valid, test


def ranks(score: Callable[[list[list[int]]], np.ndarray], cases: Sequence[tuple[Sequence[int], int]], batch: int = 1024) -> np.ndarray:
    """0-based rank of each case's target among all items, the history's items masked."""
    out = np.empty(len(cases), dtype=np.int64)
    for start in range(0, len(cases), batch):
        chunk = cases[start : start + batch]
        scores = score([list(h) for h, _ in chunk])
        for row, (history, target) in enumerate(chunk):
            s = scores[row]
            seen = [i for i in history if i != target]
            s[seen] = -np.inf
            out[start + row] = int(np.sum(s > s[target]))
    return out


def metrics_from_ranks(rank: np.ndarray, ks: Sequence[int] = (5, 10, 20)) -> dict[str, float]:
    result: dict[str, float] = {}
    for k in ks:
        hit = rank < k
        result[f"hr@{k}"] = round(float(hit.mean()), 4)
        result[f"ndcg@{k}"] = round(float(np.where(hit, 1.0 / np.log2(rank + 2), 0.0).mean()), 4)
    return result


def full_ranking(score: Callable[[list[list[int]]], np.ndarray], cases: Sequence[tuple[Sequence[int], int]], ks: Sequence[int] = (5, 10, 20)) -> dict[str, float]:
    """HR@k and NDCG@k of `score` (histories → item scores, one column per item id) on `cases`."""
    return metrics_from_ranks(ranks(score, cases), ks)


def per_user_ndcg(rank: np.ndarray, k: int = 20) -> np.ndarray:
    """Each user's NDCG@k (for paired bootstrap comparisons between models)."""
    return np.where(rank < k, 1.0 / np.log2(rank + 2), 0.0)


def read_sequences(path: str) -> list[list[int]]:
    """"user item item ..." lines (the S3-Rec format) → item sequences in file order."""
    out = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) > 1:
                out.append([int(x) for x in parts[1:]])
    return out
