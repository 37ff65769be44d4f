"""Fusion in Milvus (setting `engine_fusion`): the BM25 collection also holds the text vectors, and a text query's
BM25 and text-vector lists are fused by Milvus's hybrid_search with RRF. The same generation answers the same
hits, in the same order with the same fused scores, as when the server process makes the two searches and fuses
them itself, for text, Chinese, filters, a predicted-only value, prices and text + photo queries; an exclusion on
Milvus Lite (no `not`) falls back to the two searches; an in-place re-index keeps the engine's filter fields in step.

Runs on milvus-lite 2.5.1 (or DAOGOU_MILVUS_BM25_URI); skipped cleanly where it is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from milvus_server import drop_generations, reindexed_copy

from daogou.config import update_settings_file
from daogou.errors import IndexMismatch
from daogou.evaluate.assistant_eval import build_fixture_shop
from daogou.shop import Shop

FIXTURES = Path(__file__).parent / "fixtures" / "assistant_shop"
POLICIES = Path(__file__).parent.parent / "daogou" / "policies"
QUERIES = ["red dress", "black shoes for men", "白色T恤", "watch", "casual shirts for women", "手表", "pink top", "the", "zzzz-not-a-word"]


def _fused_copy(source: Path, folder: Path, url: str) -> Shop:
    """A copy of a shop re-indexed with BM25 and the text vectors in one Milvus collection (engine_fusion), opened."""
    return Shop.open(reindexed_copy(source, folder, lexical_url=url, engine_fusion=True))


#: A value the catalog does not have, "predicted" for a few products when the fused generation is built: only the
#: vector request can find them (BM25 filters on catalog values), through the predicted terms the collection holds.
PREDICTED = ("pattern", "Striped")


@pytest.fixture(scope="module")
def fused_myntra(myntra_shop: Shop, milvus_bm25: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    from daogou.index.builder import GenerationBuilder

    folder = tmp_path_factory.mktemp("fusion") / "myntra"
    chosen = sorted(p.id for p in myntra_shop.store.iter_products())[::60]
    original = GenerationBuilder._classifier_predictions

    def predictions(self: GenerationBuilder, *args: object, **kwargs: object) -> dict[str, dict[str, list[object]]]:
        return {**original(self, *args, **kwargs), PREDICTED[0]: {pid: [PREDICTED[1], 0.9] for pid in chosen}}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(GenerationBuilder, "_classifier_predictions", predictions)
        shop = _fused_copy(myntra_shop.path, folder, milvus_bm25)
    with shop:
        assert set(shop.searcher.predicted[PREDICTED[0]]) == set(chosen)
        yield shop
    drop_generations(folder)


def _client_side(shop: Shop, monkeypatch: pytest.MonkeyPatch, engine_ties: bool = True) -> None:
    """The same generation and engine, with the server process making the two searches and fusing them. Equal BM25
    scores keep Milvus's order here (daogou otherwise orders them by id, as tantivy's), since inside hybrid_search
    Milvus ranks them its own way: that order is the one difference the setting makes (measured in the benchmarks)."""
    monkeypatch.setattr(shop.searcher.lexical, "vectors", None)
    if engine_ties:
        monkeypatch.setattr("daogou.index.milvus_lexical.in_order", lambda hits: hits)
    shop.searcher.results_cache.clear()


def _answers(shop: Shop, requests: list[dict]) -> list[list[tuple[str, float]]]:  # type: ignore[type-arg]
    shop.searcher.results_cache.clear()
    return [[(h.id, round(h.score, 6)) for h in shop.searcher.search(k=20, **request).hits] for request in requests]


def _counting(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, per text request, whether the engine fused it (hybrid answered) or the caller must."""
    calls: list[bool] = []
    lexical = shop.searcher.lexical
    original = lexical.hybrid

    def hybrid(*args: object, **kwargs: object) -> object:
        found = original(*args, **kwargs)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(lexical, "hybrid", hybrid)
    return calls


def _price(shop: Shop, pid: str) -> float | None:
    return shop.store.get_many([pid])[pid].price


