"""Recommenders behind one scikit-learn-style interface: fit(interactions) → self; recommend(user, k); similar_items(item, k).

Popularity is the baseline and category popularity its personalised form ("popular in Tops this week"
for someone who buys tops); item-kNN, ALS and BPR come from the `implicit` library (collaborative
filtering: what people who bought this also bought); the content model uses the shop's own photo and
text vectors, so it can recommend products nobody has bought yet (cold start); the hybrid blends them
by reciprocal rank with weights fitted on validation weeks. Every recommendation carries its reason.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

from daogou.recommend.data import KIND_WEIGHT, Interactions, hold_out_last, time_split
from daogou.recommend.reasons import describe, quoted


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first, ties in index order (a partial sort: requests rank k, not all)."""
    if k >= scores.size:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k)[:k]
    return part[np.lexsort((part, -scores[part]))]


@dataclass
class Scored:
    """A recommended item and why: `reason` is a code of recommend/reasons.py, `about` the product it refers to."""

    item: str
    score: float
    reason: str
    about: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    #: further reason codes that apply, e.g. "price_range"
    extras: list[str] = field(default_factory=list)

    def explain(self, title_of: Callable[[str], str] | None = None, lang: str = "en") -> str:
        """The reason in words, naming the product it refers to by its title."""
        params = dict(self.params)
        if self.about:
            params["about"] = quoted(title_of(self.about) if title_of else self.about, lang)
        return " · ".join([describe(self.reason, params, lang), *(describe(code, params, lang) for code in self.extras)])


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
        self.reason_ = ("popular_days", {"days": str(self.window_days)}) if recent else ("popular", {})
        return self

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        seen = self.data_.seen(user) if exclude_seen else set()
        code, params = self.reason_
        out = []
        for item, n in self.ranking_:
            if item not in seen:
                out.append(Scored(item, float(n), code, params=dict(params)))
                if len(out) == k:
                    break
        return out

    def similar_items(self, item: str, k: int = 12) -> list[Scored]:
        return [s for s in self.recommend("", k + 1, exclude_seen=False) if s.item != item][:k]


