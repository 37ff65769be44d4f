"""User behaviour files (views, carts, purchases) → validated Interaction records, bad rows reported by line.

Why its own mapping: behaviour exports name their columns differently from catalogs (H&M: t_dat,
customer_id, article_id, price); the same reader as the catalog importer is reused so CSV, JSONL and
Parquet all work and every skipped row says where and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from daogou.catalog.importers import RowError, read_records
from daogou.catalog.presets import Row
from daogou.catalog.schema import Interaction


@dataclass(frozen=True)
class EventMapping:
    """Which columns hold the user, the product, the time (and optionally the price and the event kind)."""

    user: str
    product: str
    timestamp: str
    price: str = ""
    kind: str = ""
    default_kind: str = "purchase"
    encoding: str = "utf-8-sig"

    def with_overrides(self, overrides: dict[str, str]) -> EventMapping:
        """A copy with `field=column` overrides applied (the events twin of ColumnMapping.with_overrides)."""
        allowed = {"user", "product", "timestamp", "price", "kind", "encoding"}
        unknown = set(overrides) - allowed
        if unknown:
            raise ValueError(f"unknown event mapping fields {sorted(unknown)}; use {sorted(allowed)}")
        return replace(self, **overrides)


EVENT_PRESETS: dict[str, EventMapping] = {
    "hm": EventMapping(user="customer_id", product="article_id", timestamp="t_dat", price="price"),
    "generic": EventMapping(user="user_id", product="product_id", timestamp="timestamp", price="price", kind="kind"),
}


def _time(raw: str) -> datetime:
    text = raw.strip()
    for parse in (datetime.fromisoformat, lambda t: datetime.fromtimestamp(float(t))):
        try:
            return parse(text)  # type: ignore[no-any-return]
        except (ValueError, OverflowError, OSError):
            continue
    raise ValueError(f"time {raw!r} is neither ISO 8601 nor a Unix timestamp")


def read_events(path: Path | str, mapping: EventMapping) -> tuple[list[Interaction], list[RowError]]:
    """Read an events file; rows with a missing user/product, a bad time, price or kind are skipped and reported."""

    def build(row: Row) -> Interaction:
        price_raw = str(row.get(mapping.price) or "").strip() if mapping.price else ""
        return Interaction(
            user_id=str(row.get(mapping.user) or "").strip(),
            product_id=str(row.get(mapping.product) or "").strip(),
            kind=(str(row.get(mapping.kind) or "").strip().lower() if mapping.kind else "") or mapping.default_kind,
            timestamp=_time(str(row.get(mapping.timestamp) or "")),
            price=float(price_raw) if price_raw else None,
        )

    return read_records(path, mapping.encoding, build)
