"""Review sentiment in Chinese and English: trained classifiers and the lexicon/Bayes baselines they must beat.

Why two trained kinds: TF-IDF n-grams with a linear model are fast (thousands of reviews a second) and
strong on in-domain reviews; an e5 embedding with a trained head carries meaning across domains and
languages. SnowNLP (Chinese Bayes) and VADER (English lexicon) are the baselines. Every classifier
follows scikit-learn's API and accepts any text: empty, emoji-only, 20,000 characters, mixed languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

#: Longer reviews are cut: the verdict is almost always in the first paragraphs.
MAX_CHARS = 2000
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def clean(texts: Sequence[str | None]) -> list[str]:
    """Strip, cut to MAX_CHARS, and turn None into "" (an empty review is valid input, not an error)."""
    return [(t or "").strip()[:MAX_CHARS] for t in texts]


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


class TfidfSentiment:
    """TF-IDF over character 1–3-grams (any language, no segmentation needed) and word 1–2-grams, then logistic regression."""

    def __init__(self, C: float = 4.0, max_features: int = 400_000, min_df: int = 2) -> None:
        self.C = C
        self.max_features = max_features
        self.min_df = min_df

    def fit(self, texts: Sequence[str], y: Sequence[int]) -> "TfidfSentiment":
        from sklearn.pipeline import FeatureUnion

        features = FeatureUnion(
            [
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=self.min_df, max_features=self.max_features, sublinear_tf=True)),
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=self.min_df, max_features=self.max_features, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")),
            ]
        )
        self.model_ = make_pipeline(features, LogisticRegression(C=self.C, max_iter=2000)).fit(clean(texts), np.asarray(y))
        for _, vectorizer in features.transformer_list:
            # NumPy integers in the vocabulary made skops write each of ~150k entries as a file of its own: saving
            # took 456 s and loading 18 s (12k reviews); as Python ints 13 s and 5 s, the same predictions
            vectorizer.vocabulary_ = {term: int(column) for term, column in vectorizer.vocabulary_.items()}
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(clean(texts))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def score(self, texts: Sequence[str], y: Sequence[int]) -> float:
        return float(np.mean(self.predict(texts) == np.asarray(y)))


class EmbeddingSentiment:
    """Logistic regression on multilingual e5 embeddings (from the offline pack); `embed` maps texts to vectors."""

    def __init__(self, embed, C: float = 4.0) -> None:  # type: ignore[no-untyped-def]
        self.embed = embed
        self.C = C

    def fit(self, texts: Sequence[str], y: Sequence[int]) -> "EmbeddingSentiment":
        self.model_ = LogisticRegression(C=self.C, max_iter=2000).fit(self.embed(clean(texts)), np.asarray(y))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(self.embed(clean(texts)))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


def snownlp_positive(texts: Sequence[str]) -> np.ndarray:
    """SnowNLP's naive-Bayes probability of positive (Chinese baseline); empty text → 0.5."""
    from snownlp import SnowNLP

    return np.array([SnowNLP(t).sentiments if t.strip() else 0.5 for t in clean(texts)])


def vader_positive(texts: Sequence[str]) -> np.ndarray:
    """VADER's compound score mapped to 0..1 (English baseline); empty text → 0.5."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return np.array([(analyser.polarity_scores(t)["compound"] + 1) / 2 if t.strip() else 0.5 for t in clean(texts)])
