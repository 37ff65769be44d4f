"""The shop's own words, for biasing recognition towards them and for repairing what it misheard.

Why from the catalog: a recogniser that has never seen "Jeggings", "卫衣" or "Roadster" writes the
nearest common words instead; the words this shop actually sells are a few hundred, and they are
exactly the ones a search needs to survive. Chinese words come from the lexicon the query parser
already reads (understand/zh_words.py), kept only when they resolve to a value of this catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from daogou.understand.lexicon import ZH_TO_EN
from daogou.understand.names import VALUE_ZH, zh_value

#: Fields whose values a shopper says aloud.
SPOKEN_FIELDS = ("type", "articletype", "category", "subcategory", "colour", "color", "brand", "gender", "usage", "season")
#: Fields that name what a shopper is after; the prompt holds only these (its room is small).
PROMPT_FIELDS = ("type", "articletype", "colour", "color", "brand", "gender")
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: Prompt budgets (characters) that stay well inside Whisper's 223-token prompt limit.
PROMPT_CHARS = {"zh": 110, "en": 420}


@dataclass(frozen=True)
class ShopWords:
    """The shop's speakable words per language, the most-stocked first."""

    en: tuple[str, ...]
    zh: tuple[str, ...]
    #: the prompt's words: one per catalog value of PROMPT_FIELDS, most-stocked first
    prompt_en: tuple[str, ...] = ()
    prompt_zh: tuple[str, ...] = ()
    #: brand names as the catalog spells them (Latin ones are repaired by spelling, see correction.py)
    brands: tuple[str, ...] = ()

    @classmethod
    def from_catalog(cls, counts: Mapping[str, Mapping[str, int]], resolves: Callable[[str], tuple[str, ...]]) -> "ShopWords":
        """`counts`: field → catalog value → products; `resolves`: an English phrase → the catalog values it means."""
        weight: dict[str, int] = {}
        wanted: dict[str, int] = {}
        for field, values in counts.items():
            if field.lower() not in SPOKEN_FIELDS:
                continue
            for value, n in values.items():
                if value and value.upper() != "NA":
                    weight[value] = weight.get(value, 0) + n
                    if field.lower() in PROMPT_FIELDS:
                        wanted[value] = wanted.get(value, 0) + n
        zh: dict[str, int] = {}
        said_as: dict[str, str] = {}  # catalog value → its first Chinese word
        for value, n in weight.items():
            name = zh_value(value)
            if _CJK.search(name):
                zh[name] = max(zh.get(name, 0), n)
                if value not in VALUE_ZH:  # genders: the lexicon's 男士/女士, as shoppers say them, not the label 男款
                    said_as[value] = name
        for word, phrases in ZH_TO_EN.items():
            meant = {v for phrase in phrases for v in resolves(phrase)}
            if meant:
                zh[word] = max(zh.get(word, 0), max(weight.get(v, 1) for v in meant))
                for value in meant:
                    said_as.setdefault(value, word)
        by_stock = sorted(wanted, key=lambda v: (-wanted[v], v))
        prompt_zh = dict.fromkeys(said_as.get(v, v if v.isascii() and len(v.split()) == 1 else "") for v in by_stock)
        en = sorted((v for v in weight if not _CJK.search(v)), key=lambda v: (-weight[v], v))
        brands = sorted((v for field, values in counts.items() if field.lower() == "brand" for v in values), key=lambda v: (-weight.get(v, 0), v))
        return cls(tuple(en), tuple(sorted(zh, key=lambda w: (-zh[w], w))), tuple(v for v in by_stock if not _CJK.search(v)),
                   tuple(w for w in prompt_zh if w), tuple(brands))

    @cached_property
    def prompts(self) -> dict[str, str]:
        """The prompt per language, built once per catalog (not per recording)."""
        return {language: self.prompt(language) for language in ("zh", "en")}

    def prompt(self, language: str) -> str:
        """A short list of the shop's words for Whisper to continue from (its 'initial prompt').

        The style was chosen on the dev clips (benchmarks/speech/dev.tsv), not the test set: a bare list,
        space-separated for Chinese (with "，" Whisper continued the list and stopped after two words:
        dev CER 0.35 → 0.26) and in lower case for English (capitalised names made it write one capitalised
        word per comma).
        """
        if language == "zh":
            words, sep = list(self.prompt_zh or self.zh), " "  # "，" lists made it stop after two words
        else:
            words, sep = [w.lower() for w in self.prompt_en or self.en], ", "
        budget = PROMPT_CHARS.get(language, 300)
        chosen: list[str] = []
        used = 0
        for word in words:
            if used + len(word) + len(sep) > budget:
                continue
            chosen.append(word)
            used += len(word) + len(sep)
        return sep.join(chosen)


class CatalogWords:
    """The current catalog's ShopWords, rebuilt when the searcher is (a re-index), else reused."""

    def __init__(self, searcher: Callable[[], Any]) -> None:
        self.searcher = searcher
        self._cached: tuple[object, ShopWords] | None = None

    def __call__(self) -> ShopWords:
        searcher = self.searcher()
        if self._cached is None or self._cached[0] is not searcher:
            attributes, vocabulary = searcher.attributes, searcher.parser.vocabulary

            def resolves(phrase: str) -> tuple[str, ...]:
                match = vocabulary.lookup(phrase)
                return match.values if match else ()

            counts = {name: attributes.catalog_values(name) for name in attributes.fields()}
            self._cached = (searcher, ShopWords.from_catalog(counts, resolves))
        return self._cached[1]
