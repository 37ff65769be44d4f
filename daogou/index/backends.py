"""Which engine holds a shop's indexes: for vectors FAISS files in the generation folder (embedded default), pgvector
tables in PostgreSQL or Milvus collections (`vector_url` setting: postgresql+psycopg://… or milvus://host:19530); for
BM25 a tantivy folder or a Milvus ≥ 2.5 collection (`lexical_url`). The builder and the searcher ask here, so neither
names an engine.

Why the generation folder still decides on load: each space's manifest says which backend built it, so a
searcher opens exactly what the live generation holds, even while the setting is being changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from daogou.catalog.schema import Product
from daogou.config import Settings
from daogou.errors import IndexMismatch, IndexMissing
from daogou.index import external
from daogou.index.lexical import LexicalIndex
from daogou.index.attributes import AttributeIndex
from daogou.index.milvus import BACKEND as MILVUS
from daogou.index.milvus import ENGINE as MILVUS_ENGINE
from daogou.index.milvus import MilvusIndex, collection_name, is_milvus
from daogou.index.milvus_lexical import ENGINE as MILVUS_LEXICAL_ENGINE
from daogou.index.milvus_lexical import MilvusLexicalIndex
from daogou.index.milvus_lexical import NAME as LEXICAL
from daogou.index.milvus_lexical import TextSide
from daogou.index.pgvector import BACKEND as PGVECTOR
from daogou.index.pgvector import ENGINE as PGVECTOR_ENGINE
from daogou.index.pgvector import PgVectorIndex, table_name
from daogou.index.vectors import FaissIndex, VectorIndex


def build(
    settings: Settings, folder: Path, name: str, ids: list[str], vectors: np.ndarray, model: str, attributes: AttributeIndex | None = None,
    previous: Path | None = None,
) -> str:
    """Index one space of a new generation in the configured engine and write its manifest into `folder`; returns
    how: "built", or "carried" (the live generation's Milvus collection or pgvector table, updated in place).

    `attributes` (the generation's values, predictions included) go into engines that filter by themselves (Milvus).
    `previous` is the live generation: an engine-held space of the same model there is carried forward when few rows
    changed, so a small catalog change costs an upsert, not a re-insert and re-index of every vector."""
    url, threshold = settings.vector_url, settings.hnsw_threshold
    if is_milvus(url):
        space = _previous_space(MILVUS_ENGINE, previous, name, model, vectors)
        index = (MilvusIndex.update(url, space.location, ids, vectors, model, attributes, hnsw_threshold=threshold)
                 if space is not None and space.filters and attributes is not None else None)
        how = "built" if index is None else "carried"
        if index is None:
            index = MilvusIndex.build(url, collection_name(folder.name, name), ids, vectors, model, hnsw_threshold=threshold, attributes=attributes)
        index.save(folder, name)
        return how
    if url:
        space = _previous_space(PGVECTOR_ENGINE, previous, name, model, vectors)
        table = PgVectorIndex.update(url, space.location, ids, vectors, model, hnsw_threshold=threshold) if space is not None else None
        how = "built" if table is None else "carried"
        if table is None:
            table = PgVectorIndex.build(url, table_name(folder.name, name), ids, vectors, model, hnsw_threshold=threshold)
        table.save(folder, name)
        return how
    FaissIndex.build(
        ids, vectors, model, hnsw_threshold=settings.hnsw_threshold, ivf_threshold=settings.ivf_threshold, threads=settings.workers
    ).save(folder, name)
    return "built"


def _previous_space(engine: external.Engine, previous: Path | None, name: str, model: str, vectors: np.ndarray | None = None) -> external.Space | None:
    """The live generation's manifest for `name` if `engine` holds it for the same model (and the dimension of
    `vectors`): a space that can be carried forward; None otherwise."""
    if previous is None or vectors is not None and not len(vectors):
        return None
    try:
        return external.read(engine, previous, name, model, None if vectors is None else int(vectors.shape[1]))
    except (IndexMismatch, IndexMissing):  # another engine, model, dimension or format: a new collection or table
        return None


def load(settings: Settings, folder: Path, name: str, model: str, dim: int | None = None) -> VectorIndex:
    """Open one space of a generation with the backend that built it."""
    path = folder / f"{name}.json"
    backend = json.loads(path.read_text(encoding="utf-8")).get("backend") if path.exists() else None
    if backend == MILVUS:
        if not is_milvus(settings.vector_url):
            raise IndexMismatch(f"the {name} vectors of this index are in Milvus; set vector_url to its milvus:// address, or re-run `daogou index`")
        return MilvusIndex.load(folder, name, settings.vector_url, model, dim, settings.exact_filter_fraction)
    if backend == PGVECTOR:
        if not settings.vector_url or is_milvus(settings.vector_url):
            raise IndexMismatch(f"the {name} vectors of this index are in PostgreSQL (pgvector); set vector_url, or re-run `daogou index`")
        return PgVectorIndex.load(folder, name, settings.vector_url, model, dim, settings.exact_filter_fraction)
    return FaissIndex.load(folder, name, model, dim, settings.exact_filter_fraction)


def exists(folder: Path, name: str) -> bool:
    return (folder / f"{name}.json").exists()


def build_lexical(
    settings: Settings, folder: Path, products: Callable[[], Iterable[Product]], segmented: Callable[[str, list[str]], None], previous: Path | None = None,
    side: TextSide | None = None,
) -> tuple[int, str]:
    """The BM25 index of a new generation, in the configured engine; returns the products indexed and how: "built",
    or "carried" (the live generation's Milvus collection, updated in place when few products changed).

    `products` streams the catalog (called again when an update in place turns out not to pay); with
    `engine_fusion` the collection also holds `side` (the text vectors, terms and prices)."""
    url = settings.lexical_url
    if settings.engine_fusion and not is_milvus(url):
        raise IndexMismatch("engine_fusion needs lexical_url on a Milvus ≥ 2.5 (milvus://host:19530): the engine fuses BM25 with the text vectors")
    if url:
        if not is_milvus(url):
            raise IndexMismatch(f"lexical_url must be a Milvus ≥ 2.5 address (milvus://host:19530), got {url!r}")
        side = side if settings.engine_fusion else None
        space = _previous_space(MILVUS_LEXICAL_ENGINE, previous, LEXICAL, "bm25")
        index = MilvusLexicalIndex.update(url, space.location, products(), segmented, side=side) if space is not None else None
        how = "built" if index is None else "carried"
        if index is None:
            index = MilvusLexicalIndex.build(url, collection_name(folder.name, LEXICAL), products(), segmented, side)
        index.save(folder, settings.text_model)
        return index.count, how
    return LexicalIndex.build(folder / LEXICAL, products(), segmented), "built"


def load_lexical(settings: Settings, folder: Path) -> LexicalIndex | MilvusLexicalIndex:
    """Open a generation's BM25 index with the engine that built it."""
    if (folder / f"{LEXICAL}.json").exists():
        if not is_milvus(settings.lexical_url):
            raise IndexMismatch("the BM25 index of this generation is in Milvus; set lexical_url to its milvus:// address, or re-run `daogou index`")
        return MilvusLexicalIndex.load(folder, settings.lexical_url, settings.text_model)
    return LexicalIndex(folder / LEXICAL)


def prune(settings: Settings, folder: Path, kept: Sequence[Path] = ()) -> None:
    """Release what a generation holds outside its folder (pgvector tables, Milvus collections) before it is removed,
    except what the `kept` generations still use (a Milvus collection carried forward)."""
    release(settings.vector_url, folder, settings.lexical_url, kept)


def release(vector_url: str, folder: Path, lexical_url: str = "", kept: Sequence[Path] = ()) -> None:
    """Drop the tables or collections of `folder`'s generation in the engines at `vector_url` and `lexical_url` ("": files only)."""
    if is_milvus(vector_url):
        MilvusIndex.drop_generation(vector_url, folder, tuple(kept))
    elif vector_url:
        PgVectorIndex.drop_generation(vector_url, folder, tuple(kept))
    if is_milvus(lexical_url):
        MilvusLexicalIndex.drop_generation(lexical_url, folder, tuple(kept))
