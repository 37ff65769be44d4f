"""Milvus backend: one vector space of one index generation as a Milvus collection, for catalogs that outgrow a machine.

Why it looks like FaissIndex and PgVectorIndex: search only needs `search`, `vector_of`, `kind` and `len` (the
VectorIndex protocol), so a shop moves by the `vector_url` setting ("milvus://host:19530") and nothing above
the index changes. The rules are the embedded ones, on the server:
- up to `hnsw_threshold` rows the collection gets a FLAT index (exact, as FAISS's flat index), above it HNSW
  (inner product on unit vectors, M 16, efConstruction 64);
- filters are scalar fields: each row holds its product's attribute values as "name=value" terms (catalog values,
  brand and predicted values, from the generation's AttributeIndex) and its price, so an attribute filter,
  exclusion or price range goes to Milvus as an expression (`array_contains_any(attr, [...])`, `price <= 800`)
  that it applies as a bitset inside the search, with no id sent: on a FLAT collection always, on HNSW when
  at most `exact_filter_fraction` of the rows pass (see `search` for why not broader);
- otherwise (a broad filter on HNSW, bare ids, a collection built without the fields) the id rules hold: a
  selective filter (at most `exact_filter_fraction` of the rows, and at most EXACT_LIMIT ids) goes as an
  `id in [...]` expression; a broad one reads the nearest rows and keeps the allowed ones, asking for more until
  k are kept, up to Milvus's limit of 16,384 per request.
Consistency, chosen on purpose: a collection is written by a build (insert, flush, index, load) or by an
in-place update, and the builder checks with a Strong count that every row is visible before the generation
that names it goes live, so searches can use Bounded consistency (no wait for the newest timestamp) and still
see the whole re-index that preceded them. Collections are named after the generation that built them, so a
full re-index builds beside the live one and the switch is the generation pointer's rename, as with files.
Upsert/delete in step with the store: when few rows changed (at most MAX_CHANGED), a re-index carries the live
generation's collection forward instead (`update`): each row holds a digest of its vector, terms and price, and
only the rows whose digest differs are upserted and the rows of products no longer indexed are deleted. A
pruned generation's collections are dropped unless a kept generation still names them.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from daogou.errors import IndexMismatch
from daogou.index import external
from daogou.index.attributes import AttributeIndex, Constraints, Selection, term
from daogou.index.digests import MAX_CHANGED, delta, row_digest
from daogou.index.vectors import EXACT_LIMIT, VectorHit

BACKEND = "milvus"
PREFIX = "daogou_vec_"
SAFE_NAME = re.compile(PREFIX + r"[a-z0-9_]{1,50}")
ENGINE = external.Engine(BACKEND, "collection", SAFE_NAME, "a Milvus index")
#: Milvus answers at most this many rows per search request.
TOPK_LIMIT = 16_384
#: Rows per insert request (a 1280-d batch of 2,000 is ~10 MB, well inside gRPC's message limit).
INSERT_ROWS = 2_000
#: Rows per page when reading every row's digest back.
QUERY_PAGE = 10_000
#: Array and VARCHAR limits of Milvus: attribute terms per product, bytes per term.
ATTRIBUTES = 256
TERM_BYTES = 512
#: The scalar fields that hold a product's attribute terms and price.
ROW_FIELDS = ["attr", "price", "priced"]
_LOCK = threading.Lock()


def is_milvus(url: str) -> bool:
    return url.startswith("milvus://")


def connected(url: str) -> str:
    """The pymilvus connection alias for `url`, connecting once per process (gRPC channels are thread-safe).

    milvus://host:19530 is a Milvus server; milvus:///path/to/file.db is Milvus Lite (the milvus-lite package: the
    same C++ core in a local process, one process per file: for one machine and for tests, not for replicas)."""
    from pymilvus import connections  # noqa: PLC0415 - optional: pip install -e ".[milvus]"

    parts = urlsplit(url)
    if parts.scheme != "milvus" or not (parts.hostname or parts.path.endswith(".db")):
        raise IndexMismatch(f"a Milvus URL looks like milvus://host:19530 (a server) or milvus:///path/file.db (Milvus Lite), got {url!r}")
    alias = f"daogou-{parts.hostname}-{parts.port or 19530}" if parts.hostname else f"daogou-lite-{parts.path}"
    with _LOCK:
        if not connections.has_connection(alias):
            if parts.hostname:
                connections.connect(alias=alias, host=parts.hostname, port=str(parts.port or 19530))
            else:
                connections.connect(alias=alias, uri=parts.path)
    return alias


def drop_collections(url: str, names: list[str]) -> None:
    """Drop each named collection that exists (a pruned generation's vectors or BM25)."""
    if not names:
        return
    from pymilvus import utility  # noqa: PLC0415

    alias = connected(url)
    for name in names:
        if utility.has_collection(name, using=alias):
            utility.drop_collection(name, using=alias)


def _columns(ids: list[str], vectors: np.ndarray, attributes: AttributeIndex | None) -> list:  # type: ignore[type-arg]
    """Insert columns for some rows: id, embedding and, with `attributes`, terms, price, priced and digest."""
    columns: list = [ids, vectors]  # type: ignore[type-arg]
    if attributes is None:
        return columns
    terms = [stored_terms(attributes.terms(pid), pid) for pid in ids]
    prices = [attributes.prices.get(pid) for pid in ids]
    return columns + [terms, [p or 0.0 for p in prices], [p is not None for p in prices], [row_digest(v, t, p) for v, t, p in zip(vectors, terms, prices)]]


def stored_digests(handle) -> dict[str, int] | None:  # type: ignore[no-untyped-def]
    """Every row's id and digest, read in pages by primary key (Strong: every row a build or update wrote is seen);
    None if the server does not return a page in key order (the pages could then miss rows).

    Why pages until the Strong count is reached, not until a short page: Milvus Lite 2.5.1 fails on a query that
    matches no row ("Unsupported data type: 0", its empty ARRAY field data), which a catalog of exactly a multiple of
    QUERY_PAGE rows would ask for last; pymilvus's query_iterator fails there on its first request."""
    total = _count(handle)
    found: dict[str, int] = {}
    last: str | None = None
    while len(found) < total:
        expr = 'id != ""' if last is None else f"id > {json.dumps(last, ensure_ascii=False)}"
        page = handle.query(expr=expr, output_fields=["digest"], limit=QUERY_PAGE, consistency_level="Strong")
        ids = [str(row["id"]) for row in page]
        if not ids or ids != sorted(ids) or (last is not None and ids[0] <= last):
            return None
        found.update(zip(ids, (int(row["digest"]) for row in page)))
        last = ids[-1]
    return found


def existing(url: str, collection: str):  # type: ignore[no-untyped-def]
    """A handle on a daogou collection that exists (one an in-place update may write to), else None."""
    from pymilvus import Collection, utility  # noqa: PLC0415

    alias = connected(url)
    if not SAFE_NAME.fullmatch(collection) or not utility.has_collection(collection, using=alias):
        return None
    return Collection(collection, using=alias)


def _count(handle) -> int:  # type: ignore[no-untyped-def]
    return int(handle.query(expr="", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"])


def check_count(handle, collection: str, expected: int) -> None:  # type: ignore[no-untyped-def]
    """Raise unless a Strong count sees exactly `expected` rows: the generation goes live only once it does."""
    seen = _count(handle)
    if seen != expected:
        raise IndexMismatch(f"Milvus collection {collection} holds {seen} rows, {expected} were written")


def collection_name(generation: str, name: str) -> str:
    """A safe collection name for one space of one generation (letters, digits and underscores only)."""
    return PREFIX + re.sub(r"[^a-z0-9_]", "_", f"{generation}_{name}".lower())[:50]


def contains_any(name: str, values: list[str], field: str = "attr") -> str:
    """The expression "this product has one of these values of `name`" over the terms in `field`."""
    return f"array_contains_any({field}, {literal([clip(term(name, str(v))) for v in values])})"


def expression(constraints: Constraints, exclusions: bool = True, field: str = "attr") -> str:
    """A Selection's constraints as a Milvus boolean expression over the terms in `field` and the `price` fields; a
    product without a price fails any price bound, as in `AttributeIndex.matching`. With `exclusions` False they
    are left out, for a server without the `not` operator (Milvus Lite 2.5.1): the caller then checks them."""
    parts = [contains_any(name, values, field) for name, values in constraints.filters.items()]
    if exclusions:
        parts += [f"not {contains_any(name, values, field)}" for name, values in constraints.exclude.items() if values]
    if constraints.price_min is not None or constraints.price_max is not None:
        parts.append("priced == true")
    if constraints.price_min is not None:
        parts.append(f"price >= {float(constraints.price_min)!r}")
    if constraints.price_max is not None:
        parts.append(f"price <= {float(constraints.price_max)!r}")
    return " and ".join(parts)


_NEGATION: dict[str, bool] = {}


def negation(url: str, handle) -> bool:  # type: ignore[no-untyped-def]
    """Whether the server at `url` evaluates `not` in expressions, asked once per process and URL through a loaded
    collection. Milvus servers do; Milvus Lite 2.5.1 fails on any `not` ("unsupported expr proto node"), so
    exclusions are then checked on the rows instead."""
    found = _NEGATION.get(url)
    if found is None:
        from pymilvus.exceptions import MilvusException  # noqa: PLC0415

        try:
            handle.query(expr='not (id in [""])', output_fields=["count(*)"], consistency_level="Bounded")
            found = True
        except MilvusException as error:
            if "unsupported expr" not in str(error):
                raise
            found = False
        _NEGATION[url] = found
    return found


def clip(value: str) -> str:
    """A term as an `attr` array stores it (cut to TERM_BYTES, whole characters): stored and queried terms are
    clipped alike, so a very long value still matches itself."""
    return value.encode("utf-8")[:TERM_BYTES].decode("utf-8", "ignore")


def stored_terms(terms: list[str], owner: str) -> list[str]:
    """One product's terms for an `attr` array (the vector and the BM25 collections hold the same kind)."""
    if len(terms) > ATTRIBUTES:
        raise IndexMismatch(f"product {owner} has {len(terms)} attribute values; a Milvus collection takes at most {ATTRIBUTES}")
    return [clip(t) for t in terms]


def literal(values: list[str]) -> str:
    """A Milvus expression list of string literals (JSON's escaping is the expression language's)."""
    return json.dumps(values, ensure_ascii=False)


class MilvusIndex:
    """A Milvus collection (id, embedding) with FLAT or HNSW by size; inner product on unit vectors."""

    def __init__(
        self, url: str, collection: str, model: str, dim: int, count: int, kind: str, exact_filter_fraction: float = 0.05, ef_search: int = 96,
        filters: bool = False,
    ) -> None:
        self.url = url
        self.filters = filters
        self.collection = collection
        self.model = model
        self.dim = dim
        self.count = count
        self.kind = kind
        self.exact_filter_fraction = exact_filter_fraction
        self.ef_search = ef_search
        self._handle = None
        #: rows an in-place `update` wrote and deleted (0 for a collection built whole)
        self.upserted = self.deleted = 0
        #: with `attributes_in_engine`, where the rows of hits to be checked against a filter here go (id and ROW_FIELDS,
        #: to `EngineAttributes.remember`): they come with the search, so checking them, facets and explanations need no
        #: further read (other searches return ids only: pymilvus's conversion of every hit's fields costs more CPU
        #: than one read of the fused candidates' rows)
        self.rows_to: Callable[[list[dict]], None] | None = None  # type: ignore[type-arg]

    def __len__(self) -> int:
        return self.count

    def _collection(self):  # type: ignore[no-untyped-def]
        if self._handle is None:
            from pymilvus import Collection  # noqa: PLC0415

            self._handle = Collection(self.collection, using=connected(self.url))
        return self._handle

    # -- build --------------------------------------------------------------------------------------

    @classmethod
    def build(
        cls, url: str, collection: str, ids: list[str], vectors: np.ndarray, model: str, hnsw_threshold: int = 50_000, m: int = 16, ef_construction: int = 64,
        attributes: AttributeIndex | None = None,
    ) -> MilvusIndex:
        """Create the collection, insert the vectors (with each product's attribute terms and price when
        `attributes` is given), index, load, and check every row is visible (Strong)."""
        from pymilvus import Collection, CollectionSchema, DataType, FieldSchema, utility  # noqa: PLC0415

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(ids) != vectors.shape[0]:
            raise ValueError("ids and vectors must align")
        if not SAFE_NAME.fullmatch(collection):
            raise ValueError(f"not a daogou vector collection name: {collection!r}")
        alias = connected(url)
        dim = int(vectors.shape[1])
        kind = "hnsw" if len(ids) > hnsw_threshold else "exact"
        if utility.has_collection(collection, using=alias):
            utility.drop_collection(collection, using=alias)
        longest = max((len(pid.encode("utf-8")) for pid in ids), default=1)
        fields = [
            FieldSchema("id", DataType.VARCHAR, is_primary=True, max_length=max(64, longest)),
            FieldSchema("embedding", DataType.FLOAT_VECTOR, dim=dim),
        ]
        if attributes is not None:
            fields += [
                FieldSchema("attr", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=ATTRIBUTES, max_length=TERM_BYTES),
                FieldSchema("price", DataType.DOUBLE),
                FieldSchema("priced", DataType.BOOL),
                FieldSchema("digest", DataType.INT64),  # of the row's vector, terms and price: `update` finds changed rows by it
            ]
        handle = Collection(collection, CollectionSchema(fields), using=alias, consistency_level="Bounded")
        for start in range(0, len(ids), INSERT_ROWS):
            handle.insert(_columns(ids[start : start + INSERT_ROWS], vectors[start : start + INSERT_ROWS], attributes))
        handle.flush()
        params = {"M": int(m), "efConstruction": int(ef_construction)} if kind == "hnsw" else {}
        handle.create_index("embedding", {"index_type": "HNSW" if kind == "hnsw" else "FLAT", "metric_type": "IP", "params": params})
        handle.load()
        utility.wait_for_loading_complete(collection, using=alias)
        check_count(handle, collection, len(ids))
        index = cls(url, collection, model, dim, len(ids), kind, filters=attributes is not None)
        index._handle = handle
        return index

    @classmethod
    def update(
        cls, url: str, collection: str, ids: list[str], vectors: np.ndarray, model: str, attributes: AttributeIndex, hnsw_threshold: int = 50_000,
        max_changed: float = MAX_CHANGED,
    ) -> MilvusIndex | None:
        """Bring an existing collection in step with the store in place: upsert the rows whose vector, terms or price
        changed (each row's `digest` says), delete the rows of products no longer indexed, check the count (Strong).

        None when it cannot be done in place: a collection without digests, of another dimension or index kind (the
        catalog crossed `hnsw_threshold`), or more than `max_changed` of the rows differ (a fresh build then costs
        about as much and leaves no deleted rows behind). Searches of the generation that built the collection see
        the new rows too: they are the store's newer state, row by row."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        handle = existing(url, collection)
        if handle is None:
            return None
        fields = {f.name: f for f in handle.schema.fields}
        dim = int(vectors.shape[1])
        kind = "hnsw" if len(ids) > hnsw_threshold else "exact"
        built = {index.field_name: index.params.get("index_type") for index in handle.indexes}
        if "digest" not in fields or "attr" not in fields or int(fields["embedding"].params.get("dim", 0)) != dim:
            return None
        if built.get("embedding") != ("HNSW" if kind == "hnsw" else "FLAT"):
            return None
        stored = stored_digests(handle)
        if stored is None:
            return None
        current = (pair for start in range(0, len(ids), INSERT_ROWS)  # in chunks: terms of a million products are never all held
                   for pair in zip(ids[start : start + INSERT_ROWS], _columns(ids[start : start + INSERT_ROWS], vectors[start : start + INSERT_ROWS], attributes)[-1]))
        found = delta(stored, current, max_changed)
        if found is None:
            return None
        changed, removed = found
        position = {pid: i for i, pid in enumerate(ids)}
        for start in range(0, len(changed), INSERT_ROWS):
            chunk = changed[start : start + INSERT_ROWS]
            handle.upsert(_columns(chunk, vectors[[position[pid] for pid in chunk]], attributes))
        for start in range(0, len(removed), INSERT_ROWS):
            handle.delete(f"id in {literal(removed[start : start + INSERT_ROWS])}")
        handle.flush()
        check_count(handle, collection, len(ids))
        index = cls(url, collection, model, dim, len(ids), kind, filters=True)
        index._handle = handle
        index.upserted, index.deleted = len(changed), len(removed)
        return index

    def save(self, directory: Path, name: str) -> None:
        """The generation's manifest for this space."""
        external.write(ENGINE, directory, name, external.Space(self.collection, self.model, self.dim, self.count, self.kind, self.filters))

    @classmethod
    def load(cls, directory: Path, name: str, url: str, model: str, dim: int | None = None, exact_filter_fraction: float = 0.05) -> MilvusIndex:
        """Open the collection a generation's manifest names, refusing one built by another model or dimension."""
        space = external.read(ENGINE, directory, name, model, dim)
        return cls(url, space.location, space.model, space.dim, space.count, space.kind, exact_filter_fraction, filters=space.filters)

    @staticmethod
    def drop_generation(url: str, directory: Path, kept: list[Path] | tuple[Path, ...] = ()) -> None:
        """Drop the collections a (pruned) generation's manifests name, except those a `kept` generation still names
        (a collection a later generation carried forward and updated in place)."""
        drop_collections(url, external.released(ENGINE, directory, kept))

    # -- search -------------------------------------------------------------------------------------

    def vector_of(self, item: str) -> np.ndarray | None:
        rows = self._collection().query(expr=f"id in {literal([item])}", output_fields=["embedding"])
        return np.asarray(rows[0]["embedding"], dtype=np.float32) if rows else None

    def search(self, query: np.ndarray, k: int, allowed: set[str] | Selection | None = None) -> list[VectorHit]:
        """Top-k by inner product; `allowed` restricts results to those ids (in the server's search, or by asking for more)."""
        if not self.count or k <= 0:
            return []
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.dim:
            raise IndexMismatch(f"query has {q.shape[0]} dimensions, index has {self.dim}")
        if allowed is None:
            return self._nearest(q, min(k, TOPK_LIMIT), None)
        selective = max(self.exact_filter_fraction * self.count, 1)
        # an engine-held selection knows an upper bound of its size without a count: when that bound already decides
        # the way (nothing passes, or few enough for the filter inside the search), the count is never made
        at_most = allowed.at_most() if hasattr(allowed, "at_most") else None
        size = at_most if at_most is not None and (at_most == 0 or at_most <= selective or self.kind == "exact") else len(allowed)
        if size == 0:
            return []
        constraints = getattr(allowed, "constraints", None)  # a Selection, or an engine-held one (index/engine_attributes.py)
        in_engine = self.filters and constraints is not None
        if in_engine and (self.kind == "exact" or size <= selective):
            # FLAT filters exactly at any selectivity; HNSW only when few rows pass (Milvus then scans them). A broader
            # filter inside Milvus 2.3.5's HNSW walk found 0.86 of the exact top 10 at 10 % of 100k rows (0.98 at 50 %)
            # whatever the beam; reading the nearest rows and keeping the allowed ones found 0.995-0.997, as fast.
            if not constraints.exclude or self.negation():
                return self._nearest(q, min(k, TOPK_LIMIT), expression(constraints) or None)
            # no `not` on this server: the rest of the filter in the search, the exclusions checked on what it finds
            return self._kept(q, k, allowed, math.ceil(2 * k * self.count / max(1, size)), expression(constraints, exclusions=False) or None)
        if size <= min(EXACT_LIMIT, max(self.exact_filter_fraction * self.count, 1)) or self.kind == "exact" and size <= EXACT_LIMIT:
            return self._nearest(q, min(k, TOPK_LIMIT), f"id in {literal(sorted(allowed))}")
        return self._kept(q, k, allowed, math.ceil(2 * k * self.count / size), None)

    def _kept(self, q: np.ndarray, k: int, allowed: set[str] | Selection, want: int, expr: str | None) -> list[VectorHit]:
        """The nearest rows (passing `expr`) that `allowed` keeps, asking for more until k are kept or none are left."""
        want = min(TOPK_LIMIT, self.count, want)
        while True:
            nearest = self._nearest(q, want, expr, with_rows=True)
            passing = set(allowed.keep([hit.id for hit in nearest])) if hasattr(allowed, "keep") else allowed
            kept = [hit for hit in nearest if hit.id in passing]
            if len(kept) >= k or len(nearest) < want or want >= min(TOPK_LIMIT, self.count):
                return kept[:k]
            want = min(TOPK_LIMIT, self.count, want * 4)

    def negation(self) -> bool:
        """Whether this collection's server evaluates `not` (see `negation`)."""
        return negation(self.url, self._collection())

    def rows(self, expr: str, fields: list[str], limit: int = TOPK_LIMIT) -> list[dict]:  # type: ignore[type-arg]
        """Rows matching a boolean expression (at most `limit`), with the named scalar fields, at the searches' consistency.

        An answer with no row fails in pymilvus when it asks for an ARRAY field of Milvus Lite 2.5.1 ("Unsupported data
        type: 0", see `stored_digests`), whatever the fields: a count then says whether there was none."""
        from pymilvus.exceptions import MilvusException  # noqa: PLC0415

        handle = self._collection()
        try:
            return list(handle.query(expr=expr, output_fields=fields, limit=limit, consistency_level="Bounded"))
        except MilvusException as error:
            if "Unsupported data type" not in str(error) or self.matching(expr):
                raise
            return []

    def matching(self, expr: str) -> int:
        """How many rows match a boolean expression ("" for all), at the searches' consistency."""
        found = self._collection().query(expr=expr, output_fields=["count(*)"], consistency_level="Bounded")
        return int(found[0]["count(*)"])

    def _nearest(self, q: np.ndarray, limit: int, expr: str | None, with_rows: bool = False) -> list[VectorHit]:
        """The nearest rows passing `expr`; `with_rows` (when they are to be checked against a filter here) also hands
        their attribute rows to `rows_to`, so checking them reads nothing more."""
        params = {"metric_type": "IP", "params": {"ef": int(max(self.ef_search, limit))} if self.kind == "hnsw" else {}}
        fields = ROW_FIELDS if with_rows and self.rows_to is not None and self.filters else None
        result = self._collection().search([q.tolist()], "embedding", params, limit=limit, expr=expr, output_fields=fields, consistency_level="Bounded")
        if fields and self.rows_to is not None:
            self.rows_to([{"id": str(hit.id), **{name: hit.entity.get(name) for name in fields}} for hit in result[0]])
        return [VectorHit(str(hit.id), float(hit.distance)) for hit in result[0]]
