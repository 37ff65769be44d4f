"""Repair Mandarin homophones against the shop's words by toneless pinyin.

Why pinyin: Whisper base hears the sounds of "衬衫" right but writes other characters with them
("趁山"); by characters nothing matches, by sound it is the shop's word. Longest words first, so
"休闲裤" wins over "休闲". A run that is already a common word of its own (jieba's dictionary) is
left alone, and so is a two-character run holding a function word or numeral, so "上一个" does not become
"上衣个" (a longer run such as "脸一群" is still the shop's "连衣裙"). Runs no exact sound matches get a second
chance with the l/n, z/zh, c/ch, s/sh confusions of many Mandarin speakers folded ("中色" → "棕色").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process

_HAN = re.compile(r"[\u4e00-\u9fff]")
#: Words at least this common in jieba's dictionary are real words, not mishearings.
COMMON = 2000
#: Function words and numerals: a run holding one is grammar ("上一个", "这件"), not a misheard product word.
FUNCTION_CHARS = frozenset("一二三四五六七八九十两几个件条双只的了是在我你他她它们这那不也就都要有和与把被给吗呢吧啊")


#: What follows a spoken amount; Whisper mishears them (以内 → 一类) and then the price is lost.
PRICE_CUES = ("以内", "以下", "以上", "左右", "之内")
_AFTER_AMOUNT = re.compile(r"(\d+(?:\.\d+)?\s*(?:块钱|块|元)?)([\u4e00-\u9fff]{2})")


def _fuzzy(sounds: list[str]) -> tuple[str, ...]:
    """Sounds with the confusions of many Mandarin speakers folded (l/n, zh/z, ch/c, sh/s)."""
    out = []
    for s in sounds:
        for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
            if s.startswith(a):
                s = b + s[len(a):]
        out.append("n" + s[1:] if s.startswith("l") else s)
    return tuple(out)


@dataclass(frozen=True)
class Correction:
    heard: str
    meant: str


def _sounds(text: str) -> list[str]:
    """Toneless pinyin per character (non-Han characters stand for themselves)."""
    return [s if _HAN.match(ch) else ch for ch, s in zip(text, lazy_pinyin(text, style=Style.NORMAL, errors=lambda x: list(x)))]


class PinyinCorrector:
    """Replace runs of Han characters whose sound is one of the shop's words, spelled differently."""

    def __init__(self, words: tuple[str, ...], max_len: int = 5) -> None:
        self.max_len = max_len
        self.by_sound: dict[tuple[str, ...], str] = {}
        #: the same with the l/n, z/zh, c/ch, s/sh confusions folded: a second chance for runs no exact sound matched
        self.by_fuzzy: dict[tuple[str, ...], str] = {}
        for word in words:  # most-stocked first: the first word with a sound keeps it
            if 2 <= len(word) <= max_len and all(_HAN.match(ch) for ch in word):
                self.by_sound.setdefault(tuple(_sounds(word)), word)
                self.by_fuzzy.setdefault(_fuzzy(_sounds(word)), word)
        self.known = set(words)

    @cached_property
    def _frequency(self) -> dict[str, int]:
        import jieba  # noqa: PLC0415

        jieba.initialize()
        return jieba.dt.FREQ

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """The text with misheard shop words (and price bounds after an amount) replaced, and what was replaced."""
        if not _HAN.search(text) or len(text) > 400:
            return text, []
        fixes: list[Correction] = []
        text = _AFTER_AMOUNT.sub(lambda m: m.group(1) + _price_cue(m.group(2), fixes), text)
        sounds = _sounds(text)
        out: list[str] = []
        i = 0
        while i < len(text):
            step = 1
            for size in range(min(self.max_len, len(text) - i), 1, -1):
                run = text[i : i + size]
                if not all(_HAN.match(ch) for ch in run):
                    continue
                if run in self.known:
                    step = size
                    out.append(run)
                    break
                heard = sounds[i : i + size]
                word = self.by_sound.get(tuple(heard)) or self.by_fuzzy.get(_fuzzy(heard))
                grammar = size == 2 and FUNCTION_CHARS.intersection(run)  # "上一": grammar; "脸一群": a misheard 连衣裙
                if word and self._frequency.get(run, 0) < COMMON and not grammar:
                    out.append(word)
                    fixes.append(Correction(run, word))
                    step = size
                    break
            else:
                out.append(text[i])
            i += step
        return "".join(out), fixes


_CUE_SOUNDS = {_fuzzy(_sounds(cue)): cue for cue in PRICE_CUES}


def _price_cue(heard: str, fixes: list[Correction]) -> str:
    """`heard` (two characters after an amount) as the price bound it sounds like, if it sounds like one."""
    cue = _CUE_SOUNDS.get(_fuzzy(_sounds(heard)))
    if cue is None or cue == heard:
        return heard
    fixes.append(Correction(heard, cue))
    return cue


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
#: How alike (rapidfuzz ratio, 0-100) a heard Latin word must be to a brand to be taken for it ("Rangler" → Wrangler).
BRAND_LIKENESS = 80


class BrandSpeller:
    """Replace Latin words that are near-misses of one-word brand names the shop sells.

    Why: Whisper spells a brand it does not know by its sound ("Reback", "Addidas"); a brand filter needs the
    catalog's spelling. Words the shop or the query parser knows as they are ("shirts", "women") are left alone.
    """

    def __init__(self, brands: tuple[str, ...], known: set[str]) -> None:
        self.brands = {b.lower(): b for b in brands if b.isascii() and " " not in b and len(b) >= 4}
        self.known = {w.lower() for w in known}

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        fixes: list[Correction] = []

        def spell(match: re.Match[str]) -> str:
            word = match.group(0)
            low = word.lower()
            if low in self.brands or low in self.known or not self.brands:
                return word
            best = process.extractOne(low, list(self.brands), scorer=fuzz.ratio, score_cutoff=BRAND_LIKENESS)
            if best is None:
                return word
            fixes.append(Correction(word, self.brands[best[0]]))
            return self.brands[best[0]]

        return _LATIN_WORD.sub(spell, text), fixes
