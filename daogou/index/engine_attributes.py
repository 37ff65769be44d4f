"""The attribute index answered by the engine (setting `attributes_in_engine`): filters, counts, facets and attribute
values read from the Milvus text collection instead of an AttributeIndex in every API process.

Why: the in-process AttributeIndex costs ~600 B per product in each serving process (ids, codes, prices, terms), which
is 60 GB a process at 100M products. The Milvus text collection already holds every product's attribute terms and
price (the scalar fields filtered searches use), so a serving process can keep only what does not grow with the
catalog: the generation's summary (`attributes.json`: each field's values as spelled with their product counts, and
the prices at every percentile) and a bounded cache of the rows a request asks about. What it answers, and how:
- a filter is an `EngineSelection`: its constraints go to every Milvus search as an expression. Its size decides
  the search's way (the filter inside the search, or the nearest rows checked here); an upper bound from the
  summary's exact value counts (`at_most`) decides it without a query when few products can pass, else one
  `count(*)` does, cached. Whether anything passes (to relax an understood slot) is asked only when the searches
  found nothing;
- hits a vector search must check against the filter (a broad filter on HNSW) come with their attribute rows
  (`MilvusIndex.rows_to`) and are checked here; BM25 hits with exclusions or prices are read, then checked. (Asking
  the engine `id in [...] and <filter>` instead cost more in all: 98.7 against 85.9 ms text p50 at 100k);
- facets, price bands, attribute values and the exact-value-first order of a result come from one `id in [...]`
  read of the fused candidates' rows (kept in an LRU, checked and decoded here);
- facets over a whole selection (the assistant's question "men or women?") are one count per value of the field;
- the cheapest / dearest products of a selection: counts narrow a price bound (from the percentiles) until at most
  EXTREME_ROWS rows pass it, which are read and sorted, as the in-process index sorts all of them;
- a server without `not` in expressions (Milvus Lite 2.5.1): exclusions are counted by inclusion and exclusion,
  and rows read through a filter are checked against them here.
The answers equal the in-process index's (tests/test_engine_attributes.py), except `first`, which returns some ids of
a selection rather than the smallest (a front-page sample), and ties of extremes beyond EXTREME_ROWS equal prices.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from daogou.errors import BadQuery, IndexMissing
from daogou.index.attributes import Constraints, count_bands, term
from daogou.index.milvus import ROW_FIELDS, TOPK_LIMIT, MilvusIndex, clip, contains_any, expression, literal
from daogou.lru import LRU

SUMMARY = "attributes.json"
#: attribute rows kept between requests (~300 B each): a hit list, its facets and the next page read none again
ROWS_CACHED = 50_000
#: counts of filters kept (a popular filter is counted once per generation)
COUNTS_CACHED = 4_096
#: ids per `id in [...]` read
ID_BATCH = 1_000
#: a price bound is narrowed until at most this many rows pass it; they are then read and sorted
EXTREME_ROWS = 1_000
#: rows per page when every id of a selection is read
PAGE = 10_000


@dataclass(frozen=True)
class Row:
    """One product's attribute values (field → value as the catalog spells it) and price."""

    values: dict[str, str] = field(default_factory=dict)
    price: float | None = None

    def admits(self, constraints: Constraints) -> bool:
        """Whether this product passes the constraints, as Milvus's expression and `AttributeIndex.matching` decide."""
        for name, accepted in constraints.filters.items():
            if self.values.get(name.lower(), "\0").lower() not in {str(v).lower() for v in accepted}:
                return False
        for name, refused in constraints.exclude.items():
            if self.values.get(name.lower(), "\0").lower() in {str(v).lower() for v in refused}:
                return False
        if constraints.price_min is None and constraints.price_max is None:
            return True
        price = self.price
        return price is not None and (constraints.price_min is None or price >= constraints.price_min) and (
            constraints.price_max is None or price <= constraints.price_max)


ABSENT = Row()  #: the cached answer for an id the collection does not hold


