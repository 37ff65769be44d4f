"""Session recommendations for anonymous visitors: more like what they viewed, recent views counting most.

Why content and not behaviour: a visitor with no account has only this session's clicks; the
products' own photo and text vectors say what is alike, so this works from the first click and for
products nobody bought yet. Each recommendation names the viewed product it comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from daogou.errors import UnknownProduct
from daogou.recommend.reasons import LANGUAGES, describe, quoted

#: similar(product_id, k, exclude) → ranked (id, title, score) triples; supplied by the shop.
SimilarFn = Callable[[str, int, set[str]], Sequence[tuple[str, str, float]]]
#: next_items(viewed, k) → ranked product ids the sequential model expects next (viewed ones left out).
NextFn = Callable[[Sequence[str], int], Sequence[str]]


@dataclass
class Recommendation:
    id: str
    title: str
    score: float
    reason: str  # in English
    because_of: list[str] = field(default_factory=list)
    #: the reason in every storefront language
    reasons: dict[str, str] = field(default_factory=dict)


class SessionRecommender:
    """Weighted reciprocal-rank fusion of each viewed product's neighbours, newest view weighted highest, and,
    once the shop has trained its sequential model, of what that model expects after the whole session
    (weighted `next_weight`: the order of views says what comes next, which look-alikes do not)."""

    def __init__(
        self, similar: SimilarFn, title_of: Callable[[str], str] | None = None, max_views: int = 5, decay: float = 0.7, rrf_k: int = 60,
        next_items: NextFn | None = None, next_weight: float = 2.0,
    ) -> None:
        self.similar = similar
        self.title_of = title_of or (lambda product_id: product_id)
        self.max_views = max_views
        self.decay = decay
        self.rrf_k = rrf_k
        self.next_items = next_items
        self.next_weight = next_weight

    def recommend(self, viewed: Sequence[str], k: int = 12) -> tuple[list[Recommendation], list[str]]:
        """(recommendations, ignored ids). Views are oldest first; unknown ids are ignored, not fatal."""
        recent = list(dict.fromkeys(reversed(viewed)))[: self.max_views]  # newest first, de-duplicated
        seen = set(viewed)
        scores: dict[str, float] = {}
        titles: dict[str, str] = {}
        sources: dict[str, dict[str, float]] = {}
        ignored: list[str] = []
        for age, product_id in enumerate(recent):
            try:
                neighbours = self.similar(product_id, k * 2, seen)
            except UnknownProduct:
                ignored.append(product_id)
                continue
            weight = self.decay**age
            for rank, (item, title, _score) in enumerate(neighbours, start=1):
                contribution = weight / (self.rrf_k + rank)
                scores[item] = scores.get(item, 0.0) + contribution
                titles[item] = title
                sources.setdefault(item, {})[product_id] = sources.get(item, {}).get(product_id, 0.0) + contribution
        following: set[str] = set()
        known = [p for p in recent if p not in ignored]
        if self.next_items is not None and known:
            for rank, item in enumerate(self.next_items([p for p in viewed if p not in ignored], k * 2), start=1):
                if item in seen:
                    continue
                contribution = self.next_weight / (self.rrf_k + rank)
                scores[item] = scores.get(item, 0.0) + contribution
                sources.setdefault(item, {})[known[0]] = sources.get(item, {}).get(known[0], 0.0) + contribution
                following.add(item)
        ranked = sorted(scores, key=lambda i: (-scores[i], i))[:k]
        out = []
        for item in ranked:
            if item not in titles:
                try:
                    titles[item] = self.title_of(item)
                except UnknownProduct:  # removed from the catalog since the sequential model was trained
                    continue
            because = sorted(sources[item], key=lambda s: -sources[item][s])
            title = self.title_of(because[0])
            code = "next_after" if item in following else "viewed"
            reasons = {lang: describe(code, {"about": quoted(title, lang)}, lang) for lang in LANGUAGES}
            out.append(Recommendation(item, titles[item], round(scores[item], 6), reasons["en"], because, reasons))
        return out, ignored
