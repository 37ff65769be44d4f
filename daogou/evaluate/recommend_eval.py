"""Recommenders on a time split: Recall@K, MAP@K, nDCG@K, catalog coverage and cold-start recall, one row each.

Cold start = test purchases of products with no training interaction at all: collaborative filtering
cannot recommend them by construction; content and hybrid can.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping

from daogou.catalog.schema import Interaction
from daogou.recommend.data import Interactions, time_split
from daogou.recommend.metrics import mean_average_precision


def evaluate_recommenders(
    events: list[Interaction],
    catalog: set[str],
    factories: Mapping[str, Callable[[Interactions], object]],
    fallback: str = "popularity",
    k: int = 12,
    days: int = 7,
) -> list[dict[str, object]]:
    """Fit every model on all but the last `days` days; score the users who bought in those days.

    Users unknown to a model (no training history) get the `fallback` model's list, as the shop would serve them.
    """
    train_events, test_events = time_split([e for e in events if e.product_id in catalog], days)
    train = Interactions.from_events(train_events)
    truth: dict[str, set[str]] = {}
    for e in test_events:
        truth.setdefault(e.user_id, set()).add(e.product_id)
    trained_items = set(train.items)
    cold = {u: {i for i in items if i not in trained_items} for u, items in truth.items()}
    cold = {u: items for u, items in cold.items() if items}
    models: dict[str, object] = {}
    fit_seconds: dict[str, float] = {}
    for name, factory in factories.items():
        started = time.perf_counter()
        models[name] = factory(train)
        fit_seconds[name] = round(time.perf_counter() - started, 2)
    rows = []
    for name, model in models.items():
        runs: dict[str, list[str]] = {}
        latencies = []
        for user in truth:
            started = time.perf_counter()
            recs = [s.item for s in model.recommend(user, k)]  # type: ignore[attr-defined]
            if not recs and name != fallback and fallback in models:
                recs = [s.item for s in models[fallback].recommend(user, k)]  # type: ignore[attr-defined]
            latencies.append((time.perf_counter() - started) * 1000)
            runs[user] = recs
        recall = statistics.fmean(len(set(runs[u][:k]) & items) / len(items) for u, items in truth.items())
        ndcg = statistics.fmean(_ndcg(runs[u], items, k) for u, items in truth.items())
        cold_recall = statistics.fmean(len(set(runs[u][:k]) & items) / len(items) for u, items in cold.items()) if cold else 0.0
        recommended = {item for recs in runs.values() for item in recs[:k]}
        latencies.sort()
        rows.append({
            "model": name,
            f"recall@{k}": round(recall, 4),
            f"map@{k}": round(mean_average_precision(runs, truth, k), 4),
            f"ndcg@{k}": round(ndcg, 4),
            "coverage": round(len(recommended) / max(1, len(catalog)), 4),
            f"cold_start_recall@{k}": round(cold_recall, 4),
            "fit_s": fit_seconds[name],
            "latency_ms_p50": round(latencies[len(latencies) // 2], 3) if latencies else 0.0,
            "latency_ms_p99": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 3) if latencies else 0.0,
        })
    summary = {"train_events": len(train_events), "test_events": len(test_events), "test_users": len(truth), "cold_start_users": len(cold)}
    for row in rows:
        row.update(summary)
    return rows


def _ndcg(ranked: list[str], relevant: set[str], k: int) -> float:
    dcg = sum(1 / math.log2(i + 1) for i, item in enumerate(ranked[:k], start=1) if item in relevant)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0
