"""Leave-one-out scoring of served recommendation lists: HR@k and NDCG@k of each user's held-out last product.

Why lists and not score matrices: the figures must come from what the shop serves (`shop.recommend`, the
hybrid's own `recommend`), so each model is asked for its top k like a request would, and the target's place
in that list is its rank (outside the list = a miss). Which model is "best single" and whether the hybrid
beats it is decided by a paired bootstrap over users, not by the means alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np

from daogou.evaluate.metrics import paired_bootstrap
from daogou.evaluate.sequential import metrics_from_ranks, per_user_ndcg

#: (user, k) → ranked recommendations (objects with an `item`)
Served = Callable[[str, int], list]


def served_ranks(recommend: Served, truth: Mapping[str, str], k: int = 20) -> tuple[np.ndarray, list[float]]:
    """(0-based rank of each user's target in the served top k, k when absent; milliseconds per request)."""
    ranks = np.empty(len(truth), dtype=np.int64)
    latencies = []
    for row, (user, target) in enumerate(truth.items()):
        started = time.perf_counter()
        items = [s.item for s in recommend(user, k)]
        latencies.append((time.perf_counter() - started) * 1000)
        ranks[row] = items.index(target) if target in items else k
    return ranks, latencies


def evaluate_loo(served: Mapping[str, Served], truth: Mapping[str, str], k: int = 20, hybrid: str = "hybrid") -> dict[str, object]:
    """One row per model (HR/NDCG@5,10,20, latency p50/p99) and the hybrid against the best other model on NDCG@k."""
    rows, per_user = [], {}
    users = list(truth)
    for name, recommend in served.items():
        ranks, latencies = served_ranks(recommend, truth, k)
        row: dict[str, object] = {"model": name, **metrics_from_ranks(ranks, [c for c in (5, 10, 20) if c <= k])}
        row["latency_ms_p50"] = round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0
        row["latency_ms_p99"] = round(float(np.percentile(latencies, 99)), 2) if latencies else 0.0
        rows.append(row)
        per_user[name] = dict(zip(users, per_user_ndcg(ranks, k).tolist()))
    result: dict[str, object] = {"rows": rows}
    singles = [r for r in rows if r["model"] != hybrid]
    if hybrid in per_user and singles:
        best = max(singles, key=lambda r: float(r[f"ndcg@{k}"]))  # type: ignore[arg-type]
        result["best_single"] = best["model"]
        result[f"hybrid_vs_best_single_ndcg@{k}"] = paired_bootstrap(per_user[hybrid], per_user[str(best["model"])])
    return result
