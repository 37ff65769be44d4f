"""Attributes predicted from photos (colour first) for products whose catalog row lacks them.

Why: a product imported without a colour cannot be found by "red dress" through a colour filter, and
a shopper's photo has no catalog row at all. A trained head over colour-histogram and image features
names the colour with a confidence; predictions fill only missing fields and are marked as predicted
wherever they are shown. The estimator follows scikit-learn's API (fit / predict / predict_proba).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from daogou import atomic
from daogou.models import artifacts

#: Classes with fewer training examples than this are not learned (too few to predict reliably).
MIN_CLASS_SIZE = 5
#: Weight of the colour histogram against the 1280-d image features when both are given.
HIST_WEIGHT = 3.0


def stack_features(colour: np.ndarray, image: np.ndarray | None) -> np.ndarray:
    """The head's input: the colour histogram (weighted up) beside the image features, if any."""
    return colour * HIST_WEIGHT if image is None else np.hstack([colour * HIST_WEIGHT, image])


class AttributePredictor:
    """Multinomial logistic regression from photo features to one attribute's values."""

    def __init__(self, field: str = "colour", C: float = 10.0, max_iter: int = 2000, min_confidence: float = 0.4) -> None:
        self.field = field
        self.C = C
        self.max_iter = max_iter
        self.min_confidence = min_confidence

    def fit(self, X: np.ndarray, y: list[str] | np.ndarray) -> "AttributePredictor":
        labels = np.asarray(y, dtype=object)
        counts = Counter(labels.tolist())
        keep = np.array([counts[v] >= MIN_CLASS_SIZE and str(v).strip() and str(v).upper() != "NA" for v in labels])
        if keep.sum() < 2 or len({labels[i] for i in np.flatnonzero(keep)}) < 2:
            raise ValueError(f"not enough labelled examples of {self.field!r} to train (need 2+ classes with {MIN_CLASS_SIZE}+ each)")
        self.dropped_classes_ = sorted(str(v) for v, n in counts.items() if n < MIN_CLASS_SIZE)
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(X[keep], labels[keep])
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)

    def score(self, X: np.ndarray, y: list[str] | np.ndarray) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y, dtype=object)))

    def predict_with_confidence(self, X: np.ndarray) -> list[tuple[str, float]]:
        """(value, probability) per row; rows below `min_confidence` get ("", p)."""
        proba = self.predict_proba(X)
        best = proba.argmax(axis=1)
        return [
            (str(self.classes_[b]) if proba[i, b] >= self.min_confidence else "", float(proba[i, b])) for i, b in enumerate(best)
        ]

    def save(self, path: Path, card: dict[str, object]) -> None:
        artifacts.save(self, path)
        atomic.write_text(path.with_suffix(".json"), json.dumps(card, indent=2, ensure_ascii=False))

    @staticmethod
    def load(path: Path) -> "AttributePredictor":
        model = artifacts.load(path)
        if not isinstance(model, AttributePredictor):
            raise artifacts.UntrustedModel(f"{path.name} does not hold an attribute predictor; retrain it")
        return model
