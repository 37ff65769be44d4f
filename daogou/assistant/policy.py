"""Shop policies (shipping, returns, warranty, invoices...) answered only from the shop's own documents, with citations.

Why extractive with a floor: a policy answer is a promise the shop must keep. The reply quotes the
sentences of the best-matching section and cites it; below a confidence floor — calibrated on a
development split of questions, never on the test split — nothing is quoted and the shopper is
handed to a person. Documents are Markdown (sections by heading) or plain text (sections by
paragraph), in Chinese or English; questions in either language match either (multilingual e5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from daogou.errors import ImportFailed

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE = re.compile(r"(?<=[。！？!?；;])\s*|(?<=[.])\s+(?=[A-Z0-9\"'(])|\n+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
#: Score floor below which no section is quoted, and the weight of exact topic words in the score; both chosen
#: on the development half of the policy questions by benchmarks/assistant.py (the test half reports).
DEFAULT_FLOOR = {"en": 0.84, "zh": 0.89}
LEXICAL_WEIGHT = 0.1
MAX_DOC_BYTES = 2 * 1024 * 1024


@dataclass
class Section:
    doc: str
    heading: str
    text: str

    @property
    def language(self) -> str:
        return "zh" if _CJK.search(self.heading + self.text) else "en"


@dataclass
class PolicyAnswer:
    section: Section
    score: float
    sentences: list[str]


def parse_document(text: str, name: str) -> list[tuple[str, str]]:
    """(heading path, body) per section: Markdown headings nest ("Returns > Refunds"); plain text splits at blank lines."""
    lines = text.replace("\r\n", "\n").split("\n")
    if any(_HEADING.match(line) for line in lines):
        sections: list[tuple[str, str]] = []
        path: list[tuple[int, str]] = []
        body: list[str] = []

        def flush() -> None:
            content = "\n".join(body).strip()
            if content and path:
                sections.append((" > ".join(h for _, h in path), content))
            body.clear()

        for line in lines:
            match = _HEADING.match(line)
            if match:
                flush()
                level = len(match.group(1))
                path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, match.group(2).strip())]
            else:
                body.append(line)
        flush()
        return sections
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        first, _, rest = block.partition("\n")
        heading = first.strip().rstrip(":：") if rest and len(first) <= 40 else f"{name} ¶{len(out) + 1}"
        out.append((heading, rest.strip() if rest and len(first) <= 40 else block))
    return out


def read_document(path: Path) -> tuple[str, list[tuple[str, str]]]:
    """(doc name, sections) of a Markdown or text file, with clear errors for what cannot be used."""
    if path.suffix.lower() not in {".md", ".markdown", ".txt"}:
        raise ImportFailed(f"{path.name}: policy documents are Markdown (.md) or text (.txt)")
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    if path.stat().st_size > MAX_DOC_BYTES:
        raise ImportFailed(f"{path.name} is over {MAX_DOC_BYTES // 1_000_000} MB")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path.name} is not UTF-8 text") from exc
    sections = parse_document(text, path.stem)
    if not sections:
        raise ImportFailed(f"{path.name} holds no text")
    return path.name, sections


def sentences(text: str) -> list[str]:
    parts = [p.strip(" -*\t") for p in _SENTENCE.split(text)]
    return [p for p in parts if len(p) > 1]


_STOP = {"the", "a", "an", "is", "are", "do", "does", "can", "i", "my", "you", "your", "what", "how", "of", "to", "for", "on", "in", "it",
         "be", "there", "and", "or", "with", "if", "will", "get", "have", "at", "by", "me", "we", "this", "that", "which", "when", "many", "much"}
_ZH_STOP = set("的了吗呢是我你们有可以能么什怎多少")


def _terms(text: str) -> set[str]:
    """English content words (crudely singular) and Chinese character pairs."""
    lower = text.lower()
    words = {w.rstrip("s") if len(w) > 4 else w for w in re.findall(r"[a-z]+", lower) if w not in _STOP}
    chars = [c for c in lower if _CJK.match(c) and c not in _ZH_STOP]
    pairs = {a + b for a, b in zip(chars, chars[1:])}
    return words | pairs


class PolicyIndex:
    """Sections of the shop's policy documents, searchable by question in Chinese or English."""

    def __init__(self, sections: list[Section], encoder, floor: dict[str, float] | None = None, lexical_weight: float = LEXICAL_WEIGHT) -> None:  # type: ignore[no-untyped-def]
        self.lexical_weight = lexical_weight
        self.sections = sections
        self.encoder = encoder
        self.floor = dict(floor or DEFAULT_FLOOR)  # per question language: e5's similarities run lower across Chinese
        texts = [f"{s.heading}\n{s.text}" for s in sections]
        self._vectors = encoder.encode_passages(texts) if sections else np.zeros((0, 1), np.float32)
        self._heading_terms = [_terms(s.heading) for s in sections]
        self._text_terms = [_terms(s.text) for s in sections]

    def score(self, question: str) -> list[tuple[float, Section]]:
        """Sections by similarity to the question, best first.

        The cosine of e5 query and passage vectors carries meaning across languages; the share of the
        question's words (English words, Chinese character pairs) found in the section's heading and
        text adds the exact topic words ("退货", "warranty") that a small encoder blurs.
        """
        if not self.sections:
            return []
        query = self.encoder.encode_queries([question])[0]
        scores = self._vectors @ query
        terms = _terms(question)
        out = []
        for cosine, section, heading_terms, text_terms in zip(scores, self.sections, self._heading_terms, self._text_terms):
            lexical = (len(terms & heading_terms) + 0.5 * len(terms & text_terms)) / max(1, len(terms))
            out.append((float(cosine) + self.lexical_weight * lexical, section))
        return sorted(out, key=lambda pair: -pair[0])

    def answer(self, question: str, language: str, floor: float | None = None) -> PolicyAnswer | None:
        """The best section above the floor and its sentences that best answer the question, or None."""
        ranked = self.score(question)
        if not ranked:
            return None
        best_score, best = ranked[0]
        # the same topic in the shopper's language, when the shop wrote both and it is as good
        for score, section in ranked[1:4]:
            if section.language == language != best.language and score >= best_score - 0.02:
                best_score, best = score, section
                break
        if best_score < (self.floor.get(language, min(self.floor.values())) if floor is None else floor):
            return None
        parts = sentences(best.text)
        if len(parts) > 2:
            vectors = self.encoder.encode_passages(parts)
            query = self.encoder.encode_queries([question])[0]
            order = np.argsort(-(vectors @ query))[:2]
            parts = [parts[i] for i in sorted(order)]  # in the document's order
        return PolicyAnswer(best, best_score, parts)
