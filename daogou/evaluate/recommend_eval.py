"""Recommenders on a time split: Recall@K, MAP@K, nDCG@K, catalog coverage and cold-start recall, one row each.

Rolling origin: the same split repeated for each of the last `origins` windows (models refitted on
everything before each), pooled over all test users. Why: one week of a small shop has a few hundred
purchases, so one split separates models by a handful of hits; several origins show which differences hold.

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
from daogou.recommend.metrics import average_precision, mean_average_precision


def evaluate_recommenders(
    events: list[Interaction],
    catalog: set[str],
    factories: Mapping[str, Callable[[Interactions], object]],
    fallback: str = "popularity",
    k: int = 12,
    days: int = 7,
    average_precisions: dict[str, dict[str, float]] | None = None,
) -> list[dict[str, object]]:
    """Fit every model on all but the last `days` days; score the users who bought in those days.

    Users unknown to a model (no training history) get the `fallback` model's list, as the shop would serve them.
    `average_precisions`, when given, receives AP@k per model per test user (for paired comparisons).
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
        if average_precisions is not None:
            average_precisions.setdefault(name, {}).update({user: average_precision(runs[user], items, k) for user, items in truth.items()})
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


def rolling_evaluation(
    events: list[Interaction],
    catalog: set[str],
    factories: Mapping[str, Callable[[Interactions], object]],
    origins: int = 4,
    days: int = 7,
    k: int = 12,
    average_precisions: dict[str, dict[str, float]] | None = None,
) -> dict[str, list[dict[str, object]]]:
    """{"rows": metrics pooled over origins (weighted by test users), "origins": each origin's rows}.

    Origin 0 is the usual split (last `days` held out); origin i holds out the `days` before origin i-1's
    test window and drops everything after it, so no model ever sees its own test window or later.
    `average_precisions` receives AP@k per model per (origin, user), keyed "origin:user".
    """
    kept = sorted((e for e in events if e.product_id in catalog), key=lambda e: e.timestamp)
    per_origin: list[list[dict[str, object]]] = []
    for origin in range(origins):
        if not kept:
            break
        found: dict[str, dict[str, float]] = {}
        rows = evaluate_recommenders(kept, catalog, factories, k=k, days=days, average_precisions=found)
        if average_precisions is not None:
            for name, by_user in found.items():
                average_precisions.setdefault(name, {}).update({f"{origin}:{user}": ap for user, ap in by_user.items()})
        for row in rows:
            row["origin"] = origin
        per_origin.append(rows)
        kept, _ = time_split(kept, days)
    pooled = []
    metrics = [f"recall@{k}", f"map@{k}", f"ndcg@{k}"]
    for name in factories:
        rows = [r for origin in per_origin for r in origin if r["model"] == name]
        users = sum(int(r["test_users"]) for r in rows) or 1  # type: ignore[call-overload]
        cold_users = sum(int(r["cold_start_users"]) for r in rows) or 1  # type: ignore[call-overload]
        row: dict[str, object] = {"model": name, "origins": len(rows), "test_users": users, "cold_start_users": cold_users}
        for metric in metrics:
            row[metric] = round(sum(float(r[metric]) * int(r["test_users"]) for r in rows) / users, 4)  # type: ignore[arg-type, call-overload]
        row[f"cold_start_recall@{k}"] = round(sum(float(r[f"cold_start_recall@{k}"]) * int(r["cold_start_users"]) for r in rows) / cold_users, 4)  # type: ignore[arg-type, call-overload]
        row["coverage"] = round(statistics.fmean(float(r["coverage"]) for r in rows), 4)  # type: ignore[arg-type]
        row["fit_s"] = round(statistics.fmean(float(r["fit_s"]) for r in rows), 2)  # type: ignore[arg-type]
        pooled.append(row)
    return {"rows": pooled, "origins": [r for origin in per_origin for r in origin]}
