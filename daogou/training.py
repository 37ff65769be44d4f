"""Training the shop's own heads from its store: image↔text alignment and photo attribute predictors.

Why here: both heads learn from vectors the pipeline already stored, on the same seeded split
(catalog/splits.py), and save a model card with their held-out figures next to the weights, so
`daogou train` takes seconds and every figure it prints is measured on products it never saw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from daogou.catalog.splits import SEED, split_ids
from daogou.catalog.store import CatalogStore
from daogou.config import Settings
from daogou.errors import DaogouError
from daogou.models.align import AlignmentHeads, image_side, pair_retrieval
from daogou.understand.attributes import AttributePredictor, stack_features


@dataclass
class TrainReport:
    """What a training run produced: where, on how much data, with which held-out figures."""

    name: str
    path: str
    train_items: int
    test_items: int
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _aligned(store: CatalogStore, spaces: dict[str, str]) -> tuple[list[str], dict[str, np.ndarray]]:
    """Ids that have a vector in every space, and each space's matrix in that id order."""
    loaded = {space: store.load_vectors(space, model) for space, model in spaces.items()}
    common = sorted(set.intersection(*(set(ids) for ids, _ in loaded.values())))
    matrices = {}
    for space, (ids, matrix) in loaded.items():
        position = {pid: i for i, pid in enumerate(ids)}
        matrices[space] = matrix[[position[pid] for pid in common]] if common else matrix[:0]
    return common, matrices


def _rows(ids: list[str], subset: list[str]) -> np.ndarray:
    position = {pid: i for i, pid in enumerate(ids)}
    return np.array([position[pid] for pid in subset], dtype=np.int64)


def train_alignment(store: CatalogStore, settings: Settings, models_dir: Path, **params: object) -> TrainReport:
    """Fit alignment heads on the train split's (photo, text) pairs; report text→image Recall@K on the test split."""
    started = time.perf_counter()
    ids, m = _aligned(store, {"text": settings.text_model, "image": settings.image_model, "colour": settings.colour_model})
    if len(ids) < 50:
        raise DaogouError(f"alignment needs at least 50 indexed products with photos; this shop has {len(ids)} (run `daogou index` first)")
    split = split_ids(ids, SEED)
    train = _rows(ids, split.train + split.validation)  # hyper-parameters were chosen on validation; fit on both
    images = image_side(m["image"], m["colour"])
    heads = AlignmentHeads(**params).fit(images[train], m["text"][train])  # type: ignore[arg-type]
    metrics: dict[str, float] = {}
    for name, part in (("test", split.test),):
        rows = _rows(ids, part)
        scores = pair_retrieval(heads.transform_texts(m["text"][rows]), heads.transform_images(images[rows]))
        metrics.update({f"{name}_recall@{k}": round(v, 4) for k, v in scores.recall.items()})
        metrics[f"{name}_mrr"] = round(scores.mrr, 4)
        metrics[f"{name}_pairs"] = scores.pairs
    card = {
        "model": "daogou image-text alignment heads",
        "inputs": {"image": settings.image_model, "colour": settings.colour_model, "text": settings.text_model},
        "data": f"{len(ids)} products of this shop with photo and text",
        "split": {"seed": SEED, "train": len(split.train) + len(split.validation), "test": len(split.test)},
        "metrics": metrics,
        "metric_note": "text (passage: title + catalog attributes) → image retrieval among the split's own products",
    }
    heads.save(models_dir, card)
    return TrainReport("align", str(models_dir / "align.pt"), len(train), len(split.test), metrics, round(time.perf_counter() - started, 1))


