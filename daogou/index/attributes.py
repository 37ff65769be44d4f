"""Attribute index: every product's attribute values as integer codes in one row order, plus prices.

Why columns of codes instead of sets of ids: a filter must be answered before vector search (to keep
recall) and stay cheap at a million products. A set-of-ids design copied ~400k strings for a broad filter
such as gender=Men and cost ~1 KB of Python objects per product; here a filter is a vectorised comparison
over an int32 column (about a millisecond at 1M) giving a boolean mask (`Selection`) that the vector
indexes turn into their own positions without touching Python strings, and a product costs 4 bytes per
attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from daogou.catalog.schema import Product
from daogou.errors import BadQuery
from daogou.lru import LRU

NONE = -1  #: the code of "no value"
#: memory for recently used single-attribute masks (one byte per product each): a popular filter value is compared
#: against the column once, not per search (three filtered fields cost ~2.5 ms a search at 1M rows)
MASK_CACHE_BYTES = 32 * 2**20
#: up to this many accepted values are compared one by one (~0.25 ms each at 1M rows); more go through a lookup table
EQUALITY_LIMIT = 8


def term(name: str, value: str) -> str:
    """An attribute value as one exact, case-insensitive term ("colour=navy blue"), as an engine that filters
    by itself (Milvus) holds each product's values."""
    return f"{name.lower()}={value.lower()}"


def count_bands(edges: list[float], prices: np.ndarray) -> list[dict[str, float | int]]:
    """How many of `prices` fall in each band between consecutive `edges` (the last band includes its top; a band
    that collapsed onto the previous one's edge is skipped)."""
    out: list[dict[str, float | int]] = []
    for low, high in pairwise(edges):
        if high <= low and out:
            continue
        last = high == edges[-1]
        inside = (prices >= low) & ((prices <= high) if last else (prices < high))
        out.append({"min": low, "max": high, "count": int(np.count_nonzero(inside))})
    return out


