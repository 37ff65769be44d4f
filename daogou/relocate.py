"""Move a shop's store to another database engine (SQLite ⇄ PostgreSQL) and prove the move by its searches.

Why proof by search: row counts say the data arrived; the same top 10 for a set of queries before and after
says the shop behaves the same on the new engine. The queries are drawn from the catalog's own titles (their
first words), the index is rebuilt from the new store (vectors travel with the rows, so nothing is encoded
again), and on any difference the shop is switched back to its old store and the move is reported as failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from daogou.catalog.migrate import copy_store
from daogou.config import load_settings, update_settings_file
from daogou.errors import DaogouError
from daogou.shop import Shop


@dataclass
class MoveReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    queries: int = 0
    same_results: int = 0
    seconds: float = 0.0


def _probe(shop: Shop, count: int) -> dict[str, list[str]]:
    """Queries from the catalog's titles (first two words) → their top-10 product ids."""
    queries: list[str] = []
    for product in shop.store.iter_products():
        words = " ".join(product.title.split()[:2])
        if words and words not in queries:
            queries.append(words)
        if len(queries) == count:
            break
    return {q: [h.id for h in shop.search(q, k=10).hits] for q in queries}


def move_store(shop_dir: Path, target_url: str, queries: int = 20, progress: Callable[[str, int], None] | None = None) -> MoveReport:
    """Copy the store to `target_url` ("" = the shop's own SQLite file), switch the shop to it, rebuild the
    index from it and compare searches; switches back and raises when anything differs."""
    started = time.perf_counter()
    old_url = load_settings(shop_dir).store_url
    with Shop.open(shop_dir) as shop:
        before = _probe(shop, queries)
        source_url = shop.store.url
        target = target_url or f"sqlite:///{(shop_dir / 'catalog.db').resolve()}"
        if target == source_url:
            raise DaogouError("the shop already uses that store")
        rows = copy_store(shop.store, target, progress)
    update_settings_file(shop_dir, store_url=target_url)
    try:
        with Shop.open(shop_dir) as shop:
            shop.index(show_progress=False)
            after = {q: [h.id for h in shop.search(q, k=10).hits] for q in before}
    except Exception:
        update_settings_file(shop_dir, store_url=old_url)
        raise
    same = sum(before[q] == after[q] for q in before)
    if same != len(before):
        update_settings_file(shop_dir, store_url=old_url)
        differing = [q for q in before if before[q] != after[q]][:3]
        raise DaogouError(f"searches differ after the move ({len(before) - same} of {len(before)}, e.g. {differing}); the shop still uses its old store")
    return MoveReport(source_url, target, rows, len(before), same, round(time.perf_counter() - started, 1))
