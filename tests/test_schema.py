import pytest
from pydantic import ValidationError

from daogou.catalog.schema import Interaction, Product


def test_passage_adds_attributes_missing_from_the_title() -> None:
    product = Product(id="1", title="Turtle Check Men Navy Blue Shirt", attributes={"type": "Shirts", "colour": "Navy Blue", "year": "2011"})
    passage = product.passage()
    assert passage.startswith("Turtle Check Men Navy Blue Shirt")
    assert "Shirts" in passage and "2011" not in passage
    assert passage.count("Navy Blue") == 1


def test_content_hash_changes_with_any_field() -> None:
    a = Product(id="1", title="Red dress", price=10)
    assert a.content_hash() == Product(id="1", title="Red dress", price=10).content_hash()
    assert a.content_hash() != Product(id="1", title="Red dress", price=11).content_hash()


@pytest.mark.parametrize(
    "fields",
    [{"id": "", "title": "x"}, {"id": "a/b", "title": "x"}, {"id": "1", "title": ""}, {"id": "1", "title": "x", "price": -1}],
)
def test_invalid_products_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        Product(**fields)


def test_interaction_kind_is_checked() -> None:
    with pytest.raises(ValidationError):
        Interaction(user_id="u", product_id="p", kind="like", timestamp="2020-01-01T00:00:00")
