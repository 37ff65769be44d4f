"""The Milvus backend against a real Milvus server (the `milvus` 2.3.5 wheel's standalone server, or
DAOGOU_MILVUS_URI): the same search rules as FAISS (exact FLAT below the HNSW threshold, the filter inside the
server's search for selective filters, asking for more for broad ones), a shop indexed into Milvus answering
like the embedded one, and `daogou migrate --search` there and back leaving no collection behind. The server
takes 10-30 s to start: slow. Skipped cleanly where the server wheel or pymilvus is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from daogou.config import update_settings_file
from daogou.errors import IndexMismatch
from daogou.index.attributes import AttributeIndex
from daogou.index.vectors import FaissIndex
from daogou.models.protocols import normalise
from daogou.shop import Shop

pytestmark = pytest.mark.slow


@pytest.fixture()
def milvus(milvus_url: str | None) -> str:
    if milvus_url is None:
        pytest.skip("no Milvus here: set DAOGOU_MILVUS_URI, or pip install --no-deps milvus==2.3.5 and -e '.[milvus]'")
    return milvus_url


def _collections(url: str) -> set[str]:
    from pymilvus import utility

    from daogou.index.milvus import PREFIX, _connected

    return {name for name in utility.list_collections(using=_connected(url)) if name.startswith(PREFIX)}


def _clustered(n: int, dim: int = 32, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    base = normalise(rng.normal(size=(40, dim)))
    return [f"i{i}" for i in range(n)], normalise(base[rng.integers(0, 40, n)] + 0.35 * rng.normal(size=(n, dim)) / np.sqrt(dim))


def test_milvus_search_follows_the_embedded_rules(milvus: str, tmp_path: Path) -> None:
    from daogou.catalog.schema import Product
    from daogou.index.milvus import PREFIX, MilvusIndex

    ids, vectors = _clustered(3000)
    small = MilvusIndex.build(milvus, PREFIX + "small", ids[:500], vectors[:500], "m", hnsw_threshold=1000)
    flat = FaissIndex.build(ids[:500], vectors[:500], "m")
    assert small.kind == "exact"
    for q in vectors[:5]:  # FLAT below the threshold: exactly FAISS's flat answer
        assert [h.id for h in small.search(q, 10)] == [h.id for h in flat.search(q, 10)]

    index = MilvusIndex.build(milvus, PREFIX + "big", ids, vectors, "m", hnsw_threshold=1000)
    assert index.kind == "hnsw" and len(index) == 3000
    index.save(tmp_path, "text")
    index = MilvusIndex.load(tmp_path, "text", milvus, "m", 32)
    with pytest.raises(IndexMismatch):
        MilvusIndex.load(tmp_path, "text", milvus, "other-model", 32)
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
    MilvusIndex.drop_generation(milvus, tmp_path)
    assert PREFIX + "big" not in _collections(milvus)
    empty = MilvusIndex.build(milvus, PREFIX + "small", [], np.zeros((0, 32), dtype=np.float32), "m")  # an empty space builds too
    assert empty.search(vectors[0], 10) == []
    empty.save(tmp_path / "small", "text")
    MilvusIndex.drop_generation(milvus, tmp_path / "small")
    assert not _collections(milvus)


def test_a_shop_indexed_into_milvus_answers_like_the_embedded_one_and_migrates_back(myntra_shop: Shop, milvus: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from daogou.cli import app
    from daogou.config import load_settings

    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    update_settings_file(shop_dir, tryon_rigs=False)
    runner = CliRunner()
    moved = runner.invoke(app, ["migrate", str(shop_dir), "--search", milvus])
    assert moved.exit_code == 0, moved.output
    assert "every top 3 the same" in " ".join(moved.output.split()) and load_settings(shop_dir).vector_url == milvus
    queries = ["red dress", "black shoes for men", "白色T恤", "watch", "blue jeans under 2000", "sports shoes", "handbag for women"]
    with Shop.open(shop_dir) as shop:
        assert type(shop.searcher.text_index).__name__ == "MilvusIndex" and not list(shop.index_dir.glob("*.faiss"))
        overlaps = []
        for q in queries:
            ours, embedded = [h.id for h in shop.search(q, k=10).hits], [h.id for h in myntra_shop.search(q, k=10).hits]
            assert ours[:3] == embedded[:3], q
            overlaps.append(len(set(ours) & set(embedded)) / 10)
        assert np.mean(overlaps) >= 0.95, overlaps
        some = next(shop.store.iter_products()).id
        assert [h.id for h in shop.similar(some, k=3)] == [h.id for h in myntra_shop.similar(some, k=3)]
        filtered = [h.id for h in shop.search("shoes", k=10, filters={"gender": ["Women"]}).hits]
        assert filtered and filtered[:3] == [h.id for h in myntra_shop.search("shoes", k=10, filters={"gender": ["Women"]}).hits][:3]
    back = runner.invoke(app, ["migrate", str(shop_dir), "--search", "embedded"])
    assert back.exit_code == 0, back.output
    assert load_settings(shop_dir).vector_url == "" and not _collections(milvus)  # nothing left behind in Milvus