def test_the_engine_fuses_as_the_server_process_does(fused_myntra: Shop, myntra_shop: Shop, myntra_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = fused_myntra
    lexical = shop.searcher.lexical
    assert type(lexical).__name__ == "MilvusLexicalIndex" and lexical.vectors == "exact" and lexical.dim == 384
    assert (shop.index_dir / "lexical_text.json").exists()
    requests = [{"text": q} for q in QUERIES] + [
        {"text": "shoes", "filters": {"gender": ["Men"]}},
        {"text": "shirt", "filters": {"gender": ["Men", "Boys"], "category": ["Apparel"]}},
        {"text": "bag", "filters": {"brand": ["Nike"]}},
        {"text": "purple watch for boys"},  # nothing matches all of it: slots are relaxed one by one
        {"text": "top like this", "image": myntra_dir / "images" / "15970.jpg"},  # text + photo: the fused list weighs 0.5
        {"text": "shirt", "filters": {PREDICTED[0]: [PREDICTED[1]]}},  # a predicted-only value: the vector request finds it
    ]
    calls = _counting(shop, monkeypatch)
    fused = _answers(shop, requests)
    assert calls and all(calls)  # every text request was fused by Milvus
    assert sum(map(bool, fused)) >= len(requests) - 2
    predicted_hits = {pid for pid, _ in fused[-1]}
    assert predicted_hits and predicted_hits <= set(shop.searcher.predicted[PREDICTED[0]])
    debug = shop.search("red dress", k=3).hits[0].debug()
    assert "fused in Milvus" in debug and "keyword rank" not in debug
    _client_side(shop, monkeypatch)
    theirs = _answers(shop, requests)
    for request, a, b in zip(requests, fused, theirs):
        assert [i for i, _ in a] == [i for i, _ in b], request
        assert [s for _, s in a] == pytest.approx([s for _, s in b], abs=1e-6), request
    # against the embedded shop (tantivy + FAISS files, ties by id) the top hit of each query is the same
    embedded = _answers(myntra_shop, requests[: len(QUERIES)])
    assert [a[:1] for a in fused[: len(QUERIES)]] == [b[:1] for b in embedded]


def test_an_exclusion_on_a_server_without_not_falls_back_to_two_searches(fused_myntra: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = fused_myntra
    calls = _counting(shop, monkeypatch)
    request = {"text": "sports shoes", "exclude": {"brand": ["Nike"]}}
    ours = _answers(shop, [request])
    assert calls and not any(calls)  # Milvus Lite 2.5.1 has no `not`: the caller made the two searches
    _client_side(shop, monkeypatch, engine_ties=False)
    assert ours == _answers(shop, [request]) and ours[0]
    assert not any(shop.store.get_many([i])[i].brand == "Nike" for i, _ in ours[0])


def test_prices_and_an_in_place_update_filter_in_the_engine(milvus_bm25: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The assistant's shop has prices: a price bound goes into both requests; a changed price, re-indexed in place,
    moves the product in or out of the bound."""
    source = build_fixture_shop(tmp_path / "guide", FIXTURES, POLICIES)
    source.close()
    with _fused_copy(source.path, tmp_path / "fused", milvus_bm25) as shop:
        calls = _counting(shop, monkeypatch)
        products = [p for p in shop.store.iter_products() if p.price is not None]
        cheap = sorted(p.price for p in products)[len(products) // 2]
        requests = [{"text": "shirt", "price_range": (None, cheap)}, {"text": "dress", "price_range": (cheap, None)}, {"text": "shoes"}]
        fused = _answers(shop, requests)
        assert all(calls) and any(fused)
        for (low, high), hits in ((r.get("price_range", (None, None)), f) for r, f in zip(requests, fused)):
            for pid, _ in hits:
                price = _price(shop, pid)
                assert (low is None or (price is not None and price >= low)) and (high is None or (price is not None and price <= high))
        _client_side(shop, monkeypatch)
        assert fused == _answers(shop, requests)
        monkeypatch.undo()
        # a product above the bound becomes cheap: a re-index carries the collection and upserts its row
        dear = max(products, key=lambda p: p.price or 0)
        shop.store.upsert_products([dear.model_copy(update={"price": 1.0})])
        report = shop.index(show_progress=False)
        assert report.indexed["spaces_carried"] >= 1 and shop.searcher.lexical.vectors == "exact"
        words = dear.title.split()[0]
        found = shop.searcher.search(words, k=50, price_range=(None, 2.0)).hits
        assert [h.id for h in found] == [dear.id]
    drop_generations(tmp_path / "fused")


def test_engine_fusion_without_bm25_in_milvus_is_refused(myntra_shop: Shop, tmp_path: Path) -> None:
    shutil.copytree(myntra_shop.path, tmp_path / "shop")
    update_settings_file(tmp_path / "shop", engine_fusion=True, tryon_rigs=False)
    with Shop.open(tmp_path / "shop") as shop, pytest.raises(IndexMismatch, match="engine_fusion needs lexical_url"):
        shop.index(show_progress=False)
