"""Attribute index: attribute → value → product ids, plus prices, for filters, facets and vocabularies.

Why in memory: filters must be answered before vector search (to keep recall), in microseconds;
a catalog of 100k products with a dozen attributes is a few MB of sets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from daogou.catalog.schema import Product
from daogou.errors import BadQuery


class AttributeIndex:
    """Exact-match attribute lookup (case-insensitive) with canonical spellings kept for display."""

    def __init__(self, products: Iterable[Product] = ()) -> None:
        self.values: dict[str, dict[str, set[str]]] = {}
        self.spelling: dict[str, dict[str, str]] = {}
        self.prices: dict[str, float] = {}
        self.ids: set[str] = set()
        self.by_id: dict[str, dict[str, str]] = {}
        for product in products:
            self.add(product)

    def add(self, product: Product) -> None:
        self.ids.add(product.id)
        fields = dict(product.attributes)
        if product.brand:
            fields["brand"] = product.brand
        for name, value in fields.items():
            self._put(product.id, name, value)
        if product.price is not None:
            self.prices[product.id] = product.price

    def _put(self, pid: str, name: str, value: str) -> None:
        key, low = name.lower(), value.lower()
        self.values.setdefault(key, {}).setdefault(low, set()).add(pid)
        self.spelling.setdefault(key, {}).setdefault(low, value)
        self.by_id.setdefault(pid, {})[key] = self.spelling[key][low]

    def add_predictions(self, predicted: dict[str, dict[str, list[object]]]) -> None:
        """Fill values predicted at index time (field → product id → [value, confidence]) where the catalog has none."""
        for name, table in predicted.items():
            for pid, (value, _confidence) in table.items():
                self.add_value(pid, name, str(value))

    def value_table(self) -> dict[str, list[str]]:
        """Every field's distinct values as the catalog spells them (what a query vocabulary is built from)."""
        return {name: list(self.catalog_values(name)) for name in self.fields()}

    def add_value(self, pid: str, name: str, value: str) -> bool:
        """Add a predicted value for a product that has none for `name`; catalog values always win."""
        if pid not in self.ids or not value or name.lower() in self.by_id.get(pid, {}):
            return False
        self._put(pid, name, value)
        return True

    def value_of(self, pid: str, name: str) -> str | None:
        return self.by_id.get(pid, {}).get(name.lower())

    def fields(self) -> list[str]:
        return sorted(self.values)

    def catalog_values(self, name: str) -> dict[str, int]:
        """Canonical value → number of products, for one attribute."""
        table = self.values.get(name.lower(), {})
        return {self.spelling[name.lower()][low]: len(ids) for low, ids in table.items()}

    def _ids(self, name: str, accepted: Iterable[str]) -> set[str]:
        table = self.values.get(name.lower())
        if table is None:
            raise BadQuery(f"unknown filter {name!r}; this catalog has {self.fields()}")
        ids: set[str] = set()
        for value in accepted:
            ids |= table.get(str(value).lower(), set())
        return ids

    def matching(
        self,
        filters: dict[str, list[str]] | None = None,
        exclude: dict[str, list[str]] | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> set[str]:
        """Ids with one accepted value for every filtered attribute, none of the excluded values, within the price range."""
        result: set[str] | None = None
        for name, accepted in (filters or {}).items():
            ids = self._ids(name, accepted)
            result = ids if result is None else result & ids
        if result is None:
            result = set(self.ids)
        for name, refused in (exclude or {}).items():
            result -= self._ids(name, refused)
        if price_min is not None or price_max is not None:
            low = price_min if price_min is not None else float("-inf")
            high = price_max if price_max is not None else float("inf")
            result = {i for i in result if i in self.prices and low <= self.prices[i] <= high}
        return result

    def price_bands(self, ids: Iterable[str], bands: int = 4) -> list[dict[str, float | int]]:
        """Counts of `ids` in price bands cut at the catalog's quantiles (so bands are even for the shop)."""
        if not self.prices:
            return []
        ordered = sorted(self.prices.values())
        edges = [ordered[min(len(ordered) - 1, (i * len(ordered)) // bands)] for i in range(bands)] + [ordered[-1]]
        out = []
        wanted = [self.prices[i] for i in ids if i in self.prices]
        for low, high in zip(edges, edges[1:]):
            if high <= low and out:
                continue
            last = high == edges[-1]
            count = sum(1 for p in wanted if low <= p < high or (last and p == high))
            out.append({"min": low, "max": high, "count": count})
        return out

    def facets(self, ids: Iterable[str], names: Iterable[str]) -> dict[str, dict[str, int]]:
        """Value counts per attribute among `ids` (most common first), for the facet sidebar."""
        wanted = set(ids)
        out: dict[str, dict[str, int]] = {}
        for name in names:
            table = self.values.get(name.lower())
            if not table:
                continue
            counts = Counter({self.spelling[name.lower()][low]: len(members & wanted) for low, members in table.items()})
            out[name] = {value: n for value, n in counts.most_common() if n}
        return out
