"""Interactions as a user × item matrix, and the time-based split used to evaluate recommenders.

Why a time split: recommending is predicting the future; a random split leaks tomorrow's purchases
into training. The last `days` of events are the test set, as in the H&M competition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy.sparse import csr_matrix

from daogou.catalog.schema import Interaction

#: Confidence weight of an event kind (a purchase says more than a view).
KIND_WEIGHT = {"purchase": 1.0, "cart": 0.5, "view": 0.1}


@dataclass
class Interactions:
    """Training events indexed for the recommenders."""

    users: list[str]
    items: list[str]
    matrix: csr_matrix  # users × items, summed event weights
    events: list[Interaction]
    dropped: int = 0  # events naming products that are not in the catalog
    user_index: dict[str, int] = field(default_factory=dict)
    item_index: dict[str, int] = field(default_factory=dict)
    _by_user: dict[str, list[Interaction]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_events(cls, events: Iterable[Interaction], catalog: set[str] | None = None) -> "Interactions":
        kept, dropped = [], 0
        for event in events:
            if catalog is not None and event.product_id not in catalog:
                dropped += 1
                continue
            kept.append(event)
        users = sorted({e.user_id for e in kept})
        items = sorted({e.product_id for e in kept})
        user_index = {u: i for i, u in enumerate(users)}
        item_index = {p: i for i, p in enumerate(items)}
        rows = np.array([user_index[e.user_id] for e in kept], dtype=np.int32)
        cols = np.array([item_index[e.product_id] for e in kept], dtype=np.int32)
        weights = np.array([KIND_WEIGHT.get(e.kind, 1.0) for e in kept], dtype=np.float32)
        matrix = csr_matrix((weights, (rows, cols)), shape=(len(users), len(items)), dtype=np.float32)
        matrix.sum_duplicates()
        return cls(users, items, matrix, kept, dropped, user_index, item_index)

    @property
    def last_time(self) -> datetime | None:
        return max((e.timestamp for e in self.events), default=None)

    def seen(self, user: str) -> set[str]:
        row = self.user_index.get(user)
        if row is None:
            return set()
        return {self.items[j] for j in self.matrix[row].indices}

    def history(self, user: str) -> list[Interaction]:
        """The user's events, oldest first (indexed once: the recommenders ask for every user they serve)."""
        if self._by_user is None:
            by_user: dict[str, list[Interaction]] = {}
            for e in self.events:
                by_user.setdefault(e.user_id, []).append(e)
            self._by_user = by_user
        return list(self._by_user.get(user, []))


def sequences(data: Interactions) -> dict[str, list[str]]:
    """Each user's products in time order (stable for equal times), a repeat straight after itself dropped."""
    out: dict[str, list[str]] = {}
    for user in data.users:
        ordered = [e.product_id for e in sorted(data.history(user), key=lambda e: e.timestamp)]
        out[user] = [p for i, p in enumerate(ordered) if i == 0 or p != ordered[i - 1]]
    return out


def hold_out_last(data: Interactions, min_history: int = 1) -> tuple[Interactions, dict[str, str]]:
    """(the events without each user's last product, user → that product) for users with more than
    `min_history` products: the leave-one-out split when order is all the data says (no real times)."""
    truth: dict[str, str] = {}
    kept: list[Interaction] = []
    for user in data.users:
        history = sorted(data.history(user), key=lambda e: e.timestamp)
        if len({e.product_id for e in history}) > min_history:
            last = history[-1].product_id
            truth[user] = last
            history = [e for e in history if e.product_id != last]
        kept.extend(history)
    return Interactions.from_events(kept), truth


def time_split(events: Sequence[Interaction], days: int = 7) -> tuple[list[Interaction], list[Interaction]]:
    """(train, test): test holds the events of the last `days` days."""
    if not events:
        return [], []
    cutoff = max(e.timestamp for e in events) - timedelta(days=days)
    train = [e for e in events if e.timestamp <= cutoff]
    test = [e for e in events if e.timestamp > cutoff]
    return train, test
