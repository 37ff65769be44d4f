"""Query understanding against a small hand-made vocabulary (the shape of the Myntra catalog)."""

import pytest

from daogou.understand.query import QueryParser
from daogou.understand.vocabulary import Vocabulary, normalise, singular

VOCAB = Vocabulary(
    {
        "type": ["Tshirts", "Shirts", "Casual Shoes", "Sports Shoes", "Formal Shoes", "Dresses", "Handbags", "Watches", "Jeans", "Track Pants", "Trousers"],
        "colour": ["Black", "White", "Off White", "Blue", "Navy Blue", "Red", "Brown", "Coffee Brown"],
        "gender": ["Men", "Women", "Boys", "Girls", "Unisex"],
        "brand": ["Nike", "Red Tape", "Puma"],
        "subcategory": ["Shoes", "Topwear"],
        "usage": ["Casual", "Sports", "Formal"],
    },
    prices=[100, 200, 300, 400, 500, 600, 700, 800],
)
PARSER = QueryParser(VOCAB)


def test_plural_and_spelling_folding() -> None:
    assert [singular(w) for w in ("dresses", "shoes", "watches", "jeans", "glass", "accessories")] == ["dress", "shoe", "watch", "jean", "glass", "accessory"]
    assert normalise("T-Shirts") == "tshirt" and normalise("Men's") == "men"


@pytest.mark.parametrize(
    "text, filters, exclusions",
    [
        ("黑色男士运动鞋", {"colour": ["Black"], "gender": ["Men"], "type": ["Sports Shoes"]}, {}),
        ("red dress for women", {"colour": ["Red"], "type": ["Dresses"], "gender": ["Women"]}, {}),
        ("navy blue shirts for men", {"colour": ["Navy Blue"], "type": ["Shirts"], "gender": ["Men"]}, {}),
        ("blue jeans", {"colour": ["Blue", "Navy Blue"], "type": ["Jeans"]}, {}),
        ("白色T恤", {"colour": ["Off White", "White"], "type": ["Tshirts"]}, {}),
        ("不要黑色的女士手提包", {"gender": ["Women"], "type": ["Handbags"]}, {"colour": ["Black"]}),
        ("sneakers for ladies", {"type": ["Sports Shoes", "Casual Shoes"], "gender": ["Women"]}, {}),
        ("shoes not black or brown", {"subcategory": ["Shoes"]}, {"colour": ["Black", "Brown", "Coffee Brown"]}),
        ("red tape formal shoes", {"brand": ["Red Tape"], "type": ["Formal Shoes"]}, {}),
        ("black sports shoes for men, not Nike", {"colour": ["Black"], "type": ["Sports Shoes"], "gender": ["Men"]}, {"brand": ["Nike"]}),
        ("kids shoes", {"gender": ["Boys", "Girls"], "subcategory": ["Shoes"]}, {}),
        ("watch for her", {"type": ["Watches"], "gender": ["Women"]}, {}),
    ],
)
def test_slots_become_filters(text: str, filters: dict, exclusions: dict) -> None:
    parsed = PARSER.parse(text)
    assert parsed.filters == filters
    assert parsed.exclusions == exclusions


@pytest.mark.parametrize(
    "text, low, high",
    [
        ("shoes under 500", None, 500),
        ("shoes under rs. 1,500", None, 1500),
        ("running shoes 500元以内", None, 500),
        ("手表 300元以上", 300, None),
        ("watches between 200 and 400", 200, 400),
        ("jeans 200-400 rs", 200, 400),
        ("cheap watches", None, 300),
        ("premium watches", 700, None),
    ],
)
def test_price_ranges(text: str, low: float | None, high: float | None) -> None:
    parsed = PARSER.parse(text)
    assert (parsed.price_min, parsed.price_max) == (low, high)
    assert "watch" not in parsed.price_text


def test_soft_slots_size_and_chips() -> None:
    parsed = PARSER.parse("casual shoes size 42")
    assert parsed.filters == {"type": ["Casual Shoes"]} and parsed.size == "42"
    parsed = PARSER.parse("sports shirt")
    assert parsed.filters == {"type": ["Shirts"]}
    assert [(s.field, s.soft) for s in parsed.slots] == [("usage", True), ("type", False)]
    chips = PARSER.parse("red shirt under 300").chips()
    assert [c["field"] for c in chips] == ["colour", "type", "price"]


@pytest.mark.parametrize(
    "text, intent",
    [
        ("red dress", "search"),
        ("how do I return these shoes", "service"),
        ("我的快递到哪了", "service"),
        ("compare nike vs puma shoes", "compare"),
        ("is this shirt cotton?", "question"),
        ("这件衬衫是纯棉的吗", "question"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert PARSER.parse(text).intent == intent


@pytest.mark.parametrize("text", ["x" * 900, "!!!", "'; DROP TABLE products; --", "🙂🙂", "不不不不", "not not not", "under", "100元"])
def test_odd_text_never_raises(text: str) -> None:
    PARSER.parse(text)


def test_english_words_for_chinese_queries() -> None:
    assert PARSER.parse("红色连衣裙").english == "red dress"