def train_attribute(store: CatalogStore, settings: Settings, models_dir: Path, field_name: str = "colour") -> TrainReport:
    """Fit a photo → attribute head (colour histogram + image features); report accuracy on the test split."""
    started = time.perf_counter()
    ids, m = _aligned(store, {"colour": settings.colour_model, "image": settings.image_model})
    products = store.get_many(ids)
    labelled = [pid for pid in ids if products[pid].attributes.get(field_name)]
    if len(labelled) < 50:
        raise DaogouError(f"need at least 50 indexed products with a photo and a {field_name!r}; found {len(labelled)}")
    split = split_ids(labelled, SEED)
    X = stack_features(m["colour"], m["image"])
    y = np.array([products[pid].attributes.get(field_name, "") for pid in ids], dtype=object)
    train, test = _rows(ids, split.train + split.validation), _rows(ids, split.test)
    predictor = AttributePredictor(field=field_name).fit(X[train], y[train])
    known = np.isin(y[test], predictor.classes_)
    metrics = {
        "test_accuracy": round(predictor.score(X[test], y[test]), 4),
        "test_accuracy_known_classes": round(predictor.score(X[test][known], y[test][known]), 4) if known.any() else 0.0,
        "classes": len(predictor.classes_),
    }
    confident = [v for v, _ in predictor.predict_with_confidence(X[test])]
    answered = np.array([bool(v) for v in confident])
    if answered.any():
        metrics["test_accuracy_when_confident"] = round(float(np.mean(np.array(confident, dtype=object)[answered] == y[test][answered])), 4)
        metrics["test_share_confident"] = round(float(answered.mean()), 4)
    card = {
        "model": f"daogou photo → {field_name} head (logistic regression)",
        "inputs": {"colour": settings.colour_model, "image": settings.image_model},
        "data": f"{len(labelled)} products of this shop with photo and {field_name}",
        "split": {"seed": SEED, "train": len(split.train) + len(split.validation), "test": len(split.test)},
        "dropped_classes": predictor.dropped_classes_,
        "metrics": metrics,
    }
    predictor.save(models_dir / field_name, card)
    return TrainReport(field_name, str(models_dir / f"{field_name}.skops"), len(train), len(test), metrics, round(time.perf_counter() - started, 1))


@dataclass
class SentimentCorpus:
    """Labelled review texts from one source, and the name the model card gives that source."""

    name: str
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)

    def add(self, text: str, rating: float | None = None, label: int | None = None) -> None:
        """A text with a star rating (≥ 4 positive, ≤ 2 negative, 3 left out) or a 0/1 label."""
        from daogou.understand.sentiment import is_chinese

        text = (text or "").strip()
        if label is None and rating is not None and rating != 3:
            label = 1 if rating >= 4 else 0
        if text and label in (0, 1):
            self.texts.append(text)
            self.labels.append(int(label))  # type: ignore[arg-type]
            self.langs.append("zh" if is_chinese(text) else "en")


def shop_reviews_corpus(store) -> SentimentCorpus:  # type: ignore[no-untyped-def]
    """The shop's own reviews that carry a star rating (ratings → labels)."""
    corpus = SentimentCorpus("this shop's rated reviews")
    for pid in store.reviewed_products():
        for review in store.reviews_of(pid):
            corpus.add(review.text, rating=review.rating)
    return corpus


def file_corpus(path: Path) -> SentimentCorpus:
    """A CSV the user names: a text column ("text", "review" or "Review Text") and a "label" (0/1) or "rating" (1–5)."""
    import csv

    corpus = SentimentCorpus(f"file {path.name}")
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            text = row.get("text") or row.get("review") or row.get("Review Text") or ""
            try:
                label = int(row["label"]) if (row.get("label") or "").strip() else None
                rating = float(row["rating"]) if label is None and (row.get("rating") or "").strip() else None
            except ValueError:
                continue  # a malformed row is skipped, never guessed
            corpus.add(text, rating=rating, label=label)
    if not corpus.texts:
        raise DaogouError(f"{path}: no usable rows; it needs a text column and a label (0/1) or rating (1-5) column")
    return corpus


