"""Column mappings for catalogs we know: Myntra, H&M articles, Flipkart — and the generic mapping type.

Why presets: a shop's export has its own column names; a mapping says which column feeds which
product field, so one importer serves every catalog. The presets are the mappings for the public
data sets under ../shared/data, and examples for writing one's own (`--map title=name`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

Row = dict[str, object]


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column feeds which Product field.

    `image` is a column holding a path (relative to the catalog file), or a template such as
    "images/{id:.3}/{id}.jpg" when it contains "{". `attributes` maps our attribute names to columns.
    `derive` computes extra attributes from the whole row (e.g. gender from H&M's index group).
    `image_optional`: a missing image file means "product without photo", not a bad row.
    """

    id: str
    title: str
    description: str = ""
    brand: str = ""
    price: str = ""
    currency: str = ""
    #: the currency of every price when the export has no currency column ("INR" for Flipkart)
    default_currency: str = ""
    image: str = ""
    image_optional: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    derive: Callable[[Row], dict[str, str]] | None = None
    encoding: str = "utf-8-sig"
    #: "rows": a CSV/JSONL/Parquet table; "s3rec": the item files of the S3-Rec Amazon sets (catalog/s3rec.py)
    layout: str = "rows"

    def with_overrides(self, overrides: dict[str, str]) -> "ColumnMapping":
        """A copy with `field=column` overrides applied; `attr.NAME=column` adds an attribute column."""
        plain = {k: v for k, v in overrides.items() if not k.startswith("attr.")}
        attrs = dict(self.attributes)
        attrs.update({k[5:]: v for k, v in overrides.items() if k.startswith("attr.")})
        allowed = {"id", "title", "description", "brand", "price", "currency", "image", "encoding"}
        unknown = set(plain) - allowed
        if unknown:
            raise ValueError(f"unknown mapping fields {sorted(unknown)}; use one of {sorted(allowed)} or attr.NAME")
        values = {**self.__dict__, **plain, "attributes": attrs}
        return ColumnMapping(**values)


def _hm_gender(row: Row) -> dict[str, str]:
    group = str(row.get("index_group_name") or "")
    index = str(row.get("index_name") or "")
    if group == "Menswear":
        return {"gender": "Men"}
    if group == "Ladieswear" or index.startswith("Ladies") or "Lingeries" in index:
        return {"gender": "Women"}
    if group == "Baby/Children":
        return {"gender": "Kids"}
    if group == "Divided":
        return {"gender": "Unisex"}
    return {}


_GENDER_WORDS = {"men", "women", "unisex", "boys", "girls", "kids", "men's", "women's"}


def _myntra_brand(row: Row) -> dict[str, str]:
    """Myntra titles start with the brand, up to the gender word: "United Colors of Benetton Women Solid ..."."""
    words = str(row.get("productDisplayName") or "").split()
    for i, word in enumerate(words[:6]):
        if word.lower() in _GENDER_WORDS:
            return {"brand": " ".join(words[:i])} if i else {}
    return {}


def _literal_list(raw: object) -> list:
    """Parse a Python-literal list cell (Flipkart's export format); anything else becomes []."""
    try:
        value = ast.literal_eval(str(raw or ""))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return []
    return value if isinstance(value, list) else []


_GENDER_OF = {"women": "Women", "woman": "Women", "ladies": "Women", "men": "Men", "man": "Men", "girls": "Girls", "girl": "Girls",
              "boys": "Boys", "boy": "Boys", "unisex": "Unisex", "couple": "Unisex", "kids": "Kids", "baby": "Kids"}
_AUDIENCE = {"womens", "mens", "kids", "girls", "boys", "baby", "unisex", "infant"}
_MULTI_COLOUR = {"multicolor", "multicolour", "multi", "assorted", "multicolored", "multicoloured"}


