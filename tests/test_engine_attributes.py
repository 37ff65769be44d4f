"""The attribute index answered by Milvus (setting `attributes_in_engine`, index/engine_attributes.py) against the
in-process AttributeIndex over the same products: the same counts, facets, values, price bands and extremes for
many filters; the same searches (hits, facets, relaxed slots, explanations); the assistant's scripted dialogues
pass unchanged; and a searcher so configured never reads the catalog.

Runs on milvus-lite 2.5.1 (or DAOGOU_MILVUS_BM25_URI); skipped cleanly where it is missing."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from milvus_server import drop_generations, reindexed_copy

from daogou.config import update_settings_file
from daogou.errors import BadQuery, IndexMismatch
from daogou.evaluate.assistant_eval import build_fixture_shop, load_dialogues, run_dialogues
from daogou.index import engine_attributes
from daogou.index.attributes import AttributeIndex
from daogou.index.engine_attributes import EngineAttributes
from daogou.shop import Shop

FIXTURES = Path(__file__).parent / "fixtures" / "assistant_shop"
POLICIES = Path(__file__).parent.parent / "daogou" / "policies"
QUERIES = ["red dress", "black shoes for men", "白色T恤", "watch", "casual shirts for women", "blue jeans under 1500", "not nike sports shoes",
           "手表", "pink top", "zzzz-not-a-word"]


def _in_engine(source: Shop, folder: Path, url: str, lexical_url: str | None = None, fusion: bool = False) -> Path:
    """A copy of `source` re-indexed into Milvus (vectors, and BM25 unless `lexical_url` is "") with attributes_in_engine
    (and with `fusion`, BM25 and the text vectors fused by Milvus: engine_fusion)."""
    lexical = url if lexical_url is None else lexical_url
    return reindexed_copy(source.path, folder, vector_url=url, lexical_url=lexical, attributes_in_engine=True, engine_fusion=fusion)


@pytest.fixture(scope="module", params=["milvus-lite", pytest.param("milvus-server", marks=pytest.mark.slow)])
def engine_myntra(request: pytest.FixtureRequest, myntra_shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Myntra slice on Milvus Lite 2.5.1 (vectors and BM25, fused by Milvus's hybrid_search with the engine-held
    selection's constraints; no `not` in expressions, so exclusions are checked on rows) and on the Milvus 2.3.5
    server (vectors; BM25 stays tantivy; exclusions go into the expressions)."""
    folder = tmp_path_factory.mktemp("engine") / "myntra"
    if request.param == "milvus-lite":
        _in_engine(myntra_shop, folder, request.getfixturevalue("milvus_bm25"), fusion=True)
    else:
        url = request.getfixturevalue("milvus_url")  # session-scoped; None where there is no server
        if url is None:
            pytest.skip("no Milvus server here: set DAOGOU_MILVUS_URI, or pip install --no-deps milvus==2.3.5")
        _in_engine(myntra_shop, folder, url, lexical_url="")
    yield folder
    drop_generations(folder)


def _both(folder: Path) -> tuple[Shop, Shop]:
    """The same shop and generation opened twice: attributes in the engine, and in this process."""
    engine = Shop.open(folder)
    update_settings_file(folder, attributes_in_engine=False)
    memory = Shop.open(folder)
    update_settings_file(folder, attributes_in_engine=True)
    return engine, memory


