"""Words for BM25 in Chinese and English: jieba segmentation, lower case, letters and digits only.

Why our own step before tantivy: tantivy's tokenizers do not segment Chinese; jieba does, and the
same function runs on products and on queries so both sides agree. Stripping everything but letters,
digits and CJK characters also makes any query text safe for the query parser (no syntax injection).
"""

from __future__ import annotations

import logging
import re
import threading

import jieba

jieba.setLogLevel(logging.WARNING)
_lock = threading.Lock()
_ready = False
_WORD = re.compile(r"[0-9a-z\u00c0-\u024f\u3400-\u4dbf\u4e00-\u9fff]+")


def _ensure_loaded() -> None:
    """jieba loads its dictionary lazily and not thread-safely; load it once under a lock."""
    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.initialize()
                _ready = True


def words(text: str) -> list[str]:
    """Segment `text` into lower-case words (Chinese via jieba), dropping punctuation and symbols."""
    _ensure_loaded()
    out: list[str] = []
    for piece in jieba.lcut(text.lower(), HMM=True):
        out.extend(_WORD.findall(piece))
    return out


def fold(word: str) -> str:
    """Crude plural folding for explanations only ("shoes" meets "shoe"; BM25 itself uses tantivy's stemmer)."""
    for suffix in ("es", "s"):
        if len(word) > 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word