class EngineSelection:
    """Products passing a filter, held by the engine: reads like `attributes.Selection` (len, in, keep, iteration)."""

    __slots__ = ("_count", "_owner", "constraints")

    def __init__(self, owner: EngineAttributes, constraints: Constraints) -> None:
        self._owner = owner
        self.constraints = constraints
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._owner.count(self.constraints)
        return self._count

    def __bool__(self) -> bool:
        return self.at_most() > 0 and len(self) > 0

    def at_most(self) -> int:
        """An upper bound of the size from the summary's exact value counts (no query): the smallest of the filtered
        fields' shares, and the priced products under a price bound. A filter on an unknown value bounds it at 0."""
        return self._owner.at_most(self.constraints)

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and bool(self.keep([pid]))

    def keep(self, ids: Iterable[str]) -> list[str]:
        """The given ids that pass, in their order (one read for the rows not cached)."""
        return self._owner.keep(self.constraints, ids)

    def __iter__(self) -> Iterator[str]:
        """Every passing id, read in pages (a selective filter's ids for an engine without the scalar fields)."""
        return iter(self._owner.ids(self.constraints))


class EngineAttributes:
    """The AttributeIndex interface the searcher, assistant and showcase use, answered by a Milvus collection."""

    def __init__(self, summary: dict, index: MilvusIndex) -> None:  # type: ignore[type-arg]
        if not index.filters:
            raise IndexMissing("attributes_in_engine needs a text collection with attribute fields: re-run `daogou index`")
        self.index = index
        self._size = int(summary["count"])
        self._priced = int(summary.get("priced", 0))
        self._points: list[float] = [float(p) for p in summary.get("price_points", [])]
        self.spelling: dict[str, list[str]] = {name: [str(v) for v, _ in values] for name, values in summary["fields"].items()}
        self._counts = {name: {str(v): int(n) for v, n in values} for name, values in summary["fields"].items()}
        #: field → lower-cased value → code (`name in values` says whether a field exists, as on AttributeIndex)
        self.values: dict[str, dict[str, int]] = {name: {v.lower(): i for i, v in enumerate(spelled)} for name, spelled in self.spelling.items()}
        self._decode = {clip(term(name, v)): (name, v) for name, spelled in self.spelling.items() for v in spelled}
        self._rows: LRU[Row] = LRU(ROWS_CACHED)
        self._counted: LRU[int] = LRU(COUNTS_CACHED)

    @classmethod
    def load(cls, folder: Path, index: MilvusIndex) -> EngineAttributes:
        path = folder / SUMMARY
        if not path.exists():
            raise IndexMissing("this index generation has no attribute summary (attributes_in_engine): re-run `daogou index`")
        return cls(json.loads(path.read_text(encoding="utf-8")), index)

    # -- what the summary answers ---------------------------------------------------------------------

    def __len__(self) -> int:
        return self._size

    def fields(self) -> list[str]:
        return sorted(self.values)

    def catalog_values(self, name: str) -> dict[str, int]:
        """Canonical value → number of products, for one attribute."""
        return dict(self._counts.get(name.lower(), {}))

    def value_table(self) -> dict[str, list[str]]:
        return {name: list(self.catalog_values(name)) for name in self.fields()}

    def has_prices(self) -> bool:
        return self._priced > 0

    def price_points(self) -> list[float]:
        """The prices at every percentile: their quartiles are the catalog's."""
        return list(self._points)

    # -- rows -----------------------------------------------------------------------------------------

    def prefetch(self, ids: Iterable[str]) -> None:
        """Read the attribute rows of the ids not cached, ID_BATCH per request."""
        missing = list(dict.fromkeys(pid for pid in ids if self._rows.get(pid) is None))
        for start in range(0, len(missing), ID_BATCH):
            chunk = missing[start : start + ID_BATCH]
            found = {str(r["id"]): r for r in self.index.rows(f"id in {literal(chunk)}", ROW_FIELDS, limit=len(chunk))}
            for pid in chunk:
                self._rows.put(pid, self._row(found[pid]) if pid in found else ABSENT)

    def remember(self, stored: list[dict]) -> None:  # type: ignore[type-arg]
        """Keep rows a search returned with its hits (`MilvusIndex.rows_to`): the request reads them no more."""
        for one in stored:
            self._rows.put(str(one["id"]), self._row(one))

    def _row(self, stored: dict) -> Row:  # type: ignore[type-arg]
        values: dict[str, str] = {}
        for stored_term in stored.get("attr") or []:
            decoded = self._decode.get(stored_term)
            if decoded is not None:
                values.setdefault(decoded[0], decoded[1])
        return Row(values, float(stored["price"]) if stored.get("priced") else None)

    def row(self, pid: str) -> Row:
        found = self._rows.get(pid)
        if found is None:
            self.prefetch([pid])
            found = self._rows.get(pid) or ABSENT
        return found

    def contains(self, pid: str) -> bool:
        return self.row(pid) is not ABSENT

    def known(self, ids: Iterable[str]) -> set[str]:
        wanted = list(ids)
        self.prefetch(wanted)
        return {pid for pid in wanted if self.row(pid) is not ABSENT}

    def value_of(self, pid: str, name: str) -> str | None:
        return self.row(pid).values.get(name.lower())

    def price_of(self, pid: str) -> float | None:
        return self.row(pid).price

    # -- selections -----------------------------------------------------------------------------------

    def matching(
        self,
        filters: dict[str, list[str]] | None = None,
        exclude: dict[str, list[str]] | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> EngineSelection:
        """Products with one accepted value for every filtered attribute, none of the excluded values, within the price range."""
        for name in (*(filters or {}), *(exclude or {})):
            if name.lower() not in self.values:
                raise BadQuery(f"unknown filter {name!r}; this catalog has {self.fields()}")
        return EngineSelection(self, Constraints.of(filters, exclude, price_min, price_max))

    def _expression(self, constraints: Constraints, *more: str) -> tuple[str, bool]:
        """The constraints (and further expressions) as one Milvus expression, and whether the exclusions were left
        out of it (a server without `not`): rows read through it must then be checked with `Row.admits`."""
        residual = bool(constraints.exclude) and not self.index.negation()
        return " and ".join(p for p in (expression(constraints, exclusions=not residual), *more) if p), residual

    def at_most(self, constraints: Constraints) -> int:
        bound = self._size
        for name, accepted in constraints.filters.items():
            counts = self._counts.get(name.lower(), {})
            wanted = {str(v).lower() for v in accepted}
            bound = min(bound, sum(n for value, n in counts.items() if value.lower() in wanted))
        if constraints.price_min is not None or constraints.price_max is not None:
            bound = min(bound, self._priced)
        return bound

    def count(self, constraints: Constraints, *more: str) -> int:
        """How many products pass the constraints (and the further expressions), counted by the engine once.

        Without `not` on the server, the exclusions are counted by inclusion and exclusion: the products with
        none of the refused values are all of them, less those with one, plus those with one of two fields..."""
        expr, residual = self._expression(constraints, *more)
        if not residual:
            return self._counted_once(expr)
        refused = [contains_any(name, values) for name, values in constraints.exclude.items() if values]
        total = 0
        for size in range(len(refused) + 1):
            for chosen in itertools.combinations(refused, size):
                total += (-1) ** size * self._counted_once(" and ".join(p for p in (expr, *chosen) if p))
        return total

    def _counted_once(self, expr: str) -> int:
        if not expr:
            return self._size
        found = self._counted.get(expr)
        if found is None:
            found = self.index.matching(expr)
            self._counted.put(expr, found)
        return found

    def keep(self, constraints: Constraints, ids: Iterable[str]) -> list[str]:
        wanted = list(ids)
        self.prefetch(wanted)
        return [pid for pid in wanted if (row := self.row(pid)) is not ABSENT and row.admits(constraints)]

    def _read(self, constraints: Constraints, more: tuple[str, ...], fields: list[str], limit: int) -> list[dict]:  # type: ignore[type-arg]
        """Rows passing the constraints (at most `limit` read), with `fields`; exclusions checked here if need be."""
        expr, residual = self._expression(constraints, *more)
        if not residual:
            return self.index.rows(expr or 'id != ""', fields, limit=limit)
        rows = self.index.rows(expr or 'id != ""', sorted({*fields, *ROW_FIELDS}), limit=max(limit, TOPK_LIMIT))  # before the check
        return [r for r in rows if self._row(r).admits(constraints)][:limit]

    def ids(self, constraints: Constraints) -> list[str]:
        """Every id passing the constraints, read in pages by id."""
        found: list[str] = []
        last: str | None = None
        while True:
            after = 'id != ""' if last is None else f"id > {json.dumps(last, ensure_ascii=False)}"
            expr, residual = self._expression(constraints, after)
            page = self.index.rows(expr, ROW_FIELDS if residual else ["id"], limit=PAGE)
            found += sorted(str(r["id"]) for r in page if not residual or self._row(r).admits(constraints))
            if len(page) < PAGE:
                return sorted(found)
            last = max(str(r["id"]) for r in page)

    def first(self, selection: EngineSelection, n: int) -> list[str]:
        """Up to n ids of a selection, sorted (some n, not the catalog's smallest: a front-page sample)."""
        return sorted(str(r["id"]) for r in self._read(selection.constraints, (), ["id"], max(1, n) * 4))[:n]

    # -- aggregates -----------------------------------------------------------------------------------

    def facets(self, ids: Iterable[str] | EngineSelection, names: Iterable[str]) -> dict[str, dict[str, int]]:
        """Value counts per attribute among `ids` (their rows) or a whole selection (a count per value), most common first."""
        out: dict[str, dict[str, int]] = {}
        names = list(names)
        rows: list[Row] = []
        if not isinstance(ids, EngineSelection):
            wanted = list(dict.fromkeys(ids))
            self.prefetch(wanted)
            rows = [row for pid in wanted if (row := self.row(pid)) is not ABSENT]
        for name in names:
            key = name.lower()
            spelled = self.spelling.get(key)
            if not spelled:
                continue
            if isinstance(ids, EngineSelection):
                counts = [self._count_value(ids.constraints, key, value) for value in spelled]
            else:
                position = {v: i for i, v in enumerate(spelled)}
                counts = [0] * len(spelled)
                for row in rows:
                    value = row.values.get(key)
                    if value is not None:
                        counts[position[value]] += 1
            ranked = sorted(((n, value) for value, n in zip(spelled, counts) if n), key=lambda t: -t[0])
            out[name] = {value: n for n, value in ranked}
        return out

    def _count_value(self, constraints: Constraints, name: str, value: str) -> int:
        accepted = constraints.filters.get(name)
        if accepted is not None and value.lower() not in {str(v).lower() for v in accepted}:
            return 0
        narrowed = Constraints({**constraints.filters, name: [value]}, constraints.exclude, constraints.price_min, constraints.price_max)
        return self.count(narrowed)

    def price_bands(self, ids: Iterable[str], bands: int = 4) -> list[dict[str, float | int]]:
        """Counts of `ids` in price bands cut at the catalog's quantiles (the summary's percentiles)."""
        if not self._points or 100 % bands:
            return []
        wanted = list(dict.fromkeys(ids))
        self.prefetch(wanted)
        prices = np.array([row.price for pid in wanted if (row := self.row(pid)).price is not None], dtype=np.float64)
        return count_bands(self._points[:: 100 // bands], prices)  # every (100/bands)-th percentile: the in-process edges

    def extremes(self, selection: EngineSelection, n: int, highest: bool) -> tuple[list[str], int]:
        """The n cheapest (or dearest) priced products of a selection, ties by id, and how many priced ones it has."""
        constraints = selection.constraints
        total = self.count(constraints, "priced == true")
        if not total:
            return [], 0
        bound = self._bound(constraints, n, total, highest)
        sign = ">=" if highest else "<="
        more = ("priced == true",) if bound is None else ("priced == true", f"price {sign} {bound!r}")
        rows = self._read(constraints, more, ["price"], EXTREME_ROWS)
        ranked = sorted(((-float(r["price"]) if highest else float(r["price"]), str(r["id"])) for r in rows))
        return [pid for _, pid in ranked[:n]], total

    def _bound(self, constraints: Constraints, n: int, total: int, highest: bool) -> float | None:
        """A price such that at least n and (where prices allow) at most EXTREME_ROWS priced products of the selection
        are at or beyond it: bisection over the percentiles, then over the prices between two of them."""
        if total <= EXTREME_ROWS:
            return None
        sign = ">=" if highest else "<="

        def beyond(price: float) -> int:
            return self.count(constraints, "priced == true", f"price {sign} {price!r}")

        points = sorted(set(self._points), reverse=highest)  # from the extreme inwards: counts grow along the list
        low, high = 0, len(points) - 1
        while low < high:  # the first point with at least n beyond it
            mid = (low + high) // 2
            if beyond(points[mid]) >= n:
                high = mid
            else:
                low = mid + 1
        inner = points[low]
        if beyond(inner) <= EXTREME_ROWS or low == 0:
            return inner
        outer = points[low - 1]  # fewer than n beyond it
        for _ in range(40):
            mid = (outer + inner) / 2
            if mid in (outer, inner):
                break
            found = beyond(mid)
            if found < n:
                outer = mid
            else:
                inner = mid
                if found <= EXTREME_ROWS:
                    break
        return inner
