"""Search on a 300-product slice of the real Myntra catalog, indexed with the real offline models."""

import json
from pathlib import Path

import pytest

from daogou.lru import LRU
from PIL import Image

from daogou.errors import BadQuery
from daogou.shop import Shop


def _count(shop: Shop, **attributes: str) -> int:
    return sum(all(p.attributes.get(k) == v for k, v in attributes.items()) for p in shop.store.iter_products())


def test_chinese_query_over_english_catalog_returns_shoes(myntra_shop: Shop) -> None:
    result = myntra_shop.search("黑色男士运动鞋", k=10)
    wanted = _count(myntra_shop, colour="Black", gender="Men", type="Sports Shoes")
    assert wanted >= 3 and len(result.hits) == 10
    exact, close = result.hits[:wanted], result.hits[wanted:]
    assert all((h.attributes["colour"], h.attributes["gender"], h.attributes["type"]) == ("Black", "Men", "Sports Shoes") for h in exact)
    assert not any(h.close_match for h in exact)
    # then close matches: first the colour is let go, keeping men's sports shoes
    assert close and all(h.close_match for h in close)
    assert close[0].close_match == ["colour"] and close[0].attributes["type"] == "Sports Shoes"
    assert "close match (differs in colour)" in close[0].explanation()
    assert result.filters == {"colour": ["Black"], "gender": ["Men"], "type": ["Sports Shoes"]}
    assert {c["text"] for c in result.understood["chips"]} == {"黑色", "男士", "运动鞋"}  # type: ignore[index]
    assert result.hits[0].explanation() == "Black · Men · Sports Shoes"  # the shopper's words, no ranks
    assert result.hits[0].explanation("zh") == "黑色 · 男款 · 运动鞋"
    assert "matches colour=Black" in result.hits[0].debug() and "keyword rank" in result.hits[0].debug()


def test_chinese_query_without_understanding_still_finds_shoes_by_meaning(myntra_shop: Shop) -> None:
    result = myntra_shop.search("黑色男士运动鞋", k=10, understand=False)
    assert len(result.hits) == 10 and result.filters == {}
    assert sum(h.attributes.get("subcategory") == "Shoes" for h in result.hits) >= 8
    assert all("text_vector" in h.signals for h in result.hits[:5])


def test_english_query_uses_words_and_meaning(myntra_shop: Shop) -> None:
    watches = sum(p.attributes.get("type") == "Watches" for p in myntra_shop.store.iter_products())
    result = myntra_shop.search("analogue watch", k=10)
    assert 3 <= watches <= 10
    assert all(h.attributes.get("type") == "Watches" for h in result.hits[:watches])  # every watch ranks above the rest
    top = result.hits[0]
    assert set(top.signals) == {"bm25", "text_vector"} and {"analogue", "watch"} <= set(top.matched_words)
    assert "keyword rank" in top.debug() and top.explanation() == "Watches · mentions analogue"


def test_photo_query_finds_the_same_product_and_its_kind(myntra_shop: Shop, myntra_dir: Path) -> None:
    result = myntra_shop.search(image=myntra_dir / "images" / "15970.jpg", k=5)
    assert result.mode == "image" and result.hits[0].id == "15970"
    assert result.hits[0].signals["image_vector"].score == pytest.approx(1.0, abs=1e-3)
    assert sum(h.attributes.get("type") == "Shirts" for h in result.hits) >= 4


def test_photo_plus_words_keeps_the_type_and_changes_the_colour(myntra_shop: Shop, myntra_dir: Path) -> None:
    # 15970 is a navy blue check shirt; "like this but in red" / "这个款式的红色"
    for words in ("like this but in red", "这个款式的红色"):
        result = myntra_shop.search(words, image=myntra_dir / "images" / "15970.jpg", k=5)
        assert result.mode == "text+image"
        assert result.inferred["type"].startswith("Shirts")
        exact = [h for h in result.hits if not h.close_match]
        assert exact and all(h.attributes["type"] == "Shirts" and h.attributes["colour"] == "Red" for h in exact)
        assert result.hits[: len(exact)] == exact  # close matches only after the exact ones
        assert all("image_vector" in h.signals for h in result.hits)
        assert "colour=Red" in exact[0].matched_slots


