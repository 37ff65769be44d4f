"""Which part of the body a product is worn on, from the catalog's own attributes (any shop's wording).

Why by words: shops name their groups differently (Myntra "Topwear", H&M "Garment Upper body", a Chinese
shop "上衣"), but try-on eligibility and "shop the look" only need a few kinds: upper, lower, full, shoes, bag, glasses, hat.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from daogou.catalog.schema import Product

#: Attribute fields read, broadest first (a category says more reliably what a product is than a free type).
FIELDS = ("category", "subcategory", "type")
KINDS = ("glasses", "hat", "upper", "lower", "full", "shoes", "bag")

_WORDS: dict[str, tuple[str, ...]] = {
    "glasses": ("sunglasses", "eyewear", "glasses", "spectacles", "眼镜", "墨镜"),
    "hat": ("headwear", "hat", "cap", "beanie", "帽"),
    "upper": ("topwear", "upper body", "t-shirt", "tshirt", "tee", "shirt", "top", "blouse", "sweater", "sweatshirt",
              "hoodie", "jacket", "cardigan", "blazer", "coat", "kurta", "kurti", "tunic", "polo", "vest top", "jumper",
              "上衣", "t恤", "衬衫", "卫衣", "毛衣", "外套", "夹克", "针织衫"),
    "lower": ("bottomwear", "lower body", "trousers", "jeans", "shorts", "skirt", "leggings", "pants", "track pants",
              "capris", "裤", "裙"),
    "full": ("full body", "dress", "jumpsuit", "playsuit", "dungarees", "saree", "连衣裙", "连体"),
    "shoes": ("footwear", "shoes", "shoe", "sneakers", "sandal", "heels", "flats", "flip flops", "boots", "鞋", "靴"),
    "bag": ("bags", "bag", "handbag", "backpack", "clutch", "tote", "wallet", "包"),
}
#: Words that look like a kind's but are not worn that way ("shoe bag", "top handle bag", "shirt dress").
_OVERRIDES = (("bag", ("bag", "backpack", "handbag", "clutch", "包")), ("full", ("dress", "jumpsuit", "连衣裙")))


def kind_of_words(value: str) -> str | None:
    """The kind a single attribute value names, or None."""
    text = value.lower().strip()
    if not text:
        return None
    for kind, words in _OVERRIDES:
        if any(_has(text, w) for w in words) and not text.startswith(("dress shirt",)):
            return kind
    for kind in KINDS:
        if any(_has(text, w) for w in _WORDS[kind]):
            return kind
    return None


def _has(text: str, word: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", word):
        return word in text
    return re.search(rf"(?<![a-z]){re.escape(word)}s?(?![a-z])", text) is not None


def kind_of(product: Product) -> str | None:
    """The kind of a product: its category first, then its sub-category and type; None for what is not worn."""
    for field in FIELDS:
        value = product.attributes.get(field, "")
        kind = kind_of_words(value)
        if kind is not None:
            return kind
    return None


def kind_filters(catalog_values: Callable[[str], dict[str, int]]) -> dict[str, dict[str, list[str]]]:
    """For each kind, the search filter that selects it in this catalog: {kind: {field: [values]}}.

    `catalog_values(field)` gives each value's product count. The field that covers the most products of a
    kind wins (Myntra's "subcategory: Topwear" over its many article types).
    """
    best: dict[str, tuple[int, str, list[str]]] = {}
    for name in FIELDS:
        grouped: dict[str, list[tuple[str, int]]] = {}
        for value, count in catalog_values(name).items():
            kind = kind_of_words(value)
            if kind is not None:
                grouped.setdefault(kind, []).append((value, count))
        for kind, values in grouped.items():
            covered = sum(c for _, c in values)
            if kind not in best or covered > best[kind][0]:
                best[kind] = (covered, name, sorted(v for v, _ in values))
    return {kind: {name: values} for kind, (_, name, values) in best.items()}


def tryon_kind(product: Product) -> str | None:
    """The kind a try-on places: as `kind_of`, except that a full-body piece named a dress is "dress" (hung from the
    shoulders like a long top), while jumpsuits and dungarees stay "full" (two legs: not placed yet)."""
    kind = kind_of(product)
    if kind == "full" and any(_has(product.attributes.get(f, "").lower(), w) for f in FIELDS for w in ("dress", "连衣裙")):
        return "dress"
    return kind
