"""Reciprocal-rank fusion: merge ranked lists from different retrievers without calibrating their scores.

Why RRF: BM25 scores and cosine similarities live on unrelated scales; ranks do not. k=60 is the
constant from Cormack et al. (2009) and works well without tuning.
An engine that fuses some lists itself with the same rule (Milvus's hybrid_search with RRF k=60, ranks from 1)
returns their summed 1/(k + rank): such a list is named ENGINE_FUSED, and its scores are added as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from daogou.search.results import Signal


#: The constant of the fusion (in the server process and in an engine that fuses for it).
RRF_K = 60
#: The name of a list an engine already fused with RRF_K: (id, its summed reciprocal ranks), best first.
ENGINE_FUSED = "hybrid"


def rrf(
    lists: dict[str, Sequence[tuple[str, float]]], k: int = RRF_K, weights: dict[str, float] | None = None
) -> list[tuple[str, float, dict[str, Signal]]]:
    """Fuse named ranked lists of (id, score) into (id, fused score, signals) sorted best first."""
    fused: dict[str, float] = {}
    signals: dict[str, dict[str, Signal]] = {}
    for name, ranked in lists.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, (item, score) in enumerate(ranked, start=1):
            fused[item] = fused.get(item, 0.0) + weight * (score if name == ENGINE_FUSED else 1 / (k + rank))
            signals.setdefault(item, {})[name] = Signal(rank=rank, score=round(float(score), 4))
    order = sorted(fused, key=lambda i: (-fused[i], i))
    return [(item, fused[item], signals[item]) for item in order]
