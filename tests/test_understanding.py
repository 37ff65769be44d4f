"""Understanding that carries to other catalogs: shades, multi-word colours, exact before family, slashed values,
and slots inferred for words no lexicon knows (issue 12)."""

from __future__ import annotations

import pytest

from daogou.shop import Shop
from daogou.understand.names import zh_value
from daogou.understand.query import QueryParser
from daogou.understand.vocabulary import Vocabulary

#: The shape of the H&M catalog: shaded and two-word colours, slashed type names.
HM_LIKE = Vocabulary({
    "type": ["Blouse", "Coat", "Hoodie", "Sweater", "Leggings/Tights", "Hat/beanie", "Pyjama set", "Swimwear bottom", "Bikini top", "Top", "Vest top"],
    "colour": ["Pink", "Light Pink", "Dark Pink", "Grey", "Light Grey", "Dark Grey", "Blue", "Dark Blue", "Light Blue", "Off White", "White",
               "Yellowish Brown", "Beige", "Light Beige"],
    "gender": ["Men", "Women", "Kids", "Unisex"],
})
#: The shape of the Myntra catalog: no shaded names, a Navy Blue.
MYNTRA_LIKE = Vocabulary({"type": ["Sweaters", "Shirts"], "colour": ["Blue", "Navy Blue", "Pink", "Grey"], "gender": ["Men", "Women"]})


def _slot(parser: QueryParser, text: str, field: str):  # type: ignore[no-untyped-def]
    return next(s for s in parser.parse(text).slots if s.field == field)


@pytest.mark.parametrize("text", ["pale pink blouse", "light pink blouse", "淡粉色衬衫", "浅粉色衬衫"])
def test_a_shade_filters_on_the_family_and_prefers_the_shaded_value(text: str) -> None:
    colour = _slot(QueryParser(HM_LIKE), text, "colour")
    assert set(colour.values) == {"Pink", "Light Pink", "Dark Pink"} and colour.exact == ["Light Pink"]


def test_dark_blue_is_the_catalogs_own_spelling() -> None:
    assert _slot(QueryParser(HM_LIKE), "深蓝色男士毛衣", "colour").exact == ["Dark Blue"]
    assert _slot(QueryParser(HM_LIKE), "navy jacket", "colour").exact == ["Dark Blue"]
    assert _slot(QueryParser(MYNTRA_LIKE), "深蓝色男士毛衣", "colour").values == ["Navy Blue"]  # no family widening to every blue
    # a shade the catalog does not spell keeps the family, preferring nothing
    light = _slot(QueryParser(MYNTRA_LIKE), "light blue shirts", "colour")
    assert set(light.values) == {"Blue", "Navy Blue"} and light.exact == []


def test_plain_colour_prefers_its_exact_value() -> None:
    pink = _slot(QueryParser(HM_LIKE), "pink top for women", "colour")
    assert set(pink.values) == {"Pink", "Light Pink", "Dark Pink"} and pink.exact == ["Pink"]
    assert QueryParser(HM_LIKE).parse("pink top for women").preferred == {"colour": ["Pink"], "type": ["Top"]}


@pytest.mark.parametrize("text, value", [("off white blouse", "Off White"), ("米白色衬衫", "Off White"), ("yellowish brown coat", "Yellowish Brown")])
def test_multi_word_colours_are_one_value(text: str, value: str) -> None:
    colour = _slot(QueryParser(HM_LIKE), text, "colour")
    assert colour.exact == [value] or colour.values == [value]


@pytest.mark.parametrize("text, value", [("black leggings", "Leggings/Tights"), ("打底裤", "Leggings/Tights"), ("wool beanie", "Hat/beanie"),
                                         ("bikini bottoms", "Swimwear bottom"), ("女士大衣", "Coat"), ("light grey hoodie for men", "Hoodie")])
def test_catalog_words_and_everyday_words_reach_the_catalogs_types(text: str, value: str) -> None:
    assert value in _slot(QueryParser(HM_LIKE), text, "type").values


def test_values_read_in_chinese() -> None:
    assert [zh_value(v) for v in ("Sports Shoes", "Light Pink", "Dark Blue", "Men", "Yellowish Brown")] == ["运动鞋", "浅粉色", "藏青色", "男款", "驼色"]
    assert zh_value("Zorbix") == "Zorbix"


def test_exact_colour_ranks_before_its_family_and_says_so(myntra_shop: Shop) -> None:
    result = myntra_shop.search("blue shirts for men", k=30)
    colours = [h.attributes.get("colour") for h in result.hits if not h.close_match]
    assert "Blue" in colours and "Navy Blue" in colours  # the filter keeps the family
    assert colours.index("Navy Blue") > max(i for i, c in enumerate(colours) if c == "Blue")  # every exact Blue first
    navy = next(h for h in result.hits if h.attributes.get("colour") == "Navy Blue")
    assert "Navy Blue (same family)" in navy.explanation() and "藏青色（同系列）" in navy.explanation("zh")


@pytest.fixture(scope="module")
def invented() -> QueryParser:
    """A catalog whose type names no lexicon of ours lists, with the real encoder and dictionary behind the parser."""
    from daogou.models.registry import text_encoder
    from daogou.understand.inference import ValueInference

    vocabulary = Vocabulary({"type": ["Rainproof Shell", "Thermal Undershirt", "Trail Runner", "Sleep Set", "Carry Tote"],
                             "colour": ["Ink", "Oatmeal", "Moss"], "gender": ["Men", "Women"]})
    return QueryParser(vocabulary, ValueInference(vocabulary, text_encoder("e5-small")))


@pytest.mark.parametrize("text, value", [("thermal underwear", "Thermal Undershirt"), ("保暖内衣", "Thermal Undershirt"),
                                         ("trail running shoes for women", "Trail Runner")])
def test_unknown_words_map_to_the_nearest_catalog_value_as_inferred(invented: QueryParser, text: str, value: str) -> None:
    slot = _slot(invented, text, "type")
    assert slot.values == [value] and slot.inferred
    assert all(not s.inferred for s in invented.parse(text).slots if s.field == "gender")  # "women" is the catalog's own word


@pytest.mark.parametrize("text", ["我想买东西", "cheap stuff please", "new arrivals"])
def test_words_that_name_nothing_infer_nothing(invented: QueryParser, text: str) -> None:
    assert not [s for s in invented.parse(text).slots if s.inferred]


def test_inferred_filters_are_let_go_first(myntra_shop: Shop) -> None:
    """A wrong guess must not cost the shopper what was understood: the guessed filter is relaxed before any other."""
    from daogou.search.engine import Plan, Searcher

    plan = Plan(filters={"type": ["Shirts"], "colour": ["Moss"]}, guessed={"colour"})
    assert Searcher._relax_once(plan, set()) == "colour" and plan.filters == {"type": ["Shirts"]}