class CategoryPopularityRecommender:
    """What is selling now in the categories this user buys from: recency-decayed sales × the user's category share.

    Why: on sparse behaviour (most shoppers buy a handful of items a year) collaborative filtering has little
    to go on, while "what is popular right now" is strong but the same for everyone. Weighting recent sales by
    how much of the user's history falls in the item's category personalises it cheaply. The share is smoothed
    toward the catalog-wide share (`smoothing` pseudo-purchases), so an unknown user gets plain popularity.
    """

    def __init__(self, half_life_days: float = 7.0, smoothing: float = 1.0) -> None:
        self.half_life_days = half_life_days
        self.smoothing = smoothing

    def fit(self, data: Interactions, categories: Mapping[str, str] | None = None) -> "CategoryPopularityRecommender":
        """`categories`: product id → category (products without one share the category "")."""
        self.data_ = data
        self.categories_ = dict(categories or {})
        last = data.last_time
        sales: dict[str, float] = {}
        for e in data.events:
            decay = 0.5 ** ((last - e.timestamp).total_seconds() / 86400 / self.half_life_days) if last else 1.0
            sales[e.product_id] = sales.get(e.product_id, 0.0) + decay * KIND_WEIGHT.get(e.kind, 1.0)
        self.sales_ = sales
        totals = Counter(self.categories_.get(e.product_id, "") for e in data.events)
        n = sum(totals.values()) or 1
        self.prior_ = {c: count / n for c, count in totals.items()}
        self.period_ = "week" if self.half_life_days <= 7 else "lately"
        # arrays in item-id order, so a request scores every item in one vector operation
        self.items_ = sorted(sales)
        self.sales_array_ = np.array([sales[i] for i in self.items_], dtype=np.float64)
        self.category_names_ = sorted(self.prior_)
        code = {c: j for j, c in enumerate(self.category_names_)}
        self.item_category_ = np.array([code[self.categories_.get(i, "")] for i in self.items_], dtype=np.int64)
        self.item_position_ = {i: j for j, i in enumerate(self.items_)}
        return self

    def _affinity(self, user: str) -> dict[str, float]:
        counts = Counter(self.categories_.get(e.product_id, "") for e in self.data_.history(user))
        n = sum(counts.values())
        return {c: (counts.get(c, 0) + self.smoothing * share) / (n + self.smoothing) for c, share in self.prior_.items()}

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        affinity = self._affinity(user)
        scores = self.sales_array_ * np.array([affinity.get(c, 0.0) for c in self.category_names_])[self.item_category_]
        if exclude_seen:
            scores[[self.item_position_[i] for i in self.data_.seen(user) if i in self.item_position_]] = -np.inf
        top = _top(scores, k)
        return [self._scored(self.items_[j], scores[j]) for j in top if np.isfinite(scores[j])]

    def _scored(self, item: str, score: float) -> Scored:
        category = self.categories_.get(item, "")
        if category:
            return Scored(item, float(score), f"popular_in_{self.period_}", params={"category": category})
        return Scored(item, float(score), f"popular_{self.period_}")

    def similar_items(self, item: str, k: int = 12) -> list[Scored]:
        """The best sellers of the item's own category."""
        category = self.categories_.get(item, "")
        ranked = sorted((i for i in self.sales_ if i != item and self.categories_.get(i, "") == category), key=lambda i: (-self.sales_[i], i))
        return [self._scored(i, self.sales_[i]) for i in ranked[:k]]


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
        # implicit asks for single-threaded BLAS (its own threads do the work), and its item-kNN converts a
        # matrix internally with a warning about it that says nothing about our input
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Method expects CSR input")
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
        self.__dict__.pop("unit_factors_", None)
        return self

    def _item_vectors(self) -> np.ndarray | None:
        """Unit item factors (None for item-kNN), computed once per fit: every reason of every request reads them."""
        if not hasattr(self, "unit_factors_"):
            self.unit_factors_ = self._unit_factors()
        return self.unit_factors_

    def _unit_factors(self) -> np.ndarray | None:
        factors = getattr(self.model_, "item_factors", None)
        if factors is None:
            return None
        factors = np.asarray(getattr(factors, "to_numpy", lambda: factors)())
        norms = np.linalg.norm(factors, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return factors / norms

    def _because(self, user_items: Sequence[int], items: Sequence[int]) -> list[str | None]:
        """For each recommended item, the bought item most like it (for the reason text): one matrix product
        per request, not one lookup per pair (that cost 20 ms a request on a 12,000-item shop)."""
        if not user_items or not items:
            return [None] * len(items)
        vectors = self._item_vectors()
        bought = list(user_items)
        if vectors is not None:
            similarity = vectors[bought] @ vectors[list(items)].T
        else:
            similarity = self.model_.similarity.tocsr()[bought][:, list(items)].toarray()
        return [self.data_.items[bought[int(b)]] for b in np.argmax(similarity, axis=0)]

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        row = self.data_.user_index.get(user)
        if row is None:
            return []
        user_items = self.data_.matrix[row]
        ids, scores = self.model_.recommend(row, user_items, N=k, filter_already_liked_items=exclude_seen)
        bought = list(user_items.indices)
        skip = set(bought) if exclude_seen else set()
        # implicit pads short lists with already-seen or -inf entries: keep only real, allowed answers
        kept = [(int(j), float(s)) for j, s in zip(ids, scores) if int(j) >= 0 and int(j) not in skip and np.isfinite(s)]
        abouts = self._because(bought, [j for j, _ in kept])
        return [Scored(self.data_.items[j], s, "bought" if about else "similar_taste", about) for (j, s), about in zip(kept, abouts)]

    def similar_items(self, item: str, k: int = 12) -> list[Scored]:
        col = self.data_.item_index.get(item)
        if col is None:
            return []
        ids, scores = self.model_.similar_items(col, N=k + 1)
        return [Scored(self.data_.items[int(j)], float(s), "bought_together", item) for j, s in zip(ids, scores) if int(j) != col][:k]


class ContentRecommender:
    """Recommends by the photo+text vectors of what the user bought, so it also reaches products nobody has bought yet.

    aggregate="softmax" (default) treats the history as several interests: an item's score is a soft maximum
    (temperature `temperature`) of its similarity to each bought item, weighted by recency. A shopper who buys
    children's pyjamas and women's blazers then gets more of both instead of the average of the two, which is
    what aggregate="mean" (one recency-weighted taste vector) gives. Chosen on the weeks before the test week
    of the H&M sample (benchmarks/recommend.py), not on the test week.
    """

    def __init__(self, half_life_days: float = 60.0, aggregate: str = "softmax", temperature: float = 10.0, max_history: int = 100) -> None:
        self.half_life_days = half_life_days
        self.aggregate = aggregate
        self.temperature = temperature
        self.max_history = max_history

    def fit(self, data: Interactions, item_ids: Sequence[str] | None = None, vectors: np.ndarray | None = None) -> "ContentRecommender":
        """`item_ids`/`vectors`: every catalog product with its unit vector (bought or not)."""
        if item_ids is None or vectors is None:
            raise ValueError("the content model needs the catalog's product vectors")
        if self.aggregate not in ("softmax", "mean"):
            raise ValueError(f"aggregate must be softmax or mean, got {self.aggregate!r}")
        self.data_ = data
        self.item_ids_ = list(item_ids)
        self.position_ = {p: i for i, p in enumerate(self.item_ids_)}
        self.vectors_ = np.asarray(vectors, dtype=np.float32)
        return self

    def _scores(self, user: str) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
        """(score per catalog item, index of the bought item behind each score, bought ids) or None without history."""
        history = [e for e in self.data_.history(user) if e.product_id in self.position_][-self.max_history :]
        if not history:
            return None
        last = history[-1].timestamp
        weights = np.array([0.5 ** ((last - e.timestamp).days / self.half_life_days) for e in history], dtype=np.float64)
        bought = [e.product_id for e in history]
        rows = self.vectors_[[self.position_[b] for b in bought]]
        similarity = self.vectors_ @ rows.T  # items × history
        if self.aggregate == "mean":
            profile = (weights[:, None] * rows).sum(axis=0)
            scores = self.vectors_ @ (profile / (np.linalg.norm(profile) or 1.0))
            return scores, np.argmax(similarity, axis=1), bought
        logits = self.temperature * similarity.astype(np.float64) + np.log(weights)[None, :]
        return logsumexp(logits, axis=1) / self.temperature, np.argmax(logits, axis=1), bought

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        found = self._scores(user)
        if found is None:
            return []
        scores, source, bought = found
        if exclude_seen:
            scores[[self.position_[i] for i in self.data_.seen(user) | set(bought) if i in self.position_]] = -np.inf
        return [Scored(self.item_ids_[j], float(scores[j]), "similar_style", bought[int(source[j])]) for j in _top(scores, k) if np.isfinite(scores[j])]

    def similar_items(self, item: str, k: int = 12) -> list[Scored]:
        row = self.position_.get(item)
        if row is None:
            return []
        scores = self.vectors_ @ self.vectors_[row]
        order = [j for j in np.argsort(-scores) if j != row][:k]
        return [Scored(self.item_ids_[j], float(scores[j]), "looks_like", item) for j in order]


class HybridRecommender:
    """Weighted reciprocal-rank blend of other recommenders, the weights fitted on validation weeks before the data's end.

    Fitting: the last `validation_folds` windows of `validation_days` each serve once as validation (every
    model refitted on the events before that window), and coordinate ascent over `grid` picks the weights
    with the best mean MAP@12 over the folds, starting from the best single model (so on validation the blend
    is never worse than it; starting from equal weights let weak models drown the strong one). Several folds
    because one week of a small shop holds a few hundred purchases: weights fitted on one week follow its noise.
    Ties keep the earlier weights; without validation data every model weighs 1. `weights` skips the search
    (the shop stores fitted weights, so a server does not search them again on its first request).
    """

    def __init__(
        self,
        factories: dict[str, Callable[[Interactions], object]],
        grid: Sequence[float] = (0.0, 0.25, 0.5, 1.0, 2.0),
        validation_days: int = 7,
        validation_folds: int = 3,
        candidates: int = 100,
        rrf_k: int = 60,
        passes: int = 3,
        weights: Mapping[str, float] | None = None,
        validation: str = "weeks",
        validation_users: int = 5000,
        random_state: int = 42,
        rrf_grid: Sequence[int] = (10, 30, 60),
    ) -> None:
        self.factories = factories
        self.validation = validation
        self.validation_users = validation_users
        self.random_state = random_state
        self.weights = weights
        self.grid = grid
        self.validation_days = validation_days
        self.validation_folds = validation_folds
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.rrf_grid = rrf_grid
        self.passes = passes

    def _fuse(self, lists: dict[str, list[Scored]], weights: dict[str, float], k: int) -> list[Scored]:
        scores: dict[str, float] = {}
        reasons: dict[str, tuple[float, Scored]] = {}
        for name, ranked in lists.items():
            weight = weights.get(name, 0.0)
            if weight <= 0:
                continue
            for rank, s in enumerate(ranked, start=1):
                contribution = weight / (getattr(self, "rrf_k_", self.rrf_k) + rank)
                scores[s.item] = scores.get(s.item, 0.0) + contribution
                if s.item not in reasons or contribution > reasons[s.item][0]:
                    reasons[s.item] = (contribution, s)
        ranked_items = sorted(scores, key=lambda i: (-scores[i], i))[:k]
        return [replace(reasons[item][1], item=item, score=scores[item]) for item in ranked_items]

    def _folds(self, data: Interactions) -> list[tuple[dict[str, set[str]], dict[str, dict[str, list[Scored]]]]]:
        """Per validation window: (truth per user, each model's candidates per user), models fitted before it."""
        folds = []
        remaining = list(data.events)
        for _ in range(self.validation_folds):
            train_events, validation_events = time_split(remaining, self.validation_days)
            remaining = train_events
            inner = Interactions.from_events(train_events)
            truth: dict[str, set[str]] = {}
            for e in validation_events:
                truth.setdefault(e.user_id, set()).add(e.product_id)
            if not inner.events or not truth:
                break
            models = {name: factory(inner) for name, factory in self.factories.items()}
            lists = {u: {name: m.recommend(u, self.candidates) for name, m in models.items()} for u in truth}  # type: ignore[attr-defined]
            folds.append((truth, lists))
        return folds

    def _last_fold(self, data: Interactions, full: dict[str, object]) -> tuple[dict[str, set[str]], dict[str, dict[str, list[Scored]]]]:
        """Leave-one-out validation: each sampled user's last product, the models fitted without it.

        A model that `validates_on_last` (the sequential model, trained with that item held out) is not
        refitted: its list for the held-out item comes from the fitted model, read without the last item.
        """
        inner, held_out = hold_out_last(data)
        users = sorted(held_out)
        if len(users) > self.validation_users:
            rng = np.random.default_rng(self.random_state)
            users = sorted(rng.choice(users, self.validation_users, replace=False).tolist())
        lists: dict[str, dict[str, list[Scored]]] = {u: {} for u in users}
        for name, factory in self.factories.items():
            model = full[name]
            if getattr(model, "validates_on_last", False):
                for u in users:
                    lists[u][name] = model.recommend_held_out(u, self.candidates)  # type: ignore[attr-defined]
                continue
            model = factory(inner)
            for u in users:
                lists[u][name] = model.recommend(u, self.candidates)  # type: ignore[attr-defined]
        return {u: {held_out[u]} for u in users}, lists

    def _compile(self, truth: dict[str, set[str]], lists: dict[str, dict[str, list[Scored]]]) -> list[tuple[np.ndarray, int]]:
        """Per validation user: (models × candidates matrix of ranks, 0 where a model did not list the candidate;
        the held-out item's column or -1), candidates in item-id order. The weight search then scores a blend with
        one product per user instead of re-fusing lists (thousands of users × a hundred trials)."""
        names = list(self.factories)
        compiled = []
        for user, relevant in truth.items():
            (target,) = relevant
            candidates = sorted({s.item for ranked in lists[user].values() for s in ranked})
            column = {item: j for j, item in enumerate(candidates)}
            matrix = np.zeros((len(names), len(candidates)))
            for row, name in enumerate(names):
                for rank, scored in enumerate(lists[user].get(name, []), start=1):
                    matrix[row, column[scored.item]] = rank
            compiled.append((matrix, column.get(target, -1)))
        return compiled

    @staticmethod
    def _reciprocal(compiled: list[tuple[np.ndarray, int]], rrf_k: int) -> list[tuple[np.ndarray, int]]:
        """The compiled rank matrices as reciprocal-rank contributions 1/(rrf_k + rank) (0 where unranked)."""
        return [(np.where(ranks > 0, 1.0 / (rrf_k + ranks), 0.0), target) for ranks, target in compiled]

    def _objective(self, folds: list, weights: dict[str, float]) -> float:
        """Mean MAP@12 over the validation weeks; NDCG@20 of the held-out item in leave-one-out validation
        (the same ranking as `_fuse`: by fused score, ties by item id, models of weight 0 contributing nothing)."""
        from daogou.recommend.metrics import mean_average_precision

        scores = []
        if self.validation == "last":
            vector = np.array([max(weights.get(name, 0.0), 0.0) for name in self.factories])
            for compiled in folds:
                total = 0.0
                for matrix, target in compiled:
                    if target < 0:
                        continue
                    fused = vector @ matrix
                    mine = fused[target]
                    if mine <= 0:
                        continue
                    rank = int(np.count_nonzero(fused > mine)) + int(np.count_nonzero(fused[:target] == mine))
                    total += 1.0 / np.log2(rank + 2) if rank < 20 else 0.0
                scores.append(total / max(len(compiled), 1))
            return sum(scores) / len(scores)
        for truth, lists in folds:
            runs = {u: [s.item for s in self._fuse(lists[u], weights, 12)] for u in truth}
            scores.append(mean_average_precision(runs, truth, 12))
        return sum(scores) / len(scores)

    def _search(self, folds: list, names: list[str]) -> tuple[dict[str, float], float]:
        """Coordinate ascent from the best single model (so the blend is never worse than it on validation)."""
        singles = {name: self._objective(folds, {name: 1.0}) for name in names}
        start = max(names, key=lambda name: singles[name])
        weights = {name: float(name == start) for name in names}
        best = singles[start]
        for _ in range(self.passes):
            improved = False
            for name in names:
                for value in self.grid:
                    trial = {**weights, name: value}
                    if value == weights[name] or not any(trial.values()):
                        continue
                    score = self._objective(folds, trial)
                    if score > best + 1e-12:
                        best, weights, improved = score, trial, True
            if not improved:
                break
        return weights, best

    def _search_last(self, compiled: list[tuple[np.ndarray, int]], names: list[str]) -> None:
        """Leave-one-out validation also picks the fusion constant: a small rrf_k trusts each model's top ranks
        more (the sequential model's first guesses), a large one flattens every list."""
        best: tuple[float, dict[str, float], int] | None = None
        for rrf_k in self.rrf_grid or (self.rrf_k,):
            weights, score = self._search([self._reciprocal(compiled, rrf_k)], names)
            if best is None or score > best[0] + 1e-12:
                best = (score, weights, rrf_k)
        assert best is not None
        self.validation_map_, self.weights_, self.rrf_k_ = best

    def fit(self, data: Interactions) -> "HybridRecommender":
        """Fit the weights on validation weeks (unless `weights` fixes them), then every model on all of `data`."""
        if self.validation not in ("weeks", "last"):
            raise ValueError(f"validation must be weeks or last, got {self.validation!r}")
        names = list(self.factories)
        self.validation_map_: float | None = None
        self.models_ = {name: factory(data) for name, factory in self.factories.items()}
        self.rrf_k_ = self.rrf_k
        if self.weights is not None:
            self.weights_ = {name: float(self.weights.get(name, 0.0)) for name in names}
        else:
            self.weights_ = {name: 1.0 for name in names}
            if self.validation == "last":
                self._search_last(self._compile(*self._last_fold(data, self.models_)), names)
            elif folds := self._folds(data):
                self.weights_, self.validation_map_ = self._search(folds, names)
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
