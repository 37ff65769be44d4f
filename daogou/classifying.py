"""Training and evaluating the fusion classifier on a shop's catalog (features cached in the shop).

Why a module of its own: it assembles per-product image features (ImageNet + colour, from the store),
text features (title and description embedded with the shop's text model, cached), labels with rare
classes merged into "other", and the fixed stratified split, then compares image-only, text-only,
feature fusion and decision fusion side by side on exactly the same rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from daogou import atomic
from daogou.models import artifacts
from daogou.catalog.schema import Product
from daogou.catalog.splits import SEED
from daogou.catalog.store import CatalogStore
from daogou.config import Settings
from daogou.errors import DaogouError
from daogou.evaluate.metrics import classification_report
from daogou.models.align import image_side
from daogou.pipeline.texts import embed_texts
from daogou.understand.classify import FusionClassifier, Modalities, mask_words, merge_rare
from daogou.understand.vocabulary import normalise

MIN_CLASS = 5
#: Variants compared by `evaluate_classifier`: name → FusionClassifier parameters.
VARIANTS: dict[str, dict[str, str]] = {
    "image-only": {"fusion": "image"},
    "text-only": {"fusion": "text"},
    "feature-logreg": {"fusion": "feature"},
    "feature-mlp": {"fusion": "feature", "model": "mlp"},
    "decision-weighted": {"fusion": "decision", "combine": "weighted"},
    "decision-stacking": {"fusion": "decision", "combine": "stacking"},
}


@dataclass
class Dataset:
    ids: list[str]
    X: Modalities
    y: np.ndarray
    merged: list[str] = field(default_factory=list)


def product_text(product: Product) -> str:
    return f"{product.title}. {product.description}".strip(" .") if product.description else product.title


def label_words(products: list[Product], fields: tuple[str, ...] = ("type", "colour")) -> set[str]:
    """Every word (folded) of every value of the label fields: what the title-less text must not contain."""
    words: set[str] = set()
    for p in products:
        for name in fields:
            value = p.attributes.get(name, "")
            words |= set(normalise(value).split()) | {w.lower() for w in value.split()}
    return words


def build_dataset(store: CatalogStore, settings: Settings, cache_dir: Path, target: str, text_mode: str = "title", show_progress: bool = True) -> Dataset:
    """Features and labels for every product that has `target`; text_mode "title" or "masked" (title-less)."""
    products = [p for p in store.iter_products() if p.attributes.get(target)]
    if len(products) < 20:
        raise DaogouError(f"only {len(products)} products have a {target!r}; need at least 20 to train")
    ids = [p.id for p in products]
    texts = [product_text(p) for p in products]
    if text_mode == "masked":
        banned = label_words(products, ("type", "colour", target))
        texts = [mask_words(t, banned) for t in texts]
    elif text_mode != "title":
        raise DaogouError(f"text mode must be 'title' or 'masked', got {text_mode!r}")
    y, merged = merge_rare(np.array([p.attributes[target] for p in products], dtype=object), MIN_CLASS)
    return Dataset(ids, modalities_for(store, settings, cache_dir, products, texts, show_progress), y, merged)


def modalities_for(
    store: CatalogStore, settings: Settings, cache_dir: Path, products: list[Product], texts: list[str] | None = None, show_progress: bool = False
) -> Modalities:
    """Image side (ImageNet + colour features from the store; zero rows for products without photo) and text side."""
    texts = texts if texts is not None else [product_text(p) for p in products]
    text = embed_texts(texts, settings.text_model, cache_dir, workers=settings.workers, show_progress=show_progress)
    ids = [p.id for p in products]
    image = None
    img_ids, img = store.load_vectors("image", settings.image_model)
    col_ids, col = store.load_vectors("colour", settings.colour_model)
    if img_ids and col_ids:
        pi, pc = {p: i for i, p in enumerate(img_ids)}, {p: i for i, p in enumerate(col_ids)}
        image = np.zeros((len(ids), img.shape[1] + col.shape[1]), np.float32)
        for row, pid in enumerate(ids):
            if pid in pi and pid in pc:
                image[row] = image_side(img[pi[pid]][None, :], col[pc[pid]][None, :])[0]
    return Modalities.build(image, text, len(ids))


def split_rows(y: np.ndarray, test: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """The fixed stratified split (seed 42) of a dataset's rows."""
    return train_test_split(np.arange(len(y)), test_size=test, random_state=SEED, stratify=y)


def evaluate_classifier(data: Dataset, variants: list[str]) -> list[dict[str, object]]:
    """Fit each variant on the train rows, score on the test rows; returns one row of figures per variant."""
    train, test = split_rows(data.y)
    rows = []
    for name in variants:
        started = time.perf_counter()
        model = FusionClassifier(**VARIANTS[name]).fit(data.X.take(train), data.y[train])  # type: ignore[arg-type]
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        predicted = model.predict(data.X.take(test))
        per_item_ms = (time.perf_counter() - started) / len(test) * 1000
        report = classification_report(list(data.y[test]), list(predicted))
        rows.append({
            "variant": name, "accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "weighted_f1": report["weighted_f1"],
            "macro_precision": report["macro_precision"], "macro_recall": report["macro_recall"],
            "fit_s": round(fit_s, 1), "predict_ms_per_item": round(per_item_ms, 3),
            "image_weight": getattr(model, "image_weight_", None), "_report": report, "_pred": predicted, "_test": test,
        })
    return rows


def train_classifier(data: Dataset, models_dir: Path, target: str, variant: str, card_extra: dict[str, object]) -> dict[str, object]:
    """Fit `variant` on the train split, report the test split, save it as models/classify-TARGET.skops with a card."""
    train, test = split_rows(data.y)
    started = time.perf_counter()
    model = FusionClassifier(**VARIANTS[variant]).fit(data.X.take(train), data.y[train])  # type: ignore[arg-type]
    fit_s = round(time.perf_counter() - started, 1)
    report = classification_report(list(data.y[test]), list(model.predict(data.X.take(test))))
    metrics = {k: report[k] for k in ("accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall")}
    card = {
        "model": f"daogou fusion classifier ({variant}) for {target!r}",
        "split": {"seed": SEED, "stratified": True, "train": len(train), "test": len(test)},
        "merged_into_other": data.merged,
        "metrics": metrics,
        "fit_seconds": fit_s,
        **card_extra,
    }
    models_dir.mkdir(parents=True, exist_ok=True)
    artifacts.save(model, models_dir / f"classify-{target}")
    atomic.write_text(models_dir / f"classify-{target}.json", __import__("json").dumps(card, indent=2, ensure_ascii=False, default=str))
    return card


def train_classification(store: CatalogStore, settings: Settings, models_dir: Path, inputs: dict[str, str], target: str = "type",
                         variant: str = "feature-logreg", show_progress: bool = True):  # type: ignore[no-untyped-def]
    """Train and store the fusion classifier for one attribute; returns its TrainReport (held-out figures)."""
    from daogou.training import TrainReport

    if variant not in VARIANTS:
        raise DaogouError(f"unknown variant {variant!r}; known: {sorted(VARIANTS)}")
    started = time.perf_counter()
    data = build_dataset(store, settings, models_dir / "cache", target, "title", show_progress=show_progress)
    card = train_classifier(data, models_dir, target, variant, {"text": "title + description", "inputs": inputs})
    path = str(artifacts.path_for(models_dir / f"classify-{target}"))
    return TrainReport(f"classify-{target}", path, card["split"]["train"], card["split"]["test"], card["metrics"], round(time.perf_counter() - started, 1))  # type: ignore[index]
