from pathlib import Path

import pytest

from daogou.catalog.schema import Product
from daogou.errors import IndexMissing
from daogou.index.lexical import LexicalIndex
from daogou.index.tokenize import words

PRODUCTS = [
    Product(id="1", title="红色连衣裙 夏季女装", attributes={"colour": "Red", "gender": "Women"}),
    Product(id="2", title="Nike Men Black Running Shoes", brand="Nike", attributes={"colour": "Black", "gender": "Men"}),
    Product(id="3", title="Women Red Dresses with belt", attributes={"colour": "Red", "gender": "Women"}),
    Product(id="4", title="黑色男士运动鞋", attributes={"colour": "Black", "gender": "Men"}),
]


@pytest.fixture()
def index(tmp_path: Path) -> LexicalIndex:
    assert LexicalIndex.build(tmp_path / "lex", PRODUCTS) == 4
    return LexicalIndex(tmp_path / "lex")


def test_words_segment_chinese_and_drop_syntax() -> None:
    assert words("黑色男士运动鞋") == ["黑色", "男士", "运动鞋"]
    assert words('Red "dress" AND title:(x) -y') == ["red", "dress", "and", "title", "x", "y"]


def test_chinese_and_stemmed_english(index: LexicalIndex) -> None:
    hits, terms = index.search("连衣裙", 5)
    assert [h.id for h in hits] == ["1"] and terms == ["连衣裙"]
    assert [h.id for h in index.search("运动鞋", 5)[0]] == ["4"]
    assert {h.id for h in index.search("dress", 5)[0]} == {"3"}  # en_stem: dresses → dress
    assert index.search("shoe", 5)[0][0].id == "2"


def test_filters_run_inside_the_engine(index: LexicalIndex) -> None:
    hits, _ = index.search("red black", 5, {"colour": ["black"]})
    assert {h.id for h in hits} == {"2", "4"}  # 4 is found by its attribute words, not its Chinese title
    hits, _ = index.search("red black", 5, {"colour": ["black", "RED"], "gender": ["women"]})
    assert {h.id for h in hits} == {"1", "3"}


@pytest.mark.parametrize("text", ["'; DROP TABLE products; --", 'title:"x" OR *', "!!!", "AND OR NOT", "((("])
def test_hostile_queries_never_raise(index: LexicalIndex, text: str) -> None:
    hits, _ = index.search(text, 5)
    assert isinstance(hits, list)


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing):
        LexicalIndex(tmp_path / "none")


def test_rebuild_replaces_contents(tmp_path: Path) -> None:
    LexicalIndex.build(tmp_path / "lex", PRODUCTS)
    LexicalIndex.build(tmp_path / "lex", PRODUCTS[:1])
    assert LexicalIndex(tmp_path / "lex").search("shoes", 5)[0] == []


def test_a_brand_filter_matches_the_brand_field(index: LexicalIndex) -> None:
    """The attribute index filters on Product.brand; BM25 under the same filter must not come back empty."""
    assert [h.id for h in index.search("black shoes", 5, {"brand": ["NIKE"]})[0]] == ["2"]