@dataclass(frozen=True)
class Constraints:
    """What a Selection was made from: an engine holding every product's terms (see `AttributeIndex.terms`) and
    prices answers the same filter by itself instead of being sent the selected ids."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    price_min: float | None = None
    price_max: float | None = None

    @classmethod
    def of(
        cls, filters: dict[str, list[str]] | None, exclude: dict[str, list[str]] | None, price_min: float | None, price_max: float | None
    ) -> Constraints:
        """The constraints of a `matching` call, as copies (a caller's later change to its dicts changes nothing here)."""
        return cls({k: list(v) for k, v in (filters or {}).items()}, {k: list(v) for k, v in (exclude or {}).items()}, price_min, price_max)


def percentile_points(ordered: np.ndarray, parts: int) -> list[float]:
    """The sorted values at positions n*i//parts for i = 0..parts (the last clamped to the largest): the price-band
    edges (parts 4) and the engine summary's percentiles (parts 100), so every fourth percentile is a band edge."""
    return [float(ordered[min(len(ordered) - 1, (i * len(ordered)) // parts)]) for i in range(parts + 1)] if len(ordered) else []


class Selection:
    """Products passing a filter, as a boolean mask over an AttributeIndex's rows; reads like a set of ids."""

    __slots__ = ("_count", "_rows", "constraints", "mask", "order", "row")

    def __init__(self, mask: np.ndarray, order: list[str], row: dict[str, int], constraints: Constraints | None = None) -> None:
        self.mask = mask
        self.order = order
        self.row = row
        self.constraints = constraints
        self._count: int | None = None
        self._rows: np.ndarray | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = int(np.count_nonzero(self.mask))
        return self._count

    def __bool__(self) -> bool:
        return len(self) > 0

    def __contains__(self, pid: object) -> bool:
        at = self.row.get(pid) if isinstance(pid, str) else None
        return at is not None and bool(self.mask[at])

    def __iter__(self) -> Iterator[str]:
        order = self.order
        return (order[r] for r in self.rows())

    def keep(self, ids: Iterable[str]) -> list[str]:
        """The given ids that pass, in their order (one call for a list: an engine-held selection asks once)."""
        return [pid for pid in ids if pid in self]

    def rows(self) -> np.ndarray:
        """Row numbers of the selected products, ascending (computed once: every vector space of a search asks, and
        at 1M rows it costs ~1 ms). Read-only, shared by the callers."""
        if self._rows is None:
            rows = np.flatnonzero(self.mask)
            rows.flags.writeable = False
            self._rows = rows
        return self._rows


class AttributeIndex:
    """Exact-match attribute lookup (case-insensitive) with canonical spellings kept for display.

    `ids` maps product id → row (so `pid in ids` and `set(ids)` work as on a set); `values` maps each
    field to its lower-cased value → code table (so `name in values` says whether a field exists);
    `prices` maps id → price for the products that have one.
    """

    def __init__(self, products: Iterable[Product] = ()) -> None:
        self.order: list[str] = []
        self.ids: dict[str, int] = {}
        self.values: dict[str, dict[str, int]] = {}
        self.spelling: dict[str, list[str]] = {}
        self.prices: dict[str, float] = {}
        columns: dict[str, list[int]] = {}
        price_column: list[float] = []
        for product in products:
            if product.id in self.ids:
                continue
            row = len(self.order)
            self.ids[product.id] = row
            self.order.append(product.id)
            fields = dict(product.attributes)
            if product.brand:
                fields["brand"] = product.brand
            for name, value in fields.items():
                column = columns.get(name.lower())
                if column is None:
                    column = columns[name.lower()] = []
                if len(column) < row:
                    column.extend([NONE] * (row - len(column)))
                if len(column) == row:  # the first spelling of a field wins when a row repeats it in another case
                    column.append(self._code(name, value))
            price_column.append(np.nan if product.price is None else float(product.price))
            if product.price is not None:
                self.prices[product.id] = float(product.price)
        size = len(self.order)
        self.codes: dict[str, np.ndarray] = {}
        for name, column in columns.items():
            array = np.full(size, NONE, dtype=np.int32)
            array[: len(column)] = column
            self.codes[name] = array
        self.price_column = np.array(price_column, dtype=np.float64)
        self._bands_edges: list[float] | None = None
        self._masks: LRU[np.ndarray] = LRU(max(16, min(4096, MASK_CACHE_BYTES // max(1, size))))

    def _code(self, name: str, value: str) -> int:
        key, low = name.lower(), value.lower()
        table = self.values.setdefault(key, {})
        code = table.get(low)
        if code is None:
            code = table[low] = len(table)
            self.spelling.setdefault(key, []).append(value)
        return code

    def __len__(self) -> int:
        return len(self.order)

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
        row = self.ids.get(pid)
        if row is None or not value:
            return False
        key = name.lower()
        column = self.codes.get(key)
        if column is None:
            column = self.codes[key] = np.full(len(self.order), NONE, dtype=np.int32)
        if column[row] != NONE:
            return False
        column[row] = self._code(name, value)
        self._masks.clear()  # a cached mask of this field no longer says which rows hold a value
        return True

    def contains(self, pid: str) -> bool:
        return pid in self.ids

    def known(self, ids: Iterable[str]) -> set[str]:
        """The given ids this index holds."""
        return {pid for pid in ids if pid in self.ids}

    def has_prices(self) -> bool:
        return bool(self.prices)

    def price_of(self, pid: str) -> float | None:
        return self.prices.get(pid)

    def prefetch(self, ids: Iterable[str]) -> None:
        """Nothing to do: every row is in memory (an engine-held index reads the rows a request will ask about)."""

    def summary(self) -> dict[str, object]:
        """What an engine-held index (`index/engine_attributes.py`) keeps in memory instead of the rows: the count,
        every field's values as spelled with their product counts, and the prices at each percentile (position
        n*i//100 of the sorted prices, so the quartiles and price-band edges come out exactly as here)."""
        ordered = self._sorted_prices()
        return {
            "count": len(self.order),
            "priced": len(ordered),
            "fields": {name: [[spelled, n] for spelled, n in self.catalog_values(name).items()] for name in self.fields()},
            "price_points": percentile_points(ordered, 100),
        }

    def _sorted_prices(self) -> np.ndarray:
        return np.sort(self.price_column[~np.isnan(self.price_column)])

    def price_points(self) -> list[float]:
        """The prices a query vocabulary takes its "cheap" and "expensive" quartiles from."""
        return list(self.prices.values())

    def first(self, selection: Selection, n: int) -> list[str]:
        """Up to n ids of a selection, smallest first (a front-page category's sample)."""
        return sorted(selection)[:n]

    def extremes(self, selection: Selection, n: int, highest: bool) -> tuple[list[str], int]:
        """The n cheapest (or dearest) priced products of a selection, ties by id, and how many priced ones it has."""
        rows = selection.rows()
        prices = self.price_column[rows]
        priced = rows[~np.isnan(prices)]
        ranked = sorted(((-self.price_column[r] if highest else self.price_column[r], self.order[r]) for r in priced))
        return [pid for _, pid in ranked[:n]], len(priced)

    def value_of(self, pid: str, name: str) -> str | None:
        row = self.ids.get(pid)
        column = self.codes.get(name.lower())
        if row is None or column is None or column[row] == NONE:
            return None
        return self.spelling[name.lower()][int(column[row])]

    def fields(self) -> list[str]:
        return sorted(self.values)

    def catalog_values(self, name: str) -> dict[str, int]:
        """Canonical value → number of products, for one attribute."""
        key = name.lower()
        column = self.codes.get(key)
        if column is None:
            return {}
        counts = np.bincount(column[column != NONE], minlength=len(self.spelling[key]))
        return {spelled: int(n) for spelled, n in zip(self.spelling[key], counts) if n}

    def _mask(self, name: str, accepted: Iterable[str]) -> np.ndarray:
        """Rows holding one of the `accepted` values of `name` (read-only: it may be shared through the cache)."""
        key = name.lower()
        table = self.values.get(key)
        if table is None:
            raise BadQuery(f"unknown filter {name!r}; this catalog has {self.fields()}")
        codes = tuple(sorted({table[low] for low in (str(v).lower() for v in accepted) if low in table}))
        cached = self._masks.get((key, codes))
        if cached is not None:
            return cached
        column = self.codes[key]
        if len(codes) <= EQUALITY_LIMIT:
            mask = np.zeros(len(column), dtype=bool)
            for code in codes:
                mask |= column == code
        else:
            # many values: a lookup table indexed by the column; NONE (-1) reads the last entry, which stays False
            # (np.isin sorted the column instead: 15 ms at 1M rows; the table gathers in ~3 ms)
            accepted_table = np.zeros(len(table) + 1, dtype=bool)
            accepted_table[list(codes)] = True
            mask = accepted_table[column]
        mask.flags.writeable = False
        self._masks.put((key, codes), mask)
        return mask

    def matching(
        self,
        filters: dict[str, list[str]] | None = None,
        exclude: dict[str, list[str]] | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> Selection:
        """Products with one accepted value for every filtered attribute, none of the excluded values, within the price range."""
        mask = np.ones(len(self.order), dtype=bool)
        for name, accepted in (filters or {}).items():
            mask &= self._mask(name, accepted)
        for name, refused in (exclude or {}).items():
            mask &= ~self._mask(name, refused)
        if price_min is not None or price_max is not None:
            prices = self.price_column
            with np.errstate(invalid="ignore"):  # NaN (no price) compares False: products without a price drop out
                if price_min is not None:
                    mask &= prices >= price_min
                if price_max is not None:
                    mask &= prices <= price_max
        return Selection(mask, self.order, self.ids, Constraints.of(filters, exclude, price_min, price_max))

    def terms(self, pid: str) -> list[str]:
        """Every value of one product (its catalog values, brand and predicted values) as `term`s: what a
        Constraints filter on the same product tests, case-insensitively, as `matching` does."""
        row = self.ids.get(pid)
        if row is None:
            return []
        return [term(name, self.spelling[name][int(column[row])]) for name, column in self.codes.items() if column[row] != NONE]

    def _rows(self, ids: Iterable[str]) -> np.ndarray:
        row = self.ids
        return np.fromiter((row[i] for i in ids if i in row), dtype=np.int64)

    def price_bands(self, ids: Iterable[str], bands: int = 4) -> list[dict[str, float | int]]:
        """Counts of `ids` in price bands cut at the catalog's quantiles (so bands are even for the shop)."""
        if not self.prices:
            return []
        if self._bands_edges is None or len(self._bands_edges) != bands + 1:
            self._bands_edges = percentile_points(self._sorted_prices(), bands)
        wanted = self.price_column[self._rows(ids)]
        return count_bands(self._bands_edges, wanted[~np.isnan(wanted)])

    def facets(self, ids: Iterable[str] | Selection, names: Iterable[str]) -> dict[str, dict[str, int]]:
        """Value counts per attribute among `ids` or a whole selection (most common first), for the facet sidebar."""
        rows = ids.rows() if isinstance(ids, Selection) else np.unique(self._rows(ids))
        out: dict[str, dict[str, int]] = {}
        for name in names:
            key = name.lower()
            column = self.codes.get(key)
            if column is None or not self.values.get(key):
                continue
            found = column[rows]
            counts = np.bincount(found[found != NONE], minlength=len(self.spelling[key]))
            ranked = sorted(((int(n), spelled) for spelled, n in zip(self.spelling[key], counts) if n), key=lambda t: -t[0])
            out[name] = {spelled: n for n, spelled in ranked}
        return out
