"""Writer: commit each encoded batch to the store as soon as it arrives.

Why per batch: a crash or Ctrl-C loses at most the batches in flight; the next run's reader sees
the committed vectors and skips them.
"""

from __future__ import annotations

from daogou.catalog.store import CatalogStore
from daogou.pipeline.mapper import Encoded


class VectorWriter:
    """Writes Encoded batches into the store and keeps the tally."""

    def __init__(self, store: CatalogStore) -> None:
        self.store = store
        self.written = 0
        self.failures: list[tuple[str, str]] = []

    def write(self, encoded: Encoded) -> None:
        rows = list(zip(encoded.ids, encoded.hashes, encoded.vectors))
        self.store.put_vectors(encoded.batch.space, encoded.batch.model, rows)
        self.written += len(rows)
        self.failures.extend(encoded.failures)
