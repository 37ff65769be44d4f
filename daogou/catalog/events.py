"""User behaviour files (views, carts, purchases) → validated Interaction records, bad rows reported by line.

Why its own mapping: behaviour exports name their columns differently from catalogs (H&M: t_dat,
customer_id, article_id, price); the same reader as the catalog importer is reused so CSV, JSONL and
Parquet all work and every skipped row says where and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
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
    #: "rows": one event per row of a table; "sequence": one user per line, "user item item ...", in order
    #: (the S3-Rec/P5 files of Amazon Beauty and Sports): the position is the order, there are no times.
    layout: str = "rows"

    def with_overrides(self, overrides: dict[str, str]) -> EventMapping:
        """A copy with `field=column` overrides applied (the events twin of ColumnMapping.with_overrides)."""
        allowed = {"user", "product", "timestamp", "price", "kind", "encoding", "layout"}
        unknown = set(overrides) - allowed
        if unknown:
            raise ValueError(f"unknown event mapping fields {sorted(unknown)}; use {sorted(allowed)}")
        return replace(self, **overrides)


EVENT_PRESETS: dict[str, EventMapping] = {
    "hm": EventMapping(user="customer_id", product="article_id", timestamp="t_dat", price="price"),
    "generic": EventMapping(user="user_id", product="product_id", timestamp="timestamp", price="price", kind="kind"),
    "sequence": EventMapping(user="", product="", timestamp="", layout="sequence"),
}
#: Times given to the items of a sequence file: one second apart, in order, from this moment on.
SEQUENCE_EPOCH = datetime(2000, 1, 1)
#: A history longer than this is cut to its most recent items (10,000-item "users" are bots or exports gone wrong).
MAX_SEQUENCE = 2000


def _time(raw: str) -> datetime:
    text = raw.strip()
    for parse in (datetime.fromisoformat, lambda t: datetime.fromtimestamp(float(t))):
        try:
            return parse(text)  # type: ignore[no-any-return]
        except (ValueError, OverflowError, OSError):
            continue
    raise ValueError(f"time {raw!r} is neither ISO 8601 nor a Unix timestamp")


def read_sequences(path: Path | str, mapping: EventMapping) -> tuple[list[Interaction], list[RowError]]:
    """Read "user item item ..." lines: each item becomes a purchase, one second after the previous one.

    Repeats of the same item straight after itself are one event; a line with a user and no item is reported;
    a history over MAX_SEQUENCE items keeps its most recent ones (and is reported).
    """
    events: list[Interaction] = []
    errors: list[RowError] = []
    try:
        handle = Path(path).open(encoding=mapping.encoding)
    except OSError as exc:
        return [], [RowError(str(path), 0, f"cannot read the file ({exc.strerror or exc})")]
    with handle:
        for line_no, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            user, items = parts[0], [item for i, item in enumerate(parts[1:]) if i == 0 or item != parts[i]]
            if not items:
                errors.append(RowError(str(path), line_no, f"user {user!r} has no items"))
                continue
            if len(items) > MAX_SEQUENCE:
                errors.append(RowError(str(path), line_no, f"user {user!r}: {len(items)} items, kept the last {MAX_SEQUENCE}"))
                items = items[-MAX_SEQUENCE:]
            try:
                events.extend(Interaction(user_id=user, product_id=item, kind=mapping.default_kind,
                                          timestamp=SEQUENCE_EPOCH + timedelta(seconds=position)) for position, item in enumerate(items))
            except ValueError as exc:
                errors.append(RowError(str(path), line_no, str(exc).splitlines()[0]))
    return events, errors


def read_events(path: Path | str, mapping: EventMapping) -> tuple[list[Interaction], list[RowError]]:
    """Read an events file; rows with a missing user/product, a bad time, price or kind are skipped and reported."""
    if mapping.layout == "sequence":
        return read_sequences(path, mapping)

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
