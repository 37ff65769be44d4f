"""BM25 in a Milvus ≥ 2.5 collection (`lexical_url = "milvus://host:19530"`): the lexical retriever without a
tantivy folder on the serving machine, so that with the vectors in Milvus too a replica holds no index file.

Why it gives the embedded answers: Milvus receives the words daogou's own tokenizer made (jieba for Chinese, the
same function on products and queries), joined by spaces, and its analyzer only splits on whitespace, lower-cases
and applies the English Snowball stemmer: the tokens tantivy's `en_stem` indexes. Milvus's BM25 function uses the
same k1 = 1.2, b = 0.75 and idf as tantivy. Attribute filters are exact "name=value" terms in an array field, matched
with `array_contains_any` inside the same search, as tantivy's term queries are.

Consistency, on purpose: a collection is written by a build or by an in-place update (a Strong count must equal
the products indexed before the generation naming it goes live), then only read until the next re-index; searches
use Bounded consistency, which cannot miss a row written before the count was checked.
Upsert/delete in step with the store: each row holds a digest of its words and terms, so a re-index that finds
few changed (at most MAX_CHANGED) carries the live generation's collection forward (`update`): only those rows are
upserted and the rows of products no longer indexed deleted.
Fusion in the engine, on purpose only where it changes no fused score (`engine_fusion`): the collection then also holds
the generation's text vectors, with each product's terms (predicted values included) and price as the text vector
collection has them (`TextSide`), and a text query's BM25 and text-vector lists are fused by Milvus's
`hybrid_search` with RRF and daogou's constant (k = 60, ranks from 1, as search/fusion.py): both lists have the same
weight in every kind of query, so the engine's fused score is exactly the sum daogou would add for them, and the
other retrievers (the aligned photo space, a query photo's spaces) are added to it in the server process. A filter
this server cannot express (an exclusion without `not`, Milvus Lite 2.5.1) and evaluation runs of one retriever
fall back to the two separate searches, fused client-side as without the setting. What does change: Milvus ranks
equal BM25 scores its own way inside hybrid_search (daogou's `in_order` puts them by id), so where a run of equal
scores crosses the candidate cut the two ways keep different products (docs/scale-out.md, "Fusion in Milvus").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from daogou.catalog.schema import Product
from daogou.errors import IndexMismatch
from daogou.index import external
from daogou.index.attributes import AttributeIndex, Constraints
from daogou.index.digests import MAX_CHANGED, delta, row_digest, text_digest
from daogou.index.lexical import LexicalHit, filter_term, in_order
from daogou.index.milvus import (
    ATTRIBUTES, INSERT_ROWS, SAFE_NAME, TERM_BYTES, TOPK_LIMIT, check_count, clip, connected, drop_collections, existing, expression, literal, negation,
    stored_digests, stored_terms,
)
from daogou.index.tokenize import words

BACKEND = "milvus-bm25"
ENGINE = external.Engine(BACKEND, "collection", SAFE_NAME, "a Milvus BM25 index")
#: The generation's manifest file for the lexical index.
NAME = "lexical"
ANALYZER = {"tokenizer": "whitespace", "filter": ["lowercase", {"type": "stemmer", "language": "english"}]}
#: The manifest of the text vectors a collection built for `engine_fusion` also holds (the same collection).
SIDE = "lexical_text"
#: VARCHAR limits of Milvus: a product's words beyond BODY_BYTES are not indexed (a title and attributes never reach it).
BODY_BYTES = 65_535
#: The HNSW beam of the text-vector request, as MilvusIndex's.
EF_SEARCH = 96


@dataclass
class TextSide:
    """What a BM25 collection also holds for `engine_fusion`: the generation's text vectors, and each product's
    terms (catalog, brand and predicted values) and price, as the text vector collection holds them, so that the
    vector request of a hybrid search filters as the text collection's search does."""

    ids: list[str]
    vectors: np.ndarray
    attributes: AttributeIndex
    model: str
    hnsw_threshold: int = 50_000
    position: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.position = {pid: i for i, pid in enumerate(self.ids)}

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def kind(self) -> str:
        """The text vectors' index, by their number as MilvusIndex picks it: "exact" (FLAT) or "hnsw"."""
        return "hnsw" if len(self.ids) > self.hnsw_threshold else "exact"

    def columns(self, pid: str) -> list:  # type: ignore[type-arg]
        """A product's embedding, vectored, terms, price and priced (a zero vector, not vectored, when it has none)."""
        row = self.position.get(pid)
        vector = self.vectors[row] if row is not None else np.zeros(self.dim, dtype=np.float32)
        price = self.attributes.price_of(pid)
        return [np.asarray(vector, dtype=np.float32), row is not None, stored_terms(self.attributes.terms(pid), pid), price or 0.0, price is not None]


