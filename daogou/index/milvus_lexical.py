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
Fusion with the vector retrievers stays client-side RRF (search/fusion.py), the same code as the embedded default:
Milvus's own `hybrid_search` would rank with its RRF constant over its own candidate lists, and the shop's answers
would change with the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from daogou.catalog.schema import Product
from daogou.index import external
from daogou.index.lexical import LexicalHit, filter_term, in_order
from daogou.index.digests import MAX_CHANGED, delta, text_digest
from daogou.index.milvus import (
    ATTRIBUTES, INSERT_ROWS, SAFE_NAME, TERM_BYTES, TOPK_LIMIT, check_count, clip, connected, drop_collections, existing, literal, stored_digests, stored_terms,
)
from daogou.index.tokenize import words

BACKEND = "milvus-bm25"
ENGINE = external.Engine(BACKEND, "collection", SAFE_NAME, "a Milvus BM25 index")
#: The generation's manifest file for the lexical index.
NAME = "lexical"
ANALYZER = {"tokenizer": "whitespace", "filter": ["lowercase", {"type": "stemmer", "language": "english"}]}
#: VARCHAR limits of Milvus: a product's words beyond BODY_BYTES are not indexed (a title and attributes never reach it).
BODY_BYTES = 65_535


def _body(segmented: list[str]) -> str:
    text = " ".join(segmented)
    if len(text.encode("utf-8")) <= BODY_BYTES:
        return text
    return text.encode("utf-8")[:BODY_BYTES].decode("utf-8", "ignore").rsplit(" ", 1)[0]


def _row(product: Product, segmented: Callable[[str, list[str]], None] | None) -> list:  # type: ignore[type-arg]
    """One product's row: id, body, terms, digest (`segmented` sees its words, as with the embedded index)."""
    body = words(product.passage())
    if segmented is not None:
        segmented(product.id, body)
    text, terms = _body(body), _terms(product)
    return [product.id, text, terms, text_digest(text, terms)]


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

    def __init__(self, url: str, collection: str, count: int) -> None:
        self.url = url
        self.collection = collection
        self.count = count
        self._handle = None
        #: rows an in-place `update` wrote and deleted (0 for a collection built whole)
        self.upserted = self.deleted = 0

    def _collection(self):  # type: ignore[no-untyped-def]
        if self._handle is None:
            from pymilvus import Collection  # noqa: PLC0415

            self._handle = Collection(self.collection, using=connected(self.url))
        return self._handle

    @classmethod
    def build(cls, url: str, collection: str, products: Iterable[Product], segmented: Callable[[str, list[str]], None] | None = None) -> MilvusLexicalIndex:
        """Create the collection, stream the products in, index and load it, and check every row is visible (Strong).

        `segmented(product_id, words)` sees each product's words, as with the embedded index."""
        from pymilvus import Collection, CollectionSchema, DataType, FieldSchema, Function, FunctionType, utility  # noqa: PLC0415

        if not SAFE_NAME.fullmatch(collection):
            raise ValueError(f"not a daogou collection name: {collection!r}")
        alias = connected(url)
        if utility.has_collection(collection, using=alias):
            utility.drop_collection(collection, using=alias)
        schema = CollectionSchema(
            [
                FieldSchema("id", DataType.VARCHAR, is_primary=True, max_length=512),
                FieldSchema("body", DataType.VARCHAR, max_length=BODY_BYTES, enable_analyzer=True, analyzer_params=ANALYZER),
                FieldSchema("attr", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=ATTRIBUTES, max_length=TERM_BYTES),
                FieldSchema("digest", DataType.INT64),  # of the row's body and terms: `update` finds changed rows by it
                FieldSchema("sparse", DataType.SPARSE_FLOAT_VECTOR),
            ],
            functions=[Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["body"], output_field_names=["sparse"])],
        )
        handle = Collection(collection, schema, using=alias, consistency_level="Bounded")
        count = 0
        batch: list[list] = []  # type: ignore[type-arg]
        for product in products:
            batch.append(_row(product, segmented))
            count += 1
            if len(batch) >= INSERT_ROWS:
                _insert(handle, batch)
                batch.clear()
        _insert(handle, batch)
        handle.flush()
        handle.create_index("sparse", {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "BM25"})
        handle.load()
        utility.wait_for_loading_complete(collection, using=alias)
        check_count(handle, collection, count)
        index = cls(url, collection, count)
        index._handle = handle
        return index

    @classmethod
    def update(
        cls, url: str, collection: str, products: Iterable[Product], segmented: Callable[[str, list[str]], None] | None = None,
        max_changed: float = MAX_CHANGED,
    ) -> MilvusLexicalIndex | None:
        """Bring an existing collection in step with the store in place: upsert the rows whose words or terms changed
        (by their digests), delete the rows of products no longer in the catalog, check the count (Strong).

        None when it cannot be done in place: a collection without digests, or more than `max_changed` of the rows
        differ (then `segmented` may have seen some products already, and sees them again in the fresh build)."""
        handle = existing(url, collection)
        stored = stored_digests(handle) if handle is not None and "digest" in {f.name for f in handle.schema.fields} else None
        if stored is None:
            return None
        changed: list[list] = []  # type: ignore[type-arg]
        # only the changed rows are held; past the share a fresh build takes, there is no point holding more
        room = max_changed * max(len(stored), 1)
        indexed = 0

        def current() -> Iterable[tuple[str, int]]:
            nonlocal indexed
            for product in products:
                row = _row(product, segmented)
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
        index = cls(url, collection, indexed)
        index._handle = handle
        index.upserted, index.deleted = len(writes), len(removed)
        return index

    def save(self, directory: Path) -> None:
        external.write(ENGINE, directory, NAME, external.Space(self.collection, "bm25", 0, self.count, "bm25"))

    @classmethod
    def load(cls, directory: Path, url: str) -> MilvusLexicalIndex:
        space = external.read(ENGINE, directory, NAME, "bm25")
        return cls(url, space.location, space.count)

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
        expr = " and ".join(f"array_contains_any(attr, {literal([clip(filter_term(name, v)) for v in values])})" for name, values in (filters or {}).items())
        found = self._collection().search(
            [" ".join(dict.fromkeys(terms))], "sparse", {"metric_type": "BM25"}, limit=min(k, TOPK_LIMIT), expr=expr or None, output_fields=["id"]
        )
        return in_order([LexicalHit(str(hit.id), float(hit.distance)) for hit in found[0]]), terms
