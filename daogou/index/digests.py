"""Row digests: 64 bits that say whether an engine's row still holds what the store would write now.

Why: a re-index of a catalog held by an engine (Milvus, pgvector) should write only the rows that changed. Reading
every vector back to compare would move as much data as writing them all; reading back one integer per row and
comparing it with the digest of what would be written costs ~8 bytes a product.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

#: An engine's rows are updated in place only while at most this share of them differ; above it a fresh build costs
#: about as much and leaves no deleted rows behind.
MAX_CHANGED = 0.2


def row_digest(vector: np.ndarray, terms: Sequence[str] = (), price: float | None = None) -> int:
    """A signed 64-bit digest of a row: its float32 vector, its filter terms in any order and its price."""
    digest = hashlib.blake2b(np.ascontiguousarray(vector, dtype=np.float32).tobytes(), digest_size=8)
    digest.update("\x1f".join(sorted(terms)).encode("utf-8"))
    digest.update(repr(None if price is None else float(price)).encode("ascii"))
    return int.from_bytes(digest.digest(), "little", signed=True)


def text_digest(text: str, terms: Sequence[str] = ()) -> int:
    """A signed 64-bit digest of a text row (a BM25 collection's body words and filter terms in any order)."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8)
    digest.update(b"\x1e" + "\x1f".join(sorted(terms)).encode("utf-8"))
    return int.from_bytes(digest.digest(), "little", signed=True)


def delta(stored: dict[str, int], current: Iterable[tuple[str, int]], max_changed: float = MAX_CHANGED) -> tuple[list[str], list[str]] | None:
    """(ids to write, ids to delete) that bring rows with `stored` digests to the `current` (id, digest) pairs (one
    per product now indexed); None when more than `max_changed` of those products' rows differ."""
    seen: set[str] = set()
    changed = []
    for pid, digest in current:
        seen.add(pid)
        if stored.get(pid) != digest:
            changed.append(pid)
    removed = [pid for pid in stored if pid not in seen]
    if len(changed) + len(removed) > max_changed * max(len(seen), 1):
        return None
    return changed, removed
