"""Move a shop's store to another database engine (SQLite ⇄ PostgreSQL), its vector indexes to another search
engine (FAISS files ⇄ pgvector ⇄ Milvus) or its BM25 index (tantivy files ⇄ Milvus), and prove the move by its
searches.

Why proof by search: row counts say the data arrived; the same top 10 for a set of queries before and after
says the shop behaves the same on the new engine. The queries are drawn from the catalog's own titles (their
first words), the index is rebuilt from the new store (vectors travel with the rows, so nothing is encoded
again), and on any difference the shop is switched back to its old store and the move is reported as failed.
A vector move is judged a little more loosely: another engine sums a dot product in another order, so
near-ties far down a list may swap; every query's top 3 must be the same and the top 10s must overlap by at
least VECTOR_OVERLAP on average.
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


#: mean top-10 overlap a vector move must keep (with every top 3 identical)
VECTOR_OVERLAP = 0.95


@dataclass
class MoveReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    queries: int = 0
    same_results: int = 0
    seconds: float = 0.0
    #: vector moves: mean overlap of the top 10s before and after
    overlap: float = 1.0


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


def move_vectors(shop_dir: Path, vector_url: str, queries: int = 20) -> MoveReport:
    """Re-index the shop's vectors into `vector_url` (a PostgreSQL URL for pgvector, milvus://host:port for Milvus;
    "" = FAISS files); see move_index."""
    return move_index(shop_dir, "vector_url", vector_url, queries)


def move_lexical(shop_dir: Path, lexical_url: str, queries: int = 20) -> MoveReport:
    """Re-index the shop's BM25 into `lexical_url` (milvus://host:port, a Milvus ≥ 2.5; "" = tantivy files); see move_index."""
    return move_index(shop_dir, "lexical_url", lexical_url, queries)


def move_index(shop_dir: Path, setting: str, url: str, queries: int = 20) -> MoveReport:
    """Point `setting` (vector_url or lexical_url) at `url`, re-index and compare searches; switches back (and
    re-indexes) when the top 3 of any query or the mean top-10 overlap differ."""
    from daogou.index.backends import release

    started = time.perf_counter()
    old_url = getattr(load_settings(shop_dir), setting)
    if url == old_url:
        raise DaogouError(f"the shop's {'vector indexes are' if setting == 'vector_url' else 'BM25 index is'} already there")
    with Shop.open(shop_dir) as shop:
        before = _probe(shop, queries)
    update_settings_file(shop_dir, **{setting: url})
    try:
        with Shop.open(shop_dir) as shop:
            indexed = shop.index(show_progress=False).indexed
            after = {q: [h.id for h in shop.search(q, k=10).hits] for q in before}
    except Exception:
        update_settings_file(shop_dir, **{setting: old_url})
        raise
    overlaps = [len(set(before[q]) & set(after[q])) / max(1, len(before[q])) for q in before]
    overlap = sum(overlaps) / max(1, len(overlaps))
    changed = [q for q in before if before[q][:3] != after[q][:3]]
    if changed or overlap < VECTOR_OVERLAP:
        update_settings_file(shop_dir, **{setting: old_url})
        with Shop.open(shop_dir) as shop:
            shop.index(show_progress=False)
        raise DaogouError(f"searches differ after the move (top 3 of {len(changed)} queries, e.g. {changed[:3]}; mean top-10 overlap "
                          f"{overlap:.2f}); the shop's indexes stay where they were")
    if old_url and old_url != url:  # what the old engine still holds for older generations: no setting will name it again
        with Shop.open(shop_dir) as shop:
            live = shop.index_dir
            for folder in [p for p in shop.generations.root.iterdir() if p.is_dir() and p != live]:
                release(old_url if setting == "vector_url" else "", folder, old_url if setting == "lexical_url" else "")
    spaces = ("text", "image", "aligned_image", "aligned_text") if setting == "vector_url" else ("lexical",)
    rows = {space: n for space, n in indexed.items() if space in spaces}
    default = "faiss" if setting == "vector_url" else "tantivy"
    return MoveReport(old_url or default, url or default, rows, len(before), sum(before[q] == after[q] for q in before),
                      round(time.perf_counter() - started, 1), round(overlap, 3))