def test_negation_price_and_relaxation(myntra_shop: Shop) -> None:
    result = myntra_shop.search("shoes for men not black", k=20)
    assert result.exclusions == {"colour": ["Black"]}
    assert result.hits and all(h.attributes["colour"] != "Black" and h.attributes["gender"] == "Men" for h in result.hits)
    # no purple watches for boys in the slice: understood slots are relaxed (colour first) instead of returning nothing
    relaxed = myntra_shop.search("purple watches for boys", k=5)
    assert relaxed.relaxed and relaxed.relaxed[0] == "colour" and relaxed.hits


def test_facets_count_the_candidates(myntra_shop: Shop) -> None:
    result = myntra_shop.search("shirt", k=5)
    assert result.facets["type"]["Shirts"] >= 5
    assert set(result.facets) >= {"type", "colour", "gender", "brand"}


def test_filters_apply_to_every_retriever(myntra_shop: Shop) -> None:
    result = myntra_shop.search("shoes", k=10, filters={"gender": ["women"], "colour": ["Black", "White"]})
    assert result.hits
    assert all(h.attributes["gender"] == "Women" and h.attributes["colour"] in ("Black", "White") for h in result.hits)
    with pytest.raises(BadQuery, match="unknown filter"):
        myntra_shop.search("shoes", filters={"size": ["XL"]})
    assert myntra_shop.search("shoes", filters={"colour": ["Ultraviolet"]}).hits == []


