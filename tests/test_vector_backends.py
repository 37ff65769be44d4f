"""The contract every external vector backend keeps, run unchanged on pgvector and on Milvus (real servers, see
tests/pg_server.py and tests/milvus_server.py): the embedded FAISS rules, so a shop switching by `vector_url` gets
the same answers. Exact below the HNSW threshold (FAISS's flat answer, order included); an approximate index above
it with recall ≥ 0.9; selective filters answered exactly inside the engine; broad filters asking for more until k
allowed rows are kept; a manifest that refuses another model; pruning that leaves nothing behind; an empty space."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from daogou.catalog.schema import Product
from daogou.errors import IndexMismatch
from daogou.index.attributes import AttributeIndex
from daogou.index.vectors import FaissIndex
from daogou.models.protocols import normalise


@dataclass
class Engine:
    index: type  # PgVectorIndex or MilvusIndex
    url: str
    prefix: str
    names: Callable[[str], set[str]]  # what daogou made there


@pytest.fixture(params=["pgvector", pytest.param("milvus", marks=pytest.mark.slow)])
def engine(request: pytest.FixtureRequest) -> Engine:
    if request.param == "pgvector":
        from pg_server import vector_tables

        from daogou.index.pgvector import PREFIX, PgVectorIndex

        return Engine(PgVectorIndex, request.getfixturevalue("vector_db"), PREFIX, vector_tables)
    from milvus_server import collections

    from daogou.index.milvus import PREFIX, MilvusIndex

    return Engine(MilvusIndex, request.getfixturevalue("milvus"), PREFIX, collections)


def _clustered(n: int, dim: int = 32, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    base = normalise(rng.normal(size=(40, dim)))
    return [f"i{i}" for i in range(n)], normalise(base[rng.integers(0, 40, n)] + 0.35 * rng.normal(size=(n, dim)) / np.sqrt(dim))


def test_search_follows_the_embedded_rules(engine: Engine, tmp_path: Path) -> None:
    ids, vectors = _clustered(3000)
    small = engine.index.build(engine.url, engine.prefix + "small", ids[:500], vectors[:500], "m", hnsw_threshold=1000)
    flat = FaissIndex.build(ids[:500], vectors[:500], "m")
    assert small.kind == "exact"
    for q in vectors[:5]:  # exact below the threshold: FAISS's flat answer, in its order
        assert [h.id for h in small.search(q, 10)] == [h.id for h in flat.search(q, 10)]

    index = engine.index.build(engine.url, engine.prefix + "big", ids, vectors, "m", hnsw_threshold=1000)
    assert index.kind == "hnsw" and len(index) == 3000
    index.save(tmp_path, "text")
    index = engine.index.load(tmp_path, "text", engine.url, "m", 32)
    with pytest.raises(IndexMismatch):
        engine.index.load(tmp_path, "text", engine.url, "other-model", 32)
    assert np.allclose(index.vector_of("i7"), vectors[7], atol=1e-6) and index.vector_of('no"pe') is None
    products = [Product(id=pid, title=pid, attributes={"rare": "yes" if i % 100 == 0 else "no", "half": "a" if i % 2 else "b"}) for i, pid in enumerate(ids)]
    attributes = AttributeIndex(products)
    rng = np.random.default_rng(5)
    for filters, bar in ((None, 0.9), ({"rare": ["yes"]}, 1.0), ({"half": ["a"]}, 0.9)):
        selection = attributes.matching(filters) if filters else None
        rows = np.arange(3000) if selection is None else np.array(sorted(attributes.ids[i] for i in selection))
        recalls = []
        for _ in range(15):
            q = vectors[rng.integers(0, 3000)]
            got = [h.id for h in index.search(q, 10, selection)]
            assert len(got) == 10 and (selection is None or set(got) <= set(selection))
            exact = {ids[int(r)] for r in rows[np.argsort(-(vectors[rows] @ q))[:10]]}
            recalls.append(len(set(got) & exact) / 10)
        assert np.mean(recalls) >= bar, (filters, np.mean(recalls))
    engine.index.drop_generation(engine.url, tmp_path)
    assert engine.prefix + "big" not in engine.names(engine.url)
    empty = engine.index.build(engine.url, engine.prefix + "small", [], np.zeros((0, 32), dtype=np.float32), "m")  # an empty space builds too
    assert empty.search(vectors[0], 10) == []
    empty.save(tmp_path / "small", "text")
    engine.index.drop_generation(engine.url, tmp_path / "small")
    assert not engine.names(engine.url)