def _body(segmented: list[str]) -> str:
    text = " ".join(segmented)
    if len(text.encode("utf-8")) <= BODY_BYTES:
        return text
    return text.encode("utf-8")[:BODY_BYTES].decode("utf-8", "ignore").rsplit(" ", 1)[0]


def _row(product: Product, segmented: Callable[[str, list[str]], None] | None, side: TextSide | None = None) -> list:  # type: ignore[type-arg]
    """One product's row: id, body, terms, digest, and with a `side` its text-vector columns, which the digest then
    covers too (`segmented` sees its words, as with the embedded index)."""
    body = words(product.passage())
    if segmented is not None:
        segmented(product.id, body)
    text, terms = _body(body), _terms(product)
    if side is None:
        return [product.id, text, terms, text_digest(text, terms)]
    vector, vectored, all_terms, price, priced = extra = side.columns(product.id)
    covered = f"\x1d{row_digest(vector, all_terms, price if priced else None)}:{int(vectored)}"
    return [product.id, text, terms, text_digest(text, [*terms, covered]), *extra]


def _filtered(filters: dict[str, list[str]] | None) -> str:
    """Attribute filters as tantivy's term queries apply them: each attribute must have one of its values in the
    catalog terms (`attr`; predicted values are not words of the product)."""
    return " and ".join(f"array_contains_any(attr, {literal([clip(filter_term(name, v)) for v in values])})" for name, values in (filters or {}).items())


