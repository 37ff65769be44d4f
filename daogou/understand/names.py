"""Catalog values as a Chinese shopper says them ("Sports Shoes" → 运动鞋, "Light Pink" → 浅粉色).

Why read the query lexicon backwards: the words a shopper types for a value are the words to show them
for it (in chips, hit explanations and the assistant's replies), and keeping one table keeps both sides in step.
A value no Chinese word names is shown as the catalog spells it.
"""

from __future__ import annotations

from daogou.understand.vocabulary import normalise
from daogou.understand.zh_words import ZH_GENDERS, ZH_TO_EN

#: Genders read as the storefront labels them (the lexicon maps several words to each).
VALUE_ZH = {"Men": "男款", "Women": "女款", "Boys": "男童", "Girls": "女童", "Unisex": "中性", "Kids": "儿童"}
_SHADE_ZH = {"light": "浅", "pale": "浅", "dark": "深", "deep": "深", "bright": "亮"}


def _zh_names() -> dict[str, str]:
    """Normalised English phrase → a Chinese word for it: one whose main meaning (first phrase) it is, else any
    word that lists it ("Casual Shoes" → 休闲鞋, not 板鞋, which lists it second)."""
    out: dict[str, str] = {}
    entries = [(zh.replace("t恤", "T恤"), phrases) for zh, phrases in ZH_TO_EN.items() if zh not in ZH_GENDERS]
    for zh, phrases in entries:
        out.setdefault(normalise(phrases[0]), zh)
    for zh, phrases in entries:
        for phrase in phrases[1:]:
            out.setdefault(normalise(phrase), zh)
    return out


_ZH_NAMES = _zh_names()


def zh_value(value: str) -> str:
    """A catalog value in Chinese; shaded colours compose ("Light Pink" → 浅粉色); unknown values stay as they are."""
    if value in VALUE_ZH:
        return VALUE_ZH[value]
    key = normalise(value)
    if key in _ZH_NAMES:
        return _ZH_NAMES[key]
    head, _, rest = key.partition(" ")
    if head in _SHADE_ZH and rest in _ZH_NAMES:
        return _SHADE_ZH[head] + _ZH_NAMES[rest]
    return value