#: The public review sets: folder, file, encoding, the model card's name, and how a row becomes (text, label, rating).
PUBLIC_REVIEWS = (
    ("chinese_reviews_sentiment", "online_shopping_10_cats.csv", "utf-8-sig", "online_shopping_10_cats (zh, public)",
     lambda row: (row.get("review") or "", int(row["label"]), None)),
    ("womens_clothing_reviews_en", "womens_clothing_ecommerce_reviews.csv", "utf-8",
     "Women's E-Commerce Clothing Reviews (en, public; rating<=2 neg, >=4 pos)",
     lambda row: (". ".join(t for t in ((row.get("Title") or "").strip(), (row.get("Review Text") or "").strip()) if t), None, float(row["Rating"]))),
)


def public_corpora(max_per_language: int | None = None) -> list[SentimentCorpus]:
    """The shared Chinese shopping reviews and English clothing reviews, each only when it is present."""
    import csv

    from daogou.demo import data_roots

    out: list[SentimentCorpus] = []
    for folder, name, encoding, title, read in PUBLIC_REVIEWS:
        path = next((root / folder / name for root in data_roots() if (root / folder / name).exists()), None)
        if path is None:
            continue
        corpus = SentimentCorpus(title)
        with path.open(encoding=encoding) as handle:
            for n, row in enumerate(csv.DictReader(handle)):
                if max_per_language is not None and n >= max_per_language:
                    break
                text, label, rating = read(row)
                corpus.add(text, rating=rating, label=label)
        out.append(corpus)
    return out


def sentiment_corpora(max_per_language: int | None = None) -> tuple[list[str], list[int], list[str]]:
    """(texts, labels, language) of the public review sets (for the benchmark); empty when they are absent."""
    texts: list[str] = []
    labels: list[int] = []
    langs: list[str] = []
    for corpus in public_corpora(max_per_language):
        texts += corpus.texts
        labels += corpus.labels
        langs += corpus.langs
    return texts, labels, langs


def train_sentiment(models_dir: Path, corpora: list[SentimentCorpus]) -> TrainReport:
    """Train the zh+en TF-IDF sentiment model on the given sources (seeded split); the card names every source."""
    import json

    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split

    from daogou import atomic
    from daogou.models import artifacts
    from daogou.understand.sentiment import TfidfSentiment

    started = time.perf_counter()
    used = [c for c in corpora if c.texts]
    texts = [t for c in used for t in c.texts]
    labels = [y for c in used for y in c.labels]
    langs = [g for c in used for g in c.langs]
    if len(set(labels)) < 2 or len(texts) < 20:
        raise DaogouError("not enough labelled reviews to train sentiment: import rated reviews, name a file with --data, "
                          "or place the public review sets under ../shared/data")
    strata = [f"{lang}{label}" for lang, label in zip(langs, labels)]
    rare = {s for s in strata if strata.count(s) < 2}
    train, test = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=SEED, stratify=None if rare else strata)
    model = TfidfSentiment().fit([texts[i] for i in train], [labels[i] for i in train])
    predicted = model.predict([texts[i] for i in test])
    metrics: dict[str, float] = {}
    for lang in ("zh", "en"):
        rows = [j for j, i in enumerate(test) if langs[i] == lang]
        if not rows:
            continue
        truth = [labels[test[j]] for j in rows]
        guess = [predicted[j] for j in rows]
        metrics[f"{lang}_accuracy"] = round(float(np.mean(np.array(truth) == np.array(guess))), 4)
        metrics[f"{lang}_macro_f1"] = round(float(f1_score(truth, guess, average="macro")), 4)
    models_dir.mkdir(parents=True, exist_ok=True)
    artifacts.save(model, models_dir / "sentiment")
    card = {"model": "daogou review sentiment (TF-IDF char 1-3 + word 1-2 grams, logistic regression), zh + en",
            "data": [{"source": c.name, "reviews": len(c.texts), "positive": sum(c.labels)} for c in used],
            "split": {"seed": SEED, "stratified_by": "language and label" if not rare else "none (a class too small)", "train": len(train), "test": len(test)},
            "metrics": metrics}
    atomic.write_text(models_dir / "sentiment.json", json.dumps(card, indent=2, ensure_ascii=False))
    return TrainReport("sentiment", str(artifacts.path_for(models_dir / "sentiment")), len(train), len(test), metrics, round(time.perf_counter() - started, 1))