def _constraints(memory: AttributeIndex) -> list[tuple[dict, dict, float | None, float | None]]:  # type: ignore[type-arg]
    """Filters of every kind over the shop's own values: one and two values, two fields, exclusions, price bounds."""
    out: list[tuple[dict, dict, float | None, float | None]] = [({}, {}, None, None)]  # type: ignore[type-arg]
    fields = [f for f in ("gender", "colour", "type", "brand", "mastercategory") if memory.catalog_values(f)]
    prices = sorted(memory.prices.values())
    bounds = [(None, None), (None, prices[len(prices) // 3]), (prices[len(prices) // 2], None)] if prices else [(None, None)]
    for name in fields:
        common = sorted(memory.catalog_values(name), key=lambda v: -memory.catalog_values(name)[v])
        out += [({name: common[:1]}, {}, *bound) for bound in bounds]
        out.append(({name: [v.upper() for v in common[1:3]]}, {}, None, None))  # case-insensitive, as a shopper types
        out.append(({}, {name: common[:1]}, None, None))
        out.append(({name: ["no such value"]}, {}, None, None))
    for first, second in itertools.combinations(fields[:3], 2):
        out.append(({first: sorted(memory.catalog_values(first))[:2], second: sorted(memory.catalog_values(second))[:3]}, {}, None, None))
    return out


def _compare_indexes(engine: EngineAttributes, memory: AttributeIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(engine) == len(memory) and engine.fields() == memory.fields()
    assert engine.value_table() == memory.value_table() and engine.has_prices() == memory.has_prices()
    ids = list(memory.ids)
    for name in memory.fields():
        assert [engine.value_of(pid, name) for pid in ids] == [memory.value_of(pid, name) for pid in ids], name
    assert [engine.price_of(pid) for pid in ids] == [memory.price_of(pid) for pid in ids]
    assert engine.facets(ids[::3], ["type", "colour", "gender", "brand"]) == memory.facets(ids[::3], ["type", "colour", "gender", "brand"])
    assert engine.price_bands(ids[1::4]) == memory.price_bands(ids[1::4])
    assert engine.known([*ids[:5], "no-such-id"]) == memory.known([*ids[:5], "no-such-id"]) and not engine.contains("no-such-id")
    monkeypatch.setattr(engine_attributes, "EXTREME_ROWS", 7)  # a price bound is narrowed by counts, not by reading every row
    for filters, exclude, low, high in _constraints(memory):
        ours, theirs = engine.matching(filters, exclude, low, high), memory.matching(filters, exclude, low, high)
        case = (filters, exclude, low, high)
        assert len(ours) == len(theirs), case
        assert sorted(ours) == sorted(theirs), case
        assert ours.keep(ids[::2]) == theirs.keep(ids[::2]), case
        assert set(engine.first(ours, 5)) <= set(theirs) and len(engine.first(ours, 5)) == min(5, len(theirs)), case
        assert engine.facets(ours, ["gender", "colour"]) == memory.facets(theirs, ["gender", "colour"]), case
        for highest in (False, True):
            assert engine.extremes(ours, 3, highest) == memory.extremes(theirs, 3, highest), case
    with pytest.raises(BadQuery):
        engine.matching({"no_such_field": ["x"]})


def test_the_engine_answers_every_attribute_question_as_the_in_process_index(engine_myntra: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine_shop, memory_shop = _both(engine_myntra)
    with engine_shop, memory_shop:
        engine, memory = engine_shop.searcher.attributes, memory_shop.searcher.attributes
        assert isinstance(engine, EngineAttributes) and isinstance(memory, AttributeIndex)
        _compare_indexes(engine, memory, monkeypatch)


def test_searches_with_attributes_in_the_engine_answer_alike_and_read_no_catalog(engine_myntra: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine_shop, memory_shop = _both(engine_myntra)
    with engine_shop, memory_shop:

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("a searcher with attributes_in_engine read the whole catalog")

        monkeypatch.setattr(engine_shop.store, "iter_products", refuse)
        engine_searcher = engine_shop.searcher  # opened now, with the catalog unreadable
        assert isinstance(engine_searcher.attributes, EngineAttributes)
        lexical = engine_searcher.lexical
        in_lite = type(lexical).__name__ == "MilvusLexicalIndex"  # built with engine_fusion: searches use hybrid_search
        fused: list[bool] = []
        if in_lite:
            assert lexical.vectors is not None  # type: ignore[union-attr]
            hybrid = lexical.hybrid  # type: ignore[union-attr]

            def counted(*args: object, **kwargs: object) -> object:
                found = hybrid(*args, **kwargs)
                fused.append(found is not None)
                return found

            monkeypatch.setattr(lexical, "hybrid", counted)
        requests = [{"text": q} for q in QUERIES] + [
            {"text": "shoes", "filters": {"gender": ["Men"]}, "exclude": {"colour": ["Black"]}},
            {"text": "shirt", "price_range": (None, 1000.0)},
            {"text": "purple watch for boys"},  # nothing matches all of it: slots are relaxed one by one
        ]
        for request in requests:
            ours, theirs = engine_searcher.search(k=12, **request), memory_shop.searcher.search(k=12, **request)  # type: ignore[arg-type]
            assert [h.id for h in ours.hits] == [h.id for h in theirs.hits], request
            assert ours.facets == theirs.facets and ours.relaxed == theirs.relaxed and ours.filters == theirs.filters, request
            for a, b in zip(ours.hits, theirs.hits):
                assert (a.matched_slots, a.matched_words, a.close_match, a.family_slots) == (b.matched_slots, b.matched_words, b.close_match, b.family_slots)
        assert not in_lite or sum(fused) >= len(QUERIES)  # the engine-held selection's constraints went into hybrid_search
        some = next(iter(memory_shop.searcher.attributes.ids))
        assert [h.id for h in engine_shop.searcher.similar(some)] == [h.id for h in memory_shop.searcher.similar(some)]


def test_the_assistant_holds_its_dialogues_with_attributes_in_the_engine(milvus_bm25: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The assistant's shop has prices (the Myntra slice has none): extremes, price bands and bounds are compared here."""
    source = build_fixture_shop(tmp_path / "guide", FIXTURES, POLICIES)
    source.close()
    engine_shop, memory_shop = _both(_in_engine(source, tmp_path / "engine", milvus_bm25))
    with engine_shop, memory_shop:
        engine, memory = engine_shop.searcher.attributes, memory_shop.searcher.attributes
        assert isinstance(engine, EngineAttributes) and memory.has_prices()
        _compare_indexes(engine, memory, monkeypatch)
        monkeypatch.undo()
        result = run_dialogues(engine_shop.chat, load_dialogues(FIXTURES / "dialogues.txt"), engine_shop.assistant.check)
        assert result["failures"] == [] and result["grounding_violations"] == 0
        assert result["joint_goal_accuracy"] == 1.0 and result["act_accuracy"] == 1.0
    drop_generations(tmp_path / "engine")


def test_attributes_in_engine_without_milvus_is_refused_with_a_clear_error(myntra_shop: Shop, tmp_path: Path) -> None:
    """The setting needs the text vectors in Milvus: a shop with FAISS files says so when its searcher opens."""
    shutil.copytree(myntra_shop.path, tmp_path / "shop")
    update_settings_file(tmp_path / "shop", attributes_in_engine=True, tryon_rigs=False)
    with Shop.open(tmp_path / "shop") as shop, pytest.raises(IndexMismatch, match="attributes_in_engine needs the text vectors in Milvus"):
        shop.search("red dress")
