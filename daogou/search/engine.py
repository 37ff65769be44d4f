"""The searcher: query → plan (slots → filters) → retrievers → fusion → hits with reasons and facets.

Why this shape: each retriever is good at something different (BM25 at exact words and model
numbers, text vectors at meaning and other languages, aligned image vectors at what a product looks
like when its title says little), and fusing their ranks gives the best of each without calibrating
scores. Slots understood in the query become hard filters applied inside every retriever, never
after it, so a filtered query still returns k results when k exist. A photo plus words ("like this
but in blue") keeps the photo's type, takes the words' changes, and ranks by visual similarity.
"""

from __future__ import annotations

import copy
import json
import pickle
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from daogou.catalog.schema import Product
from daogou.catalog.store import CatalogStore
from daogou.config import Settings
from daogou.errors import BadQuery, IndexMismatch, IndexMissing, UnknownProduct
from daogou.index import backends
from daogou.index.attributes import AttributeIndex, Selection
from daogou.index.engine_attributes import EngineAttributes, EngineSelection
from daogou.index.milvus import MilvusIndex
from daogou.index.builder import load_terms, load_value_vectors
from daogou.index.tokenize import fold, words
from daogou.index.vectors import VectorIndex
from daogou.lru import LRU
from daogou.models import artifacts
from daogou.models.align import AlignmentHeads, image_side
from daogou.models.protocols import TextEncoder
from daogou.models.registry import image_encoder, text_encoder
from daogou.search.fusion import ENGINE_FUSED, RRF_K, rrf
from daogou.search.inputs import ImageSource, clean_text, load_image
from daogou.search.query_vectors import QueryVectors
from daogou.search.results import Hit, SearchResult, Signal
from daogou.search.terms import ProductTerms
from daogou.understand.attributes import AttributePredictor, stack_features
from daogou.understand.inference import ValueInference
from daogou.understand.query import ParsedQuery, QueryParser
from daogou.understand.vocabulary import Vocabulary

#: When a query's filters match nothing, drop understood slots in this order until something matches.
RELAX_ORDER = ("colour", "pattern", "brand", "price", "subcategory", "type", "gender")
FACET_FIELDS = ("type", "colour", "gender", "brand")
#: Weight of the review-quality nudge, in RRF units (1.0 = one retriever's rank-1 vote).
REVIEW_WEIGHT = 0.3
RETRIEVERS = ("bm25", "text_vector", "aligned_image", "image_vector", "aligned_text")
#: products kept in memory between requests (~2 KB each): the head of a catalog that searches keep returning
PRODUCT_ENTRIES = 20_000
#: How many image neighbours vote on a query photo's type and gender, and the share the winner needs.
VOTERS, TYPE_QUORUM, GENDER_QUORUM = 20, 0.4, 0.6


