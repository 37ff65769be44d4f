"""Which of a product's listed attributes answers a shopper's question ("what colour is it?", "is it waterproof?").

Why e5 plus name words: the multilingual encoder matches meaning ("for kids" ~ "age range"), the attribute's
own name words catch the literal asks ("what is the heel height" → heel_height) that a small encoder blurs.
benchmarks/product_qa.py chooses the weight of the name words on semiPQA's dev questions and reports P@1 on its
test questions whose attributes were unseen in training. When no attribute fits, nothing is claimed: the reply
says the catalog does not list it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z]+")
_STOP = {"the", "a", "an", "is", "it", "this", "that", "does", "do", "what", "how", "of", "for", "to", "in", "on", "can", "i", "my", "be",
         "are", "with", "and", "or", "will", "value", "unit", "normalized", "type", "its", "you", "have", "has", "there"}
#: Weight of the attribute-name words and a floor on the combined score. Not calibrated yet: benchmarks/product_qa.py
#: chooses both on semiPQA dev; until it has been run, `best` also requires the question to name the attribute.
NAME_WEIGHT = 0.1
FLOOR = 0.80


def _name_words(candidate: str) -> set[str]:
    name = candidate.split(":", 1)[0].lower().replace("_", " ")
    return {w.rstrip("s") for w in _WORD.findall(name) if w not in _STOP}


def _question_words(question: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(question.lower()) if w not in _STOP}


class AttributeSelector:
    """Ranks "name: value" candidates for a question."""

    def __init__(self, encoder, name_weight: float = NAME_WEIGHT, floor: float = FLOOR) -> None:  # type: ignore[no-untyped-def]
        self.encoder = encoder
        self.name_weight = name_weight
        self.floor = floor

    def scores(self, question: str, candidates: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        if not candidates:
            return np.zeros(0, np.float32)
        passages = self.encoder.encode_passages(list(candidates)) if vectors is None else vectors
        cosine = passages @ self.encoder.encode_queries([question])[0]
        asked = _question_words(question)
        overlap = np.array([len(asked & _name_words(c)) / max(1, len(_name_words(c))) for c in candidates], np.float32)
        return cosine + self.name_weight * overlap

    def best(self, question: str, candidates: Sequence[str]) -> tuple[int, float] | None:
        """Index and score of the best candidate whose name the question uses and that clears the floor, or None.

        Requiring the attribute's name in the question is deliberately conservative: without it a
        high cosine alone answered "is it waterproof?" with the colour. The floor is not calibrated yet
        (benchmarks/product_qa.py measures it on semiPQA), so the name rule is what decides for now.
        """
        scores = self.scores(question, candidates)
        asked = _question_words(question)
        named = [i for i, c in enumerate(candidates) if asked & _name_words(c)]
        if not named:
            return None
        index = max(named, key=lambda i: scores[i])
        return (index, float(scores[index])) if scores[index] >= self.floor else None
