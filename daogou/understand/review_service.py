"""Reviews of one shop: import, sentiment scoring (the shop's trained model or the baselines), summaries, training.

Why its own object: the trained sentiment model is loaded once and shared by review summaries, the index's review
signal and the assistant; training replaces it, and the next scoring call loads the new one.
"""

from __future__ import annotations

from pathlib import Path

from daogou.catalog.importers import RowError
from daogou.catalog.reviews import REVIEW_PRESETS, read_reviews
from daogou.catalog.store import CatalogStore
from daogou.errors import ImportFailed, UnknownProduct
from daogou.models import artifacts
from daogou.training import TrainReport, file_corpus, public_corpora, shop_reviews_corpus, train_sentiment
from daogou.understand.reviews import ReviewSummary, summarise


class ReviewService:
    """The shop's reviews and its sentiment model."""

    def __init__(self, store: CatalogStore, models_dir: Path) -> None:
        self.store = store
        self.models_dir = models_dir
        self._model = None

    def import_file(self, source: Path | str, preset: str = "generic") -> tuple[int, int, int, list[RowError]]:
        """(added, already stored, naming unknown products, bad rows) for one reviews file."""
        if preset not in REVIEW_PRESETS:
            raise ImportFailed(f"unknown reviews preset {preset!r}; known: {sorted(REVIEW_PRESETS)}")
        reviews, errors = read_reviews(source, REVIEW_PRESETS[preset])
        added, repeated = self.store.add_reviews(reviews)
        known = self.store.get_many(sorted({r.product_id for r in reviews}))
        unknown = len({r.product_id for r in reviews} - set(known))
        return added, repeated, unknown, errors

    def positive_proba(self, texts: list[str]) -> list[float]:
        """Probability that each text is positive: the trained model, or the lexicon/Bayes baselines before training."""
        from daogou.understand.sentiment import clean, is_chinese, snownlp_positive, vader_positive

        if artifacts.exists(self.models_dir / "sentiment"):
            if self._model is None:
                self._model = artifacts.load(self.models_dir / "sentiment")
            column = list(self._model.classes_).index(1)
            return [float(p) for p in self._model.predict_proba(texts)[:, column]]
        texts = clean(texts)
        zh = [i for i, t in enumerate(texts) if is_chinese(t)]
        en = [i for i, t in enumerate(texts) if not is_chinese(t)]
        out = [0.5] * len(texts)
        for rows, scorer in ((zh, snownlp_positive), (en, vader_positive)):
            if rows:
                for i, p in zip(rows, scorer([texts[i] for i in rows])):
                    out[i] = float(p)
        return out

    def summary(self, product_id: str) -> ReviewSummary:
        """Sentiment, aspects with counts, fit direction and the supporting sentences for one product's reviews."""
        reviews = self.store.reviews_of(product_id, replica=True)
        if not reviews:
            raise UnknownProduct(f"no reviews for product {product_id!r}")
        return summarise(product_id, reviews, self.positive_proba)

    def train(self, data: str | None = None, public: bool = True, max_per_language: int | None = None) -> TrainReport:
        """The shop's own rated reviews first, then a file the user names, then the public sets where present."""
        corpora = [shop_reviews_corpus(self.store)]
        if data:
            corpora.append(file_corpus(Path(data)))
        if public:
            corpora += public_corpora(max_per_language)
        report = train_sentiment(self.models_dir, corpora)
        self._model = None
        return report