@dataclass
class Plan:
    """What will be retrieved: hard filters, exclusions, price range, and where each came from."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    price_min: float | None = None
    price_max: float | None = None
    inferred: dict[str, str] = field(default_factory=dict)
    relaxed: list[str] = field(default_factory=list)
    #: filters guessed for words no lexicon knew (understand/inference.py): let go of before anything understood
    guessed: set[str] = field(default_factory=set)
    #: per filtered field, the lower-cased values the shopper named exactly (ranked before the rest of the family)
    preferred: dict[str, set[str]] = field(default_factory=dict)

    def constrained(self) -> bool:
        return bool(self.filters or self.exclude or self.price_min is not None or self.price_max is not None)


def load_predictions(index_dir: Path) -> dict[str, dict[str, list[object]]]:
    """Predicted attributes written by indexing: field → product id → [value, confidence]."""
    path = index_dir / "predicted.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


class Searcher:
    """Answers text, photo and photo+text queries over one shop's indexes."""

    def __init__(
        self,
        store: CatalogStore,
        settings: Settings,
        index_dir: Path,
        models_dir: Path,
        alignment: tuple[AlignmentHeads, str] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.candidates = settings.candidates
        self._encode_lock = threading.Lock()
        #: whole text results, by request and catalog version (this searcher serves one index generation), pickled:
        #: a caller may change what it gets, and unpickling is ~10x cheaper than a deep copy
        self.results_cache: LRU[bytes] = LRU(settings.search_cache)
        #: products as the store gave them, by (catalog version, id): a hit list of a known version reads no rows
        self.products_cache: LRU[Product] = LRU(PRODUCT_ENTRIES)
        self.text_encoder: TextEncoder = text_encoder(settings.text_model)
        self.query_vectors = QueryVectors(self.text_encoder, self._encode_lock)
        self.lexical = backends.load_lexical(settings, index_dir)
        self.text_index = backends.load(settings, index_dir, "text", self.text_encoder.name, self.text_encoder.dim)
        self.image_index = self._optional(index_dir, "image", settings.image_model)
        self.heads: AlignmentHeads | None = None
        self.aligned_image = self.aligned_text = None
        if alignment is not None:
            self.heads, tag = alignment
            self.aligned_image = self._optional(index_dir, "aligned_image", tag)
            self.aligned_text = self._optional(index_dir, "aligned_text", tag)
        self.colour_head = AttributePredictor.load(models_dir / "colour") if artifacts.exists(models_dir / "colour") else None
        self.predicted = load_predictions(index_dir)
        reviews_path = index_dir / "reviews.json"
        self.review_quality: dict[str, float] = json.loads(reviews_path.read_text(encoding="utf-8")) if reviews_path.exists() else {}
        self.attributes: AttributeIndex | EngineAttributes
        if settings.attributes_in_engine:  # the catalog is not read: the engine answers filters, facets and values
            if not isinstance(self.text_index, MilvusIndex):
                raise IndexMismatch("attributes_in_engine needs the text vectors in Milvus: set vector_url to milvus://... and re-run `daogou index`")
            self.attributes = EngineAttributes.load(index_dir, self.text_index)
            for space in (self.text_index, self.image_index, self.aligned_image, self.aligned_text):
                if isinstance(space, MilvusIndex):
                    space.rows_to = self.attributes.remember  # hits it checks against a filter come with their rows
            self.terms = ProductTerms({}, {})  # a hit's words are segmented when it is explained
        else:
            # with a read replica the rows of hits are the replica's to serve: none are kept here (it may lag the version)
            catalog = store.iter_products() if store.has_replica else self._caching(store.versions()[0], store.iter_products())
            self.attributes = AttributeIndex(catalog)
            self.attributes.add_predictions(self.predicted)
            #: each product's folded words, prepared at index time for the "mentions ..." part of explanations
            self.terms = ProductTerms(load_terms(index_dir), self.attributes.ids)
        vocabulary = Vocabulary(self.attributes.value_table(), self.attributes.price_points())
        self.inference = ValueInference(vocabulary, self.text_encoder, load_value_vectors(index_dir), lock=self._encode_lock)
        self.parser = QueryParser(vocabulary, self.inference)
        #: a second thread for BM25 in a big catalog: tantivy, FAISS and onnxruntime release the GIL, so the lexical
        #: search overlaps the query's encoding and vector searches (the threads live as long as this searcher)
        parallel = settings.parallel_lexical_min and len(self.attributes) >= settings.parallel_lexical_min
        self._lexical_pool = ThreadPoolExecutor(2, thread_name_prefix="daogou-bm25") if parallel else None

    def _caching(self, version: int, products: Iterable[Product]) -> Iterator[Product]:
        """The products read at start, streamed (a million are never held at once); the first PRODUCT_ENTRIES also go
        into the product cache, so a catalog that fits never reads rows for a hit list while it stays unchanged."""
        for count, product in enumerate(products):
            if count < PRODUCT_ENTRIES:
                self.products_cache.put((version, product.id), product)
            yield product

    def _optional(self, index_dir: Path, name: str, model: str) -> VectorIndex | None:
        return backends.load(self.settings, index_dir, name, model) if backends.exists(index_dir, name) else None

    # -- public -------------------------------------------------------------------------------------

    def parse(self, text: str) -> ParsedQuery:
        """Understand a query without searching (for the UI's chips and for the assistant)."""
        return self.parser.parse(clean_text(text))

    def search(
        self,
        text: str | None = None,
        image: ImageSource | None = None,
        k: int = 10,
        filters: dict[str, list[str]] | None = None,
        understand: bool = True,
        retrievers: set[str] | None = None,
        drop: set[str] | None = None,
        exclude: dict[str, list[str]] | None = None,
        price_range: tuple[float | None, float | None] | None = None,
    ) -> SearchResult:
        """Text, photo, or both. `filters` (attribute → accepted values) override what the query says.

        `exclude` and `price_range` are hard constraints given by the caller (the assistant's dialogue
        state): like `filters`, they are never relaxed.

        `retrievers` limits fusion to some of RETRIEVERS (for evaluation: BM25 alone, vectors alone...).
        `drop` names understood slots to ignore (a chip the shopper removed: "colour", "price"...).
        """
        start, cpu_start = time.perf_counter(), time.thread_time()
        if not 1 <= k <= 1000:
            raise BadQuery(f"k must be between 1 and 1000, got {k}")
        if text is None and image is None:
            raise BadQuery("give a text query, an image, or both")
        text = clean_text(text) if text is not None else None
        key = None
        version = self.store.versions()[0]
        if image is None:  # a text request: the same words, options and catalog version give the same result
            options = (k, _frozen(filters), understand, _frozen(retrievers), _frozen(drop), _frozen(exclude), _frozen(price_range))
            key = (" ".join((text or "").split()), options, id(self.parser), version)
            cached = self.results_cache.get(key)
            if cached is not None:
                result = pickle.loads(cached)
                result.took_ms = round((time.perf_counter() - start) * 1000, 2)
                result.cpu_ms = round((time.thread_time() - cpu_start) * 1000, 2)
                return result
        explicit = {name: [str(v) for v in values if str(v).strip()] for name, values in (filters or {}).items() if values}
        for name in explicit:
            if name.lower() not in self.attributes.values:
                raise BadQuery(f"unknown filter {name!r}; this catalog has {self.attributes.fields()}")
        if retrievers is not None and not retrievers <= set(RETRIEVERS):
            raise BadQuery(f"unknown retrievers {sorted(retrievers - set(RETRIEVERS))}; known: {list(RETRIEVERS)}")
        use = retrievers or set(RETRIEVERS)
        parsed = self.parser.parse(text) if text is not None and understand else None
        picture = load_image(image) if image is not None else None
        image_vector = colour_vector = None
        if picture is not None:
            image_vector = self._encode_image(picture)
            colour_vector = image_encoder(self.settings.colour_model).encode_images([picture])[0]
        plan = self._plan(parsed, explicit, image_vector, text is not None, drop or set())
        protected = set(explicit)
        for name, values in (exclude or {}).items():
            if name.lower() not in self.attributes.values:
                raise BadQuery(f"unknown exclusion {name!r}; this catalog has {self.attributes.fields()}")
            plan.exclude.setdefault(name, [])
            plan.exclude[name] += [v for v in values if v not in plan.exclude[name]]
        if price_range is not None and (price_range[0] is not None or price_range[1] is not None):
            plan.price_min, plan.price_max = price_range
            protected.add("price")
        relax = parsed is not None or image_vector is not None
        allowed = self._allowed(plan, relax, protected, defer=True)
        weights = self._weights(text is not None, image_vector is not None)
        lists = self._retrieve(text, parsed, image_vector, colour_vector, plan, allowed, use)
        if relax and allowed is not None and not any(lists.values()) and not allowed:
            # an engine-held selection found nothing because nothing passes: relax now, as `_allowed` does up front
            allowed = self._allowed(plan, relax, protected)
            lists = self._retrieve(text, parsed, image_vector, colour_vector, plan, allowed, use)
        fused = self._with_reviews(rrf(lists, weights=weights))
        self.attributes.prefetch(item for item, _, _ in fused)  # an engine-held index reads these rows once, here
        fused = self._exact_first(fused, plan)
        query_words = list(dict.fromkeys(words(parsed.text))) if parsed else []  # segmented once per request
        hits = self._hits(fused[:k], parsed, plan, query_words, version)
        # Fewer exact matches than asked for: follow them with close matches, dropping one understood slot at a time.
        wider = copy.deepcopy(plan) if relax and len(hits) < k else plan
        while relax and len(hits) < k and wider.constrained():
            dropped = self._relax_once(wider, protected)
            if dropped is None:
                break
            wider_allowed = self.attributes.matching(wider.filters, wider.exclude, wider.price_min, wider.price_max)
            seen = {h.id for h in hits}
            lists = self._retrieve(text, parsed, image_vector, colour_vector, wider, wider_allowed, use)
            more = [f for f in rrf(lists, weights=weights) if f[0] not in seen]
            for hit in self._hits(more[: k - len(hits)], parsed, plan, query_words, version):
                hit.close_match = list(wider.relaxed[len(plan.relaxed) :])
                hits.append(hit)
        facets = self.attributes.facets([item for item, _, _ in fused], FACET_FIELDS)
        if self.attributes.has_prices():
            facets["price"] = self.attributes.price_bands([item for item, _, _ in fused])
        if image_vector is not None and colour_vector is not None and self.colour_head is not None:
            colour, confidence = self.colour_head.predict_with_confidence(stack_features(colour_vector[None, :], image_vector[None, :]))[0]
            if colour:
                plan.inferred.setdefault("photo_colour", f"{colour} ({confidence:.2f})")
        mode = "+".join(name for name, given in (("text", text is not None), ("image", image is not None)) if given)
        result = SearchResult(
            query=text or "",
            mode=mode,
            hits=hits,
            took_ms=round((time.perf_counter() - start) * 1000, 2),
            filters=plan.filters,
            exclusions=plan.exclude,
            price_range=[plan.price_min, plan.price_max],
            understood=parsed.to_dict() if parsed else None,
            inferred=plan.inferred,
            relaxed=plan.relaxed,
            facets=facets,
            cpu_ms=round((time.thread_time() - cpu_start) * 1000, 2),
        )
        if key is not None:
            self.results_cache.put(key, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        return result

    def similar(self, product_id: str, k: int = 12, exclude: set[str] | None = None) -> list[Hit]:
        """Products like one product: neighbours by photo and by text, fused (the product itself excluded)."""
        if not self.attributes.contains(product_id):
            raise UnknownProduct(f"no product with id {product_id!r}")
        skip = {product_id} | (exclude or set())
        lists: dict[str, list[tuple[str, float]]] = {}
        for name, index in (("image_vector", self.image_index), ("text_vector", self.text_index)):
            vector = index.vector_of(product_id) if index is not None else None
            if vector is not None:
                lists[name] = [(h.id, h.score) for h in index.search(vector, k + len(skip) + 5) if h.id not in skip]  # type: ignore[union-attr]
        return self._hits(rrf(lists, weights={"image_vector": 1.0, "text_vector": 0.7})[:k], None, Plan())

    # -- planning -----------------------------------------------------------------------------------

    def _plan(
        self, parsed: ParsedQuery | None, explicit: dict[str, list[str]], image_vector: np.ndarray | None, has_text: bool, drop: set[str]
    ) -> Plan:
        plan = Plan()
        if parsed is not None:
            plan.filters = {k: v for k, v in parsed.filters.items() if k in self.attributes.values and k not in drop}
            plan.guessed = {s.field for s in parsed.slots if s.inferred and s.field in plan.filters}
            plan.preferred = {name: {v.lower() for v in values} for name, values in parsed.preferred.items() if name in plan.filters}
            plan.exclude = {k: v for k, v in parsed.exclusions.items() if k in self.attributes.values and k not in drop}
            if "price" not in drop:
                plan.price_min, plan.price_max = parsed.price_min, parsed.price_max
        plan.filters.update(explicit)
        if image_vector is not None and has_text:
            # "like this but ...": what the words leave open, the photo's nearest products decide
            for name, blocked, quorum in (("type", {"type", "subcategory"}, TYPE_QUORUM), ("gender", {"gender"}, GENDER_QUORUM)):
                if blocked & set(plan.filters) or name not in self.attributes.values or name in drop:
                    continue
                value = self._photo_vote(image_vector, name, quorum)
                if value:
                    plan.filters[name] = [value]
                    plan.inferred[name] = f"{value} (from the photo)"
        return plan

    def _allowed(self, plan: Plan, relax: bool, protected: set[str], defer: bool = False) -> Selection | EngineSelection | None:
        """Ids passing the plan; understood slots are dropped one by one while nothing passes. With `defer`, an
        engine-held selection that may hold products is not counted here (see `search`)."""
        if not plan.constrained():
            return None
        allowed = self.attributes.matching(plan.filters, plan.exclude, plan.price_min, plan.price_max)
        if defer and isinstance(allowed, EngineSelection) and allowed.at_most() > 0:
            return allowed  # whether anything passes is asked of the engine only if the searches find nothing
        while relax and not allowed and self._relax_once(plan, protected) is not None:
            allowed = self.attributes.matching(plan.filters, plan.exclude, plan.price_min, plan.price_max)
        return allowed

    @staticmethod
    def _relax_once(plan: Plan, protected: set[str]) -> str | None:
        """Drop the first guessed filter, else the first understood constraint in RELAX_ORDER (never one the caller gave)."""
        for name in (*sorted(plan.guessed), *RELAX_ORDER):
            if name == "price" and "price" not in protected and (plan.price_min is not None or plan.price_max is not None):
                plan.price_min = plan.price_max = None
            elif name in plan.filters and name not in protected:
                plan.filters.pop(name)
                plan.inferred.pop(name, None)
                plan.guessed.discard(name)
                plan.preferred.pop(name, None)
            else:
                continue
            plan.relaxed.append(name)
            return name
        return None

    # -- retrieval ----------------------------------------------------------------------------------

    def _encode_image(self, picture) -> np.ndarray:  # type: ignore[no-untyped-def]
        if self.image_index is None:
            raise IndexMissing("this shop has no image index (no product photos were indexed)")
        with self._encode_lock:
            return image_encoder(self.settings.image_model).encode_images([picture])[0]

    def _photo_vote(self, image_vector: np.ndarray, name: str, quorum: float) -> str | None:
        """The value of `name` most of the photo's nearest catalog products share, if enough of them do."""
        assert self.image_index is not None
        neighbours = self.image_index.search(image_vector, VOTERS)
        self.attributes.prefetch(h.id for h in neighbours)
        votes = Counter(self.attributes.value_of(h.id, name) for h in neighbours)
        votes.pop(None, None)
        if not votes:
            return None
        best, count = votes.most_common(1)[0]
        return best if count >= quorum * len(neighbours) else None

    def _retrieve(
        self,
        text: str | None,
        parsed: ParsedQuery | None,
        image_vector: np.ndarray | None,
        colour_vector: np.ndarray | None,
        plan: Plan,
        allowed: Selection | EngineSelection | None,
        use: set[str],
    ) -> dict[str, list[tuple[str, float]]]:
        lists: dict[str, list[tuple[str, float]]] = {}
        n = self.candidates
        hybrid = self._hybrid(text, parsed, plan, allowed, use) if text is not None else None
        if hybrid is not None:  # BM25 and the text vectors fused by the engine, in one request
            lists[ENGINE_FUSED] = hybrid
            if "aligned_image" in use:
                lists.update(self._aligned_image(self.query_vectors.get(text), n, allowed))
        elif text is not None:
            lexical: Future[list[tuple[str, float]]] | None = None
            if "bm25" in use:
                args = (text, parsed, plan, allowed)
                if self._lexical_pool is not None:
                    lexical = self._lexical_pool.submit(self._bm25, *args)
                else:
                    lists["bm25"] = self._bm25(*args)
            query_vector = None
            if use & {"text_vector", "aligned_image"}:
                query_vector = self.query_vectors.get(text)
            if "text_vector" in use:
                lists["text_vector"] = [(h.id, h.score) for h in self.text_index.search(query_vector, n, allowed)]
            if "aligned_image" in use:
                lists.update(self._aligned_image(query_vector, n, allowed))
            if lexical is not None:
                lists = {"bm25": lexical.result(), **lists}  # the retrievers' order as without the thread
        if image_vector is not None and self.image_index is not None:
            if "image_vector" in use:
                lists["image_vector"] = [(h.id, h.score) for h in self.image_index.search(image_vector, n, allowed)]
            if "aligned_text" in use and self.heads is not None and self.aligned_text is not None and text is None:
                side = image_side(image_vector[None, :], None if colour_vector is None else colour_vector[None, :])
                aligned = self.heads.transform_images(side)[0]
                lists["aligned_text"] = [(h.id, h.score) for h in self.aligned_text.search(aligned, n, allowed)]
        return lists

    def _aligned_image(self, query_vector: np.ndarray, n: int, allowed: Selection | EngineSelection | None) -> dict[str, list[tuple[str, float]]]:
        """Words finding products by their photos: the text query's vector mapped into the aligned photo space."""
        if self.heads is None or self.aligned_image is None:
            return {}
        aligned = self.heads.transform_texts(query_vector[None, :])[0]
        return {"aligned_image": [(h.id, h.score) for h in self.aligned_image.search(aligned, n, allowed)]}

    def _hybrid(
        self, text: str, parsed: ParsedQuery | None, plan: Plan, allowed: Selection | EngineSelection | None, use: set[str]
    ) -> list[tuple[str, float]] | None:
        """BM25 and the text vectors fused by the BM25 engine in one request (`engine_fusion`), when it holds the text
        vectors, both retrievers are asked for with the same fusion weight, and it can express the filter; else None."""
        if not {"bm25", "text_vector"} <= use or getattr(self.lexical, "vectors", None) is None:
            return None
        constraints = getattr(allowed, "constraints", None)
        if allowed is not None and constraints is None:
            return None
        return self.lexical.hybrid(self._lexical_text(text, parsed), self.query_vectors.get(text), self.candidates, plan.filters, constraints, RRF_K)  # type: ignore[union-attr]

    @staticmethod
    def _lexical_text(text: str, parsed: ParsedQuery | None) -> str:
        """What BM25 searches: the words and their English reading."""
        return f"{text} {parsed.english}" if parsed and parsed.english else text

    def _bm25(self, text: str, parsed: ParsedQuery | None, plan: Plan, allowed: Selection | EngineSelection | None) -> list[tuple[str, float]]:
        """BM25 candidates: the words (and their English reading) with the plan's attribute filters inside tantivy."""
        n = self.candidates
        lexical_text = self._lexical_text(text, parsed)
        # tantivy applies the attribute filters itself; exclusions and prices are checked here, so fetch more
        only_filters = not plan.exclude and plan.price_min is None and plan.price_max is None
        fetch = n if allowed is None or only_filters else n * 3
        hits, _ = self.lexical.search(lexical_text, fetch, plan.filters or None)
        if allowed is None:
            return [(h.id, h.score) for h in hits[:n]]
        passing = set(allowed.keep(h.id for h in hits))
        return [(h.id, h.score) for h in hits if h.id in passing][:n]

    def _weights(self, has_text: bool, has_image: bool) -> dict[str, float]:
        """RRF weights: words and meaning count fully for text; with a photo, the photo is the anchor."""
        # BM25 and the text vectors keep one weight in every case: an engine fusing the two (ENGINE_FUSED) adds them alike
        if has_text and has_image:
            return {"bm25": 0.5, "text_vector": 0.5, ENGINE_FUSED: 0.5, "aligned_image": 0.5, "image_vector": 1.5}
        return {"bm25": 1.0, "text_vector": 1.0, ENGINE_FUSED: 1.0, "aligned_image": self.settings.aligned_weight, "image_vector": 1.0, "aligned_text": 0.5}

    def _with_reviews(self, fused: list[tuple[str, float, dict[str, Signal]]]) -> list[tuple[str, float, dict[str, Signal]]]:
        """Nudge products with well-supported good reviews up: at most what one more retriever at rank 1 would add."""
        if not self.review_quality:
            return fused
        boosted = [(item, score + REVIEW_WEIGHT * self.review_quality.get(item, 0.0) / 61, signals) for item, score, signals in fused]
        return sorted(boosted, key=lambda t: (-t[1], t[0]))

    def _terms_of(self, product) -> set[str]:  # type: ignore[no-untyped-def]
        """A product's words for explanations: from the index; segmented now only for an index built before terms."""
        stored = self.terms.get(product.id)
        return stored if stored is not None else {fold(w) for w in words(product.passage())}

    def _exact_first(self, fused: list[tuple[str, float, dict[str, Signal]]], plan: Plan) -> list[tuple[str, float, dict[str, Signal]]]:
        """Products with the exact value the shopper said ("pink": Pink) before the rest of its family (Light Pink).

        A stable sort on how many such values a product has, so the fused order holds within each group.
        """
        if not plan.preferred:
            return fused

        def said(item: str) -> int:
            return sum((self.attributes.value_of(item, name) or "").lower() in values for name, values in plan.preferred.items())

        return sorted(fused, key=lambda entry: -said(entry[0]))

    # -- results ------------------------------------------------------------------------------------

    def _products(self, ids: list[str], version: int | None) -> dict[str, Product]:
        """Products by id: from memory when the catalog is still at `version`, else one store read for the rest."""
        if version is None:
            return self.store.get_many(ids, replica=True)
        found = {pid: p for pid in ids if (p := self.products_cache.get((version, pid))) is not None}
        missing = [pid for pid in ids if pid not in found]
        if missing:
            for pid, product in self.store.get_many(missing, replica=True).items():
                found[pid] = product
                if not self.store.has_replica:  # a replica may lag the version: its rows are not kept under it
                    self.products_cache.put((version, pid), product)  # keyed by version: an older version's entry is never read
        return found

    def _hits(
        self,
        fused: list[tuple[str, float, dict[str, Signal]]],
        parsed: ParsedQuery | None,
        plan: Plan,
        query_words: Sequence[str] = (),
        version: int | None = None,
    ) -> list[Hit]:
        products = self._products([item for item, _, _ in fused], version)
        self.attributes.prefetch(products)
        hits = []
        for item, score, signals in fused:
            product = products.get(item)
            if product is None:  # deleted since the index was built
                continue
            present = self._terms_of(product)
            matched_slots, predicted, family = [], {}, []
            for name, values in plan.filters.items():
                value = self.attributes.value_of(product.id, name)
                if value is None or value.lower() not in {v.lower() for v in values}:
                    continue
                matched_slots.append(f"{name}={value}")
                if name in plan.preferred and value.lower() not in plan.preferred[name]:
                    family.append(name)
                if name not in product.attributes and name in self.predicted and product.id in self.predicted[name]:
                    predicted[name] = round(float(self.predicted[name][product.id][1]), 3)
            hits.append(
                Hit(
                    id=product.id,
                    title=product.title,
                    score=round(score, 6),
                    price=product.price,
                    currency=product.currency,
                    image_path=product.image_path,
                    attributes=dict(product.attributes),  # the cached product stays as the store gave it
                    signals=signals,
                    matched_words=[w for w in query_words if fold(w) in present],
                    matched_slots=matched_slots,
                    predicted=predicted,
                    review_quality=self.review_quality.get(product.id),
                    family_slots=family,
                )
            )
        return hits


def _frozen(value: object) -> Hashable:
    """A request option as a hashable cache key part (dicts and sets in a stable order)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset, list, tuple)):
        items = [_frozen(v) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else tuple(items)
    return value  # type: ignore[return-value]
