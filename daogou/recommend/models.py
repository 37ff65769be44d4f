"""Recommenders behind one scikit-learn-style interface: fit(interactions) → self; recommend(user, k); similar_items(item, k).

Popularity is the baseline; item-kNN, ALS and BPR come from the `implicit` library (collaborative
filtering: what people who bought this also bought); the content model uses the shop's own photo and
text vectors, so it can recommend products nobody has bought yet (cold start); the hybrid blends them
by reciprocal rank with weights fitted on a validation split. Every recommendation carries its reason.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from daogou.recommend.data import Interactions, time_split


@dataclass
class Scored:
    """A recommended item. `reason` may name another product as "{about}" (filled with its title when shown)."""

    item: str
    score: float
    reason: str
    about: str | None = None

    def explain(self, title_of) -> str:  # type: ignore[no-untyped-def]
        """The reason with the product it refers to named by its title."""
        return self.reason.format(about=f"“{title_of(self.about)}”") if self.about else self.reason


class PopularityRecommender:
    """Most bought in the last `window_days` of the training data (all time when the window is empty)."""

    def __init__(self, window_days: int = 7) -> None:
        self.window_days = window_days

    def fit(self, data: Interactions) -> "PopularityRecommender":
        self.data_ = data
        last = data.last_time
        recent = [e for e in data.events if last is not None and e.timestamp > last - timedelta(days=self.window_days)]
        counts = Counter(e.product_id for e in (recent or data.events))
        self.ranking_ = counts.most_common()
        self.reason_ = f"popular in the last {self.window_days} days" if recent else "popular"
        return self

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        seen = self.data_.seen(user) if exclude_seen else set()
        out = [Scored(item, float(n), self.reason_) for item, n in self.ranking_ if item not in seen]
        return out[:k]

    def similar_items(self, item: str, k: int = 12) -> list[Scored]:
        return [s for s in self.recommend("", k + 1, exclude_seen=False) if s.item != item][:k]


class ImplicitRecommender:
    """Collaborative filtering with the `implicit` library: algorithm "als", "bpr" or "itemknn" (cosine)."""

    def __init__(self, algorithm: str = "als", factors: int = 64, iterations: int = 30, regularization: float = 0.05, learning_rate: float = 0.01, neighbours: int = 50, alpha: float = 10.0, random_state: int = 42) -> None:
        self.algorithm = algorithm
        self.factors = factors
        self.iterations = iterations
        self.regularization = regularization
        self.learning_rate = learning_rate
        self.neighbours = neighbours
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, data: Interactions) -> "ImplicitRecommender":
        from implicit.als import AlternatingLeastSquares
        from implicit.bpr import BayesianPersonalizedRanking
        from implicit.nearest_neighbours import CosineRecommender

        self.data_ = data
        matrix = data.matrix.tocsr()
        if self.algorithm == "als":
            model = AlternatingLeastSquares(factors=self.factors, iterations=self.iterations, regularization=self.regularization, alpha=self.alpha, random_state=self.random_state, num_threads=1)
        elif self.algorithm == "bpr":
            model = BayesianPersonalizedRanking(factors=self.factors, iterations=self.iterations * 3, learning_rate=self.learning_rate, regularization=self.regularization, random_state=self.random_state, num_threads=1)
        elif self.algorithm == "itemknn":
            model = CosineRecommender(K=self.neighbours, num_threads=1)
        else:
            raise ValueError(f"algorithm must be als, bpr or itemknn, got {self.algorithm!r}")
        model.fit(matrix, show_progress=False)
        self.model_ = model
        return self

    def _item_vectors(self) -> np.ndarray | None:
        factors = getattr(self.model_, "item_factors", None)
        if factors is None:
            return None
        factors = np.asarray(getattr(factors, "to_numpy", lambda: factors)())
        norms = np.linalg.norm(factors, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return factors / norms

    def _because(self, user_items: Sequence[int], item: int) -> str | None:
        """The bought item most like the recommended one, for the reason text."""
        if not user_items:
            return None
        vectors = self._item_vectors()
        if vectors is not None:
            best = max(user_items, key=lambda j: float(vectors[j] @ vectors[item]))
        else:
            similarity = self.model_.similarity
            best = max(user_items, key=lambda j: float(similarity[j, item]))
        return self.data_.items[best]

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        row = self.data_.user_index.get(user)
        if row is None:
            return []
        user_items = self.data_.matrix[row]
        ids, scores = self.model_.recommend(row, user_items, N=k, filter_already_liked_items=exclude_seen)
        bought = list(user_items.indices)
        skip = set(bought) if exclude_seen else set()
        # implicit pads short lists with already-seen or -inf entries: keep only real, allowed answers
        out = []
        for j, s in zip(ids, scores):
            if int(j) < 0 or int(j) in skip or not np.isfinite(s):
                continue
            about = self._because(bought, int(j))
            out.append(Scored(self.data_.items[int(j)], float(s), "because you bought {about}" if about else "people with similar taste bought it", about))
        return out

    def similar_items(self, item: str, k: int = 12) -> list[Scored]:
        col = self.data_.item_index.get(item)
        if col is None:
            return []
        ids, scores = self.model_.similar_items(col, N=k + 1)
        return [Scored(self.data_.items[int(j)], float(s), "bought together with {about}", item) for j, s in zip(ids, scores) if int(j) != col][:k]


class ContentRecommender:
    """The user's taste as the recency-weighted mean of the photo+text vectors of what they bought; works for new products."""

    def __init__(self, half_life_days: float = 60.0) -> None:
        self.half_life_days = half_life_days

    def fit(self, data: Interactions, item_ids: Sequence[str] | None = None, vectors: np.ndarray | None = None) -> "ContentRecommender":
        """`item_ids`/`vectors`: every catalog product with its unit vector (bought or not)."""
        if item_ids is None or vectors is None:
            raise ValueError("the content model needs the catalog's product vectors")
        self.data_ = data
        self.item_ids_ = list(item_ids)
        self.position_ = {p: i for i, p in enumerate(self.item_ids_)}
        self.vectors_ = np.asarray(vectors, dtype=np.float32)
        return self

    def _profile(self, user: str) -> tuple[np.ndarray | None, list[str]]:
        history = [e for e in self.data_.history(user) if e.product_id in self.position_]
        if not history:
            return None, []
        last = history[-1].timestamp
        weights = np.array([0.5 ** ((last - e.timestamp).days / self.half_life_days) for e in history], dtype=np.float32)
        rows = self.vectors_[[self.position_[e.product_id] for e in history]]
        profile = (weights[:, None] * rows).sum(axis=0)
        return profile / (np.linalg.norm(profile) or 1.0), [e.product_id for e in history]

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        profile, bought = self._profile(user)
        if profile is None:
            return []
        scores = self.vectors_ @ profile
        seen = set(bought) if exclude_seen else set()
        order = np.argsort(-scores)
        out = []
        bought_rows = self.vectors_[[self.position_[b] for b in dict.fromkeys(bought)]]
        unique_bought = list(dict.fromkeys(bought))
        for j in order:
            item = self.item_ids_[j]
            if item in seen:
                continue
            closest = unique_bought[int(np.argmax(bought_rows @ self.vectors_[j]))]
            out.append(Scored(item, float(scores[j]), "similar in style to {about}", closest))
            if len(out) == k:
                break
        return out

    def similar_items(self, item: str, k: int = 12) -> list[Scored]:
        row = self.position_.get(item)
        if row is None:
            return []
        scores = self.vectors_ @ self.vectors_[row]
        order = [j for j in np.argsort(-scores) if j != row][:k]
        return [Scored(self.item_ids_[j], float(scores[j]), "looks like {about}", item) for j in order]


