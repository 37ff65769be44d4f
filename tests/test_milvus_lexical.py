"""BM25 in Milvus (milvus-lite 2.5.1: the real C++ core with the BM25 function, or DAOGOU_MILVUS_BM25_URI) against
the embedded tantivy index over the same products: the same hits in the same order (ties by id) with the same scores, filters
included, for English and Chinese queries; and a shop whose lexical_url is Milvus keeps no BM25 folder, answers as
the embedded shop does, and drops its collections when a generation is pruned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from daogou.config import update_settings_file
from daogou.index.lexical import LexicalIndex
from daogou.index.milvus_lexical import MilvusLexicalIndex
from daogou.shop import Shop

QUERIES = ["red dress", "black shoes for men", "白色 T恤", "watch", "blue jeans", "sports shoes", "handbag for women", "Nike", "casual shirts",
           "运动鞋", "手表", "zzzz-not-a-word"]
FILTERS = [None, {"gender": ["Women"]}, {"gender": ["Men", "Boys"], "masterCategory": ["Apparel"]}, {"brand": ["Nike"]}]


def _names(url: str) -> set[str]:
    from milvus_server import collections

    return collections(url)


def _answers_alike(milvus: MilvusLexicalIndex, tantivy: LexicalIndex) -> None:
    """The same hits in the same order (ties by id) with the same scores, for every query and filter."""
    compared = 0
    for query in QUERIES:
        for filters in FILTERS:
            ours, terms = milvus.search(query, 20, filters)
            theirs, their_terms = tantivy.search(query, 20, filters)
            assert terms == their_terms
            assert len(ours) == len(theirs), (query, filters)
            for a, b in zip(ours, theirs):
                assert a.score == pytest.approx(b.score, rel=1e-5), (query, filters, a, b)
            # the same hits in the same order (ties by id), except where a run of equal scores is cut at k
            above_cut = [h.id for h in ours if h.score > ours[-1].score + 1e-3]
            assert above_cut == [h.id for h in theirs][: len(above_cut)], (query, filters)
            compared += bool(ours)
    assert compared >= 20


def test_milvus_bm25_answers_as_tantivy_does(myntra_shop: Shop, milvus_bm25: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    products = list(myntra_shop.store.iter_products())
    # digests are read back in pages: with the catalog an exact multiple of the page, Milvus Lite fails on the query
    # for a page after the last (it matches no row), so the pages must stop at the collection's count
    monkeypatch.setattr("daogou.index.milvus.QUERY_PAGE", len(products) // 3)
    assert len(products) % 3 == 0
    tantivy = LexicalIndex(myntra_shop.index_dir / "lexical")
    seen: dict[str, list[str]] = {}
    milvus = MilvusLexicalIndex.build(milvus_bm25, "daogou_vec_lexical_test", products, lambda pid, words: seen.__setitem__(pid, words))
    assert milvus.count == len(products) == len(seen)
    milvus.save(tmp_path)
    milvus = MilvusLexicalIndex.load(tmp_path, milvus_bm25)
    _answers_alike(milvus, tantivy)
    assert milvus.search("", 10) == ([], []) and milvus.search("dress", 0)[0] == []
    # in place: one product renamed, one gone → one upsert, one delete; a whole new catalog is left to a fresh build
    renamed = products[0].model_copy(update={"title": "Zanzibarite kurta"})
    updated = MilvusLexicalIndex.update(milvus_bm25, "daogou_vec_lexical_test", [renamed, *products[2:]])
    assert updated is not None and (updated.upserted, updated.deleted, updated.count) == (1, 1, len(products) - 1)
    assert [h.id for h in updated.search("zanzibarite", 5)[0]] == [renamed.id]
    assert not any(h.id == products[1].id for h in updated.search(products[1].title, 50)[0])
    retitled = [p.model_copy(update={"title": f"{p.title} {i}"}) for i, p in enumerate(products)]
    assert MilvusLexicalIndex.update(milvus_bm25, "daogou_vec_lexical_test", retitled) is None
    assert MilvusLexicalIndex.update(milvus_bm25, "daogou_vec_no_such_collection", products) is None
    MilvusLexicalIndex.drop_generation(milvus_bm25, tmp_path)
    assert "daogou_vec_lexical_test" not in _names(milvus_bm25)


def test_a_shop_with_bm25_in_milvus_keeps_no_lexical_folder_and_updates_it_in_place(myntra_shop: Shop, milvus_bm25: str, tmp_path: Path) -> None:
    """No BM25 folder on disk; a re-index after a few changes carries the live collection forward (the changed
    product's row upserted, the deleted one's removed), and it then answers as a fresh tantivy index would."""
    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    update_settings_file(shop_dir, lexical_url=milvus_bm25, tryon_rigs=False)
    before = _names(milvus_bm25)  # other tests' shops on the same server (the replicas test keeps its live ones)
    with Shop.open(shop_dir) as shop:
        assert shop.index(show_progress=False).indexed["spaces_carried"] == 0  # the copied generation's BM25 is tantivy
        first = shop.index_dir
        assert not (first / "lexical").exists() and (first / "lexical.json").exists()
        assert type(shop.searcher.lexical).__name__ == "MilvusLexicalIndex"
        for q in ["red dress", "black shoes for men", "白色T恤", "watch"]:
            assert [h.id for h in shop.search(q, k=10).hits] == [h.id for h in myntra_shop.search(q, k=10).hits], q
        made = {n for n in _names(milvus_bm25) - before if n.endswith("_lexical")}
        assert len(made) == 1
        products = list(shop.store.iter_products())
        changed, gone = products[0], products[1]
        shop.store.upsert_products([changed.model_copy(update={"title": f"{changed.title} Zanzibarite"})])
        report = shop.index(show_progress=False)
        assert report.indexed["spaces_carried"] == 1 and report.indexed["lexical"] == len(products)  # the vectors are FAISS files
        assert shop.delete_products([gone.id])[0] == 1  # re-indexes at once: the row is deleted in place
        lexical = shop.searcher.lexical
        assert type(lexical).__name__ == "MilvusLexicalIndex" and lexical.count == len(products) - 1
        assert shop.search("zanzibarite", k=3, retrievers={"bm25"}).hits[0].id == changed.id
        assert gone.id not in {h.id for h in shop.search(gone.title, k=50, retrievers={"bm25"}).hits}
        LexicalIndex.build(tmp_path / "tantivy", shop.store.iter_products())
        _answers_alike(lexical, LexicalIndex(tmp_path / "tantivy"))
        shop.index(show_progress=False)  # nothing changed; the first generation is pruned, its carried collection kept
        assert not first.exists()
        assert {n for n in _names(milvus_bm25) - before if n.endswith("_lexical")} == made
    from daogou.config import load_settings
    from daogou.index import backends

    settings = load_settings(shop_dir)
    for folder in sorted((shop_dir / "index").glob("gen-*")):
        backends.prune(settings, folder)
    assert not (_names(milvus_bm25) & made)  # with no generation kept, the carried collection goes too


def test_migrate_moves_bm25_to_milvus_and_back(myntra_shop: Shop, milvus_bm25: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from daogou.cli import app
    from daogou.config import load_settings

    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    update_settings_file(shop_dir, tryon_rigs=False)
    before = _names(milvus_bm25)
    runner = CliRunner()
    moved = runner.invoke(app, ["migrate", str(shop_dir), "--lexical", milvus_bm25])
    assert moved.exit_code == 0, moved.output
    assert "20/20 searches identical" in " ".join(moved.output.split()) and load_settings(shop_dir).lexical_url == milvus_bm25
    back = runner.invoke(app, ["migrate", str(shop_dir), "--lexical", "embedded"])
    assert back.exit_code == 0, back.output
    assert load_settings(shop_dir).lexical_url == "" and _names(milvus_bm25) == before  # nothing left behind in Milvus
    with Shop.open(shop_dir) as shop:
        assert type(shop.searcher.lexical).__name__ == "LexicalIndex"
