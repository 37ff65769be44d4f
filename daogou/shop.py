"""Shop: the public Python facade — `daogou.open("./myshop")` → .import_catalog() .index() .search().

Why a facade: the CLI, the REST API and users' scripts all do the same few things; this is the one
place that wires store, models, pipeline and indexes together, so no layer reaches into another.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from daogou import atomic
from daogou.assistant import Assistant, Reply, Services
from daogou.assistant.policy import PolicyIndex, read_document
from daogou.assistant.rewording import rewriter
from daogou.assistant.service import sections_from_store
from daogou.catalog.events import EVENT_PRESETS, read_events
from daogou.catalog.importers import RowError, read_catalog
from daogou.catalog.presets import PRESETS, ColumnMapping
from daogou.catalog.schema import Product
from daogou.catalog.store import CatalogStore
from daogou.classifying import train_classification
from daogou.config import CONFIG_NAME, Settings, load_settings
from daogou.errors import DaogouError, ImportFailed, ShopNotFound, UnknownProduct
from daogou.index.generations import Generations
from daogou.index.published import PublishedGenerations
from daogou.index.service import IndexService
from daogou.pipeline.run import encode_catalog
from daogou.recommend.data import Interactions
from daogou.recommend.models import HybridRecommender, Scored
from daogou.recommend.preferences import Preferences
from daogou.recommend.service import RECOMMEND_CARD, RecommendService
from daogou.recommend.session import Recommendation, SessionRecommender
from daogou.search.engine import Searcher
from daogou.search.inputs import ImageSource
from daogou.search.live import LiveSearcher
from daogou.search.results import Hit, SearchResult
from daogou.search.showcase import FrontPage, Showcase
from daogou.speech import VoiceService, WhisperRecognizer
from daogou.speech.vocabulary import CatalogWords
from daogou.training import TrainReport, train_alignment, train_attribute
from daogou.tryon import installed as tryon_installed
from daogou.tryon import service as tryon_service
from daogou.understand.review_service import ReviewService
from daogou.understand.reviews import ReviewSummary

if TYPE_CHECKING:
    from daogou.tryon.service import LookResult, TryOn

__all__ = ["RECOMMEND_CARD", "Shop", "open"]  # RECOMMEND_CARD: tests and tools name the stored blend through the shop

@dataclass
class ImportReport:
    """What an import did: counts, and every skipped row with its file, line and reason."""

    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    without_image: int = 0
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class RecordsReport:
    """What an events or reviews import did: new records, repeats of earlier imports, records naming unknown products, bad rows."""

    source: str
    added: int
    already_imported: int
    unknown_products: int
    errors: list[RowError] = field(default_factory=list)


@dataclass
class IndexReport:
    """What indexing did: items encoded now per space, failures, index sizes and time."""

    encoded: dict[str, int]
    indexed: dict[str, int]
    failures: list[tuple[str, str]]
    seconds: float
    #: try-on verdicts of the catalog's wearable products (eligible / ineligible); empty without the [tryon] extra
    tryon: dict[str, int] = field(default_factory=dict)


class Shop:
    """One shop directory: settings, catalog store, indexes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = settings.shop_dir
        try:
            self.store = CatalogStore(settings.resolved_store_url, root=self.path, read_url=settings.store_read_url)
        except SQLAlchemyError as exc:  # a damaged file or an unreachable server: one line, not a traceback
            raise DaogouError(f"the catalog store of {self.path} cannot be opened ({exc.__class__.__name__}); restore it with `daogou restore`") from exc
        generations = PublishedGenerations(self.path / "index", self.store) if settings.index_in_store else Generations(self.path / "index")
        #: index generations: building them, the encoders and heads they depend on (daogou/index/service.py)
        self.indexes = IndexService(self.store, settings, self.models_dir, generations, self.positive_proba)
        self._live = LiveSearcher(self.indexes)
        self.recommendations = RecommendService(self.store, self.settings, self.models_dir, lambda: self.searcher, self.indexes.live_stamp)
        self.reviews = ReviewService(self.store, self.models_dir)
        self._assistant: tuple[Assistant, int] | None = None
        self._showcase = Showcase(self.store)
        #: voice search and voice turns (daogou/speech/); the model loads on the first recording
        self.voice = VoiceService(CatalogWords(lambda: self.searcher), WhisperRecognizer(settings.speech_model, settings.speech_window_s))
        self._tryon: TryOn | None = None
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------------

    @classmethod
    def init(cls, path: Path | str, exist_ok: bool = False, **overrides: object) -> Shop:
        """Create a shop directory with a daogou.toml (settings `overrides` are written into it)."""
        path = Path(path)
        config = path / CONFIG_NAME
        if config.exists() and not exist_ok:
            raise DaogouError(f"{path} is already a shop (it has {CONFIG_NAME}); open it instead")
        path.mkdir(parents=True, exist_ok=True)
        if not config.exists():
            settings = Settings(shop_dir=path)
            for key, value in overrides.items():
                if not hasattr(settings, key) or key == "shop_dir":
                    raise DaogouError(f"unknown setting {key!r}")
                setattr(settings, key, value)
            atomic.write_text(config, settings.to_toml())
        return cls(load_settings(path))

    @classmethod
    def open(cls, path: Path | str) -> Shop:
        """Open an existing shop directory."""
        path = Path(path)
        if not (path / CONFIG_NAME).exists():
            raise ShopNotFound(f"{path} is not a daogou shop: run `daogou init {path}` first")
        settings = load_settings(path)
        if not settings.store_url and not (path / "catalog.db").exists():
            # never recreate an empty store silently: a lost catalog.db must be noticed, not served as an empty shop
            raise ShopNotFound(f"{path} has no catalog.db: restore it with `daogou restore`, or start over with `daogou init`")
        return cls(settings)

    def close(self) -> None:
        self.generations.close()
        self.store.close()

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def index_dir(self) -> Path:
        """The live index generation (see index/generations.py)."""
        return self.generations.current()

    @property
    def generations(self) -> Generations:
        """Index generations in the shop folder, or published in the store for stateless replicas (index_in_store)."""
        return self.indexes.generations

    @property
    def photos_dir(self) -> Path:
        """Photos copied in at import, by content hash: the only files the photo endpoint serves."""
        return self.path / "photos"

    @property
    def models_dir(self) -> Path:
        """Heads trained on this shop's own data (alignment, attribute predictors), with model cards."""
        return self.path / "models"

    # -- catalog ------------------------------------------------------------------------------------

    def import_catalog(
        self,
        source: Path | str,
        preset: str | None = None,
        mapping: dict[str, str] | None = None,
        limit: int | None = None,
        image_dir: Path | str | None = None,
        confine: bool = False,
    ) -> ImportReport:
        """Import a CSV / JSONL / Parquet catalog. Bad rows are skipped and reported; good rows land in one transaction.

        `confine` keeps photo paths inside `image_dir` (for catalogs uploaded over the network).
        """
        started = time.perf_counter()
        if preset is not None and preset not in PRESETS:
            raise ImportFailed(f"unknown preset {preset!r}; known presets: {sorted(PRESETS)}")
        if preset is None and not mapping:
            raise ImportFailed("give a --preset or a column mapping (at least id=COLUMN and title=COLUMN)")
        base = PRESETS[preset] if preset else ColumnMapping(id="id", title="title")
        try:
            column_mapping = base.with_overrides(mapping or {})
        except ValueError as exc:
            raise ImportFailed(str(exc)) from exc
        result = read_catalog(source, column_mapping, limit=limit, image_dir=image_dir, confine=confine, photo_store=self.photos_dir)
        stats = self.store.upsert_products(result.products)
        return ImportReport(
            source=str(source),
            added=stats.added,
            updated=stats.updated,
            unchanged=stats.unchanged,
            without_image=result.without_image,
            errors=result.errors,
            seconds=round(time.perf_counter() - started, 2),
        )

    def product(self, product_id: str) -> Product:
        found = self.store.get_many([product_id]).get(product_id)
        if found is None:
            raise UnknownProduct(f"no product with id {product_id!r}")
        return found

    # -- index --------------------------------------------------------------------------------------

    def index(self, show_progress: bool = True, workers: int | None = None, ray: str | None = None) -> IndexReport:
        """Encode what changed (here, or on Ray tasks at address `ray`), then rebuild the indexes from the store."""
        started = time.perf_counter()
        models = {"text": self.settings.text_model, "image": self.settings.image_model, "colour": self.settings.colour_model}
        report = encode_catalog(
            self.store,
            models,
            workers=self.settings.workers if workers is None else workers,
            batch_size=self.settings.batch_size,
            show_progress=show_progress,
            ray=ray,
        )
        indexed = self.indexes.rebuild()
        tryon = dict(self.tryon.prepare(self.store.iter_products(), show_progress)) if tryon_installed() and self.settings.tryon_rigs else {}
        return IndexReport(
            encoded=report.encoded,
            indexed=indexed,
            failures=report.failures,
            seconds=round(time.perf_counter() - started, 2),
            tryon=tryon,
        )

    def delete_products(self, product_ids: list[str]) -> tuple[int, list[str]]:
        """(removed, unknown ids). Indexes are rebuilt at once so search and recommendations stop showing them.

        Behaviour and reviews of a removed product stay in the store (history is history); the recommenders
        leave its events out, because they only learn from events for products still in the catalog.
        """
        wanted = list(dict.fromkeys(product_ids))
        present = set(self.store.get_many(wanted))
        unknown = [p for p in wanted if p not in present]
        removed = self.store.delete_products([p for p in wanted if p in present])
        if removed:
            self.indexes.rebuild()
            self.recommendations.forget()
        return removed, unknown

    # -- training -----------------------------------------------------------------------------------

    def train(self, what: str = "align", **params: object) -> TrainReport:
        """Train one of the shop's own heads on the seeded split, then refresh the indexes.

        "align": image↔text heads; "colour": photo → colour head; "classify": the fusion classifier for
        params["target"] (an attribute such as "type"), variant params["variant"] (default "feature-logreg");
        "sentiment": the review sentiment model on the shop's rated reviews, params["data"] (a CSV) and, unless
        params["public"] is False, the public review sets where present; "recommend": the sequential model and the hybrid's blend weights (params["progress"] gets each epoch).
        """
        if what == "align":
            report = train_alignment(self.store, self.settings, self.models_dir, **params)
        elif what == "colour":
            report = train_attribute(self.store, self.settings, self.models_dir, "colour")
        elif what == "sentiment":
            data = params.get("data")
            report = self.reviews.train(str(data) if data else None, bool(params.get("public", True)), params.get("max_per_language"))  # type: ignore[arg-type]
        elif what == "recommend":
            return self.recommendations.train(params.get("progress"), bool(params.get("sequential", True)))  # type: ignore[arg-type]
        elif what == "classify":
            report = train_classification(self.store, self.settings, self.models_dir, self.indexes.inputs(), str(params.get("target", "type")),
                                          str(params.get("variant", "feature-logreg")), bool(params.get("show_progress", True)))
        else:
            raise DaogouError(f"unknown training target {what!r}; use 'align', 'colour', 'classify', 'sentiment' or 'recommend'")
        self.indexes.rebuild()
        return report

    # -- search -------------------------------------------------------------------------------------

    @property
    def searcher(self) -> Searcher:
        """The searcher over the live index generation, opened on first use, shared by threads (search/live.py)."""
        return self._live.get()

    def search(
        self,
        text: str | None = None,
        image: ImageSource | None = None,
        k: int = 10,
        filters: dict[str, list[str]] | None = None,
        understand: bool = True,
        retrievers: set[str] | None = None,
        drop: set[str] | None = None,
    ) -> SearchResult:
        """Search by text, by photo, or both; `filters` maps an attribute to its accepted values.

        With `understand`, slots in the words (colour, type, gender, brand, price, negations) become filters.
        `retrievers` restricts fusion to some retrievers (bm25, text_vector, aligned_image, image_vector, aligned_text).
        `drop` ignores understood slots by field (the chips a shopper removed).
        """
        return self.searcher.search(text=text, image=image, k=k, filters=filters, understand=understand, retrievers=retrievers, drop=drop)


    def similar(self, product_id: str, k: int = 12) -> list[Hit]:
        """Products that look and read like `product_id`."""
        return self.searcher.similar(product_id, k)

    def front_page(self, k: int = 12) -> FrontPage:
        """The storefront before a query: the catalog's categories and its popular products."""
        searcher = self.searcher
        return self._showcase.front_page(searcher.attributes, searcher.review_quality, k)
    def recommend_for_session(self, viewed: list[str], k: int = 12) -> tuple[list[Recommendation], list[str]]:
        """Recommendations from this session's viewed products (newest last); returns (items, ignored ids)."""
        searcher = self.searcher

        def similar(product_id: str, n: int, exclude: set[str]) -> list[tuple[str, str, float]]:
            return [(h.id, h.title, h.score) for h in searcher.similar(product_id, n, exclude)]

        def title_of(product_id: str) -> str:
            return self.product(product_id).title

        return SessionRecommender(similar, title_of, next_items=self.recommendations.next_items()).recommend(viewed, k)

    # -- person photos ----------------------------------------------------------------------------

    @property
    def tryon(self) -> TryOn:
        """Try-on previews, product rigs and their verdicts (daogou/tryon/); needs the [tryon] extra."""
        if self._tryon is None:
            self._tryon = tryon_service(self.path / "tryon", lambda product: product.image_path or None)
        return self._tryon

    def shop_the_look(self, photo: ImageSource, k: int = 10) -> LookResult:
        """One row of products per thing the person in `photo` wears, each filtered to its kind."""
        return self.tryon.shop_the_look(photo, self.searcher, k)

    # -- behaviour and recommendations --------------------------------------------------------------

    def import_events(self, source: Path | str, preset: str = "generic", mapping: dict[str, str] | None = None) -> RecordsReport:
        """Import views / carts / purchases. Bad rows are reported by line; re-importing the same file adds nothing."""
        if preset not in EVENT_PRESETS:
            raise ImportFailed(f"unknown events preset {preset!r}; known: {sorted(EVENT_PRESETS)}")
        try:
            base = EVENT_PRESETS[preset].with_overrides(mapping or {})
        except ValueError as exc:
            raise ImportFailed(str(exc)) from exc
        events, errors = read_events(source, base)
        added, duplicates = self.store.add_interactions(events)
        known = self.store.get_many(sorted({e.product_id for e in events}))
        unknown = sum(1 for e in events if e.product_id not in known)
        self.recommendations.forget()
        return RecordsReport(str(source), added, duplicates, unknown, errors)

    def content_vectors(self) -> tuple[list[str], np.ndarray]:
        """One unit vector per product from its text and photo vectors (see recommend/service.py)."""
        return self.recommendations.content_vectors()

    def recommender_factories(self) -> dict[str, object]:
        """Every recommender of recommend/models.py, ready to fit on an Interactions set."""
        return self.recommendations.factories()

    def recommender(self) -> tuple[HybridRecommender, Interactions]:
        """The hybrid fitted on all events for catalog products, refitted when events, products or the index changed."""
        return self.recommendations.fitted()

    def blend_trained(self) -> bool:
        """Whether the hybrid's weights were fitted on this shop (`daogou train recommend`)."""
        return self.recommendations.blend_trained()

    def recommend(self, user: str, k: int = 12, preferences: Preferences | None = None) -> tuple[list[Scored], str]:
        """Recommendations for a user with reason codes (worded by `explain`); an unknown user gets what is popular."""
        return self.recommendations.recommend(user, k, preferences)

    def explain(self, recs: list[Scored]) -> list[dict[str, str]]:
        """Each recommendation's reason worded in every storefront language, products named by title."""
        return self.recommendations.explain(recs)

    # -- assistant --------------------------------------------------------------------------------

    def import_docs(self, source: Path | str) -> int:
        """Import one policy document (Markdown or text, zh/en) by section; re-importing a file replaces it."""
        doc, sections = read_document(Path(source))
        return self.store.replace_policy(doc, sections)

    @property
    def assistant(self) -> Assistant:
        """The shopping assistant, rebuilt when the policy documents change (also by another process: the store's
        policy version says so with one small read per turn, not a read of every section)."""
        version = self.store.policy_version()
        searcher = self.searcher  # before taking the lock: the searcher property takes it too
        with self._lock:
            if self._assistant is None or self._assistant[1] != version:
                sections = self.store.policy_sections()
                policy = PolicyIndex(sections_from_store(sections), searcher.text_encoder) if sections else None
                services = Services(lambda: self.searcher, self.store, self.review_summary)
                self._assistant = (Assistant(services, policy, rewriter(self.settings.llm_url, self.settings.llm_model)), version)
            return self._assistant[0]

    def chat(self, text: str | None, session_id: str | None = None, image: bytes | None = None, language: str | None = None) -> Reply:
        """One turn of a conversation with the shopping assistant (see daogou/assistant/)."""
        return self.assistant.turn(text, session_id=session_id, image=image, language=language)

    # -- reviews ----------------------------------------------------------------------------------

    def import_reviews(self, source: Path | str, preset: str = "generic") -> RecordsReport:
        """Import reviews; bad rows are reported by line; a review already stored is not added twice."""
        added, repeated, unknown, errors = self.reviews.import_file(source, preset)
        return RecordsReport(str(source), added, repeated, unknown, errors)

    def positive_proba(self, texts: list[str]) -> list[float]:
        """Probability that each text is positive (see understand/review_service.py)."""
        return self.reviews.positive_proba(texts)

    def review_summary(self, product_id: str) -> ReviewSummary:
        """Sentiment, aspects with counts, fit direction and the supporting sentences for one product's reviews."""
        return self.reviews.summary(product_id)


def open(path: Path | str) -> Shop:
    """Open the shop at `path`."""
    return Shop.open(path)
