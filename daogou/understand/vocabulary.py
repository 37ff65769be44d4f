"""The catalog's own vocabulary: which phrases name which attribute values, learned from the imported data.

Why learned: every shop spells its values differently ("Tshirts", "T-shirt", "Dark Blue"); the query
parser must map shopper words onto exactly the values the filters know. A value is found by its own
words (any plural, any hyphenation) and, for colours and types, by its head word as a family:
"blue" → Blue, Navy Blue, Dark Blue; "shoes" → Casual Shoes, Sports Shoes, Formal Shoes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Attribute fields a query can name, in the order ambiguous phrases are resolved.
SLOT_FIELDS = ("type", "colour", "gender", "brand", "subcategory", "category", "usage", "season", "pattern")
#: Fields whose values are too coarse or noisy to filter on: echoed and used for ranking only.
SOFT_FIELDS = {"usage", "season", "category"}
#: Fields whose head word groups values into families.
FAMILY_FIELDS = {"type", "colour", "subcategory"}

_SPLIT = re.compile(r"[^0-9a-z\u00c0-\u024f]+")


def singular(word: str) -> str:
    """Fold English plurals so "dresses", "shoes", "watches" meet "dress", "shoe", "watch"."""
    if len(word) <= 3 or word.endswith("ss") or word.endswith("us"):
        return word
    for suffix in ("sses", "shes", "ches", "xes"):
        if word.endswith(suffix):
            return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


def normalise(phrase: str) -> str:
    """Lower case, hyphens and apostrophes dropped ("T-Shirts" → "tshirt"), words singular."""
    text = phrase.lower().replace("-", "").replace("'", "").replace("’", "")
    return " ".join(singular(w) for w in _SPLIT.split(text) if w)


def _keys(value: str) -> list[str]:
    """The phrases that name a value: its whole name, and each alternative of a slashed one ("Leggings/Tights",
    "Hat/beanie", "Sweaters & Pullovers": a shopper says one of them)."""
    keys = [normalise(value)]
    if any(mark in value for mark in "/&,"):
        keys += [normalise(part) for part in re.split(r"[/&,]", value)]
    return [k for k in dict.fromkeys(keys) if k]


@dataclass(frozen=True)
class Match:
    """A resolved phrase: the field it names and the catalog values it stands for."""

    field: str
    values: tuple[str, ...]
    exact: bool
    #: the values the phrase names exactly ("pink" → Pink), ranked before the rest of `values` (its family)
    said: tuple[str, ...] = ()


class Vocabulary:
    """Phrase → attribute values, built from the catalog's attribute values (and brands)."""

    def __init__(self, values: Mapping[str, Iterable[str]], prices: Iterable[float] = ()) -> None:
        self.exact: dict[str, dict[str, set[str]]] = {}
        self.family: dict[str, dict[str, set[str]]] = {}
        self.fields = [f for f in SLOT_FIELDS if f in values]
        for field in self.fields:
            for value in values[field]:
                if not value or value.upper() == "NA":
                    continue
                for key in _keys(value):
                    self.exact.setdefault(key, {}).setdefault(field, set()).add(value)
                    words = key.split()
                    if field in FAMILY_FIELDS and len(words) > 1:
                        self.family.setdefault(words[-1], {}).setdefault(field, set()).add(value)
        self.max_words = max((len(k.split()) for k in self.exact), default=1)
        ordered = sorted(p for p in prices if p is not None)
        self.price_quartiles = (ordered[len(ordered) // 4], ordered[(3 * len(ordered)) // 4]) if ordered else None

    def lookup(self, phrase: str) -> Match | None:
        """The best field and values for `phrase`: an exact value beats a family, earlier fields beat later."""
        key = normalise(phrase)
        soft_only = set(self.exact.get(key, {})) <= SOFT_FIELDS
        hard_family = [f for f in self.family.get(key, {}) if f not in SOFT_FIELDS]
        if soft_only and hard_family:  # "watch": the type family (Wrist Watches) filters; the soft category would not
            field = next(f for f in self.fields if f in hard_family)
            return Match(field, tuple(sorted(self.family[key][field])), False)
        for table, exact in ((self.exact, True), (self.family, False)):
            found = table.get(key)
            if not found:
                continue
            for field in self.fields:
                if field in found:
                    values = set(found[field])
                    if exact and field in FAMILY_FIELDS:
                        values |= self.family.get(key, {}).get(field, set())
                    return Match(field, tuple(sorted(values)), exact, tuple(sorted(found[field])) if exact else ())
        return None

    def values_of(self, field: str) -> list[str]:
        """Every catalog value of one field (for the embedding fallback)."""
        return sorted({v for table in self.exact.values() for v in table.get(field, ())})
