"""Run a shop's search over judged queries and score it, for several search configurations side by side.

Why configurations: "is hybrid better than BM25 alone, is understanding worth it" is only answered
by running each on the same queries in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.progress import Progress

from daogou.evaluate.metrics import ranking_report
from daogou.evaluate.qrels import Qrels
from daogou.search.inputs import MAX_QUERY_CHARS
from daogou.shop import Shop


@dataclass(frozen=True)
class Variant:
    """One search configuration to evaluate."""

    name: str
    retrievers: frozenset[str] | None = None
    understand: bool = True


VARIANTS: dict[str, Variant] = {
    "hybrid": Variant("hybrid"),
    "hybrid-no-understanding": Variant("hybrid-no-understanding", understand=False),
    "bm25": Variant("bm25", frozenset({"bm25"}), understand=False),
    "vector": Variant("vector", frozenset({"text_vector"}), understand=False),
    "bm25+vector": Variant("bm25+vector", frozenset({"bm25", "text_vector"}), understand=False),
    "aligned-image": Variant("aligned-image", frozenset({"aligned_image"}), understand=False),
}


@dataclass
class EvalResult:
    variant: str
    metrics: dict[str, float]
    latency_ms_p50: float
    runs: dict[str, list[str]] = field(default_factory=dict)


def evaluate_search(
    shop: Shop,
    qrels: Qrels,
    variants: Sequence[str] = ("hybrid",),
    k: int = 10,
    ks: Sequence[int] = (1, 5, 10),
    threshold: float = 1.0,
    show_progress: bool = True,
) -> list[EvalResult]:
    """Score each variant on `qrels`; returns one EvalResult per variant (metrics averaged over queries)."""
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variants {unknown}; known: {sorted(VARIANTS)}")
    results = []
    queries = [q for q in qrels if q.strip() and len(q) <= MAX_QUERY_CHARS]
    if queries:
        shop.search(queries[0], k=k)  # warm up models and caches so latency figures are steady-state
    with Progress(disable=not show_progress) as progress:
        for name in variants:
            variant = VARIANTS[name]
            task = progress.add_task(f"eval {name}", total=len(queries))
            runs: dict[str, list[str]] = {}
            times = []
            for query in queries:
                started = time.perf_counter()
                result = shop.search(
                    query, k=max(k, *ks), understand=variant.understand, retrievers=set(variant.retrievers) if variant.retrievers else None
                )
                times.append((time.perf_counter() - started) * 1000)
                runs[query] = [h.id for h in result.hits]
                progress.advance(task)
            times.sort()
            metrics = ranking_report(runs, {q: qrels[q] for q in queries}, ks=ks, threshold=threshold)
            results.append(EvalResult(name, metrics, round(times[len(times) // 2], 2) if times else 0.0, runs))
    return results


def as_table(results: Sequence[EvalResult], columns: Sequence[str]) -> list[Mapping[str, object]]:
    return [{"variant": r.variant, **{c: r.metrics.get(c) for c in columns}, "latency_ms_p50": r.latency_ms_p50} for r in results]
