"""Repair Mandarin homophones against the shop's words by toneless pinyin.

Why pinyin: Whisper base hears the sounds of "衬衫" right but writes other characters with them
("趁山"); by characters nothing matches, by sound it is the shop's word. Longest words first, so
"休闲裤" wins over "休闲". A run that is already a common word of its own (jieba's dictionary) is
left alone, and so is a run holding a function word or numeral, so "上一个" does not become "上衣个".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pypinyin import Style, lazy_pinyin

_HAN = re.compile(r"[\u4e00-\u9fff]")
#: Words at least this common in jieba's dictionary are real words, not mishearings.
COMMON = 2000
#: Function words and numerals: a run holding one is grammar ("上一个", "这件"), not a misheard product word.
FUNCTION_CHARS = frozenset("一二三四五六七八九十两几个件条双只的了是在我你他她它们这那不也就都要有和与把被给吗呢吧啊")


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
        for word in words:  # most-stocked first: the first word with a sound keeps it
            if 2 <= len(word) <= max_len and all(_HAN.match(ch) for ch in word):
                self.by_sound.setdefault(tuple(_sounds(word)), word)
        self.known = set(words)

    @cached_property
    def _frequency(self) -> dict[str, int]:
        import jieba  # noqa: PLC0415

        jieba.initialize()
        return jieba.dt.FREQ

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """The text with misheard shop words replaced, and what was replaced."""
        if not _HAN.search(text) or len(text) > 400:
            return text, []
        sounds = _sounds(text)
        out: list[str] = []
        fixes: list[Correction] = []
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
                word = self.by_sound.get(tuple(sounds[i : i + size]))
                if word and self._frequency.get(run, 0) < COMMON and not FUNCTION_CHARS.intersection(run):
                    out.append(word)
                    fixes.append(Correction(run, word))
                    step = size
                    break
            else:
                out.append(text[i])
            i += step
        return "".join(out), fixes
