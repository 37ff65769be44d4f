"""Query understanding for Chinese and English: intent and slots (type, colour, gender, brand, price, size, negation).

Why: "黑色男士运动鞋" and "black sports shoes for men, not Nike, under 3000" both say exactly what
the shopper will accept. Turning those words into hard filters (and echoing them back as chips the
shopper can remove) is what lifts precision from "similar words" to "what I asked for".

How: Chinese runs are split by a longest-match lexicon into English phrases; English words are
matched as the longest n-grams against shopper synonyms and the catalog's own vocabulary; a
negation cue right before a slot turns it into an exclusion; prices come from patterns.
"""

from __future__ import annotations

import re
from itertools import groupby
from dataclasses import asdict, dataclass, field

from daogou.understand.lexicon import (
    CHEAP_WORDS,
    COMPARE_CUES,
    EN_SYNONYMS,
    NEGATION_CARRY,
    NEGATION_EN,
    NEGATION_ZH,
    PREMIUM_WORDS,
    QUESTION_CUES,
    SERVICE_CUES,
    STOPWORDS,
    ZH_COLOURS,
    ZH_TO_EN,
)
from daogou.understand.inference import EN_SHADES, ZH_SHADES, ValueInference
from daogou.understand.vocabulary import SOFT_FIELDS, Match, Vocabulary, normalise

_SPACES = re.compile(r"\s+")
_LONG_NUMBER = re.compile(r"\d{13,}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[0-9a-z\u00c0-\u024f][0-9a-z\u00c0-\u024f'’\-]*", re.IGNORECASE)
_ZH_KEYS = sorted(ZH_TO_EN, key=len, reverse=True)
_EN_SYNONYMS = {normalise(k): v for k, v in EN_SYNONYMS.items()}
_NUM = r"(\d+(?:[.,]\d+)?)\s*(?:k\b)?"
_CURRENCY = r"(?:rs\.?|inr|usd|\$|₹|¥|￥|€|£)?\s*"
_PRICE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"between\s+{_CURRENCY}{_NUM}\s*(?:and|-|to)\s*{_CURRENCY}{_NUM}", re.I), "range"),
    (re.compile(rf"{_CURRENCY}{_NUM}\s*(?:-|to|~)\s*{_CURRENCY}{_NUM}\s*(?:rs|inr|usd|dollars|rupees|元|块)?", re.I), "range"),
    (re.compile(rf"{_NUM}\s*(?:元|块)?\s*(?:到|至|-|~)\s*{_NUM}\s*(?:元|块)", re.I), "range"),
    (re.compile(rf"(?:under|below|less than|cheaper than|up to|within|max|at most|<)\s*{_CURRENCY}{_NUM}", re.I), "max"),
    (re.compile(rf"{_NUM}\s*(?:元|块)?\s*(?:以内|以下|之内|内)", re.I), "max"),
    (re.compile(rf"(?:低于|不超过|少于|小于)\s*{_NUM}\s*(?:元|块)?", re.I), "max"),
    (re.compile(rf"(?:over|above|more than|at least|min|>)\s*{_CURRENCY}{_NUM}", re.I), "min"),
    (re.compile(rf"{_NUM}\s*(?:元|块)?\s*以上", re.I), "min"),
    (re.compile(rf"(?:高于|超过|大于)\s*{_NUM}\s*(?:元|块)?", re.I), "min"),
]
_SIZE = re.compile(r"(?:size|尺码|码数|尺寸)\s*[:：]?\s*(xxs|xs|s|m|l|xl|xxl|xxxl|\d{1,2}(?:\.5)?)\b|\b(xxs|xs|xl|xxl|xxxl)\b|(\d{2})\s*码", re.I)


@dataclass
class Slot:
    """One thing the shopper asked for: a field, the catalog values it maps to, the words that said it."""

    field: str
    values: list[str]
    text: str
    negated: bool = False
    #: soft slots rank results but do not filter them (too coarse or noisy in catalogs: usage, season)
    soft: bool = False
    #: the values named exactly ("pink" → Pink; "light pink" → Light Pink): ranked before the rest of the family
    exact: list[str] = field(default_factory=list)
    #: guessed from words no lexicon knew (dictionary gloss or nearest value by the encoder): shown as a guess
    inferred: bool = False


