"""Copy a shop's store to another database (SQLite ⇄ PostgreSQL), table by table, verified by row counts.

Why a copy and not a dump: the target is created by the store's own migrations (so its schema is what this
version of daogou expects on that engine), then every row is read in pages and written in batches, vectors
included, so the search indexes can be rebuilt from the target without encoding anything again. A target
that already holds products is refused: a migration never merges two catalogs.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, func, select

from daogou.catalog.store import CatalogStore, metadata, store_meta
from daogou.errors import DaogouError

BATCH = 1000


def copy_store(source: CatalogStore, target_url: str, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every table of `source` into the (empty) store at `target_url`; returns rows per table."""
    target = CatalogStore(target_url)
    try:
        if target.count():
            raise DaogouError(f"{_safe(target_url)} already holds {target.count()} products: migrate into an empty database")
        copied: dict[str, int] = {}
        with source.engine.connect() as read, target.engine.begin() as write:
            write.execute(delete(store_meta))
            for table in metadata.sorted_tables:
                rows = 0
                result = read.execution_options(yield_per=BATCH).execute(select(table))
                for batch in result.mappings().partitions(BATCH):
                    write.execute(table.insert(), [dict(row) for row in batch])
                    rows += len(batch)
                    if progress:
                        progress(table.name, rows)
                copied[table.name] = rows
            for table in metadata.sorted_tables:
                there = write.execute(select(func.count()).select_from(table)).scalar_one()
                if there != copied[table.name]:
                    raise DaogouError(f"table {table.name}: {copied[table.name]} rows read, {there} written; nothing was kept")
        return copied
    finally:
        target.close()


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}@{tail}"


__all__ = ["copy_store"]
