"""Repair Mandarin homophones and near-homophones against the shop's words by toneless pinyin.

Why pinyin: Whisper base hears the sounds of "衬衫" right but writes other characters with them
("趁山"); by characters nothing matches, by sound it is the shop's word. Longest words first, so
"休闲裤" wins over "休闲". A run that is already a common word of its own (jieba's dictionary) is
left alone, and so is a two-character run holding a function word or numeral, so "上一个" does not become
"上衣个" (a longer run such as "脸一群" is still the shop's "连衣裙"). Runs no exact sound matches get a second
chance by a distance between syllables: each syllable's initial and final count as the same, alike (the
l/n/m, z/zh/j, c/ch/q, s/sh/x, b/p, d/t, g/k confusions; -n/-ng finals) or different, so "皮蛋" (pi dan) is
still the shop's "皮带" (pi dai) but a run must keep most of a word's sound. The one exception to the
common-word rule is the query's last word, where a Chinese shopping query names the product: "女生唯一"
(wei yi) ends in the shop's "卫衣", said the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import jellyfish
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


_ALIKE_INITIALS = [{"z", "zh", "j"}, {"c", "ch", "q"}, {"s", "sh", "x"}, {"n", "l", "m"}, {"l", "r"}, {"b", "p"},
                   {"d", "t"}, {"g", "k"}, {"f", "h"}, {"y", ""}, {"w", ""}]
_ALIKE_FINALS = [{"an", "ang"}, {"en", "eng"}, {"in", "ing"}, {"ian", "iang"}, {"uan", "uang"}, {"ai", "ei"},
                 {"ei", "uei"}, {"un", "ong"}, {"e", "ie"}, {"ou", "u"}, {"o", "uo"}]
#: The most a run's sound may differ from a word's (per syllable part: alike 0.5, different 1) to be taken for it.
NEAR = {2: 1.0, 3: 1.0, 4: 1.5, 5: 1.5}
#: Up to this many Han characters an utterance reads as a search query, where every run may be a product word.
QUERY_CHARS = 8
Syllable = tuple[str, str]


def _part_cost(a: str, b: str, alike: list[set[str]]) -> float:
    if a == b:
        return 0.0
    return 0.5 if any(a in group and b in group for group in alike) else 1.0


def sound_distance(heard: tuple[Syllable, ...], word: tuple[Syllable, ...]) -> float:
    """How far two equally long syllable runs sound apart; a syllable wrong in both its parts rules the pair out."""
    total = 0.0
    for (i1, f1), (i2, f2) in zip(heard, word):
        cost = _part_cost(i1, i2, _ALIKE_INITIALS) + _part_cost(f1, f2, _ALIKE_FINALS)
        if cost >= 2.0:
            return float("inf")
        total += cost
    return total


def _syllables(text: str) -> list[Syllable]:
    """(initial, final) per character; a non-Han character is its own initial with no final."""
    initials = lazy_pinyin(text, style=Style.INITIALS, strict=False, errors=lambda x: list(x))
    finals = lazy_pinyin(text, style=Style.FINALS, strict=True, errors=lambda x: [""] * len(x))
    return list(zip(initials, finals))


@dataclass(frozen=True)
class Correction:
    heard: str
    meant: str


class PinyinCorrector:
    """Replace runs of Han characters that sound like one of the shop's words but are spelled differently."""

    def __init__(self, words: tuple[str, ...], max_len: int = 5) -> None:
        self.max_len = max_len
        #: by length, (syllables, word), most-stocked first: on equal distance the better-stocked word wins
        self.by_length: dict[int, list[tuple[tuple[Syllable, ...], str]]] = {}
        for word in words:
            if 2 <= len(word) <= max_len and all(_HAN.match(ch) for ch in word):
                self.by_length.setdefault(len(word), []).append((tuple(_syllables(word)), word))
        self.known = set(words)

    @cached_property
    def _frequency(self) -> dict[str, int]:
        import jieba  # noqa: PLC0415

        jieba.initialize()
        return jieba.dt.FREQ

    def _tokens(self, text: str) -> tuple[dict[int, int], set[int]]:
        """Where jieba's dictionary words start (each with its end) and end: a repair replaces whole words only,
        so a run that would cut one ("调整|中", "广州|市") is real speech, not a misheard shop word."""
        import jieba  # noqa: PLC0415

        starts: dict[int, int] = {}
        ends: set[int] = set()
        for _, begin, end in jieba.tokenize(text, HMM=False):
            starts[begin] = end
            ends.add(end)
        return starts, ends

    def coverage(self, text: str) -> float:
        """The share of the text's Han characters that spell the shop's words, each word counted once.

        Why once: Whisper, prompted with a list of the shop's words, sometimes continues the list
        ("男士 女士 女士 女士"); a transcript made of one word said again is not a better fit."""
        han = len(_HAN.findall(text))
        seen: set[str] = set()
        covered, i = 0, 0
        while i < len(text):
            for size in range(min(self.max_len, len(text) - i), 1, -1):
                run = text[i : i + size]
                if run in self.known:
                    covered += 0 if run in seen else len(_HAN.findall(run))  # "T恤" is one Han character
                    seen.add(run)
                    i += size
                    break
            else:
                i += 1
        return covered / han if han else 0.0

    def nearest(self, heard: tuple[Syllable, ...], limit: float) -> str | None:
        """The shop word of the same length that sounds nearest to `heard`, if within `limit`."""
        best, best_cost = None, limit
        for sound, word in self.by_length.get(len(heard), ()):
            cost = sound_distance(heard, sound)
            if cost < best_cost or (best is None and cost <= limit):
                best, best_cost = word, cost
                if cost == 0.0:
                    break
        return best

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """The text with misheard shop words (and price bounds after an amount) replaced, and what was replaced."""
        if not _HAN.search(text) or len(text) > 400:
            return text, []
        fixes: list[Correction] = []
        text = _AFTER_AMOUNT.sub(lambda m: m.group(1) + _price_cue(m.group(2), fixes), text)
        sounds = _syllables(text)

        last = max((m.end() for m in _HAN.finditer(text)), default=0)
        starts, ends = self._tokens(text)
        query = len(_HAN.findall(text)) <= QUERY_CHARS  # said like a search ("男士宗色皮白"), not a sentence
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
                if i not in starts or i + size not in ends:  # it would cut a word in two: "感兴|趣" is not 男性
                    continue
                heard = tuple(sounds[i : i + size])
                grammar = size == 2 and FUNCTION_CHARS.intersection(run)  # "上一": grammar; "脸一群": a misheard 连衣裙
                if i + size == last and (grammar or self._frequency.get(run, 0) >= COMMON):
                    word = self.nearest(heard, 0.0 if grammar else 0.5)  # the query's last word names the product
                elif grammar or self._frequency.get(run, 0) >= COMMON:
                    word = None
                else:  # in a sentence, a run of several words ("想|说") must sound all but the same
                    word = self.nearest(heard, NEAR.get(size, 1.0) if query or starts[i] == i + size else 0.5)
                if word:
                    out.append(word)
                    fixes.append(Correction(run, word))
                    step = size
                    break
            else:
                out.append(text[i])
            i += step
        return "".join(out), fixes