def _flipkart_gender(raw: str) -> str | None:
    """"Women's, Girl's" → Women; "Men, Women" → Unisex; "Boys, Girls" → Kids: one value a shopper would filter on."""
    found = {_GENDER_OF[w] for w in re.findall(r"[a-z]+", raw.lower().replace("'s", "")) if w in _GENDER_OF}
    adults = found & {"Women", "Men"}
    if "Unisex" in found or adults == {"Women", "Men"}:
        return "Unisex"
    if adults:
        return adults.pop()
    children = found & {"Girls", "Boys", "Kids"}
    return children.pop() if len(children) == 1 else ("Kids" if children else None)


def _flipkart_colour(raw: str) -> str | None:
    """The first colour named, in title case ("WHITE" → White, "Yellow, White" → Yellow); mixes → Multicolor."""
    first = re.split(r"[,/&]| and ", raw)[0].strip()
    words = re.findall(r"[A-Za-z]+", first)
    if not words:
        return None
    if words[0].lower() in _MULTI_COLOUR:
        return "Multicolor"
    return " ".join(w.capitalize() for w in words)


def _flipkart_levels(levels: list[str], brand: str) -> list[str]:
    """The generic part of a category path. The last element is the product itself; the path ends earlier where a
    level starts with the brand or with the product name's first word ("coffee mugs" → "akup coffee mugs" →
    "akup happy mothers day mug" keeps "coffee mugs"), since the levels below it list one maker's range."""
    if len(levels) <= 2:
        return levels
    makers = {m for m in (brand, levels[-1].split()[0]) if m and m not in _AUDIENCE and m != "&"}
    kept: list[str] = []
    for level in levels[:-1]:
        if any(level.startswith(m + " ") for m in makers):
            break
        kept.append(level)
    return kept


def _flipkart_tree(row: Row) -> dict[str, str]:
    """Flipkart's category path gives category, sub-category and type (the deepest generic level); its spec list
    holds colour and "Ideal For" (gender), normalised to the values a shopper filters on."""
    out: dict[str, str] = {}
    brand = " ".join(str(row.get("brand") or "").lower().split())
    # the export dropped "&" and left two spaces where it stood ("sweaters  pullovers"): put it back
    levels = [" & ".join(" ".join(part.split()) for part in str(p).split("  ")) for p in _literal_list(row.get("product_category_tree")) if str(p).strip()]
    kept = _flipkart_levels(levels, brand)
    for name, level in zip(("category", "subcategory"), kept):
        out[name] = level.title()
    if len(kept) >= 2:
        out["type"] = kept[-1].title()
    for spec in _literal_list(row.get("product_specifications")):
        if not isinstance(spec, dict) or not spec.get("value"):
            continue
        if spec.get("key") == "Color" and (colour := _flipkart_colour(str(spec["value"]))):
            out["colour"] = colour
        elif spec.get("key") == "Ideal For" and (gender := _flipkart_gender(str(spec["value"]))):
            out["gender"] = gender
    return out


PRESETS: dict[str, ColumnMapping] = {
    "myntra": ColumnMapping(
        id="id",
        title="productDisplayName",
        image="image_path",
        attributes={
            "gender": "gender",
            "category": "masterCategory",
            "subcategory": "subCategory",
            "type": "articleType",
            "colour": "baseColour",
            "season": "season",
            "usage": "usage",
            "year": "year",
        },
        derive=_myntra_brand,
    ),
    "hm": ColumnMapping(
        id="article_id",
        title="prod_name",
        description="detail_desc",
        image="images/{id:.3}/{id}.jpg",
        image_optional=True,
        attributes={
            "type": "product_type_name",
            "category": "product_group_name",
            "colour": "colour_group_name",
            "pattern": "graphical_appearance_name",
            "department": "department_name",
            "section": "section_name",
        },
        derive=_hm_gender,
    ),
    "flipkart": ColumnMapping(
        id="pid",
        title="product_name",
        description="description",
        brand="brand",
        price="discounted_price",
        default_currency="INR",
        derive=_flipkart_tree,
    ),
    # Amazon Beauty / Sports of the S3-Rec papers: the integer item id (as in the behaviour file), the short
    # title text, the ASIN and the anonymous brand/category ids ("a12 a40 a41")
    "amazon_s3rec": ColumnMapping(id="item_id", title="text", attributes={"asin": "asin", "tags": "attributes"}, layout="s3rec"),
}