def test_json_output_is_stable(myntra_shop: Shop) -> None:
    data = json.loads(json.dumps(myntra_shop.search("red shirt", k=3).to_dict(), ensure_ascii=False))
    assert set(data) == {"query", "mode", "hits", "took_ms", "filters", "exclusions", "price_range", "understood", "inferred", "relaxed", "facets", "cpu_ms"}
    assert set(data["hits"][0]) == {
        "id", "title", "score", "price", "currency", "image_path", "attributes", "signals", "matched_words", "matched_slots", "predicted", "close_match", "review_quality", "explanation",
        "explanations", "family_slots", "debug",
    }
    assert set(data["hits"][0]["signals"]["text_vector"]) == {"rank", "score"}
    words = data["hits"][0]["explanations"]
    assert words["en"] == data["hits"][0]["explanation"] and words["zh"].startswith("红色 · ")
    assert "符合 colour=Red" in data["hits"][0]["debug"] or "matches colour=Red" in data["hits"][0]["debug"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": ""}, "empty"),
        ({"text": "   "}, "empty"),
        ({"text": "x" * 5000}, "5000 characters"),
        ({}, "give a text"),
        ({"text": "shirt", "k": 0}, "k must be"),
        ({"image": b"not an image"}, "not a readable image"),
        ({"image": "/no/such/file.jpg"}, "does not exist"),
    ],
)
def test_bad_queries_get_clear_errors(myntra_shop: Shop, kwargs: dict, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        myntra_shop.search(**kwargs)


def test_hostile_text_is_just_text(myntra_shop: Shop) -> None:
    result = myntra_shop.search("'; DROP TABLE products; -- title:(x) OR *", k=3)
    assert len(result.hits) == 3
    assert myntra_shop.store.count() == 300


def test_decompression_bomb_is_refused(myntra_shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (10_000, 10_000)).save(path)
    with pytest.raises(BadQuery, match="pixels"):
        myntra_shop.search(image=path)


def test_a_relaxed_query_is_encoded_once(myntra_shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    searcher = myntra_shop.searcher
    calls: list[list[str]] = []
    encode = searcher.text_encoder.encode_queries

    def counting(texts):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return encode(texts)

    monkeypatch.setattr(searcher.text_encoder, "encode_queries", counting)
    monkeypatch.setattr(searcher.query_vectors, "cache", LRU(100))  # nothing remembered from earlier tests
    monkeypatch.setattr(searcher, "results_cache", LRU(100))
    result = myntra_shop.search("黑色男士运动鞋", k=10)  # fewer exact matches than k: close matches follow
    assert any(h.close_match for h in result.hits)
    assert calls == [["黑色男士运动鞋"]]


def test_repeated_text_queries_are_served_from_the_cache_until_the_catalog_changes(myntra_shop: Shop, tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, path)
    with Shop.open(path) as shop:
        first = shop.search("red shirts for men", k=5)
        cache = shop.searcher.results_cache
        hits_before = cache.hits
        again = shop.search("red  shirts for men", k=5)  # the same words, spaced differently
        assert cache.hits == hits_before + 1 and [h.id for h in again.hits] == [h.id for h in first.hits]
        again.hits.clear()  # a caller changing its copy changes nothing for the next shopper
        assert len(shop.search("red shirts for men", k=5).hits) == 5
        assert shop.search("red shirts for men", k=6).hits[:5] != [] and cache.hits == hits_before + 2  # k is part of the key
        product = shop.product(first.hits[0].id)
        shop.store.upsert_products([product.model_copy(update={"title": product.title + " (new season)"})])
        fresh = shop.search("red shirts for men", k=5)
        assert cache.hits == hits_before + 2 and any(h.title.endswith("(new season)") for h in fresh.hits)


def test_explanations_read_words_prepared_at_index_time(myntra_shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segmenting every hit's title per request was a quarter of a search: only the query itself is segmented now."""
    import daogou.search.engine as engine

    searcher = myntra_shop.searcher
    assert len(searcher.terms) == myntra_shop.store.count()
    calls: list[str] = []
    segment = engine.words

    def counting(text: str) -> list[str]:
        calls.append(text)
        return segment(text)

    monkeypatch.setattr(engine, "words", counting)
    monkeypatch.setattr(searcher, "results_cache", LRU(0))
    result = myntra_shop.search("analogue watch", k=10)
    assert calls == ["analogue watch"] and {"analogue", "watch"} <= set(result.hits[0].matched_words)


def test_hit_lists_read_products_from_memory_within_a_catalog_version(myntra_shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    """A product row is read once per catalog version, not once per request that shows it."""
    searcher = myntra_shop.searcher
    monkeypatch.setattr(searcher, "results_cache", LRU(0))
    monkeypatch.setattr(searcher, "products_cache", LRU(1000))
    reads: list[int] = []
    get_many = myntra_shop.store.get_many
    monkeypatch.setattr(myntra_shop.store, "get_many", lambda ids, replica=False: reads.append(len(ids)) or get_many(ids, replica))
    first = myntra_shop.search("blue jeans", k=8)
    assert reads and sum(reads) >= len(first.hits)
    reads.clear()
    again = myntra_shop.search("blue jeans", k=8)
    assert reads == [] and [h.id for h in again.hits] == [h.id for h in first.hits]


def test_the_live_searcher_is_frozen_out_of_gc_and_a_replaced_one_is_collected(myntra_shop: Shop, tmp_path: Path) -> None:
    """search/long_lived.py: full collections skip the searcher's objects (a 252 ms pause at 100k products), and a
    re-index does not leave the previous searcher behind in the frozen generation."""
    import gc
    import shutil
    import weakref

    from daogou.config import update_settings_file

    shop_dir = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, shop_dir)
    update_settings_file(shop_dir, tryon_rigs=False)
    with Shop.open(shop_dir) as shop:
        first = weakref.ref(shop.searcher)
        assert gc.get_freeze_count() > 0
        shop.index(show_progress=False)
        assert shop.search("red dress", k=3).hits  # opens the new generation's searcher
        assert first() is None and shop.searcher is not None


def test_bm25_on_a_second_thread_gives_the_same_results(myntra_shop: Shop) -> None:
    """A big catalog runs BM25 beside the query's encoding and vector searches (parallel_lexical_min): the results,
    scores and explanations must be those of the one-thread path."""
    import dataclasses
    import threading

    from daogou.search.engine import Searcher

    def searcher(parallel_from: int) -> Searcher:
        settings = dataclasses.replace(myntra_shop.settings, parallel_lexical_min=parallel_from, search_cache=0)
        return Searcher(myntra_shop.store, settings, myntra_shop.index_dir, myntra_shop.models_dir, myntra_shop.indexes.alignment())

    serial, threaded = searcher(0), searcher(1)
    assert serial._lexical_pool is None and threaded._lexical_pool is not None
    asks = [
        {"text": "black running shoes for men"},
        {"text": "红色连衣裙 不要 粉色"},
        {"text": "watch under 2000"},
        {"text": "blue jeans", "filters": {"gender": ["Women"]}, "exclude": {"colour": ["Black"]}},
        {"text": "cotton tshirt", "retrievers": {"bm25"}},
    ]
    for ask in asks:
        a, b = serial.search(k=10, **ask), threaded.search(k=10, **ask)  # type: ignore[arg-type]
        assert a.hits, ask
        assert [(h.id, h.score, h.signals, h.matched_words) for h in a.hits] == [(h.id, h.score, h.signals, h.matched_words) for h in b.hits], ask
        assert a.facets == b.facets
    assert any(t.name.startswith("daogou-bm25") for t in threading.enumerate())
