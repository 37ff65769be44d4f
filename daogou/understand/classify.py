"""Product classification from photo and text together: feature-level and decision-level fusion.

Why both: feature fusion (one classifier over the concatenated, normalised features) learns how image
and text interact; decision fusion (one classifier per modality, probabilities combined) degrades
gracefully when a product lacks a photo or a text, and its weights say how much each modality is
trusted. Image-only and text-only baselines come from the same class, so all are compared on equal
terms. The estimator follows scikit-learn's API: hyper-parameters in __init__, fit returns self,
learned state ends in "_", predict / predict_proba / score.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FUSIONS = ("image", "text", "feature", "decision")


@dataclass
class Modalities:
    """Row-aligned features of one set of products. A row without photo or text has a zero row and a False mask."""

    image: np.ndarray
    text: np.ndarray
    has_image: np.ndarray
    has_text: np.ndarray

    @classmethod
    def build(cls, image: np.ndarray | None, text: np.ndarray | None, n: int | None = None) -> "Modalities":
        n = n if n is not None else len(image if image is not None else text)  # type: ignore[arg-type]
        img = np.zeros((n, 1), np.float32) if image is None else np.nan_to_num(np.asarray(image, np.float32))
        txt = np.zeros((n, 1), np.float32) if text is None else np.nan_to_num(np.asarray(text, np.float32))
        return cls(img, txt, np.abs(img).sum(axis=1) > 0, np.abs(txt).sum(axis=1) > 0)

    def __len__(self) -> int:
        return len(self.image)

    def take(self, rows: np.ndarray) -> "Modalities":
        return Modalities(self.image[rows], self.text[rows], self.has_image[rows], self.has_text[rows])


def merge_rare(y: np.ndarray, min_count: int, other: str = "other") -> tuple[np.ndarray, list[str]]:
    """Replace labels seen fewer than `min_count` times by `other`; returns the new labels and the merged classes."""
    counts = Counter(y.tolist())
    rare = sorted(str(label) for label, n in counts.items() if n < min_count)
    merged = np.array([other if str(label) in rare else label for label in y], dtype=object)
    return merged, rare


class FusionClassifier:
    """Classify products from image and/or text features.

    fusion: "image" | "text" (single-modality baselines), "feature" (concatenation), "decision" (per-modality models,
    probabilities combined by `combine`: "weighted" — a weighted product rule, the weight fitted on a validation split — or "stacking" — a
    logistic regression over both modalities' out-of-fold probabilities).
    model: "logreg" or "mlp" (one hidden layer of `hidden` units).
    """

    def __init__(
        self,
        fusion: str = "feature",
        model: str = "logreg",
        combine: str = "weighted",
        C: float = 0.5,
        text_weights: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0),
        hidden: int = 256,
        max_iter: int = 1000,
        validation: float = 0.15,
        random_state: int = 42,
    ) -> None:
        self.fusion = fusion
        self.model = model
        self.combine = combine
        self.C = C
        self.text_weights = text_weights
        self.hidden = hidden
        self.max_iter = max_iter
        self.validation = validation
        self.random_state = random_state

    # -- internals ----------------------------------------------------------------------------------

    def _new(self, blocks: tuple[int, int] | None = None, text_weight: float = 1.0):  # type: ignore[no-untyped-def]
        """A fresh per-feature-standardised model (standardising lifted image-only accuracy on Myntra types 0.79 → 0.87).

        With `blocks` (image dims, text dims) the two blocks are standardised separately and the text block is
        scaled by `text_weight`: 1,397 image dimensions would otherwise drown 384 text ones.
        """
        if self.model == "mlp":
            head = MLPClassifier(hidden_layer_sizes=(self.hidden,), max_iter=min(self.max_iter, 300), early_stopping=True, random_state=self.random_state)
        elif self.model == "logreg":
            head = LogisticRegression(C=self.C, max_iter=self.max_iter)
        else:
            raise ValueError(f"model must be 'logreg' or 'mlp', got {self.model!r}")
        if blocks is None:
            return make_pipeline(StandardScaler(), head)

        di, dt = blocks
        scaler = ColumnTransformer(
            [("image", StandardScaler(), slice(0, di)), ("text", StandardScaler(), slice(di, di + dt)), ("flags", "passthrough", slice(di + dt, None))],
            transformer_weights={"image": 1.0, "text": text_weight, "flags": 1.0},
        )
        return make_pipeline(scaler, head)

    @staticmethod
    def _features(X: Modalities, which: str) -> np.ndarray:
        """Features of one modality, or both side by side for feature fusion (with presence flags)."""
        if which == "image":
            return X.image
        if which == "text":
            return X.text
        return np.hstack([X.image, X.text, X.has_image[:, None], X.has_text[:, None]]).astype(np.float32)

    def _proba_aligned(self, model, F: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Probabilities in self.classes_ order (a sub-model may have seen fewer classes)."""
        out = np.zeros((len(F), len(self.classes_)))
        cols = np.searchsorted(self.classes_, model.classes_)
        out[:, cols] = model.predict_proba(F)
        return out

    # -- estimator API ------------------------------------------------------------------------------

    def fit(self, X: Modalities, y: np.ndarray | list[str]) -> "FusionClassifier":
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {self.fusion!r}")
        y = np.asarray(y, dtype=object)
        if len(set(y.tolist())) < 2:
            raise ValueError("need at least two classes to train a classifier")
        self.classes_ = np.array(sorted(set(y.tolist())), dtype=object)
        if self.fusion in ("image", "text"):
            self.model_ = self._new().fit(self._features(X, self.fusion), y)
            return self
        counts = Counter(y.tolist())
        stratify = y if min(counts.values()) >= 2 else None
        fit_rows, val_rows = train_test_split(np.arange(len(y)), test_size=self.validation, random_state=self.random_state, stratify=stratify)
        if self.fusion == "feature":
            # the text block's weight is chosen on the validation rows (macro-F1), then the model is refit on all rows
            blocks = (X.image.shape[1], X.text.shape[1])
            F = self._features(X, "feature")
            best = (-1.0, self.text_weights[0])
            for weight in self.text_weights if len(self.text_weights) > 1 else ():
                model = self._new(blocks, weight).fit(F[fit_rows], y[fit_rows])
                best = max(best, (f1_score(y[val_rows], model.predict(F[val_rows]), average="macro"), weight))
            self.text_weight_ = best[1]
            self.model_ = self._new(blocks, self.text_weight_).fit(F, y)
            return self
        # decision fusion: one model per modality, each trained on the rows that have it
        self.image_model_ = self._new().fit(self._features(X.take(fit_rows), "image")[X.has_image[fit_rows]], y[fit_rows][X.has_image[fit_rows]])
        self.text_model_ = self._new().fit(self._features(X.take(fit_rows), "text")[X.has_text[fit_rows]], y[fit_rows][X.has_text[fit_rows]])
        val = X.take(val_rows)
        p_img = self._proba_aligned(self.image_model_, self._features(val, "image"))
        p_txt = self._proba_aligned(self.text_model_, self._features(val, "text"))
        truth = np.searchsorted(self.classes_, y[val_rows])
        if self.combine == "weighted":
            best = (-np.inf, -np.inf, 0.5)
            for w in np.linspace(0, 1, 21):  # weight of the image model: macro-F1 on the validation rows, then log-likelihood
                p = self._mix(w, p_img, p_txt, val)
                f1 = f1_score(truth, p.argmax(axis=1), average="macro")
                likelihood = float(np.mean(np.log(p[np.arange(len(truth)), truth] + 1e-9)))
                best = max(best, (f1, likelihood, float(w)))
            self.image_weight_ = best[2]
        elif self.combine == "stacking":
            # the stacker learns from out-of-fold probabilities so it never sees a model's answers on its own training rows
            folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=self.random_state) if stratify is not None else 3
            oof_img = self._oof(self._features(X, "image"), y, folds)
            oof_txt = self._oof(self._features(X, "text"), y, folds)
            self.stacker_ = LogisticRegression(C=1.0, max_iter=self.max_iter).fit(np.hstack([oof_img, oof_txt, X.has_image[:, None], X.has_text[:, None]]), y)
        else:
            raise ValueError(f"combine must be 'weighted' or 'stacking', got {self.combine!r}")
        # refit both modality models on all rows now that the combination is chosen
        self.image_model_ = self._new().fit(self._features(X, "image")[X.has_image], y[X.has_image])
        self.text_model_ = self._new().fit(self._features(X, "text")[X.has_text], y[X.has_text])
        return self

    def _oof(self, F: np.ndarray, y: np.ndarray, folds) -> np.ndarray:  # type: ignore[no-untyped-def]
        proba = cross_val_predict(self._new(), F, y, cv=folds, method="predict_proba")
        out = np.zeros((len(F), len(self.classes_)))
        out[:, np.searchsorted(self.classes_, np.array(sorted(set(y.tolist())), dtype=object))] = proba
        return out

    @staticmethod
    def _mix(w: float, p_img: np.ndarray, p_txt: np.ndarray, X: Modalities) -> np.ndarray:
        """Weighted product rule (log-linear pooling): p ∝ p_image^w · p_text^(1-w); a missing modality gets weight 0.

        Why a product and not an average: each modality often rules classes *out* (the photo says "a shoe",
        the text says "for women"); multiplying keeps only what both allow, averaging blurs it.
        """
        wi = np.where(X.has_image, w, 0.0)[:, None]
        wt = np.where(X.has_text, 1.0 - w, 0.0)[:, None]
        both_missing = (wi + wt) == 0
        wi = np.where(both_missing, 0.5, wi)
        wt = np.where(both_missing, 0.5, wt)
        logits = wi * np.log(p_img + 1e-9) + wt * np.log(p_txt + 1e-9)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict_proba(self, X: Modalities) -> np.ndarray:
        if self.fusion in ("image", "text", "feature"):
            return self._proba_aligned(self.model_, self._features(X, self.fusion))  # type: ignore[arg-type]
        p_img = self._proba_aligned(self.image_model_, self._features(X, "image"))
        p_txt = self._proba_aligned(self.text_model_, self._features(X, "text"))
        if self.combine == "weighted":
            return self._mix(self.image_weight_, p_img, p_txt, X)
        stacked = np.hstack([p_img, p_txt, X.has_image[:, None], X.has_text[:, None]])
        return self._proba_aligned(self.stacker_, stacked)

    def predict(self, X: Modalities) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X: Modalities, y: np.ndarray | list[str]) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y, dtype=object)))


def mask_words(text: str, banned: set[str]) -> str:
    """The "title-less" text: drop every word that names a label (type or colour), so text cannot read the answer off."""
    from daogou.understand.vocabulary import normalise

    kept = [w for w in text.split() if normalise(w) not in banned and w.lower() not in banned]
    return " ".join(kept)
