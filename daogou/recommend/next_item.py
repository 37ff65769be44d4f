"""The sequential model serving a shop: each user's next item from the order of what they bought.

Why a wrapper: recommend/sequential.py trains on integer item sequences (the papers' files); a shop has
product ids and timestamped events. This maps one to the other and follows the protocol the model is
judged by: it trains on every user's history minus its last item, stops early on how well it predicts
that last item (the validation item), and serves from the whole history without retraining. The same
fitted object answers `shop.recommend`, the hybrid, the session model and the evaluation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from daogou import atomic
from daogou.recommend.data import Interactions, sequences
from daogou.recommend.models import Scored
from daogou.recommend.sequential import SASRecRecommender

#: hyper-parameters chosen on the validation item of Amazon Beauty (benchmarks/recommend_loo.py)
DEFAULTS = {"max_len": 50, "dim": 64, "layers": 2, "heads": 2, "dropout": 0.5, "lr": 0.002, "batch_size": 256, "patience": 5, "seed": 42}


class NextItemRecommender:
    """fit(interactions) → self; recommend(user, k); recommend_held_out(user, k); recommend_after(products, k)."""

    #: the hybrid may score this model's validation lists without refitting it (see HybridRecommender)
    validates_on_last = True

    def __init__(self, epochs: int = 200, threads: int = 2, **params: float) -> None:
        self.epochs = epochs
        self.threads = threads
        self.params = {**DEFAULTS, **params}

    def fit(self, data: Interactions, progress: Callable[[dict[str, float]], None] | None = None) -> "NextItemRecommender":
        """Train on every history minus its last item; early stopping on that last item."""
        self._index(data)
        coded = [self._codes(seq) for seq in self.sequences_.values()]
        train = [seq[:-1] for seq in coded if len(seq) >= 3]
        valid = [(seq[:-1], seq[-1]) for seq in coded if len(seq) >= 2]
        self.model_ = SASRecRecommender(epochs=self.epochs, threads=self.threads, **self.params).fit(train, len(self.items_), valid, progress)  # type: ignore[arg-type]
        return self

    def _index(self, data: Interactions) -> None:
        self.data_ = data
        self.sequences_ = sequences(data)
        self.items_ = list(data.items)
        self.code_ = {item: i + 1 for i, item in enumerate(self.items_)}

    def _codes(self, products: Sequence[str]) -> list[int]:
        return [self.code_[p] for p in products if p in self.code_]

    def with_data(self, data: Interactions, catalog: set[str] | None = None) -> "NextItemRecommender":
        """The same trained model serving newer behaviour: new histories are read, products it never saw ignored,
        and (given the `catalog`'s ids) products removed since training never recommended."""
        twin = NextItemRecommender(self.epochs, self.threads, **self.params)
        # the same behaviour (a session request re-masking the catalog) keeps its histories: re-reading them is per-user work
        histories = self.sequences_ if data is self.data_ else sequences(data)
        twin.data_, twin.sequences_, twin.items_, twin.code_, twin.model_ = data, histories, self.items_, self.code_, self.model_
        twin.gone_ = [self.code_[p] for p in self.items_ if p not in catalog] if catalog is not None else []
        return twin

    def _ranked(self, history: Sequence[str], k: int, exclude: set[str]) -> list[Scored]:
        codes = self._codes(history)
        if not codes:
            return []
        row = self.model_.scores([codes])[0]
        banned = [self.code_[p] for p in exclude if p in self.code_]
        row[banned] = -np.inf
        row[getattr(self, "gone_", [])] = -np.inf
        top = np.argpartition(-row, min(k, row.size - 1))[:k]
        top = top[np.argsort(-row[top], kind="stable")]
        about = history[-1]
        return [Scored(self.items_[j - 1], float(row[j]), "next_after", about) for j in top if np.isfinite(row[j])]

    def recommend(self, user: str, k: int = 12, exclude_seen: bool = True) -> list[Scored]:
        history = self.sequences_.get(user, [])
        return self._ranked(history, k, set(history) if exclude_seen else set())

    def recommend_held_out(self, user: str, k: int = 12) -> list[Scored]:
        """What the model ranks for the user's last item from the history before it (the validation case)."""
        history = self.sequences_.get(user, [])[:-1]
        return self._ranked(history, k, set(history))

    def recommend_after(self, products: Sequence[str], k: int = 12) -> list[Scored]:
        """Next items after an arbitrary sequence (an anonymous session's views), those in it left out."""
        return self._ranked(list(products), k, set(products))

    def save(self, folder: Path) -> None:
        """Weights and the item order, so a server loads the trained model instead of training on a request."""
        folder.mkdir(parents=True, exist_ok=True)
        atomic.write_with(folder / "sequential.pt", lambda tmp: torch.save(self.model_.model_.state_dict(), tmp))
        card = {"items": self.items_, "params": self.params, "epochs": self.epochs, "threads": self.threads,
                "best_valid_ndcg20": self.model_.best_valid_, "epochs_run": len(self.model_.history_),
                "fit_seconds": round(self.model_.fit_seconds_, 1)}
        atomic.write_text(folder / "sequential.json", json.dumps(card))

    @classmethod
    def load(cls, folder: Path, data: Interactions) -> "NextItemRecommender | None":
        """The saved model serving `data`, or None when none was trained."""
        weights, card_path = folder / "sequential.pt", folder / "sequential.json"
        if not weights.exists() or not card_path.exists():
            return None
        card = json.loads(card_path.read_text(encoding="utf-8"))
        self = cls(card["epochs"], card["threads"], **card["params"])
        self.items_ = list(card["items"])
        self.code_ = {item: i + 1 for i, item in enumerate(self.items_)}
        self.data_, self.sequences_ = data, sequences(data)
        model = SASRecRecommender(epochs=card["epochs"], threads=card["threads"], **self.params)
        model.load_state(torch.load(weights, weights_only=True), len(self.items_))
        model.best_valid_ = card.get("best_valid_ndcg20", -1.0)
        self.model_ = model
        return self
