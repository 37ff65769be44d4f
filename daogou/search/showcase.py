"""The storefront's front page before any query: the catalog's own categories, and what is popular.

Why: an empty page tells a shopper nothing about the shop. Categories come from the catalog's type values
(largest first, each with a photo of one of its products); "popular" is the products with the most recorded
behaviour (purchases count three times a view), or, in a shop without behaviour, the best-reviewed ones.
Both are recomputed only when the store's catalog or behaviour version moves.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from daogou.catalog.store import CatalogStore
from daogou.index.attributes import AttributeIndex
from daogou.index.engine_attributes import EngineAttributes

#: How much one event of each kind says about popularity.
EVENT_WEIGHT = {"view": 1.0, "cart": 2.0, "purchase": 3.0}


@dataclass
class Category:
    """One catalog type with its size and a product whose photo can stand for it."""

    field: str
    value: str
    count: int
    example: str | None


@dataclass
class FrontPage:
    categories: list[Category] = field(default_factory=list)
    #: product ids, most popular first
    popular: list[str] = field(default_factory=list)
    #: "behaviour", "reviews" or "" (nothing to rank by)
    popular_by: str = ""


class Showcase:
    """Builds the front page of one shop and keeps it until the store changes."""

    def __init__(self, store: CatalogStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int], int, FrontPage] | None = None

    def front_page(self, attributes: AttributeIndex | EngineAttributes, review_quality: dict[str, float], k: int = 12) -> FrontPage:
        stamp = self.store.versions()
        with self._lock:
            if self._cached is not None and self._cached[:2] == (stamp, k):
                return self._cached[2]
            page = FrontPage(self._categories(attributes, k), *self._popular(attributes, review_quality, k))
            self._cached = (stamp, k, page)
            return page

    def _categories(self, attributes: AttributeIndex | EngineAttributes, k: int) -> list[Category]:
        name = next((f for f in ("type", "subcategory", "category") if attributes.catalog_values(f)), None)
        if name is None:
            return []
        largest = sorted(attributes.catalog_values(name).items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        out = []
        for value, count in largest:
            ids = attributes.first(attributes.matching({name: [value]}), 20)
            with_photo = [p for p in self.store.get_many(ids, replica=True).values() if p.image_path]
            out.append(Category(name, value, count, with_photo[0].id if with_photo else None))
        return out

    def _popular(self, attributes: AttributeIndex | EngineAttributes, review_quality: dict[str, float], k: int) -> tuple[list[str], str]:
        events = self.store.load_interactions()
        known = attributes.known({event.product_id for event in events} | set(review_quality))
        weights: Counter[str] = Counter()
        for event in events:
            if event.product_id in known:
                weights[event.product_id] += EVENT_WEIGHT.get(event.kind, 1.0)
        if weights:
            return [pid for pid, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:k]], "behaviour"
        rated = sorted(((q, pid) for pid, q in review_quality.items() if pid in known), reverse=True)[:k]
        return ([pid for _, pid in rated], "reviews") if rated else ([], "")
