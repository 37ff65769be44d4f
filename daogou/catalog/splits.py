"""Fixed, seeded splits of product ids into train / validation / test.

Why one function: every trained head and every quality figure must use the same held-out products,
so nothing is ever tuned on the test part. The split depends only on the ids and the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SEED = 42


@dataclass(frozen=True)
class Split:
    train: list[str]
    validation: list[str]
    test: list[str]


def split_ids(ids: Sequence[str], seed: int = SEED, test: float = 0.2, validation: float = 0.1) -> Split:
    """Shuffle sorted ids with `seed`; the last `test` share is test, `validation` of the rest is validation."""
    ordered = sorted(ids)
    order = np.random.default_rng(seed).permutation(len(ordered))
    shuffled = [ordered[i] for i in order]
    n_test = int(round(test * len(shuffled)))
    rest, held = shuffled[: len(shuffled) - n_test], shuffled[len(shuffled) - n_test :]
    n_val = int(round(validation * len(rest)))
    return Split(train=rest[: len(rest) - n_val], validation=rest[len(rest) - n_val :], test=held)
