from pathlib import Path

import numpy as np
import pytest

from daogou.errors import IndexMismatch, IndexMissing
from daogou.index.vectors import FaissIndex
from daogou.models.protocols import normalise


def _data(n: int, dim: int = 32, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    return [f"i{i}" for i in range(n)], normalise(rng.normal(size=(n, dim)))


def _exact(vectors: np.ndarray, q: np.ndarray, k: int, rows: np.ndarray | None = None) -> set[int]:
    rows = np.arange(len(vectors)) if rows is None else rows
    scores = vectors[rows] @ q
    return {int(rows[i]) for i in np.argsort(-scores)[:k]}


def test_flat_is_exact_and_filters_exactly() -> None:
    ids, vectors = _data(500)
    index = FaissIndex.build(ids, vectors, "m")
    assert index.kind == "flat"
    hits = index.search(vectors[7], 5)
    assert hits[0].id == "i7" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    allowed = {f"i{i}" for i in range(0, 500, 3)}
    got = {h.id for h in index.search(vectors[1], 10, allowed)}
    expected = {f"i{i}" for i in _exact(vectors, vectors[1], 10, np.arange(0, 500, 3))}
    assert got == expected


def test_hnsw_above_threshold_keeps_recall_with_selective_and_broad_filters() -> None:
    ids, vectors = _data(3000, dim=24)
    index = FaissIndex.build(ids, vectors, "m", hnsw_threshold=1000)
    assert index.kind == "hnsw"
    rng = np.random.default_rng(1)
    for fraction in (0.01, 0.3):
        rows = np.sort(rng.choice(3000, int(3000 * fraction), replace=False))
        allowed = {ids[r] for r in rows}
        recalls = []
        for qi in range(20):
            q = normalise(rng.normal(size=24))[0]
            got = {h.id for h in index.search(q, 10, allowed)}
            assert got <= allowed
            recalls.append(len(got & {ids[i] for i in _exact(vectors, q, 10, rows)}) / 10)
        assert np.mean(recalls) >= (1.0 if fraction <= 0.05 else 0.9)


def test_save_load_and_refuse_other_models(tmp_path: Path) -> None:
    ids, vectors = _data(50)
    FaissIndex.build(ids, vectors, "model-a").save(tmp_path, "text")
    loaded = FaissIndex.load(tmp_path, "text", "model-a", 32)
    assert loaded.search(vectors[3], 1)[0].id == "i3"
    with pytest.raises(IndexMismatch, match="model-a"):
        FaissIndex.load(tmp_path, "text", "model-b", 32)
    with pytest.raises(IndexMismatch):
        FaissIndex.load(tmp_path, "text", "model-a", 64)
    with pytest.raises(IndexMissing):
        FaissIndex.load(tmp_path, "image", "model-a")
    with pytest.raises(IndexMismatch, match="dimensions"):
        loaded.search(np.ones(8, np.float32), 3)


def test_empty_filter_and_k_zero() -> None:
    ids, vectors = _data(10)
    index = FaissIndex.build(ids, vectors, "m")
    assert index.search(vectors[0], 3, allowed=set()) == []
    assert index.search(vectors[0], 0) == []
    assert index.search(vectors[0], 3, allowed={"not-there"}) == []
