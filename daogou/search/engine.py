"""The searcher: query → filters + retrievers (BM25, text vectors, image vectors) → RRF → hits with reasons.

Why this shape: each retriever is good at something different (BM25 at exact words and model
numbers, vectors at meaning and at other languages, image vectors at look), and fusing their ranks
gives the best of each without score calibration. Filters are applied inside every retriever, never
after it, so a filtered query still returns k results when k exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from daogou.catalog.store import CatalogStore
from daogou.errors import BadQuery, IndexMissing
from daogou.index.attributes import AttributeIndex
from daogou.index.lexical import LexicalIndex
from daogou.index.tokenize import words
from daogou.index.vectors import FaissIndex
from daogou.models.protocols import ImageEncoder, TextEncoder
from daogou.search.fusion import rrf
from daogou.search.inputs import ImageSource, clean_text, load_image
from daogou.search.results import Hit, SearchResult, Signal


class Searcher:
    """Answers text and image queries over one shop's indexes."""

    def __init__(
        self,
        store: CatalogStore,
        index_dir: Path,
        text_encoder: TextEncoder,
        image_model: str,
        image_encoder_loader: Callable[[], ImageEncoder],
        candidates: int = 100,
        exact_filter_fraction: float = 0.05,
    ) -> None:
        self.store = store
        self.text_encoder = text_encoder
        self._image_encoder_loader = image_encoder_loader
        self._image_encoder: ImageEncoder | None = None
        self.candidates = candidates
        self.lexical = LexicalIndex(index_dir / "lexical")
        self.text_index = FaissIndex.load(index_dir, "text", text_encoder.name, text_encoder.dim, exact_filter_fraction)
        self.image_index: FaissIndex | None = None
        if (index_dir / "image.json").exists():
            self.image_index = FaissIndex.load(index_dir, "image", image_model, None, exact_filter_fraction)
        self.attributes = AttributeIndex(store.iter_products())

    @property
    def image_encoder(self) -> ImageEncoder:
        if self._image_encoder is None:
            self._image_encoder = self._image_encoder_loader()
        return self._image_encoder

    # -- public -------------------------------------------------------------------------------------

    def search(
        self,
        text: str | None = None,
        image: ImageSource | None = None,
        k: int = 10,
        filters: dict[str, list[str]] | None = None,
    ) -> SearchResult:
        """Text, image, or both (fused). `filters` maps attribute → accepted values."""
        start = time.perf_counter()
        if not 1 <= k <= 1000:
            raise BadQuery(f"k must be between 1 and 1000, got {k}")
        filters = {name: [v for v in values if str(v).strip()] for name, values in (filters or {}).items() if values}
        allowed = self.attributes.matching(filters) if filters else None
        lists: dict[str, list[tuple[str, float]]] = {}
        query_words: list[str] = []
        if text is None and image is None:
            raise BadQuery("give a text query, an image, or both")
        if text is not None:
            text = clean_text(text)
            lexical_hits, query_words = self.lexical.search(text, self.candidates, filters or None)
            lists["bm25"] = [(h.id, h.score) for h in lexical_hits]
            vector = self.text_encoder.encode_queries([text])[0]
            lists["text_vector"] = [(h.id, h.score) for h in self.text_index.search(vector, self.candidates, allowed)]
        if image is not None:
            if self.image_index is None:
                raise IndexMissing("this shop has no image index (no product photos were indexed)")
            picture = load_image(image)
            vector = self.image_encoder.encode_images([picture])[0]
            lists["image_vector"] = [(h.id, h.score) for h in self.image_index.search(vector, self.candidates, allowed)]
        # With a photo and words, the photo weighs as much as both word retrievers together: it is the
        # anchor of the query ("this, in ...") and the words refine it.
        weights = {"bm25": 0.5, "text_vector": 0.5, "image_vector": 1.0} if len(lists) == 3 else None
        fused = rrf(lists, weights=weights)[:k]
        hits = self._hits(fused, query_words)
        mode = "+".join(name for name in ("text", "image") if (text if name == "text" else image) is not None)
        took = (time.perf_counter() - start) * 1000
        return SearchResult(query=text or "", mode=mode, hits=hits, took_ms=round(took, 2), filters=filters)

    def _hits(self, fused: list[tuple[str, float, dict[str, Signal]]], query_words: list[str]) -> list[Hit]:
        products = self.store.get_many([item for item, _, _ in fused])
        unique_words = list(dict.fromkeys(query_words))
        hits = []
        for item, score, signals in fused:
            product = products.get(item)
            if product is None:  # deleted since the index was built
                continue
            present = {_stem(w) for w in words(product.passage())}
            matched = [w for w in unique_words if _stem(w) in present]
            hits.append(
                Hit(
                    id=product.id,
                    title=product.title,
                    score=round(score, 6),
                    price=product.price,
                    image_path=product.image_path,
                    attributes=product.attributes,
                    signals=signals,
                    matched_words=matched,
                )
            )
        return hits


def _stem(word: str) -> str:
    """Crude plural folding for the explanation only (BM25 itself uses tantivy's stemmer)."""
    for suffix in ("es", "s"):
        if len(word) > 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word
