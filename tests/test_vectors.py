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


def test_spaces_with_the_same_ids_share_one_id_list_and_position_map(tmp_path: Path) -> None:
    """Text and aligned text (photo and aligned photo) hold the same ids: loaded, they are held once per process."""
    ids, vectors = _data(60)
    FaissIndex.build(ids, vectors, "a").save(tmp_path, "text")
    FaissIndex.build(ids, vectors[:, ::-1].copy(), "b").save(tmp_path, "aligned_text")
    FaissIndex.build(ids[1:], vectors[1:], "a").save(tmp_path, "image")
    text, aligned, image = (FaissIndex.load(tmp_path, name, model) for name, model in (("text", "a"), ("aligned_text", "b"), ("image", "a")))
    assert text.ids is aligned.ids and text.position is aligned.position and text.ids == ids
    assert image.ids is not text.ids and image.position["i1"] == 0 and "i0" not in image.position
    assert aligned.search(vectors[5, ::-1].copy(), 1)[0].id == "i5" and image.vector_of("i0") is None


def test_empty_filter_and_k_zero() -> None:
    ids, vectors = _data(10)
    index = FaissIndex.build(ids, vectors, "m")
    assert index.search(vectors[0], 3, allowed=set()) == []
    assert index.search(vectors[0], 0) == []
    assert index.search(vectors[0], 3, allowed={"not-there"}) == []


def _clustered(n: int, dim: int = 32, centres: int = 50, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Catalog-like vectors: jittered copies of a few base products (IVF's lists follow them)."""
    rng = np.random.default_rng(seed)
    base = normalise(rng.normal(size=(centres, dim)))
    return [f"i{i}" for i in range(n)], normalise(base[rng.integers(0, centres, n)] + 0.35 * rng.normal(size=(n, dim)) / np.sqrt(dim))


def _products(ids: list[str], seed: int = 0) -> list:  # type: ignore[type-arg]
    from daogou.catalog.schema import Product

    rng = np.random.default_rng(seed)
    colours = ["Red", "Blue", "Black"]
    return [
        Product(
            id=pid,
            title=pid,
            price=None if i % 7 == 0 else float(rng.integers(100, 3000)),
            attributes={"colour": colours[i % 3], "gender": "Men" if i % 2 else "Women", **({"type": "Rare"} if i % 100 == 0 else {})},
        )
        for i, pid in enumerate(ids)
    ]


def test_ivf_above_its_threshold_keeps_recall_and_survives_a_reload(tmp_path: Path) -> None:
    from daogou.index.attributes import AttributeIndex

    ids, vectors = _clustered(6000)
    index = FaissIndex.build(ids, vectors, "m", hnsw_threshold=1000, ivf_threshold=5000, threads=2)
    assert index.kind == "ivf"
    index.save(tmp_path, "image")
    index = FaissIndex.load(tmp_path, "image", "m", 32)
    attributes = AttributeIndex(_products(ids))
    rng = np.random.default_rng(3)
    for filters in (None, {"type": ["rare"]}, {"colour": ["Red"]}, {"gender": ["men"]}):
        selection = attributes.matching(filters) if filters else None
        rows = np.array(sorted(attributes.ids[i] for i in selection)) if selection is not None else None
        recalls = []
        for _ in range(20):
            q = vectors[rng.integers(0, 6000)]
            got = [h.id for h in index.search(q, 10, selection)]
            if selection is not None:
                assert set(got) <= set(selection)
                assert got == [h.id for h in index.search(q, 10, set(selection))]  # a Selection and a set of ids agree
            recalls.append(len(set(got) & {ids[i] for i in _exact(vectors, q, 10, rows)}) / 10)
        assert np.mean(recalls) >= 0.9, (filters, np.mean(recalls))


def test_attribute_filters_facets_and_price_bands_match_a_plain_count() -> None:
    from daogou.index.attributes import AttributeIndex

    ids = [f"p{i}" for i in range(700)]
    products = _products(ids)
    attributes = AttributeIndex(products)
    red_men = attributes.matching({"Colour": ["red", "BLUE"], "gender": ["Men"]}, exclude={"colour": ["blue"]}, price_min=500, price_max=2000)
    expected = {
        p.id for p in products if p.attributes["colour"] == "Red" and p.attributes["gender"] == "Men" and p.price is not None and 500 <= p.price <= 2000
    }
    assert set(red_men) == expected and len(red_men) == len(expected) and "p1" not in attributes.matching({"colour": ["nothing"]})
    assert attributes.catalog_values("type") == {"Rare": 7}
    assert attributes.facets(ids[:30], ["colour", "type", "missing"]) == {"colour": {"Red": 10, "Blue": 10, "Black": 10}, "type": {"Rare": 1}}
    bands = attributes.price_bands(ids[:100])
    assert sum(b["count"] for b in bands) == sum(1 for p in products[:100] if p.price is not None)
    assert attributes.add_value("p1", "material", "Cotton") and not attributes.add_value("p1", "colour", "Green")
    assert attributes.value_of("p1", "Material") == "Cotton" and attributes.value_of("p1", "colour") == "Blue"
    with pytest.raises(Exception, match="unknown filter"):
        attributes.matching({"size": ["M"]})


def test_exact_subset_scores_rows_in_place_as_a_gather_would(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """_inner_products reads the rows where they lie (a memory-mapped file included) and must give the gathered product."""
    import numpy as np
    import pytest

    from daogou.index.vectors import _inner_products

    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(500, 24)).astype(np.float32)
    np.save(tmp_path / "m.npy", matrix)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    q = rng.normal(size=24).astype(np.float32)
    rows = np.sort(rng.choice(500, 77, replace=False))
    for m in (matrix, mapped, matrix.astype(np.float64)):  # the last one takes the gathering fallback
        assert np.allclose(_inner_products(m, q, rows), matrix[rows] @ q, atol=1e-5)
    assert _inner_products(matrix, q, np.array([], dtype=np.int64)).shape == (0,)
    with pytest.raises(IndexError):
        _inner_products(matrix, q, np.array([3, 500]))
