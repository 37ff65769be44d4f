"""Make a transcript read like a typed query: simplified script, half-width, digits for spoken amounts.

Why: Whisper writes Mandarin in traditional characters as often as simplified ("換一首歌"), spells
prices as words ("五百块以内") and ends sentences with a full stop; the query parser reads simplified
Chinese, digits and no punctuation. Only numerals that are amounts become digits, so "一件" and
"看一下" stay as they were said. A word looped by the recogniser ("女士 女士 女士") is said once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import cn2an

_NUMERAL = re.compile(r"[零一二两三四五六七八九十百千万点]+")
#: What follows a spoken amount: currency, a bound, a range.
_AMOUNT_AFTER = re.compile(r"^(?:块|元|圆|刀|美元|卢比|以内|以下|以上|左右|之内|到|至)")
_UNIT = re.compile(r"[十百千万]")
_TRAILING = re.compile(r"[\s。．.，,！!？?、…]+$")
#: Whisper's loops on unclear audio: a Chinese word said again and again, an English word three times or more.
_ZH_REPEAT = re.compile(r"([\u4e00-\u9fff]{2,4})(?:\s*\1)+")
_EN_REPEAT = re.compile(r"\b(\w+)(?:\s+\1\b){2,}", re.I)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc  # noqa: PLC0415 - opencc-python-reimplemented: pure Python, Apache-2.0

    return opencc.OpenCC("t2s")


def _amounts(text: str) -> str:
    def convert(match: re.Match[str]) -> str:
        run = match.group(0)
        after = text[match.end() :]
        before = text[: match.start()]
        if not (_AMOUNT_AFTER.match(after) or (_UNIT.search(run) and len(run) > 1) or before.endswith(("低于", "不超过", "少于", "高于", "超过", "预算"))):
            return run
        try:
            return str(cn2an.cn2an(run, "smart")).removesuffix(".0")
        except (ValueError, KeyError):
            return run

    return _NUMERAL.sub(convert, text)


def normalise(text: str, language: str) -> str:
    """The transcript as the parser reads typed queries."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = _TRAILING.sub("", text)
    if language == "zh" or re.search(r"[\u4e00-\u9fff]", text):
        text = _amounts(_t2s().convert(text))
        text = re.sub(r"[，。、！？,]", " ", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 2,000 → 2000
    text = re.sub(r"[,;:!?]+(?=\s|$)|(?<=[a-z])\.(?=\s|$)", " ", text)  # prompts make Whisper list words with commas
    text = _EN_REPEAT.sub(r"\1", _ZH_REPEAT.sub(r"\1", " ".join(text.split())))
    return re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff\d])|(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff])", "", text)  # typed Chinese has no spaces