_CUES = [(tuple(_syllables(cue)), cue) for cue in PRICE_CUES]


def _price_cue(heard: str, fixes: list[Correction]) -> str:
    """`heard` (two characters after an amount) as the price bound it sounds like, if it sounds like one."""
    sound = tuple(_syllables(heard))
    cost, cue = min((sound_distance(sound, s), cue) for s, cue in _CUES)
    if cost > 1.0 or cue == heard:
        return heard
    fixes.append(Correction(heard, cue))
    return cue


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
#: How alike (rapidfuzz ratio, 0-100) a heard Latin word must be to a brand to be taken for it ("Rangler" → Wrangler).
BRAND_LIKENESS = 80
#: Words shorter than this are not matched by sound: "fast" and the brand Facit share the key FST.
SOUND_MIN = 5


class BrandSpeller:
    """Replace Latin words that are near-misses of one-word brand names the shop sells.

    Why: Whisper spells a brand it does not know by its sound ("Reback", "Addidas", "Rudster"); a brand filter
    needs the catalog's spelling. A word is taken for a brand when it is spelled almost the same (rapidfuzz) or
    sounds the same (the same metaphone key; five letters at least). Words the shop or the query parser knows as
    they are ("shirts", "women") are left alone.
    """

    def __init__(self, brands: tuple[str, ...], known: set[str]) -> None:
        self.brands = {b.lower(): b for b in brands if b.isascii() and " " not in b and len(b) >= 4}
        self.known = {w.lower() for w in known}
        self.by_sound: dict[str, str] = {}
        for low, brand in self.brands.items():  # most-stocked first: it keeps a shared sound
            key = _sound_key(low)
            if len(key) >= 3:
                self.by_sound.setdefault(key, brand)

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        fixes: list[Correction] = []

        def spell(match: re.Match[str]) -> str:
            word = match.group(0)
            low = word.lower()
            if low in self.brands or low in self.known or not self.brands:
                return word
            best = process.extractOne(low, list(self.brands), scorer=fuzz.ratio, score_cutoff=BRAND_LIKENESS)
            brand = self.brands[best[0]] if best is not None else self.by_sound.get(_sound_key(low)) if len(low) >= SOUND_MIN else None
            if brand is None:
                return word
            fixes.append(Correction(word, brand))
            return brand

        return _LATIN_WORD.sub(spell, text), fixes


def _sound_key(word: str) -> str:
    """The metaphone key of a Latin word, hyphens dropped ("fast-track" sounds as "Fastrack")."""
    return jellyfish.metaphone(word.replace("-", "").replace("'", ""))
