"""Recommendation serving for one shop: the hybrid fitted on the shop's behaviour, kept fresh, and its reasons.

Why its own object: fitting is expensive and shared by every request, so it is single-flight and refitted
only when the store's version counters or the index generation say something changed (also in another process);
the shop only wires it to its store and searcher.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from daogou import atomic
from daogou.catalog.store import CatalogStore
from daogou.config import Settings
from daogou.errors import BadQuery, DaogouError, IndexMissing
from daogou.recommend.data import Interactions, hold_out_last
from daogou.recommend.models import CategoryPopularityRecommender, ContentRecommender, HybridRecommender, ImplicitRecommender, PopularityRecommender, Scored
from daogou.recommend.next_item import NextItemRecommender
from daogou.recommend.recency_knn import RecentItemKNN
from daogou.recommend.preferences import Preferences, apply_preferences, user_price_band
from daogou.recommend.reasons import LANGUAGES
from daogou.training import TrainReport

#: the hybrid recommender's fitted blend weights, in the shop's models folder
RECOMMEND_CARD = "recommend.json"
#: blend used before `daogou train recommend`: the content model was the best single model on validation weeks
DEFAULT_BLEND = {"content": 1.0, "category": 0.5, "popularity": 0.25, "itemknn": 0.0, "als": 0.0, "bpr": 0.0}


def validation_mode(data: Interactions, days: int = 7, folds: int = 3) -> str:
    """"weeks" when the behaviour spans the validation weeks and a week before them; else "last" (each
    user's last item): sequence files carry order, not time, and a few days of events make no weeks."""
    times = [e.timestamp for e in data.events]
    if times and (max(times) - min(times)).days >= days * (folds + 1):
        return "weeks"
    return "last"


class RecommendService:
    """The hybrid recommender of one shop, fitted on demand and shared by threads."""

    def __init__(self, store: CatalogStore, settings: Settings, models_dir: Path, searcher: Callable[[], object], index_stamp: Callable[[], object]) -> None:
        self.store = store
        self.settings = settings
        self.models_dir = models_dir
        self._searcher = searcher
        self._index_stamp = index_stamp
        self._fitted: tuple[HybridRecommender, Interactions] | None = None
        self._sequential: tuple[int, NextItemRecommender] | None = None
        self._stamp: tuple[object, ...] = ()
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop the fitted model (events or products changed in this process)."""
        self._fitted = None

    def content_vectors(self) -> tuple[list[str], np.ndarray]:
        """One unit vector per product from its text and photo vectors (text alone when it has no photo)."""
        text_ids, text = self.store.load_vectors("text", self.settings.text_model)
        image_ids, image = self.store.load_vectors("image", self.settings.image_model)
        if not text_ids:
            raise IndexMissing("no product vectors yet: run `daogou index` first")
        position = {p: i for i, p in enumerate(image_ids)}
        image_part = np.zeros((len(text_ids), image.shape[1] if image_ids else 0), np.float32)
        for row, pid in enumerate(text_ids):
            if pid in position:
                image_part[row] = image[position[pid]]
        joined = np.hstack([text, image_part]) if image_ids else text
        norms = np.linalg.norm(joined, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return text_ids, joined / norms

    def factories(self) -> dict[str, object]:
        """Every recommender, ready to fit on an Interactions set (for evaluation: each one trains on what it is given)."""
        base = self._base(training=True)
        return {**base, "hybrid": lambda d: HybridRecommender(dict(base), validation=validation_mode(d)).fit(d)}

    def _train_sequential(self, data: Interactions, progress: Callable[[dict[str, float]], None] | None = None) -> NextItemRecommender:
        return NextItemRecommender(self.settings.sequential_epochs, self.settings.sequential_threads).fit(data, progress)

    def _base(self, sequential: NextItemRecommender | None = None, training: bool = False) -> dict[str, Callable[[Interactions], object]]:
        """The single models the hybrid blends, each as a factory over an Interactions set.

        The sequential model takes minutes to an hour to train, so serving never trains it: it is the model
        `daogou train recommend` saved (or `sequential`), reading whatever behaviour it is given, and absent
        before training. With `training` (evaluation) it trains on the data it is given, like the others.
        """
        ids, vectors = self.content_vectors()
        categories = {p.id: str(p.attributes.get("category") or p.attributes.get("type") or "") for p in self.store.iter_products()}
        base: dict[str, Callable[[Interactions], object]] = {
            "popularity": lambda d: PopularityRecommender().fit(d),
            "category": lambda d: CategoryPopularityRecommender().fit(d, categories),
            "itemknn": lambda d: ImplicitRecommender("itemknn").fit(d),
            "recent_knn": lambda d: RecentItemKNN().fit(d),
            "als": lambda d: ImplicitRecommender("als").fit(d),
            "bpr": lambda d: ImplicitRecommender("bpr").fit(d),
            "content": lambda d: ContentRecommender().fit(d, ids, vectors),
        }
        if training:
            if self.settings.sequential_epochs > 0:
                base["sequential"] = self._train_sequential
            return base
        sequential = sequential or self.sequential()
        if sequential is not None:
            catalog = self._searcher().attributes.known(sequential.items_)  # type: ignore[attr-defined]
            base["sequential"] = lambda d: sequential.with_data(d, catalog)
        return base

    def sequential(self, data: Interactions | None = None) -> NextItemRecommender | None:
        """The trained sequential model (models/sequential.*), loaded once per training, or None before training."""
        weights = self.models_dir / "sequential.pt"
        stamp = weights.stat().st_mtime_ns if weights.exists() else None
        if stamp is None:
            return None
        if self._sequential is None or self._sequential[0] != stamp:
            loaded = NextItemRecommender.load(self.models_dir, data or self.behaviour())
            self._sequential = (stamp, loaded) if loaded is not None else None
        return self._sequential[1] if self._sequential else None

    def behaviour(self) -> Interactions:
        """All events for products in the catalog (events for removed products are left out)."""
        events = self.store.load_interactions()
        data = Interactions.from_events(events, self._searcher().attributes.known({e.product_id for e in events}))  # type: ignore[attr-defined]
        if not data.events:
            raise DaogouError("no behaviour imported yet: run `daogou import-events` first")
        return data

    def fitted(self) -> tuple[HybridRecommender, Interactions]:
        """The hybrid fitted on all events for catalog products, refitted when events or products changed
        (also by another process: the store's version counters say so).

        Blend weights come from models/recommend.json (written by `daogou train recommend`). Without it
        the hybrid uses DEFAULT_BLEND: a request never searches weights (six anonymous requests once
        started six 280 s fits) and never writes into models/. One fit at a time (single-flight).
        """
        with self._lock:
            stamp = (self.store.versions(), self._index_stamp())
            if self._fitted is None or stamp != self._stamp:
                data = self.behaviour()
                card = self.models_dir / RECOMMEND_CARD
                fitted = json.loads(card.read_text(encoding="utf-8")) if card.exists() else {"weights": DEFAULT_BLEND}
                hybrid = HybridRecommender(self._base(self.sequential(data)), weights=fitted["weights"], rrf_k=int(fitted.get("rrf_k", 60)))
                self._fitted = (hybrid.fit(data), data)
                self._stamp = stamp
            return self._fitted

    def blend_trained(self) -> bool:
        """Whether the hybrid's weights were fitted on this shop (`daogou train recommend`)."""
        return (self.models_dir / RECOMMEND_CARD).exists()

    def next_items(self) -> Callable[[Sequence[str], int], list[str]] | None:
        """The trained sequential model as a function of an anonymous session's views, or None before training."""
        try:
            sequential = self.sequential()
        except DaogouError:  # no behaviour imported: nothing was trained either
            return None
        if sequential is None:
            return None
        serving = sequential.with_data(sequential.data_, self._searcher().attributes.known(sequential.items_))  # type: ignore[attr-defined]
        return lambda viewed, k: [s.item for s in serving.recommend_after(viewed, k)]

    def train(self, progress: Callable[[dict[str, float]], None] | None = None, sequential_too: bool = True) -> TrainReport:
        """Train the sequential model (early stopping on each user's last item), then search the blend weights on
        validation (the last weeks, or each user's last item when the behaviour has no real times), keep the
        fitted hybrid, store both. `sequential_too=False` keeps the trained sequential model and refits the blend."""
        started = time.perf_counter()
        data = self.behaviour()
        sequential = None if sequential_too else self.sequential(data)
        metrics: dict[str, float] = {}
        if sequential_too and self.settings.sequential_epochs > 0:
            sequential = self._train_sequential(data, progress)
            sequential.save(self.models_dir)
            self._sequential = None
            metrics["sequential_valid_ndcg@20"] = round(sequential.model_.best_valid_, 5)
        mode = validation_mode(data)
        model = HybridRecommender(self._base(sequential), weights=None, validation=mode).fit(data)
        metrics.update({f"weight_{name}": weight for name, weight in model.weights_.items()})
        objective = "validation_ndcg@20" if mode == "last" else "validation_map@12"
        if model.validation_map_ is not None:
            metrics[objective] = round(model.validation_map_, 5)
        card = {
            "weights": model.weights_,
            "rrf_k": model.rrf_k_,
            objective: model.validation_map_,
            "validation": mode,
            "validation_folds": model.validation_folds,
            "validation_days": model.validation_days,
            "events": len(data.events),
            "users": len(data.users),
        }
        path = self.models_dir / RECOMMEND_CARD
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, json.dumps(card, indent=2))
        with self._lock:
            self._fitted = (model, data)
            self._stamp = (self.store.versions(), self._index_stamp())
        return TrainReport("recommend", str(path), len(data.events), len(data.users), metrics, round(time.perf_counter() - started, 1))

    def recommend(self, user: str, k: int = 12, preferences: Preferences | None = None) -> tuple[list[Scored], str]:
        """Recommendations for a user with reason codes; an unknown user gets what is popular (the note says so)."""
        if not 1 <= k <= 200:
            raise BadQuery(f"k must be between 1 and 200, got {k}")
        model, data = self.fitted()
        return self.serve(model, data, user, k, preferences)

    def serve(self, model: HybridRecommender, data: Interactions, user: str, k: int = 12, preferences: Preferences | None = None) -> tuple[list[Scored], str]:
        """What `recommend` answers with a given fitted hybrid: the one serving path, shared with the evaluation."""
        prefs = preferences or Preferences()
        wanted = k * 5 if prefs.active() else k
        note = ""
        if not self.blend_trained():
            note = "blend not trained on this shop yet (run `daogou train recommend`): using the default blend"
        if user in data.user_index:
            recs = model.recommend(user, wanted)
        else:
            recs = model.models_["popularity"].recommend(user, wanted)  # type: ignore[attr-defined]
            note = f"no purchase history for {user!r}: showing what is popular"
        attributes = self._searcher().attributes  # type: ignore[attr-defined]
        band = prefs.price_band or user_price_band(data.history(user))
        chosen = apply_preferences(recs, prefs, attributes, band)[:k]
        return chosen, note

    def evaluate_loo(self, progress: Callable[[dict[str, float]], None] | None = None, k: int = 20) -> dict[str, object]:
        """Leave-one-out evaluation of what this shop serves: each user's last product held out, every model
        (the sequential one included) trained on the rest as `train` would, the hybrid scored through `serve`."""
        from daogou.evaluate.loo_eval import evaluate_loo

        data = self.behaviour()
        inner, truth = hold_out_last(data, min_history=2)
        fit_seconds: dict[str, float] = {}
        started = time.perf_counter()
        sequential = self._train_sequential(inner, progress) if self.settings.sequential_epochs > 0 else None
        fit_seconds["sequential"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        hybrid = HybridRecommender(self._base(sequential), validation=validation_mode(inner)).fit(inner)
        fit_seconds["hybrid"] = round(time.perf_counter() - started, 1)
        served = {name: model.recommend for name, model in hybrid.models_.items()}  # type: ignore[attr-defined]
        served["hybrid"] = lambda user, n: self.serve(hybrid, inner, user, n)[0]
        result = evaluate_loo(served, truth, k)
        result.update({"weights": hybrid.weights_, "validation_ndcg@20": hybrid.validation_map_, "fit_seconds": fit_seconds,
                       "users": len(data.users), "test_users": len(truth)})
        return result

    def explain(self, recs: list[Scored]) -> list[dict[str, str]]:
        """Each recommendation's reason worded in every storefront language, products named by title."""
        titles = self.store.get_many([r.about for r in recs if r.about], replica=True)

        def title_of(pid: str) -> str:
            return titles[pid].title if pid in titles else pid

        return [{lang: rec.explain(title_of, lang) for lang in LANGUAGES} for rec in recs]