def _insert(handle, rows: list[list], upsert: bool = False) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Rows to the collection in requests of INSERT_ROWS, as columns."""
    for start in range(0, len(rows), INSERT_ROWS):
        columns = [list(column) for column in zip(*rows[start : start + INSERT_ROWS])]
        (handle.upsert if upsert else handle.insert)(columns)


def _terms(product: Product) -> list[str]:
    fields = dict(product.attributes)
    if product.brand:  # a brand filter must match here too, as in the embedded index
        fields["brand"] = product.brand
    return stored_terms([filter_term(name, value) for name, value in fields.items()], product.id)


class MilvusLexicalIndex:
    """BM25 top-k over one generation's collection (id, body words, attribute terms, sparse BM25 vector)."""

    def __init__(self, url: str, collection: str, count: int, vectors: str | None = None, dim: int = 0) -> None:
        self.url = url
        self.collection = collection
        self.count = count
        #: "exact" or "hnsw" when the collection also holds the text vectors (built for `engine_fusion`), else None
        self.vectors = vectors
        self.dim = dim
        self._handle = None
        #: rows an in-place `update` wrote and deleted (0 for a collection built whole)
        self.upserted = self.deleted = 0

    def _collection(self):  # type: ignore[no-untyped-def]
        if self._handle is None:
            from pymilvus import Collection  # noqa: PLC0415

            self._handle = Collection(self.collection, using=connected(self.url))
        return self._handle

    @classmethod
    def build(
        cls, url: str, collection: str, products: Iterable[Product], segmented: Callable[[str, list[str]], None] | None = None, side: TextSide | None = None,
    ) -> MilvusLexicalIndex:
        """Create the collection, stream the products in, index and load it, and check every row is visible (Strong).

        `segmented(product_id, words)` sees each product's words, as with the embedded index; with a `side` the rows
        also hold the text vectors, terms and prices (`engine_fusion`)."""
        from pymilvus import Collection, CollectionSchema, DataType, FieldSchema, Function, FunctionType, utility  # noqa: PLC0415

        if not SAFE_NAME.fullmatch(collection):
            raise ValueError(f"not a daogou collection name: {collection!r}")
        alias = connected(url)
        if utility.has_collection(collection, using=alias):
            utility.drop_collection(collection, using=alias)
        fields = [
            FieldSchema("id", DataType.VARCHAR, is_primary=True, max_length=512),
            FieldSchema("body", DataType.VARCHAR, max_length=BODY_BYTES, enable_analyzer=True, analyzer_params=ANALYZER),
            FieldSchema("attr", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=ATTRIBUTES, max_length=TERM_BYTES),
            FieldSchema("digest", DataType.INT64),  # of the row's body and terms (and side): `update` finds changed rows by it
            FieldSchema("sparse", DataType.SPARSE_FLOAT_VECTOR),
        ]
        if side is not None:  # the row's insert columns follow the schema's order, the function's output left out
            fields += [
                FieldSchema("embedding", DataType.FLOAT_VECTOR, dim=side.dim),
                FieldSchema("vectored", DataType.BOOL),
                FieldSchema("terms", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=ATTRIBUTES, max_length=TERM_BYTES),
                FieldSchema("price", DataType.DOUBLE),
                FieldSchema("priced", DataType.BOOL),
            ]
        function = Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["body"], output_field_names=["sparse"])
        schema = CollectionSchema(fields, functions=[function])
        handle = Collection(collection, schema, using=alias, consistency_level="Bounded")
        count = 0
        batch: list[list] = []  # type: ignore[type-arg]
        for product in products:
            batch.append(_row(product, segmented, side))
            count += 1
            if len(batch) >= INSERT_ROWS:
                _insert(handle, batch)
                batch.clear()
        _insert(handle, batch)
        handle.flush()
        handle.create_index("sparse", {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "BM25"})
        kind = _index_vectors(handle, side) if side is not None else None
        handle.load()
        utility.wait_for_loading_complete(collection, using=alias)
        check_count(handle, collection, count)
        index = cls(url, collection, count, kind, side.dim if side is not None else 0)
        index._handle = handle
        return index

    @classmethod
    def update(
        cls, url: str, collection: str, products: Iterable[Product], segmented: Callable[[str, list[str]], None] | None = None,
        max_changed: float = MAX_CHANGED, side: TextSide | None = None,
    ) -> MilvusLexicalIndex | None:
        """Bring an existing collection in step with the store in place: upsert the rows whose words or terms (or
        `side` columns) changed (by their digests), delete the rows of products no longer in the catalog, check the
        count (Strong).

        None when it cannot be done in place: a collection without digests, one with or without text vectors when
        `side` says otherwise, or more than `max_changed` of the rows differ (then `segmented` may have seen some
        products already, and sees them again in the fresh build)."""
        handle = existing(url, collection)
        fields = {f.name: f for f in handle.schema.fields} if handle is not None else {}
        if "digest" not in fields or ("embedding" in fields) != (side is not None):
            return None
        if side is not None and (int(fields["embedding"].params.get("dim", 0)) != side.dim or _vector_kind(handle) != side.kind):
            return None
        stored = stored_digests(handle)
        if stored is None:
            return None
        changed: list[list] = []  # type: ignore[type-arg]
        # only the changed rows are held; past the share a fresh build takes, there is no point holding more
        room = max_changed * max(len(stored), 1)
        indexed = 0

        def current() -> Iterable[tuple[str, int]]:
            nonlocal indexed
            for product in products:
                row = _row(product, segmented, side)
                indexed += 1
                if stored.get(row[0]) != row[3] and len(changed) <= room:
                    changed.append(row)
                yield row[0], row[3]

        found = delta(stored, current(), max_changed)
        if found is None or len(changed) > room:
            return None
        writes, removed = found
        _insert(handle, changed, upsert=True)
        for start in range(0, len(removed), INSERT_ROWS):
            handle.delete(f"id in {literal(removed[start : start + INSERT_ROWS])}")
        handle.flush()
        check_count(handle, collection, indexed)
        index = cls(url, collection, indexed, *((_vector_kind(handle), side.dim) if side is not None else (None, 0)))
        index._handle = handle
        index.upserted, index.deleted = len(writes), len(removed)
        return index

    def save(self, directory: Path, text_model: str = "") -> None:
        """The generation's manifest; a collection with text vectors gets a second one naming their model."""
        external.write(ENGINE, directory, NAME, external.Space(self.collection, "bm25", 0, self.count, "bm25"))
        if self.vectors is not None:
            external.write(ENGINE, directory, SIDE, external.Space(self.collection, text_model, self.dim, self.count, self.vectors, filters=True))

    @classmethod
    def load(cls, directory: Path, url: str, text_model: str = "") -> MilvusLexicalIndex:
        """Open a generation's collection; its text vectors are used only when built by `text_model` (else refused)."""
        space = external.read(ENGINE, directory, NAME, "bm25")
        side = external.read(ENGINE, directory, SIDE, text_model) if (directory / f"{SIDE}.json").exists() else None
        return cls(url, space.location, space.count, *((side.kind, side.dim) if side is not None else (None, 0)))

    @staticmethod
    def drop_generation(url: str, directory: Path, kept: tuple[Path, ...] = ()) -> None:
        """Drop the collection a (pruned) generation's BM25 manifest names, unless a `kept` generation still names it
        (carried forward and updated in place)."""
        drop_collections(url, external.released(ENGINE, directory, kept))

    def search(self, text: str, k: int, filters: dict[str, list[str]] | None = None) -> tuple[list[LexicalHit], list[str]]:
        """BM25 top-k for `text` (its distinct words); each filtered attribute must match one of its values."""
        terms = words(text)
        if not terms or k <= 0 or not self.count:
            return [], terms
        expr = _filtered(filters)
        found = self._collection().search(
            [" ".join(dict.fromkeys(terms))], "sparse", {"metric_type": "BM25"}, limit=min(k, TOPK_LIMIT), expr=expr or None, output_fields=["id"]
        )
        return in_order([LexicalHit(str(hit.id), float(hit.distance)) for hit in found[0]]), terms

    def hybrid(
        self, text: str, vector: np.ndarray, k: int, filters: dict[str, list[str]] | None, constraints: Constraints | None, rrf_k: int,
    ) -> list[tuple[str, float]] | None:
        """A text query's BM25 and text-vector lists (k each) fused by Milvus's `hybrid_search` with RRF (`rrf_k`):
        (id, fused score) best first. BM25 keeps tantivy's filter (`filters` over catalog terms) and both requests the
        whole `constraints` over the products' terms and prices, as the two separate searches would select.

        None when this collection holds no text vectors, or the constraints exclude values and this server has no
        `not` (Milvus Lite 2.5.1): the caller then makes the two searches and fuses them itself."""
        if self.vectors is None or k <= 0:
            return None
        handle = self._collection()
        if constraints is not None and any(constraints.exclude.values()) and not negation(self.url, handle):
            return None
        if not self.count:
            return []
        from pymilvus import AnnSearchRequest, RRFRanker  # noqa: PLC0415

        shared = expression(constraints, field="terms") if constraints is not None else ""
        limit = min(k, TOPK_LIMIT)
        requests = []
        terms = words(text)
        if terms:  # no words: no BM25 list, as tantivy finds nothing for them
            lexical = " and ".join(p for p in (_filtered(filters), shared) if p)
            requests.append(AnnSearchRequest([" ".join(dict.fromkeys(terms))], "sparse", {"metric_type": "BM25"}, limit=limit, expr=lexical or None))
        params = {"ef": max(EF_SEARCH, limit)} if self.vectors == "hnsw" else {}
        dense = " and ".join(p for p in ("vectored == true", shared) if p)
        requests.append(AnnSearchRequest([np.asarray(vector, dtype=np.float32).tolist()], "embedding", {"metric_type": "IP", "params": params}, limit=limit, expr=dense))
        found = handle.hybrid_search(
            requests, RRFRanker(rrf_k), limit=min(limit * len(requests), TOPK_LIMIT), output_fields=["id"], consistency_level="Bounded"
        )
        return [(str(hit.id), float(hit.distance)) for hit in found[0]]


def _index_vectors(handle, side: TextSide) -> str:  # type: ignore[no-untyped-def]
    """Index the text vectors as MilvusIndex does (FLAT up to the HNSW threshold, HNSW above); returns the kind.
    Milvus Lite builds FLAT and IVF_FLAT only: a big collection there is refused rather than silently made exact."""
    kind = side.kind
    params = {"M": 16, "efConstruction": 64} if kind == "hnsw" else {}
    try:
        handle.create_index("embedding", {"index_type": "HNSW" if kind == "hnsw" else "FLAT", "metric_type": "IP", "params": params})
    except Exception as error:  # pymilvus's MilvusException; the message says why
        raise IndexMismatch(f"this Milvus cannot index {len(side.ids)} text vectors for engine_fusion ({error}); use a Milvus server or turn engine_fusion off") from error
    return kind


def _vector_kind(handle) -> str:  # type: ignore[no-untyped-def]
    """The kind of the text-vector index a collection was built with."""
    built = {index.field_name: index.params.get("index_type") for index in handle.indexes}
    return "hnsw" if built.get("embedding") == "HNSW" else "exact"