class HybridRecommender:
    """Weighted reciprocal-rank blend of other recommenders; weights fitted on the last `validation_days` of training."""

    def __init__(
        self,
        factories: dict[str, Callable[[Interactions], object]],
        grid: Sequence[float] = (0.0, 0.5, 1.0, 2.0),
        validation_days: int = 7,
        candidates: int = 100,
        rrf_k: int = 60,
    ) -> None:
        self.factories = factories
        self.grid = grid
        self.validation_days = validation_days
        self.candidates = candidates
        self.rrf_k = rrf_k

    def _fuse(self, lists: dict[str, list[Scored]], weights: dict[str, float], k: int) -> list[Scored]:
        scores: dict[str, float] = {}
        reasons: dict[str, tuple[float, Scored]] = {}
        for name, ranked in lists.items():
            weight = weights.get(name, 0.0)
            if weight <= 0:
                continue
            for rank, s in enumerate(ranked, start=1):
                contribution = weight / (self.rrf_k + rank)
                scores[s.item] = scores.get(s.item, 0.0) + contribution
                if s.item not in reasons or contribution > reasons[s.item][0]:
                    reasons[s.item] = (contribution, s)
        ranked_items = sorted(scores, key=lambda i: (-scores[i], i))[:k]
        return [Scored(item, scores[item], reasons[item][1].reason, reasons[item][1].about) for item in ranked_items]

    def fit(self, data: Interactions) -> "HybridRecommender":
        from daogou.recommend.metrics import mean_average_precision

        train_events, validation_events = time_split(data.events, self.validation_days)
        inner = Interactions.from_events(train_events)
        truth: dict[str, set[str]] = {}
        for e in validation_events:
            truth.setdefault(e.user_id, set()).add(e.product_id)
        names = list(self.factories)
        self.weights_ = {name: 1.0 for name in names}
        self.validation_map_ = None
        if inner.events and truth:
            models = {name: factory(inner) for name, factory in self.factories.items()}
            # each model's candidates once per validation user; the weight grid only re-fuses them
            lists = {u: {name: m.recommend(u, self.candidates) for name, m in models.items()} for u in truth}  # type: ignore[attr-defined]
            best: tuple[float, dict[str, float]] = (-1.0, self.weights_)
            for combo in itertools.product(self.grid, repeat=len(names)):
                if not any(combo):
                    continue
                weights = dict(zip(names, combo))
                runs = {u: [s.item for s in self._fuse(lists[u], weights, 12)] for u in truth}
                score = mean_average_precision(runs, truth, 12)
                if score > best[0]:
                    best = (score, weights)
            self.validation_map_, self.weights_ = best
        self.models_ = {name: factory(data) for name, factory in self.factories.items()}
        self.data_ = data
        return self

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        lists = {name: m.recommend(user, self.candidates, exclude_seen) for name, m in self.models_.items() if self.weights_.get(name, 0) > 0}  # type: ignore[attr-defined]
        return self._fuse(lists, self.weights_, k)

    def similar_items(self, item: str, k: int = 12) -> list[Scored]:
        for name in ("content", "itemknn", "als"):
            model = self.models_.get(name)
            if model is not None:
                found = model.similar_items(item, k)  # type: ignore[attr-defined]
                if found:
                    return found
        return []
