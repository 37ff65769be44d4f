"""Build one index generation from the store: FAISS per vector space, aligned spaces, predicted attributes, review
signals, the catalog's attribute values embedded for query inference, and BM25.

Why its own object: everything here is derived from what the store already holds, so a generation can be
rebuilt at any time into a fresh folder (index/generations.py switches to it only when it is complete). The shop
only says where the models are and how to score review sentiment.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from daogou import atomic
from daogou.catalog.store import CatalogStore
from daogou.classifying import modalities_for
from daogou.config import Settings
from daogou.index import backends
from daogou.index.attributes import AttributeIndex
from daogou.index.engine_attributes import SUMMARY
from daogou.index.milvus_lexical import TextSide
from daogou.index.tokenize import fold
from daogou.models import artifacts
from daogou.models.align import AlignmentHeads, image_side
from daogou.models.registry import text_encoder
from daogou.understand.attributes import AttributePredictor, stack_features
from daogou.understand.inference import value_vectors
from daogou.understand.reviews import count_positive, wilson_lower
from daogou.understand.vocabulary import Vocabulary

#: The catalog's attribute values embedded by the text encoder (understand/inference.py reads them).
VALUE_VECTORS = "values.npz"
#: Each product's folded words (search explanations read them instead of segmenting titles per hit).
TERMS = "terms.json"


@dataclass
class GenerationBuilder:
    """Writes every derived index of one shop into a new generation folder."""

    store: CatalogStore
    settings: Settings
    models_dir: Path
    alignment: tuple[AlignmentHeads, str] | None
    inputs: dict[str, str]
    positive_proba: Callable[[list[str]], list[float]]
    #: the live generation, whose engine-held spaces may be carried forward and updated in place (backends.build)
    previous: Path | None = None

    def build(self, folder: Path) -> dict[str, int]:
        """Everything derived from the stored vectors and rows; returns the size of each part (and, as
        "spaces_carried", how many vector spaces were updated in place in the live generation's engine)."""
        self.carried: list[str] = []
        text_ids, text_vectors = self.store.load_vectors("text", self.settings.text_model)
        image_ids, image_vectors = self.store.load_vectors("image", self.settings.image_model)
        # colour features in the image ids' order (both come from the same photos)
        colour_ids, colour_matrix = self.store.load_vectors("colour", self.settings.colour_model)
        colour_position = {pid: i for i, pid in enumerate(colour_ids)}
        with_colour = [i for i, pid in enumerate(image_ids) if pid in colour_position]
        coloured_ids, coloured_vectors = image_ids, image_vectors
        if len(with_colour) < len(image_ids):  # (a copy of the matrix: only when some photos lack colour features)
            coloured_ids = [image_ids[i] for i in with_colour]
            coloured_vectors = image_vectors[with_colour] if coloured_ids else image_vectors
        colour_vectors = colour_matrix[[colour_position[pid] for pid in coloured_ids]] if coloured_ids else None
        # the generation's attribute values, predictions included, before any vector index: an engine that filters
        # by itself (Milvus) stores them beside the vectors; one pass over the catalog also serves the colour head
        attributes = AttributeIndex(self.store.iter_products())
        predictions = self._colour_predictions(coloured_ids, coloured_vectors, colour_vectors, attributes)
        predictions.update(self._classifier_predictions())
        attributes.add_predictions(predictions)
        indexed = {
            "text": self._vector_index(folder, "text", text_ids, text_vectors, self.settings.text_model, attributes),
            "image": self._vector_index(folder, "image", image_ids, image_vectors, self.settings.image_model, attributes),
        }
        del image_vectors
        if self.alignment is not None:
            heads, tag = self.alignment
            aligned = (_in_chunks(lambda s: heads.transform_images(image_side(coloured_vectors[s], colour_vectors[s])), len(coloured_ids))  # type: ignore[index]
                       if coloured_ids else coloured_vectors)
            indexed["aligned_image"] = self._vector_index(folder, "aligned_image", coloured_ids, aligned, tag, attributes)
            texts = _in_chunks(lambda s: heads.transform_texts(text_vectors[s]), len(text_ids)) if text_ids else text_vectors
            indexed["aligned_text"] = self._vector_index(folder, "aligned_text", text_ids, texts, tag, attributes)
        signals = {}
        for pid in self.store.reviewed_products():
            found = self.store.reviews_of(pid)
            signals[pid] = round(wilson_lower(count_positive(found, self.positive_proba), len(found)), 4)
        atomic.write_text(folder / "reviews.json", json.dumps(signals))
        indexed["review_signals"] = len(signals)
        atomic.write_text(folder / "predicted.json", json.dumps(predictions, ensure_ascii=False))
        atomic.write_text(folder / SUMMARY, json.dumps(attributes.summary(), ensure_ascii=False))  # for attributes_in_engine
        indexed["predicted_colour"] = len(predictions.get("colour", {}))
        indexed["attribute_values"] = self._value_vectors(folder, attributes)
        terms: dict[str, str] = {}

        def keep_terms(pid: str, segmented: list[str]) -> None:
            terms[pid] = " ".join(sorted({fold(w) for w in segmented}))

        side = TextSide(text_ids, text_vectors, attributes, self.settings.text_model, self.settings.hnsw_threshold) if self.settings.engine_fusion else None
        indexed["lexical"], how = backends.build_lexical(self.settings, folder, self.store.iter_products, keep_terms, self.previous, side)
        indexed["spaces_carried"] = len(self.carried) + (how == "carried")
        atomic.write_text(folder / TERMS, json.dumps(terms, ensure_ascii=False))
        indexed["terms"] = len(terms)
        return indexed

    def _vector_index(self, folder: Path, name: str, ids: list[str], vectors: np.ndarray, model: str, attributes: AttributeIndex) -> int:
        """Build one vector index into the new generation (nothing when there is nothing to index)."""
        if not ids:
            return 0
        if backends.build(self.settings, folder, name, ids, vectors, model, attributes, self.previous) == "carried":
            self.carried.append(name)
        return len(ids)

    def _colour_predictions(
        self, image_ids: list[str], image_vectors: np.ndarray, colour_vectors: np.ndarray | None, attributes: AttributeIndex
    ) -> dict[str, dict[str, list[object]]]:
        """The trained colour head fills the colour of photographed products whose rows have none."""
        predictions: dict[str, dict[str, list[object]]] = {}
        if not (artifacts.exists(self.models_dir / "colour") and image_ids and colour_vectors is not None):
            return predictions
        missing = [i for i, pid in enumerate(image_ids) if not attributes.value_of(pid, "colour")]  # no row reads (at 1M this read every product again)
        if missing:
            head = AttributePredictor.load(self.models_dir / "colour")
            features = stack_features(colour_vectors[missing], image_vectors[missing])
            for i, (value, confidence) in zip(missing, head.predict_with_confidence(features)):
                if value:
                    predictions.setdefault("colour", {})[image_ids[i]] = [value, round(confidence, 4)]
        return predictions

    def _classifier_predictions(self, min_confidence: float = 0.3) -> dict[str, dict[str, list[object]]]:
        """Each trained fusion classifier fills its attribute for products that lack it (photo + text together).

        The bar is low (0.3 over dozens of classes) because a predicted value is always shown as predicted,
        with its confidence, and a product with no value cannot be found by that facet at all.
        """
        out: dict[str, dict[str, list[object]]] = {}
        for path in sorted(self.models_dir.glob(f"classify-*{artifacts.SUFFIX}")):
            target = path.stem.removeprefix("classify-")
            card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            if card.get("inputs") != self.inputs:
                warnings.warn(f"{path.name} was trained on other encoders; run `daogou train classify` again", stacklevel=3)
                continue
            missing = [p for p in self.store.iter_products() if not p.attributes.get(target)]
            if not missing:
                continue
            model = artifacts.load(path.with_suffix(""))
            features = modalities_for(self.store, self.settings, self.models_dir / "cache", missing)
            proba = model.predict_proba(features)
            for product, row in zip(missing, proba):
                best = int(row.argmax())
                if row[best] >= min_confidence and model.classes_[best] != "other":
                    out.setdefault(target, {})[product.id] = [str(model.classes_[best]), round(float(row[best]), 4)]
        return out

    def _value_vectors(self, folder: Path, attributes: AttributeIndex) -> int:
        """Embed every type/colour/gender value once per generation, so a query's unknown words meet them cheaply
        (`attributes` already holds the predictions)."""
        vocabulary = Vocabulary(attributes.value_table())
        vectors = value_vectors(text_encoder(self.settings.text_model), vocabulary)
        arrays: dict[str, np.ndarray] = {}
        for name, (values, matrix) in vectors.items():
            arrays[f"{name}__values"] = np.array(values, dtype=object).astype(str)
            arrays[f"{name}__vectors"] = matrix.astype(np.float32)
        with (folder / VALUE_VECTORS).open("wb") as handle:
            np.savez(handle, **arrays)
        return sum(len(v) for v, _ in vectors.values())


def _in_chunks(transform: Callable[[slice], np.ndarray], rows: int, size: int = 50_000) -> np.ndarray:
    """`transform` over row slices, stacked: a million photo vectors are never widened or copied all at once."""
    return np.vstack([transform(slice(start, start + size)) for start in range(0, rows, size)])


def load_terms(folder: Path) -> dict[str, str]:
    """Product id → its space-separated folded words; empty for a generation built before terms existed."""
    path = folder / TERMS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def load_value_vectors(folder: Path) -> dict[str, tuple[list[str], np.ndarray]] | None:
    """The embedded attribute values of a generation, or None for a generation built before they existed."""
    path = folder / VALUE_VECTORS
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        names = {key.split("__")[0] for key in data.files}
        return {name: ([str(v) for v in data[f"{name}__values"]], data[f"{name}__vectors"]) for name in names}