@dataclass
class ParsedQuery:
    """What a query asks for. `filters`/`exclusions` feed the attribute index; `chips` the UI."""

    text: str
    language: str
    intent: str
    slots: list[Slot] = field(default_factory=list)
    price_min: float | None = None
    price_max: float | None = None
    price_text: str = ""
    size: str | None = None
    #: English words for BM25 when the query is Chinese (the slots' phrases)
    english: str = ""

    @property
    def filters(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for slot in self.slots:
            if not slot.negated and not slot.soft:
                out.setdefault(slot.field, [])
                out[slot.field] += [v for v in slot.values if v not in out[slot.field]]
        return out

    @property
    def preferred(self) -> dict[str, list[str]]:
        """Per filtered field, the values the shopper named exactly where the filter also admits their family."""
        return {s.field: s.exact for s in self.slots if not s.negated and not s.soft and s.exact and set(s.exact) != set(s.values)}

    @property
    def exclusions(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for slot in self.slots:
            if slot.negated:
                out.setdefault(slot.field, [])
                out[slot.field] += [v for v in slot.values if v not in out[slot.field]]
        return out

    def chips(self) -> list[dict[str, object]]:
        """Removable chips for the UI: one per slot, plus price and size."""
        chips: list[dict[str, object]] = [
            {"field": s.field, "values": s.values, "text": s.text, "negated": s.negated, "soft": s.soft, "exact": s.exact, "inferred": s.inferred}
            for s in self.slots
        ]
        if self.price_min is not None or self.price_max is not None:
            chips.append({"field": "price", "values": [self.price_min, self.price_max], "text": self.price_text, "negated": False, "soft": False})
        if self.size:
            chips.append({"field": "size", "values": [self.size], "text": self.size, "negated": False, "soft": True})
        return chips

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["filters"], data["exclusions"], data["chips"] = self.filters, self.exclusions, self.chips()
        return data


def _number(raw: str, text: str) -> float:
    value = float(raw.replace(",", ""))
    return value * 1000 if re.search(re.escape(raw) + r"\s*k\b", text, re.I) else value


def _intent(lower: str) -> str:
    padded = f" {lower} "
    if any(cue in padded for cue in SERVICE_CUES):
        return "service"
    if any(cue in padded for cue in COMPARE_CUES):
        return "compare"
    if any(cue in padded for cue in QUESTION_CUES) or padded.strip().startswith(("is ", "are ", "do ", "can ", "which ", "why ")):
        return "question"
    return "search"


@dataclass
class _Token:
    surface: str
    phrases: list[str]  # English phrases (for Chinese lexicon hits) or [surface] for English words
    zh: bool
    start: int
    resolved: bool = False


class QueryParser:
    """Parses queries against one catalog's vocabulary.

    `inference` (optional) guesses slots for words nothing else knew; `lexicon=False` switches our hand-written
    shopper words off (Chinese words and English synonyms) to measure what the catalog's own words, the
    dictionary and the encoder carry alone.
    """

    def __init__(self, vocabulary: Vocabulary, inference: ValueInference | None = None, lexicon: bool = True) -> None:
        self.vocabulary = vocabulary
        self.inference = inference
        self.lexicon = lexicon

    def parse(self, text: str) -> ParsedQuery:
        # One space between words: the price patterns put optional spaces side by side, and runs of
        # spaces between them backtrack polynomially (a digit, 1,000 spaces and a letter held the GIL 10 s).
        # Digit runs longer than any price are noise, and each one costs the patterns quadratic time.
        text = _LONG_NUMBER.sub(" ", _SPACES.sub(" ", text)).strip()
        lower = text.lower()
        parsed = ParsedQuery(text=text, language="zh" if _CJK.search(text) else "en", intent=_intent(lower))
        lower = self._prices(lower, parsed)
        lower = self._size(lower, parsed)
        tokens = self._tokens(lower)
        self._slots(tokens, parsed)
        english: list[str] = []
        for phrase in (p for t in tokens if t.zh for p in t.phrases):  # one spelling per phrase ("dress", "dresses")
            if normalise(phrase) not in {normalise(e) for e in english}:
                english.append(phrase)
        if self.inference is not None:
            for span_slot in self._infer(tokens, parsed):
                parsed.slots.append(span_slot)
                english.append(" ".join(span_slot.exact or span_slot.values[:1]).lower())
        parsed.english = " ".join(english)
        return parsed

    def _infer(self, tokens: list[_Token], parsed: ParsedQuery) -> list[Slot]:
        """Slots for runs of tokens nothing resolved (not stop words, not after a negation)."""
        def unknown(token: _Token) -> bool:
            skip = token.surface in STOPWORDS or token.surface in NEGATION_ZH or token.surface in NEGATION_EN or token.surface.isdigit()
            return not token.resolved and not skip

        spans = [
            ("" if zh else " ").join(t.surface for t in run)
            for (is_unknown, zh), group in groupby(tokens, key=lambda t: (unknown(t), t.zh))
            if is_unknown and (run := list(group))
        ]
        taken = {s.field for s in parsed.slots}
        assert self.inference is not None
        return [
            Slot(g.field, g.values, g.text, soft=g.field in SOFT_FIELDS, exact=g.said if set(g.said) != set(g.values) else [], inferred=True)
            for g in self.inference.infer(spans, taken)
        ]

    # -- pieces -------------------------------------------------------------------------------------

    def _prices(self, lower: str, parsed: ParsedQuery) -> str:
        for pattern, kind in _PRICE_PATTERNS:
            match = pattern.search(lower)
            if not match:
                continue
            numbers = [_number(g, match.group(0)) for g in match.groups() if g]
            if kind == "range" and len(numbers) == 2:
                parsed.price_min, parsed.price_max = min(numbers), max(numbers)
            elif kind == "max":
                parsed.price_max = numbers[0]
            elif kind == "min":
                parsed.price_min = numbers[0]
            parsed.price_text = match.group(0).strip()
            return lower[: match.start()] + " " + lower[match.end() :]
        quartiles = self.vocabulary.price_quartiles
        if quartiles:
            for word in CHEAP_WORDS:
                if word in lower:
                    parsed.price_max, parsed.price_text = quartiles[0], word
                    return lower.replace(word, " ")
            for word in PREMIUM_WORDS:
                if word in lower:
                    parsed.price_min, parsed.price_text = quartiles[1], word
                    return lower.replace(word, " ")
        return lower

    def _size(self, lower: str, parsed: ParsedQuery) -> str:
        match = _SIZE.search(lower)
        if match:
            parsed.size = next(g for g in match.groups() if g).upper()
            return lower[: match.start()] + " " + lower[match.end() :]
        return lower

    def _tokens(self, lower: str) -> list[_Token]:
        """English words as they are; Chinese runs cut by the lexicon (longest first), leftovers kept as text."""
        lower = re.sub(r"t[\s\-]?恤", "体恤", lower)  # "T恤" mixes scripts; its all-Chinese spelling is in the lexicon
        tokens: list[_Token] = []
        for match in _TOKEN.finditer(lower):
            piece = match.group(0)
            if not _CJK.match(piece):
                tokens.append(_Token(piece, [piece], False, match.start()))
                continue
            i = 0
            keys = _ZH_KEYS if self.lexicon else ()
            while i < len(piece):
                negation = next((n for n in sorted(NEGATION_ZH, key=len, reverse=True) if piece.startswith(n, i)), None)
                key = next((k for k in keys if piece.startswith(k, i)), None)
                shade = ZH_SHADES.get(piece[i]) if key is None or len(key) == 1 else None
                coloured = next((k for k in keys if k in ZH_COLOURS and piece.startswith(k, i + 1)), None) if shade else None
                if coloured:  # 浅/淡/深/暗/亮 + a colour: "light pink", "dark blue"
                    phrases = [f"{shade} {p}" for p in ZH_TO_EN[coloured]]
                    tokens.append(_Token(piece[i] + coloured, phrases, True, match.start() + i))
                    i += 1 + len(coloured)
                elif negation and (key is None or len(negation) >= len(key)):
                    tokens.append(_Token(negation, [], True, match.start() + i))
                    i += len(negation)
                elif key:
                    tokens.append(_Token(key, list(ZH_TO_EN[key]), True, match.start() + i))
                    i += len(key)
                else:
                    tokens.append(_Token(piece[i], [], True, match.start() + i))
                    i += 1
        return tokens

    def _resolve(self, phrases: list[str]) -> tuple[str, list[str], list[str]] | None:
        """Resolve English phrases (synonyms first) to one field, its values and the values named exactly.

        Phrases that name a value exactly win over phrases that only name a family; a shade ("light pink",
        "pale pink", 淡粉色) filters on the colour's family and prefers the shaded value when the catalog has it.
        """
        found: list[tuple[str, list[str], list[str], bool]] = []
        expansions = [[p] for p in phrases]
        if self.lexicon:  # the words as said first; their synonyms only when none of them names a value exactly
            expansions.append([s for p in phrases for s in _EN_SYNONYMS.get(normalise(p), [])])
        for candidates in expansions:
            for candidate in candidates:
                match = self._shaded(candidate) or self.vocabulary.lookup(candidate)
                if match is not None:
                    found.append((match.field, list(match.values), list(match.said), match.exact))
            if any(f[3] for f in found):
                break
        if not found:
            return None
        best = [f for f in found if f[3]] or found
        field_name = best[0][0]
        values: list[str] = []
        said: list[str] = []
        for name, vals, exact, _ in best:
            if name == field_name:
                values += [v for v in vals if v not in values]
                said += [v for v in exact if v not in said]
        return field_name, values, said

    def _shaded(self, phrase: str) -> Match | None:
        """"light pink" / "pale pink" / "deep blue": the colour's family, with the shaded value said when it exists."""
        head, _, rest = normalise(phrase).partition(" ")
        shade = EN_SHADES.get(head)
        if shade is None or not rest:
            return None
        plain = self.vocabulary.lookup(rest)
        if plain is None or plain.field != "colour":
            return None
        shaded = self.vocabulary.lookup(f"{shade} {rest}")
        if shaded is None or shaded.field != "colour":
            return Match("colour", plain.values, False, ())
        return Match("colour", tuple(sorted(set(plain.values) | set(shaded.values))), True, shaded.said)

    def _slots(self, tokens: list[_Token], parsed: ParsedQuery) -> None:
        negate_next = False
        carry_field: str | None = None  # set when a negation is carried over "or": only the same field stays negated
        i = 0
        while i < len(tokens):
            token = tokens[i]
            last = parsed.slots[-1] if parsed.slots else None
            if token.surface in NEGATION_CARRY and last is not None and last.negated:
                negate_next, carry_field = True, last.field  # "not black or brown": the negation carries over "or"
                i += 1
                continue
            if token.zh and token.surface in NEGATION_ZH:
                negate_next = True
                i += 1
                continue
            if not token.zh:
                two = " ".join(t.surface for t in tokens[i : i + 2] if not t.zh)
                if token.surface in NEGATION_EN or two in NEGATION_EN:
                    negate_next = True
                    i += 2 if two in NEGATION_EN and token.surface not in NEGATION_EN else 1
                    continue
            # longest run of English words (or one Chinese lexicon token) that resolves
            resolved, width = None, 1
            if token.zh:
                if token.phrases:
                    resolved = self._resolve(token.phrases)
            else:
                for n in range(min(self.vocabulary.max_words + 1, 4), 0, -1):
                    window = tokens[i : i + n]
                    if len(window) < n or any(t.zh for t in window):
                        continue
                    phrase = " ".join(t.surface for t in window)
                    if n == 1 and phrase in STOPWORDS:
                        break
                    resolved = self._resolve([phrase])
                    if resolved:
                        width = n
                        break
            if resolved:
                name, values, said = resolved
                window = tokens[i : i + width]
                for t in window:
                    t.resolved = True
                surface = ("" if token.zh else " ").join(t.surface for t in window)
                negated = negate_next and (carry_field is None or carry_field == name)
                exact = said if set(said) != set(values) else []
                parsed.slots.append(Slot(name, values, surface, negated=negated, soft=name in SOFT_FIELDS, exact=exact))
                negate_next, carry_field = False, None
            elif token.surface not in STOPWORDS and (token.phrases or not token.zh):
                negate_next, carry_field = False, None  # a negation only reaches the next content word
            i += width
